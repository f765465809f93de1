/** One sample line of the Prometheus text exposition format. */
export interface Sample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

// Hand-written rather than a dependency: the router only needs sample lines (name, labels,
// value), the format's grammar for those is a few lines, and a strict parser is what turns
// an HTML error page or a JSON body into a clear "not Prometheus text" error.
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;

/**
 * Parses the sample lines of a `/metrics` body; `# HELP` / `# TYPE` comments are skipped.
 * @throws Error naming the first line that is not valid exposition text.
 */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    const value = match ? parseValue(match[3]) : undefined;
    const labels = match ? parseLabels(match[2] ?? '') : undefined;
    if (!match || value === undefined || labels === undefined) {
      throw new Error(`not Prometheus text: line ${i + 1} reads "${line.slice(0, 80)}"`);
    }
    samples.push({ name: match[1], labels, value });
  }
  return samples;
}

function parseValue(text: string): number | undefined {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  return Number.isNaN(value) ? undefined : value;
}

function parseLabels(text: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const at = LABEL.lastIndex;
    const match = LABEL.exec(text);
    if (!match) return text.slice(at).trim() === '' ? labels : undefined;
    labels[match[1]] = match[2].replace(/\\(.)/g, (_all, ch: string) => (ch === 'n' ? '\n' : ch));
    if (match[3] === '') break;
  }
  return labels;
}
