import { createHash } from 'node:crypto';
import { renderMaintenancePage } from '../../router/maintenance-page.ts';

/** Where the maintenance ConfigMap is mounted in the maintenance pod: nginx includes conf.d/*.conf. */
export const MAINTENANCE_MOUNT = '/etc/nginx/conf.d';
/** The server config's key in the ConfigMap (replaces the image's default.conf). */
export const SERVER_CONFIG_KEY = 'default.conf';
/** The page's key; it sits beside the config and is found through the relative `root conf.d`. */
export const PAGE_KEY = 'maintenance.html';
/** Answers 200 while the server runs: the maintenance pod's readiness probe, never routed to users. */
export const READY_PATH = '/cutover-maintenance-ready';

/** What the maintenance page server says; the same fields the local router's maintenance page takes. */
export interface MaintenancePageSettings {
  port: number;
  message: string;
  retryAfterSec: number;
  /** The user's page (maintenance.pageFile); `{{message}}` in it becomes the escaped message. */
  pageFile?: string;
}

/**
 * The data of the `<app>-maintenance` ConfigMap: an nginx server config under which every request
 * (any path, any method) gets 503 with `Retry-After`, `Cache-Control: no-store` and the page, as
 * the local router's maintenance mode answers. nginx is the server because the default image
 * (nginx-unprivileged) is a stock, small, widely mirrored one; what it answers comes only from here.
 *
 * `root conf.d` is relative to nginx's prefix (/etc/nginx in the nginx images), so the same files
 * work unchanged under `nginx -p <dir>` with the ConfigMap's keys in `<dir>/conf.d`.
 * @throws CutoverError('not-found') when `pageFile` cannot be read.
 */
export function maintenanceServerFiles(s: MaintenancePageSettings): Record<string, string> {
  const page = renderMaintenancePage({ on: true, message: s.message, pageFile: s.pageFile, retryAfterSec: s.retryAfterSec });
  const retryAfter = page.headers[page.headers.indexOf('retry-after') + 1]!;
  const config = `# Written by cutover (maintenance on): every request gets 503, Retry-After and the page.
server {
    listen ${s.port};
    server_name _;
    root conf.d;
    access_log off;
    server_tokens off;

    location = ${READY_PATH} {
        default_type text/plain;
        return 200 "ok\\n";
    }
    location / {
        return 503;
    }
    # error_page keeps the 503 status and serves the page for every method (it becomes a GET);
    # the page's own URI is internal, and asking for it directly is answered the same way.
    error_page 503 /${PAGE_KEY};
    error_page 404 =503 /${PAGE_KEY};
    location = /${PAGE_KEY} {
        internal;
        types { }
        default_type "text/html; charset=utf-8";
        etag off;
        add_header Retry-After ${retryAfter} always;
        add_header Cache-Control no-store always;
    }
}
`;
  return { [SERVER_CONFIG_KEY]: config, [PAGE_KEY]: page.body.toString('utf8') };
}

/** A short digest of the files, put on the pod template so a changed page rolls the pod at once. */
export function filesChecksum(files: Record<string, string>): string {
  const hash = createHash('sha256');
  for (const key of Object.keys(files).sort()) hash.update(key).update('\0').update(files[key]!).update('\0');
  return hash.digest('hex').slice(0, 16);
}
