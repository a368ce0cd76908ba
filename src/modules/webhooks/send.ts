import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { resolveTarget } from './ssrf';

export interface SendRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** The whole attempt (DNS, connect, response and its body) must finish within this. */
  timeoutMs: number;
  /** Refuse private targets (production without DRAWDOWN_WEBHOOK_ALLOW_PRIVATE). */
  guardPrivate: boolean;
  /** At most this much of the response body is read; the rest is discarded with the connection. */
  maxResponseBytes: number;
}

export interface SendResult {
  /** The response status, or null when no response came (refused, timed out, connection error). */
  status: number | null;
  /** Why it failed, for the log; null on a 2xx. */
  error: string | null;
}

// keep-alive per process: a busy endpoint reuses its connections (each was checked when it connected)
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 64 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

/**
 * One POST. Redirects are not followed (a 3xx is a failure like any other non-2xx), the response body
 * is read up to a small limit, and the host is resolved (and checked) once and connected to at exactly
 * that address.
 */
export async function sendWebhook(req: SendRequest): Promise<SendResult> {
  const url = new URL(req.url);
  const started = Date.now();
  let target;
  let dnsTimer: NodeJS.Timeout | undefined;
  try {
    target = await Promise.race([
      resolveTarget(url, req.guardPrivate),
      new Promise<never>((_, reject) => {
        dnsTimer = setTimeout(() => reject(new Error('timed out resolving the host')), req.timeoutMs);
      }),
    ]);
  } catch (e) {
    return { status: null, error: (e as Error).message };
  } finally {
    clearTimeout(dnsTimer);
  }
  const pinned: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all) {
      (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [target]);
    } else cb(null, target.address, target.family);
  };
  const secure = url.protocol === 'https:';
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    let answered: number | null = null; // the status, once the response head arrived
    // a timer rather than an AbortSignal: a signal firing after the response could reach a pooled socket
    const timer = setTimeout(
      () => {
        finish(answered === null ? { status: null, error: 'timed out' } : outcome(answered));
        request.destroy();
      },
      Math.max(1, req.timeoutMs - (Date.now() - started)),
    );
    const finish = (r: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const request = (secure ? https : http).request(
      url,
      {
        method: 'POST',
        agent: secure ? agents.https : agents.http,
        lookup: pinned,
        headers: {
          ...req.headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(req.body)),
          'user-agent': 'Drawdown-Webhooks/1',
        },
      },
      (res) => {
        const status = res.statusCode ?? null;
        answered = status;
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > req.maxResponseBytes) {
            // enough: the status is what counts; drop the connection rather than read on
            res.destroy();
            finish(outcome(status));
          }
        });
        res.on('end', () => finish(outcome(status)));
        res.on('error', () => finish(outcome(status)));
        res.on('close', () => finish(outcome(status)));
      },
    );
    request.on('error', (e) => finish({ status: null, error: describe(e) }));
    request.end(req.body);
  });
}

function outcome(status: number | null): SendResult {
  if (status !== null && status >= 200 && status < 300) return { status, error: null };
  return { status, error: `HTTP ${status}` };
}

function describe(e: Error & { code?: string }): string {
  return e.code ?? (e.message || e.name);
}
