// What a fresh connection per health check costs, measured side by side against a shared
// keep-alive undici Agent, on loopback. runHttpCheck opens one connection per attempt on
// purpose (see http-check.ts); this shows the price of that choice.
//   node --import tsx bench/health-checks/fresh-connection.ts [requests]
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { runHttpCheck } from '../../src/checks/http-check.ts';
import type { HttpCheckSpec } from '../../src/checks/types.ts';

const total = Number(process.argv[2] ?? 2000);
const block = 100;

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"checks":[{"name":"db","status":"ok"}]}');
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const spec: HttpCheckSpec = {
  kind: 'http', name: 'GET /health/ready', path: '/health/ready', method: 'GET', expectStatus: null,
  json: 'checks', maxLatencyMs: 2_000, timeoutMs: 5_000, headers: {},
};
const shared = new Agent({ keepAliveTimeout: 10_000 });

async function fresh(): Promise<void> {
  const result = await runHttpCheck(spec, { name: 'bench', url });
  if (!result.ok) throw new Error(result.reason);
}
async function keepAlive(): Promise<void> {
  const response = await request(`${url}/health/ready`, { dispatcher: shared });
  JSON.parse(await response.body.text());
}

const timings = { fresh: 0, keepAlive: 0 };
for (let i = 0; i < 200; i++) { await fresh(); await keepAlive(); } // warm-up
// Alternate blocks so both variants see the same machine load.
for (let done = 0; done < total; done += block) {
  for (const [name, run] of [['fresh', fresh], ['keepAlive', keepAlive]] as const) {
    const started = performance.now();
    for (let i = 0; i < block; i++) await run();
    timings[name] += performance.now() - started;
  }
}
await shared.close();
server.close();

const perFresh = timings.fresh / total;
const perKeepAlive = timings.keepAlive / total;
console.log(`requests per variant: ${total}`);
console.log(`fresh connection (runHttpCheck): ${(perFresh * 1000).toFixed(0)}µs per check`);
console.log(`shared keep-alive agent:         ${(perKeepAlive * 1000).toFixed(0)}µs per request`);
console.log(`ratio fresh/keep-alive: ${(perFresh / perKeepAlive).toFixed(2)}x; extra cost per check ${((perFresh - perKeepAlive) * 1000).toFixed(0)}µs`);
