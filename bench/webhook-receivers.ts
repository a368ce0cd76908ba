/* The receivers of bench/webhooks.ts, in a process of their own (forked with an IPC channel): RECEIVERS
 * HTTP servers on 127.0.0.1 that answer 200 at once, count requests and verify every SAMPLE-th signature
 * with the `standardwebhooks` package. Messages: {type:'secret', port, secret}, {type:'count'} (answered
 * with the counts), {type:'close'}; it sends {type:'ready', ports} once listening.
 */
import http from 'node:http';
import { Webhook } from 'standardwebhooks';

const RECEIVERS = Number(process.env.WEBHOOK_RECEIVERS ?? 10);
const SAMPLE = Number(process.env.WEBHOOK_VERIFY_EVERY ?? 100);

const send = (m: unknown) => process.send?.(m);
const secrets = new Map<number, Webhook>();
let received = 0;
let verified = 0;
let badSignatures = 0;
const servers: http.Server[] = [];

process.on('message', (m: { type: string; port?: number; secret?: string }) => {
  if (m.type === 'secret') secrets.set(m.port!, new Webhook(m.secret!));
  if (m.type === 'count') send({ type: 'count', received, verified, badSignatures });
  if (m.type === 'close') {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
    process.disconnect?.();
  }
});

for (let i = 0; i < RECEIVERS; i++) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received++;
      if (received % SAMPLE === 0) {
        try {
          const port = (server.address() as { port: number }).port;
          secrets.get(port)!.verify(Buffer.concat(chunks).toString('utf8'), req.headers as never);
          verified++;
        } catch {
          badSignatures++;
        }
      }
      res.writeHead(200);
      res.end();
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => {
    servers.push(server);
    if (servers.length === RECEIVERS)
      send({ type: 'ready', ports: servers.map((s) => (s.address() as { port: number }).port) });
  });
}
