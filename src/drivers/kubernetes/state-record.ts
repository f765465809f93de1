import type { V1ConfigMap } from '@kubernetes/client-node';
import { parseAppState, parseHistoryLine } from '../../core/state-schema.ts';
import type { HistoryReadOptions } from '../../core/store.ts';
import type { AppState, HistoryEntry } from '../../core/types.ts';

/** The keys of the state ConfigMap `<app>-cutover` that hold cutover's record. */
export const STATE_KEY = 'state.json';
export const HISTORY_KEY = 'history.jsonl';

/** `ConfigMap <namespace>/<name>`, as messages name it. */
export const configMapWhere = (namespace: string, name: string) => `ConfigMap ${namespace}/${name}`;

/** The state recorded in the ConfigMap, or null when there is none. @throws CutoverError('config') when the key is damaged */
export function stateOf(cm: V1ConfigMap | undefined, namespace: string, name: string): AppState | null {
  const text = cm?.data?.[STATE_KEY];
  if (!text) return null;
  return parseAppState(text, `${configMapWhere(namespace, name)} key ${STATE_KEY}`, `Fix that key, or delete it (kubectl -n ${namespace} edit configmap ${name}) and run \`cutover resume\` to rebuild the record from the cluster.`);
}

/** The newest `limit` history entries; a damaged line is skipped (and reported), the rest is still history. */
export function historyOf(cm: V1ConfigMap | undefined, where: string, limit: number, options: HistoryReadOptions): HistoryEntry[] {
  const text = cm?.data?.[HISTORY_KEY] ?? '';
  const entries: HistoryEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]) continue;
    const parsed = parseHistoryLine(lines[i]!);
    if ('entry' in parsed) entries.push(parsed.entry);
    else options.onSkippedLine?.(`${where} key ${HISTORY_KEY}, line ${i + 1}: skipped (${parsed.problem})`);
  }
  return entries.slice(-limit);
}
