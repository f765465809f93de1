// The release zoo: one service whose behaviour is chosen by its version, so every way a release
// goes bad after its checks can be deployed for real. The version is `<anything>-<mode>`, e.g.
// `v2-crash-on-traffic`; health endpoints (/health/*) always pass unless the process is gone.
// "Real traffic" is any other path: only the load in a scenario sends it (checks never do).
//
// modes:
//   good               healthy; /api/slow?ms=N is a rare slow path (a report, an export) that
//                      answers after N ms (default 1000), as the demo's /slow does
//   crash-after-ready  exits 1 shortly after it starts listening (verify must catch it)
//   crash-later        exits 1 ZOO_CRASH_AFTER_MS (default 1500) after its first real request
//   crash-on-traffic   exits 1 on its first real request, before answering
//   5xx-paths          answers 500 on /api/checkout*, 200 elsewhere
//   reset              destroys the connection of every real request
//   hang               never answers real requests
//   slow               answers real requests ZOO_SLOW_MS (default 400) late
//   memory             after its first real request, holds 16 MiB more every 50 ms
//   abrupt-5xx         answers 500 on most paths, /api/checkout* 200 after ZOO_SLOW_MS, never
//                      answers /api/hang*; and, like a Node app with no SIGTERM handler, exits
//                      at once on SIGTERM, cutting whatever it was still answering
const http = require('node:http');

const version = process.env.CUTOVER_VERSION ?? 'dev';
const color = process.env.CUTOVER_COLOR ?? 'none';
const mode = version.replace(/^[^-]*-/, '') || 'good';
const crashAfterMs = Number(process.env.ZOO_CRASH_AFTER_MS ?? 1500);
const slowMs = Number(process.env.ZOO_SLOW_MS ?? 400);
const headers = { 'content-type': 'application/json', 'x-cutover-color': color, 'x-cutover-version': version };
let firstReal = 0;
const hoard = [];

function onFirstReal() {
  if (mode === 'crash-later') setTimeout(() => { console.error(`zoo ${version}: crashing ${crashAfterMs}ms after first traffic`); process.exit(1); }, crashAfterMs);
  if (mode === 'memory') setInterval(() => hoard.push(Buffer.alloc(16 * 1024 * 1024, 1)), 50);
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith('/health')) {
    res.writeHead(200, headers);
    res.end(JSON.stringify({ status: 'ok', checks: { process: { status: 'ok' } } }));
    return;
  }
  if (!firstReal) { firstReal = Date.now(); onFirstReal(); }
  const answer = (status) => { res.writeHead(status, headers); res.end(JSON.stringify({ version, color })); };
  switch (mode) {
    case 'crash-on-traffic':
      console.error(`zoo ${version}: crashing on first traffic`);
      process.exit(1);
    case '5xx-paths':
      return answer(req.url.startsWith('/api/checkout') ? 500 : 200);
    case 'reset':
      return req.socket.destroy();
    case 'hang':
      return;
    case 'slow':
      return void setTimeout(() => answer(200), slowMs);
    case 'abrupt-5xx':
      if (req.url.startsWith('/api/hang')) return;
      if (req.url.startsWith('/api/checkout')) return void setTimeout(() => answer(200), slowMs);
      return answer(500);
    default:
      if (req.url.startsWith('/api/slow')) {
        const ms = Number(new URL(req.url, 'http://zoo').searchParams.get('ms') ?? 1000);
        return void setTimeout(() => answer(200), ms);
      }
      return answer(200);
  }
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  if (mode === 'crash-after-ready') setTimeout(() => { console.error(`zoo ${version}: crashing right after ready`); process.exit(1); }, 700);
});
process.on('SIGTERM', () => {
  if (mode === 'abrupt-5xx') process.exit(0);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 1000).unref();
});
