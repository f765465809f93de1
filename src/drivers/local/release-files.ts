import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/**
 * Why a local release cannot start, checked before any replica is spawned: its working
 * directory is missing, or its program is not there or not executable. Without this a missing
 * release shows up as "spawn node ENOENT" and a crash-looping color.
 * PATH is the replicas' own (platform.env may set it), else this process's: the daemon was
 * started from the same environment.
 * @returns a message naming the config field, or undefined when the release can start.
 */
export function releaseFilesProblem(spec: { version: string; cwd: string; command: readonly string[]; env: Readonly<Record<string, string>> }, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!isDirectory(spec.cwd)) {
    return `the release directory ${spec.cwd} does not exist (platform.cwd, for ${spec.version}); put the release there before deploying it`;
  }
  const program = spec.command[0];
  if (!program) return 'platform.command is empty';
  if (program.includes('/')) {
    const path = isAbsolute(program) ? program : resolve(spec.cwd, program);
    if (!exists(path)) return `platform.command[0] "${program}" is not in ${spec.cwd} (for ${spec.version})`;
    if (!executable(path)) return `platform.command[0] "${program}" (${path}) is not an executable file; chmod +x it, or run it through its interpreter`;
    return undefined;
  }
  const dirs = (spec.env.PATH ?? env.PATH ?? '').split(delimiter).filter(Boolean);
  if (!dirs.some((dir) => executable(join(resolve(spec.cwd, dir), program)))) {
    return `platform.command[0] "${program}" is not on PATH (${dirs.join(delimiter) || 'empty'}); give its full path, or set PATH in platform.env`;
  }
  return undefined;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function executable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
