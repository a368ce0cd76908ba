/**
 * The benchmarks' HTTP client: node:http with keep-alive sockets. A load generator should cost as little as
 * possible next to the server it measures (the role wrk or pgbench's client plays): measured on this machine,
 * one sequential `{__typename}` took 2.6 ms through `fetch` (undici) on a worker thread and 0.5 ms through
 * node:http, and on 2 cores the client's CPU is taken from the server and PostgreSQL.
 */
import http from 'node:http';

export interface JsonPoster {
  /** POSTs `body` (JSON text) and answers the parsed JSON answer. */
  post(body: string): Promise<{ errors?: unknown[] }>;
  close(): void;
}

export function jsonPoster(url: string, token: string, maxSockets: number): JsonPoster {
  const u = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return {
    post(body) {
      return attempt(body).catch((e: NodeJS.ErrnoException & { reused?: boolean }) => {
        // the server closed an idle keep-alive socket just as it was reused: the request never reached it,
        // so it is sent again once (the retry Node's documentation gives for `request.reusedSocket`)
        if (e.reused && e.code === 'ECONNRESET') return attempt(body);
        throw e;
      });
    },
    close() {
      agent.destroy();
    },
  };

  function attempt(body: string): Promise<{ errors?: unknown[] }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname + u.search,
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${token}`,
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { errors?: unknown[] });
            } catch (e) {
              reject(new Error(`HTTP ${res.statusCode}: not JSON (${(e as Error).message})`));
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', (e: NodeJS.ErrnoException & { reused?: boolean }) => {
        e.reused = req.reusedSocket;
        reject(e);
      });
      req.end(body);
    });
  }
}
