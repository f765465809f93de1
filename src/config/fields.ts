import { z } from 'zod';
import { isDuration } from './duration.ts';
import { CutoverError } from '../core/errors.ts';

/** A duration written the way people do: `250ms`, `30s`, `5m`, `1h`. */
export const durationField = (description: string) =>
  z.string().refine(isDuration, { message: 'expected a duration such as 500ms, 30s or 5m' }).describe(description);

const HOST_PORT = /^(?:(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+))?:(\d{1,5})$/;

/** `127.0.0.1:8080`, `[::1]:8080` or `:8080` (loopback). */
export const hostPortField = (description: string) =>
  z.string().regex(HOST_PORT, { message: 'expected host:port, e.g. 127.0.0.1:8080' }).describe(description);

export function parseHostPort(text: string): { host: string; port: number } {
  const match = HOST_PORT.exec(text);
  if (!match) throw new CutoverError('config', `"${text}" is not host:port`);
  const port = Number(match[2]);
  if (port > 65535) throw new CutoverError('config', `port ${port} in "${text}" is above 65535`);
  const host = (match[1] ?? '127.0.0.1').replace(/^\[|\]$/g, '');
  return { host, port };
}

/**
 * Versions end up in argv, paths (`releases/${version}`), labels and image tags, so they are
 * restricted to characters that are safe in all of those: no slashes, no `..`, no spaces.
 */
export const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,62}$/;

export function assertVersion(version: string): void {
  if (!VERSION_PATTERN.test(version) || version.includes('..')) {
    throw new CutoverError('usage', `"${version}" is not a valid version: use letters, digits, ".", "_", "+" or "-" (at most 63, starting with a letter or digit)`);
  }
}

const BYTE_SIZE = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/;
const BYTE_UNITS: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/**
 * A memory size written as Kubernetes resource quantities are (`512Mi`, `1Gi`, `300M`), so one
 * spelling works on both platforms. Six suffixes do not justify a quantity-parsing dependency.
 */
export const byteSizeField = (description: string) =>
  z.string().regex(BYTE_SIZE, { message: 'expected a size such as 512Mi, 1Gi or 300M' }).describe(description);

export function parseByteSize(text: string): number {
  const match = BYTE_SIZE.exec(text);
  if (!match) throw new CutoverError('config', `"${text}" is not a size such as 512Mi`);
  return Math.round(Number(match[1]) * BYTE_UNITS[match[2] ?? '']!);
}
