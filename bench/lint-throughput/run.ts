// Lint throughput on a large generated migration set: statements per second through the
// whole linter (parse, scan, rules, suppressions, line/column mapping), side by side with
// libpg-query's parse alone, so the ratio shows what cutover's own work costs on top of
// the PostgreSQL grammar.
//   node --import tsx bench/lint-throughput/run.ts            # 200 files x 250 statements
//   BENCH_TINY=1 node --import tsx bench/lint-throughput/run.ts   # CI smoke run
import { parseSync } from 'libpg-query';
import { lintMigrationSet, type LintInput } from '../../src/migrations/lint.ts';
import { loadSqlParser } from '../../src/migrations/sql-file.ts';

const tiny = process.env.BENCH_TINY === '1';
const FILES = tiny ? 10 : 200;
const PER_FILE = tiny ? 50 : 250;
const ROUNDS = tiny ? 1 : 5;

/** One file of realistic migration statements, a few of them flagged, some with non-ASCII text. */
function generateFile(f: number): LintInput {
  const lines: string[] = [`-- migration ${f}: généré pour le banc d'essai ✓`];
  for (let i = 0; lines.length <= PER_FILE; i++) {
    const t = `t_${f}_${i % 17}`;
    switch (i % 12) {
      case 0: lines.push(`CREATE TABLE IF NOT EXISTS ${t} (id bigint PRIMARY KEY, name varchar(${40 + i}), created_at timestamptz NOT NULL DEFAULT now());`); break;
      case 1: lines.push(`ALTER TABLE accounts_${f} ADD COLUMN c${i} text DEFAULT 'é${i}';`); break;
      case 2: lines.push(`ALTER TABLE accounts_${f} ADD COLUMN n${i} integer, ADD COLUMN m${i} numeric(12,2) DEFAULT 0;`); break;
      case 3: lines.push(`-- cutover:ignore create-index-not-concurrently small lookup table, under 1000 rows\nCREATE INDEX idx_${f}_${i} ON lookup_${f} (code);`); break;
      case 4: lines.push(`ALTER TABLE accounts_${f} ADD CONSTRAINT fk_${f}_${i} FOREIGN KEY (owner_id) REFERENCES owners (id) NOT VALID;`); break;
      case 5: lines.push(`UPDATE accounts_${f} SET c${i - 4} = lower(name) WHERE id BETWEEN ${i * 1000} AND ${i * 1000 + 999};`); break;
      case 6: lines.push(`CREATE OR REPLACE VIEW v_${f}_${i} AS SELECT a.id, a.name, count(o.id) AS orders FROM accounts_${f} a LEFT JOIN orders o ON o.account_id = a.id GROUP BY a.id, a.name;`); break;
      case 7: lines.push(`COMMENT ON COLUMN accounts_${f}.c${i - 6} IS 'données « importées » — ${i}';`); break;
      case 8: lines.push(`ALTER TABLE accounts_${f} ALTER COLUMN n${i - 6} SET DEFAULT ${i};`); break;
      case 9: lines.push(`INSERT INTO settings (key, value) VALUES ('k${f}_${i}', '{"enabled": true}'::jsonb) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;`); break;
      case 10: lines.push(`ALTER TABLE accounts_${f} ALTER COLUMN legacy_${i} TYPE bigint;`); break; // flagged: change-column-type
      case 11: lines.push(`CREATE FUNCTION f_${f}_${i}(x int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT x * ${i} $$;`); break;
    }
  }
  return { file: `expand/${String(f).padStart(4, '0')}.sql`, text: `${lines.join('\n')}\n`, phase: 'expand' };
}

await loadSqlParser();
const files = Array.from({ length: FILES }, (_, f) => generateFile(f));
const statements = files.reduce((n, f) => n + (parseSync(f.text).stmts?.length ?? 0), 0);
const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.text), 0);

function parseOnly(): number {
  let n = 0;
  for (const f of files) n += parseSync(f.text).stmts?.length ?? 0;
  return n;
}
function lintAll(): number {
  return lintMigrationSet(files, { pgVersion: 17, lockTimeoutMs: 5_000 }).length;
}

// Warm up both paths, then alternate them so both see the same machine load.
parseOnly();
const findings = lintAll();
const ms = { parse: 0, lint: 0 };
for (let r = 0; r < ROUNDS; r++) {
  let t = performance.now();
  parseOnly();
  ms.parse += performance.now() - t;
  t = performance.now();
  lintAll();
  ms.lint += performance.now() - t;
}

const rate = (total: number) => Math.round((statements * ROUNDS) / (total / 1_000));
console.log(`lint-throughput${tiny ? ' (tiny)' : ''}: ${FILES} files, ${statements} statements, ${(bytes / 1024 / 1024).toFixed(1)} MiB, ${ROUNDS} rounds, ${findings} findings per round`);
console.log(`  libpg-query parse only : ${rate(ms.parse).toLocaleString('en')} statements/s`);
console.log(`  cutover lint (full)    : ${rate(ms.lint).toLocaleString('en')} statements/s`);
console.log(`  lint / parse time ratio: ${(ms.lint / ms.parse).toFixed(2)}x`);
console.log(`  heap used after run    : ${(process.memoryUsage().heapUsed / 1024 / 1024).toFixed(0)} MiB`);
