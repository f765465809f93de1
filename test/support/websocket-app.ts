import { createRequire } from 'node:module';
import { exampleServerSource } from '../../src/demo/example-app.ts';

/**
 * The example app (`server.js` of a release) plus a WebSocket echo on every path, answering
 * `color:message`, with `ws` loaded from this checkout. With `closesLog`, the app appends each
 * close code it sees to that file, one per line.
 */
export function webSocketAppSource(closesLog?: string): string {
  const wsModule = createRequire(import.meta.url).resolve('ws');
  const logClose = closesLog === undefined ? '' : `
  socket.on('close', (code) => require('node:fs').appendFileSync(${JSON.stringify(closesLog)}, code + '\\n'));`;
  return `${exampleServerSource()}
const { WebSocketServer } = require(${JSON.stringify(wsModule)});
const wss = new WebSocketServer({ server });
wss.on('connection', (socket) => {
  socket.on('message', (data) => socket.send(color + ':' + data));${logClose}
});
`;
}
