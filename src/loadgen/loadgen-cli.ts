/**
 * Runs the load generator in a process of its own and prints its report as JSON on stdout,
 * so load never shares an event loop with the server under test.
 *
 *   node --import tsx src/loadgen/loadgen-cli.ts --url http://127.0.0.1:8080 \
 *     --model open --rate 2000 --duration-ms 10000 [--slow 0.05] [--new-connection 0.01] \
 *     [--post 0.01 --post-bytes 1048576] [--connections 50] [--max-requests N] [--marks-from-stdin]
 *
 * With --marks-from-stdin, each stdin line `mark <label>` opens a window and `stop` ends the run.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { isCutoverError } from '../core/errors.ts';
import { LoadGenerator, type LoadOptions } from './load-generator.ts';

function num(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      model: { type: 'string', default: 'closed' },
      rate: { type: 'string' },
      connections: { type: 'string', default: '10' },
      'max-connections': { type: 'string' },
      'duration-ms': { type: 'string', default: '10000' },
      'max-requests': { type: 'string' },
      path: { type: 'string' },
      slow: { type: 'string' },
      'slow-path': { type: 'string' },
      'new-connection': { type: 'string' },
      post: { type: 'string' },
      'post-bytes': { type: 'string' },
      'color-header': { type: 'string' },
      'version-header': { type: 'string' },
      'marks-from-stdin': { type: 'boolean', default: false },
      records: { type: 'boolean', default: false },
    },
  });
  const common = {
    url: values.url ?? '',
    durationMs: Number(values['duration-ms']),
    maxRequests: num(values['max-requests']),
    path: values.path,
    slowFraction: num(values.slow),
    slowPath: values['slow-path'],
    newConnectionFraction: num(values['new-connection']),
    postFraction: num(values.post),
    postBytes: num(values['post-bytes']),
    colorHeader: values['color-header'],
    versionHeader: values['version-header'],
  };
  const options: LoadOptions = values.model === 'open'
    ? { ...common, model: 'open', ratePerSec: Number(values.rate), maxConnections: num(values['max-connections']) }
    : { ...common, model: 'closed', connections: Number(values.connections) };
  const generator = new LoadGenerator(options).start();
  if (values['marks-from-stdin']) {
    const lines = createInterface({ input: process.stdin });
    lines.on('line', (line) => {
      const [cmd, ...rest] = line.trim().split(/\s+/);
      if (cmd === 'mark' && rest.length > 0) generator.mark(rest.join(' '));
      else if (cmd === 'stop') void generator.stop();
    });
    void generator.finished.then(() => lines.close(), () => lines.close());
  }
  const report = await generator.finished;
  const out = values.records ? { ...report, records: generator.records() } : report;
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`loadgen: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(isCutoverError(err) ? 2 : 70);
});
