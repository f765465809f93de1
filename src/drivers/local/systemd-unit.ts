import { homedir } from 'node:os';
import { join } from 'node:path';

export interface SystemdUnitInput {
  app: string;
  /** Absolute path of the node binary running cutover now. */
  node: string;
  /** Absolute path of cutover's bin script. */
  bin: string;
  configPath: string;
  workingDirectory: string;
  /** Root writes a system unit; anyone else a user unit (`systemctl --user`). */
  system: boolean;
  user?: string;
}

/** `cutover-<app>.service`, with the app name reduced to what systemd allows in a unit name. */
export function unitName(app: string): string {
  return `cutover-${app.replace(/[^A-Za-z0-9:_.-]/g, '-')}.service`;
}

/** Where the unit goes: /etc/systemd/system for root, ~/.config/systemd/user otherwise. */
export function defaultUnitDir(system: boolean): string {
  return system ? '/etc/systemd/system' : join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'systemd', 'user');
}

/** systemd splits ExecStart on spaces and treats `%`, `$` and `\` specially: quote every word. */
function quote(word: string): string {
  return `"${word.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

/**
 * A unit that runs `cutover up --foreground`: started at boot, restarted if it dies. On start
 * the daemon brings back the release that was live (health-checked before it takes traffic).
 * `systemctl reload` (SIGHUP) hands the listeners to a new daemon, refusing no connection.
 * KillMode=mixed: `systemctl stop` sends SIGTERM to the daemon alone, which drains and stops
 * its replicas itself; whatever is left after TimeoutStopSec gets SIGKILL.
 */
export function renderSystemdUnit(input: SystemdUnitInput): string {
  const exec = [input.node, input.bin, 'up', '--foreground', '--config', input.configPath].map(quote).join(' ');
  return `# Written by \`cutover up --systemd\`. Regenerate rather than edit.
[Unit]
Description=cutover daemon for ${input.app} (router and release processes)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
WorkingDirectory=${quote(input.workingDirectory)}
ExecStart=${exec}
${input.system && input.user ? `User=${input.user}\n` : ''}ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=2
KillMode=mixed
TimeoutStopSec=90
# The daemon's own stderr; replica logs stay under .cutover/logs/.
StandardOutput=journal
StandardError=journal

[Install]
WantedBy=${input.system ? 'multi-user.target' : 'default.target'}
`;
}
