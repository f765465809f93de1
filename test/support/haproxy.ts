import { findHaproxy } from '../../src/router/haproxy/haproxy-process.ts';

/** A skip reason for tests of `router.engine: haproxy` on a machine without HAProxy, else false. */
export function haproxySkip(): string | false {
  try {
    findHaproxy();
    return false;
  } catch {
    return 'haproxy is not installed (apt-get install haproxy); CI installs it';
  }
}
