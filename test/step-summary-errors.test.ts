// GITHUB_STEP_SUMMARY from a plain `run: cutover ...` step when the command ends in an error
// rather than an outcome: nothing to promote, a bad config, a usage error.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/cutover', import.meta.url));
const CONFIG = `app: summary-errors
platform:
  kind: local
  command: ["node", "server.js"]
  cwd: releases/\${version}
router:
  listen: 127.0.0.1:0
  preview: 127.0.0.1:0
health:
  checks:
    - http: /health/ready
`;

async function run(args: string[], options: { config?: string } = {}): Promise<{ code: number | null; stderr: string; summary: string | null }> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-summary-errors-'));
  try {
    writeFileSync(join(dir, 'cutover.yaml'), options.config ?? CONFIG);
    const summaryFile = join(dir, 'summary.md');
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, CI: 'true', NO_COLOR: '1', GITHUB_STEP_SUMMARY: summaryFile }, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    return { code, stderr, summary: existsSync(summaryFile) ? readFileSync(summaryFile, 'utf8') : null };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('job summary for a command that ends in an error', () => {
  test('given nothing waiting at the gate, when promote runs, then the summary says why it was refused (exit 2)', async () => {
    const r = await run(['promote']);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.summary, 'a summary was appended');
    assert.match(r.summary, /^### cutover promote: error \(exit 2\)/m);
    assert.match(r.summary, /`usage`: /);
    assert.match(r.summary, /cutover status/);
  });

  test('given a bad config, when rollback runs, then the summary names the field (exit 2)', async () => {
    const r = await run(['rollback'], { config: CONFIG.replace('kind: local', 'kind: local\n  replicas: two') });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.summary ?? '', /^### cutover rollback: error \(exit 2\)/m);
    assert.match(r.summary ?? '', /platform\.replicas/);
  });

  test('a usage error before the action (deploy without a version) is summarized too', async () => {
    const r = await run(['--config', 'cutover.yaml', 'deploy']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.summary ?? '', /^### cutover deploy: error \(exit 2\)/m);
    assert.match(r.summary ?? '', /missing required argument/);
  });

  test('a command without a summary (status) writes none, even when it fails', async () => {
    const r = await run(['status']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.summary, null);
  });
});
