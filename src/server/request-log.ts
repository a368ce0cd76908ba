import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { pino } from 'pino';
import { pinoHttp } from 'pino-http';
import { withRequestLogger, type Log } from '../core/log';
import { errorForLog } from '../core/redact';

/** An incoming X-Request-Id is kept when it is this shape (a proxy's or a client's trace id), else replaced. */
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: the client's X-Request-Id when sane, else a fresh UUID (both HTTP paths use this). */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && SANE_ID.test(incoming) ? incoming : randomUUID();
}

/** Only the path: a query string may carry identifiers, and nothing of the request's values is logged. */
function pathOf(req: IncomingMessage): string {
  // express rewrites req.url under a mount point ('/graphql' → '/'); originalUrl keeps the whole path
  const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  const path = url.split('?')[0]!;
  return path.length > 256 ? `${path.slice(0, 256)}…` : path;
}

/**
 * pino-http on every HTTP request: a request id (the client's X-Request-Id when sane, else a UUID) echoed
 * in the X-Request-Id response header, one "request completed" line (method, path, status, duration; no
 * headers, no query string, no body), and the request's child logger installed for everything that runs on
 * the request's behalf, so each line of one request carries its `reqId`.
 */
export function requestLogging(log: Log): RequestHandler {
  // a hand-made log (tests) has no pino behind it: a silent one still gives request ids
  const logger = log.pino ?? pino({ level: 'silent' });
  const middleware = pinoHttp({
    logger,
    quietReqLogger: true, // the child carries { reqId } only, not the serialized request
    quietResLogger: true,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const id = requestIdOf(req);
      res.setHeader('x-request-id', id);
      return id;
    },
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: () => 'request completed',
    customErrorMessage: () => 'request failed',
    customSuccessObject: (req, res, val: { responseTime: number }) => ({
      method: req.method,
      path: pathOf(req),
      status: res.statusCode,
      ms: val.responseTime,
    }),
    customErrorObject: (req, res, err, val: { responseTime: number }) => ({
      method: req.method,
      path: pathOf(req),
      status: res.statusCode,
      ms: val.responseTime,
      error: errorForLog(err),
    }),
  });
  return (req, res, next) => {
    middleware(req, res);
    withRequestLogger(req.log, next);
  };
}
