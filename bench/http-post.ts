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
    async post(body) {
      // the server closed an idle keep-alive socket just as it was reused: the request never reached it, so
      // it is sent again (the retry Node's documentation gives for `request.reusedSocket`). Up to three times:
      // after an open loop's burst many sockets go idle together, the server closes them together (its 5 s
      // keep-alive timeout), and a retry can pick the next of them (history.ts's open loop once lost 6 of
      // 6,500 requests to "socket hang up" with one retry; whether each was on a reused socket was not kept).
      for (let tries = 1; ; tries++) {
        try {
          return await attempt(body);
        } catch (err) {
          const e = err as NodeJS.ErrnoException & { reused?: boolean };
          if (!(e.reused && e.code === 'ECONNRESET') || tries >= 3) throw e;
        }
      }
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
