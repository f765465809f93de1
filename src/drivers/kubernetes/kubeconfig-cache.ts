import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readCacheEntry, userCacheFile, writeCacheEntry } from '../../config/cache-entry.ts';

/** The parts of a kubeconfig file the read-only path reads (kubectl's field names; a list may be null, as kubectl writes an empty one). */
export interface KubeconfigFile {
  'current-context'?: string;
  contexts?: Array<{ name?: string; context?: { cluster?: string; user?: string } }> | null;
  clusters?: Array<{ name?: string; cluster?: Record<string, unknown> }> | null;
  users?: Array<{ name?: string; user?: Record<string, unknown> }> | null;
}

/** Bumped when what is kept changes, so an older entry is never read as a newer one. */
const ENTRY_FORMAT = 2; // 2: only a kubeconfig that passed kubeconfig-shape.ts is kept

/** As for the config cache: a checkout's sources can change what is kept without a version bump. */
const CACHE_IN_THIS_BUILD = !import.meta.url.endsWith('.ts');

/**
 * The kubeconfig at `file`, parsed, with only the entries `context` (or the current context)
 * names. Parsed YAML is kept in the user's cache directory, keyed by a hash of the file's path,
 * the context asked for and the file's whole text, so a changed kubeconfig is parsed again and
 * an unchanged one is not: loading the YAML parser was about a tenth of `cutover status` on
 * Kubernetes (docs/BENCHMARKS.md, k8s-switch). Only the chosen context's cluster and user are
 * kept, in a 0600 file in 0700 directories, as the kubeconfig itself is kept. Files the
 * kubeconfig names (a CA, a token file) are not cached: the caller reads them every time.
 * A cache that cannot be read or written is ignored.
 * @throws what reading `file` throws; CutoverError('config') when it is not a kubeconfig (kubeconfig-shape.ts)
 */
export async function readKubeconfig(file: string, context: string | undefined, env: NodeJS.ProcessEnv, options: { cache?: boolean } = {}): Promise<KubeconfigFile> {
  const text = readFileSync(file, 'utf8');
  const place = (options.cache ?? CACHE_IN_THIS_BUILD) ? userCacheFile('kubeconfig-cache', file, env) : null;
  const key = createHash('sha256').update(`${ENTRY_FORMAT}\0${file}\0${context ?? ''}\0${text}`).digest('hex');
  const hit = place ? readCacheEntry<KubeconfigFile>(place, key, 'doc') : null;
  if (hit) return hit;

  const { parseKubeconfig } = await import('./kubeconfig-shape.ts');
  const doc = chosenEntries(parseKubeconfig(file, text), context);
  if (place) await writeCacheEntry(place, key, 'doc', doc);
  return doc;
}

/** The context `context` (or the current one) and the cluster and user it names: all the read-only path reads. */
function chosenEntries(doc: KubeconfigFile, context: string | undefined): KubeconfigFile {
  const name = context ?? doc['current-context'];
  const list = <T extends { name?: string }>(items: T[] | null | undefined, wanted: string | undefined) =>
    Array.isArray(items) ? items.filter((item) => item?.name === wanted).slice(0, 1) : undefined;
  const contexts = list(doc.contexts, name);
  const ctx = contexts?.[0]?.context;
  return {
    'current-context': doc['current-context'],
    contexts,
    clusters: list(doc.clusters, ctx?.cluster),
    users: list(doc.users, ctx?.user),
  };
}
