import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { LocalReleaseSpec } from './release-spec.ts';

/** The first argv entry as the kernel will find it: a path (relative to cwd) or a name on PATH. */
function findExecutable(command: string, cwd: string, path: string | undefined): string | null {
  const executable = (file: string) => {
    try {
      if (!statSync(file).isFile()) return false;
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (command.includes('/')) {
    const file = isAbsolute(command) ? command : resolve(cwd, command);
    return executable(file) ? file : null;
  }
  for (const dir of (path ?? '').split(delimiter).filter(Boolean)) {
    const file = join(dir, command);
    if (executable(file)) return file;
  }
  return null;
}

/**
 * What keeps a release from starting, found before anything is started: its working
 * directory is missing or not a directory, or its binary is not there or not executable.
 * Without this a missing directory shows up as `spawn node ENOENT` and "crash-looping".
 * Empty when the release can be started.
 */
export function releaseFileProblems(spec: Pick<LocalReleaseSpec, 'version' | 'cwd' | 'command' | 'env'>, basePath = process.env.PATH): string[] {
  const problems: string[] = [];
  let cwdOk = false;
  try {
    cwdOk = statSync(spec.cwd).isDirectory();
    if (!cwdOk) problems.push(`release ${spec.version}: platform.cwd ${spec.cwd} is not a directory`);
  } catch {
    problems.push(`release ${spec.version}: platform.cwd ${spec.cwd} does not exist`);
  }
  const command = spec.command[0];
  if (command !== undefined && (cwdOk || !command.includes('/') || isAbsolute(command))) {
    if (findExecutable(command, spec.cwd, spec.env.PATH ?? basePath) === null) {
      problems.push(`release ${spec.version}: platform.command[0] "${command}" ${command.includes('/') ? `is not an executable file (looked in ${spec.cwd})` : 'was not found on PATH'}`);
    }
  }
  return problems;
}
