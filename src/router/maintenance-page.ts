import { readFileSync } from 'node:fs';
import { CutoverError } from '../core/errors.ts';

/** What `Router.setMaintenance` accepts. */
export interface MaintenanceState {
  on: boolean;
  /** Shown on the page, HTML-escaped. */
  message?: string;
  /** A custom HTML page; `{{message}}` in it is replaced by the escaped message. */
  pageFile?: string;
  /** Sent as `Retry-After`; default 30. */
  retryAfterSec?: number;
}

/** A rendered maintenance response, built once when maintenance is switched on. */
export interface MaintenancePage {
  readonly body: Buffer;
  readonly headers: readonly string[];
}

const DEFAULT_MESSAGE = 'This service is down for maintenance. Please try again shortly.';
const DEFAULT_RETRY_AFTER_SEC = 30;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => {
    switch (ch) {
      case '&': return '&amp;';
      case '<': return '&lt;';
      case '>': return '&gt;';
      case '"': return '&quot;';
      default: return '&#39;';
    }
  });
}

function defaultPage(escapedMessage: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Down for maintenance</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:15vh auto;padding:0 1rem;color:#222}</style>
</head>
<body><h1>Down for maintenance</h1><p>${escapedMessage}</p></body>
</html>
`;
}

/**
 * Renders the page for a maintenance state. Reads `pageFile` synchronously, since it runs
 * once per `setMaintenance` call, not per request.
 * @throws CutoverError('not-found') when `pageFile` cannot be read.
 */
export function renderMaintenancePage(state: MaintenanceState): MaintenancePage {
  const message = escapeHtml(state.message ?? DEFAULT_MESSAGE);
  let html: string;
  if (state.pageFile !== undefined) {
    try {
      html = readFileSync(state.pageFile, 'utf8').replaceAll('{{message}}', message);
    } catch (err) {
      throw new CutoverError('not-found', `maintenance page ${state.pageFile} could not be read (${(err as Error).message})`, {
        cause: err,
        details: { pageFile: state.pageFile },
      });
    }
  } else {
    html = defaultPage(message);
  }
  const retryAfter = state.retryAfterSec ?? DEFAULT_RETRY_AFTER_SEC;
  if (!Number.isInteger(retryAfter) || retryAfter < 0) {
    throw new CutoverError('usage', `retryAfterSec must be a whole number of seconds >= 0, got ${retryAfter}`);
  }
  const body = Buffer.from(html, 'utf8');
  return {
    body,
    headers: [
      'content-type', 'text/html; charset=utf-8',
      'content-length', String(body.length),
      'retry-after', String(retryAfter),
      'cache-control', 'no-store',
    ],
  };
}
