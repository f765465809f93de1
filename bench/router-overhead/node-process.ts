import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Starts one of this bench's Node servers (`script` through tsx, from the repo root `cwd`) and
 * waits for the `READY <port>` line it prints once listening. The child is added to
 * `children`, which the caller ends at exit.
 */
export async function startNodeProcess(options: { cwd: string; script: string; argv: string[]; nodeFlags?: string[]; children: ChildProcess[] }): Promise<{ child: ChildProcess; port: number; banner: string }> {
  const { cwd, script, argv, nodeFlags = [], children } = options;
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', script, ...argv], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let banner = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      banner += c.toString();
      const m = /READY (\d+)/.exec(banner);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
  });
  return { child, port, banner };
}
