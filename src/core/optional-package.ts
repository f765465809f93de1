import { CutoverError } from './errors.ts';

/**
 * The Kubernetes client and PGlite are optional peer dependencies: a local-only install does
 * not carry them (57 MB and 27 MB). When a config needs one that is not installed, this turns
 * Node's "cannot find package" into a config error that names the package, the config field
 * that needs it, and the command that installs it. Any other failure is returned as is.
 */
export function missingPackageError(err: unknown, pkg: string, neededBy: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  const message = (err as Error | null)?.message ?? '';
  if ((code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') || !message.includes(`'${pkg}'`)) return err;
  return new CutoverError('config', `${neededBy} needs the optional package ${pkg}, which is not installed: run \`npm install ${pkg}\` where cutover is installed (\`npm install -g ${pkg}\` for a global install)`, { cause: err, details: { package: pkg } });
}

/** Imports an optional peer dependency, or throws the config error above when it is missing. */
export async function importOptional<T>(load: () => Promise<T>, pkg: string, neededBy: string): Promise<T> {
  try {
    return await load();
  } catch (err) {
    throw missingPackageError(err, pkg, neededBy);
  }
}
