import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { Log, type V1Pod } from '@kubernetes/client-node';
import type { LogLine, LogOptions } from '../../core/driver.ts';
import type { Color } from '../../core/types.ts';
import type { KubeClients } from './kube-clients.ts';
import { kube } from './kube-errors.ts';

/**
 * The logs of a color's pods as one stream of lines. Without `follow` each pod's tail is read
 * once; with it, every pod is followed until `signal` aborts. Lines of different pods interleave
 * in arrival order; `source` names the pod.
 */
export async function* podLogs(clients: KubeClients, namespace: string, pods: readonly V1Pod[], color: Color, container: string | undefined, options: LogOptions = {}): AsyncIterable<LogLine> {
  const tail = options.tail ?? 100;
  if (!options.follow) {
    for (const pod of pods) {
      const name = pod.metadata?.name ?? '';
      const text = await kube(`reading logs of pod ${name}`, () =>
        clients.core.readNamespacedPodLog({ name, namespace, container: container ?? pod.spec?.containers?.[0]?.name, tailLines: tail }));
      for (const line of String(text ?? '').split('\n')) if (line) yield { color, source: name, stream: 'stdout', line };
    }
    return;
  }
  const out = new PassThrough({ objectMode: true });
  const log = new Log(clients.kc);
  const controllers: AbortController[] = [];
  let open = pods.length;
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    const stream = new PassThrough();
    createInterface({ input: stream }).on('line', (line) => out.write({ color, source: name, stream: 'stdout', line } satisfies LogLine));
    stream.on('end', () => {
      if (--open === 0) out.end();
    });
    log.log(namespace, name, container ?? pod.spec?.containers?.[0]?.name ?? '', stream, { follow: true, tailLines: tail })
      .then((c) => controllers.push(c))
      .catch((err: Error) => {
        out.write({ color, source: name, stream: 'stderr', line: `(cannot follow logs: ${err.message})` } satisfies LogLine);
        stream.end();
      });
  }
  if (open === 0) out.end();
  const stop = () => {
    for (const c of controllers) c.abort();
    out.end();
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    for await (const line of out) yield line as LogLine;
  } finally {
    options.signal?.removeEventListener('abort', stop);
    for (const c of controllers) c.abort();
  }
}
