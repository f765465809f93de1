/**
 * The backend every target in the router-overhead benchmark ends at: a plain node:http
 * server answering a small body, like the example app's cheapest endpoint.
 * Prints `READY <port>` once listening; exits on SIGTERM.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const body = Buffer.from('ok\n');
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, ['content-type', 'text/plain', 'content-length', String(body.length), 'x-cutover-color', 'blue']);
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
