import { open, rename, mkdir, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describeWriteFailure } from './write-failure.ts';

/** Files under `.cutover/` may hold secrets (platform env, flags): only the owner reads them. */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Replaces `path` with `content` so that a reader, or a crash at any instant, sees either the
 * old file or the new one: write a temp file in the same directory, fsync it, rename it over
 * the target, then fsync the directory so the rename itself survives a power cut.
 * Any failure (a full disk included) removes the temp file and leaves the old file as it was.
 */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const handle = await open(temp, 'w', PRIVATE_FILE_MODE);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw describeWriteFailure(err, path);
  }
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
