import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** cutover installed from its packed tarball into an empty project, as a user would have it. */
export interface InstalledPackage {
  /** The empty project cutover was installed into. */
  readonly project: string;
  /** The tarball that was installed. */
  readonly tarball: string;
  /** The installed `bin/cutover` (run it with `node`). */
  readonly bin: string;
  /** Removes the project (and the tarball when this helper packed it). */
  cleanup(): void;
}

/**
 * Packs the checkout (`npm pack` runs the build through `prepack`) unless `CUTOVER_TARBALL`
 * names a tarball already packed, then installs it into a new empty project. Packing runs tsc,
 * which takes 20 to 60 s on the shared machine, so CI packs once and passes the tarball on.
 */
export async function installPackedPackage(options: { tarball?: string; timeoutMs?: number } = {}): Promise<InstalledPackage> {
  const timeout = options.timeoutMs ?? 300_000;
  let tarball = options.tarball ?? process.env['CUTOVER_TARBALL'];
  let packDir: string | undefined;
  if (!tarball) {
    packDir = mkdtempSync(join(tmpdir(), 'cutover-pack-'));
    await run(NPM, ['pack', '--silent', '--pack-destination', packDir], { cwd: ROOT, timeout, maxBuffer: 64 << 20 });
    const packed = readdirSync(packDir).find((name) => name.endsWith('.tgz'));
    if (!packed) throw new Error(`npm pack wrote no tarball to ${packDir}`);
    tarball = join(packDir, packed);
  }
  const project = mkdtempSync(join(tmpdir(), 'cutover-installed-'));
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'cutover-user', private: true })}\n`);
  await run(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: project, timeout, maxBuffer: 64 << 20 });
  return {
    project,
    tarball,
    bin: join(project, 'node_modules', 'cutover', 'bin', 'cutover'),
    cleanup() {
      rmSync(project, { recursive: true, force: true });
      if (packDir) rmSync(packDir, { recursive: true, force: true });
    },
  };
}
