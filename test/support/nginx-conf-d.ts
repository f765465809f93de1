import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPortOpen } from '../../src/drivers/local/free-port.ts';

/** Debian's nginx (nginx-light in .ci/run), or null when it is not installed. */
export function nginxBinary(): string | null {
  return ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p)) ?? null;
}

/** A real nginx master serving a conf.d directory, as the nginx images do. */
export interface NginxConfD {
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Runs nginx in the foreground with a main config like the nginx images' (one http block that
 * includes conf.d/*.conf, relative to the prefix), the given files written verbatim into
 * `<prefix>/conf.d`, and resolves once `port` accepts connections. Test-only.
 */
export async function startNginxConfD(binary: string, files: Record<string, string>, port: number): Promise<NginxConfD> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-nginx-'));
  // Started as root, nginx's workers run as nobody and must be able to read the page.
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'conf.d'));
  mkdirSync(join(dir, 'logs'));
  for (const [key, text] of Object.entries(files)) writeFileSync(join(dir, 'conf.d', key), text);
  writeFileSync(join(dir, 'nginx.conf'), `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include conf.d/*.conf;
}
`);
  const child = spawn(binary, ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await isPortOpen(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not listen on ${port}: ${stderr.trim() || `exit ${child.exitCode}`}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { process: child, stop };
}
