// Restarting the local daemon under wrk load: `cutover up` against the running daemon, N
// times, while wrk (1 thread, 32 keep-alive connections) drives the main listener. Reports
// wrk's connect errors (refused connections), other socket errors and non-2xx answers, how
// long each restart took, and the throughput beside a window of the same length without
// restarts, measured one after the other in the same run. Meanwhile WEBSOCKETS sockets stay
// open through the router (a real `ws` client), each opened again whenever it closes; the
// close codes they saw are counted (1001 is a clean going-away, 1006 a cut).
//
// Full run: `node --import tsx bench/daemon-restart/run.ts` (10 restarts, about a minute).
// BENCH_TINY=1: 2 restarts, for CI. `--engine haproxy`: the same with `router.engine: haproxy`,
// where each restart also changes drainTimeout (HAProxy's hard-stop-after), so that every one is
// a seamless HAProxy reload and not only an adoption of the running HAProxy.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { webSocketAppSource } from '../../test/support/websocket-app.ts';
import { ScenarioWorkspace } from '../../test/support/workspace.ts';

const { values: args } = parseArgs({ options: { engine: { type: 'string', default: 'node' } } });
if (args.engine !== 'node' && args.engine !== 'haproxy') throw new Error(`--engine is node or haproxy, not ${args.engine}`);
const HAPROXY = args.engine === 'haproxy';
const TINY = process.env.BENCH_TINY === '1';
const RESTARTS = TINY ? 2 : 10;
const SPACING_MS = 1_500;
const WEBSOCKETS = 8;

interface WrkResult { requests: number; rps: number; connectErrors: number; otherSocketErrors: number; non2xx: number; text: string }

/** Runs wrk for `seconds`, or until `stop` is called (SIGINT: wrk stops and prints its summary). */
function wrk(url: string, seconds: number): { done: Promise<WrkResult>; stop(): void } {
  const child = spawn('wrk', ['-t1', '-c32', `-d${seconds}s`, '--timeout', '10s', url], { stdio: ['ignore', 'pipe', 'pipe'] });
  const done = new Promise<WrkResult>((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d) => { text += d; });
    child.stderr.on('data', (d) => { text += d; });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited ${code}: ${text}`));
      const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
      const sockets = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
      resolve({
        requests: num(/(\d+) requests in/),
        rps: num(/Requests\/sec:\s+([\d.]+)/),
        connectErrors: Number(sockets?.[1] ?? 0),
        otherSocketErrors: sockets ? Number(sockets[2]) + Number(sockets[3]) + Number(sockets[4]) : 0,
        non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
        text,
      });
    });
  });
  return { done, stop: () => { child.kill('SIGINT'); } };
}

/** Keeps `count` WebSockets open to `url`, opening each again when it closes; counts close codes and failed opens. */
function keepWebSocketsOpen(url: string, count: number): { stop(): { codes: Record<number, number>; failedOpens: number } } {
  const codes: Record<number, number> = {};
  let failedOpens = 0;
  let running = true;
  const sockets = new Set<WebSocket>();
  const open = () => {
    if (!running) return;
    const socket = new WebSocket(url);
    let opened = false;
    sockets.add(socket);
    socket.on('open', () => { opened = true; });
    socket.on('error', () => {});
    socket.on('close', (code) => {
      sockets.delete(socket);
      if (!running) return;
      if (opened) codes[code] = (codes[code] ?? 0) + 1;
      else failedOpens++;
      setTimeout(open, opened ? 0 : 200);
    });
  };
  for (let i = 0; i < count; i++) open();
  return {
    stop() {
      running = false;
      for (const socket of sockets) socket.close(1000);
      return { codes, failedOpens };
    },
  };
}

const ws = ScenarioWorkspace.create();
const baseConfig = readFileSync(ws.configPath, 'utf8');
/** The config for restart `i`: on the haproxy engine, a drainTimeout that differs from the one before. */
const configFor = (i: number) => (HAPROXY ? baseConfig.replace('router:\n', 'router:\n  engine: haproxy\n').replace('drainTimeout: 2s', `drainTimeout: ${i % 2 === 0 ? 3 : 2}s`) : baseConfig);
writeFileSync(ws.configPath, configFor(-1));
try {
  // The example app with a WebSocket echo, so the restarts meet open sockets too.
  mkdirSync(join(ws.dir, 'releases', 'ws1'), { recursive: true });
  writeFileSync(join(ws.dir, 'releases', 'ws1', 'server.js'), webSocketAppSource());
  const { main } = await ws.up();
  const deployed = await ws.cli(['deploy', 'ws1']);
  if (deployed.code !== 0) throw new Error(`deploy ws1 failed: ${deployed.stderr}`);
  const sockets = keepWebSocketsOpen(`${main.replace('http', 'ws')}/chat`, WEBSOCKETS);
  const durations: number[] = [];
  const windowStart = performance.now();
  const restarted = wrk(main, 900);
  await new Promise((r) => setTimeout(r, 1_000));
  for (let i = 0; i < RESTARTS; i++) {
    writeFileSync(ws.configPath, configFor(i));
    const started = performance.now();
    const r = await ws.cli(['up']);
    if (r.code !== 0) throw new Error(`restart ${i} failed: ${r.stderr}`);
    durations.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, SPACING_MS));
  }
  restarted.stop();
  const loaded = await restarted.done;
  const websockets = sockets.stop();
  // The same length again with no restart, right after, for the side-by-side ratio.
  const seconds = Math.ceil((performance.now() - windowStart) / 1_000);
  const quiet = await wrk(main, seconds).done;
  durations.sort((a, b) => a - b);
  const row = (name: string, w: WrkResult) => `| ${name} | ${w.requests.toLocaleString('en')} | ${Math.round(w.rps).toLocaleString('en')} | ${w.connectErrors} | ${w.otherSocketErrors} | ${w.non2xx} |`;
  console.log(`engine ${args.engine}: wrk -t1 -c32 against the main listener for ${seconds}s per window; ${RESTARTS} restarts (\`cutover up\` against the running daemon${HAPROXY ? ', each a HAProxy reload' : ''}) in the first window, none in the second`);
  console.log('| window | requests | req/s | connect errors (refused) | other socket errors | non-2xx |');
  console.log('|---|---|---|---|---|---|');
  console.log(row(`${RESTARTS} restarts`, loaded));
  console.log(row('no restart', quiet));
  console.log(`throughput with restarts / without: ${(loaded.rps / quiet.rps).toFixed(2)}x`);
  console.log(`WebSockets (${WEBSOCKETS} kept open, each opened again when it closed): close codes seen ${JSON.stringify(websockets.codes)}, failed opens ${websockets.failedOpens}`);
  console.log(`restart (\`cutover up\`, CLI start to the new daemon serving): median ${Math.round(durations[Math.floor(durations.length / 2)]!)} ms, max ${Math.round(durations.at(-1)!)} ms`);
  // The haproxy engine cannot send a WebSocket close frame yet (HAProxy 2.6 only tunnels an
  // upgraded connection), so an old worker's sockets end with a cut there: reported, not failed.
  const cut = HAPROXY ? 0 : Object.entries(websockets.codes).filter(([code]) => code !== '1001').reduce((n, [, k]) => n + k, 0);
  if (loaded.connectErrors > 0 || loaded.otherSocketErrors > 0 || loaded.non2xx > 0 || cut > 0 || websockets.failedOpens > 0) {
    console.error(loaded.text);
    process.exitCode = 1;
  }
} finally {
  await ws.dispose();
}
