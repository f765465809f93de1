import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { AdminClient } from '../../drivers/local/admin-client.ts';
import { localPaths } from '../../drivers/local/paths.ts';
import { DEFAULT_DASHBOARD_LISTEN, type DashboardRequest } from '../../dashboard/daemon-dashboard.ts';
import { printJson } from '../output.ts';
import type { Globals } from '../context.ts';

interface DashboardOptions {
  open?: boolean;
  readOnly?: boolean;
  listen?: string;
}

/** Opens `url` in the user's browser; a failure is a warning, the URL is printed anyway. */
function openBrowser(url: string): void {
  const [command, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(command, args as string[], { detached: true, stdio: 'ignore' });
    child.on('error', () => process.stderr.write(`could not start ${command}; open the URL yourself\n`));
    child.unref();
  } catch {
    process.stderr.write(`could not start ${command}; open the URL yourself\n`);
  }
}

function announce(url: string, json: boolean, open: boolean, foreground: boolean): void {
  if (json) printJson({ url });
  else {
    process.stdout.write(`${url}\n`);
    process.stderr.write(foreground
      ? 'dashboard serving in the foreground; Ctrl-C stops it. The link works once and opens a session.\n'
      : 'the daemon serves the dashboard; the link works once and opens a session (run again for a fresh one).\n');
  }
  if (open) openBrowser(url);
}

export function registerDashboard(program: Command, globals: Globals): void {
  program.command('dashboard').description('print the URL (with a fresh access token) of a dashboard that watches and steers releases')
    .option('--open', 'open it in the browser')
    .option('--read-only', 'the view without any action')
    .option('--listen <host:port>', `where the dashboard listens (default ${DEFAULT_DASHBOARD_LISTEN}: loopback, a free port)`)
    .action(async (options: DashboardOptions) => {
      const g = globals();
      const config = loadConfig(g.config);
      const request: DashboardRequest = { readOnly: Boolean(options.readOnly), listen: options.listen };
      if (options.listen && !/^(127\.|localhost:|\[::1\]:)/.test(options.listen)) {
        process.stderr.write(`warning: --listen ${options.listen} is not loopback: other machines can reach the dashboard, and its link and cookie travel unencrypted over plain HTTP\n`);
      }
      if (config.platform.kind === 'local') {
        const client = new AdminClient(localPaths(config.stateDir).socket);
        try {
          const { url } = await client.send('POST /dashboard', { body: request, timeoutMs: 30_000 });
          announce(url, Boolean(g.json), Boolean(options.open), false);
          return 0;
        } finally {
          await client.close();
        }
      }
      const { serveNamespaceDashboard } = await import('../../dashboard/namespace-dashboard.ts');
      const server = await serveNamespaceDashboard(config, options.listen ?? DEFAULT_DASHBOARD_LISTEN);
      announce(server.mintUrl({ readOnly: Boolean(options.readOnly) }), Boolean(g.json), Boolean(options.open), true);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
      return 0;
    });
}
