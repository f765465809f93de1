import { CutoverError } from '../core/errors.ts';

/**
 * Parses a load target and refuses anything that is not on this machine's loopback
 * interface, so a typo can never point generated load at someone else's server.
 * @throws CutoverError('usage') for a bad URL or a non-loopback host.
 */
export function loopbackTarget(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CutoverError('usage', `load target ${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol !== 'http:') {
    throw new CutoverError('usage', `load target ${raw} must use http:, got ${url.protocol}`);
  }
  const host = url.hostname;
  const loopback = host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  if (!loopback) {
    throw new CutoverError('usage', `load generator only targets loopback addresses; ${host} in ${raw} is not one`, {
      details: { url: raw, host },
    });
  }
  return url;
}
