import express, { type Request, type Response, type Router } from 'express';
import { DomainError, ErrorCode } from '../core/errors';
import type { Log } from '../core/log';
import { errorForLog } from '../core/redact';
import type { AppDeps } from '../graphql/context';
import {
  movementCsvLine,
  movementsCsvHeader,
  ownCustomerOnly,
  parseExportQuery,
  reportCsv,
  type MovementRow,
  type Query,
} from '../modules/exports';
import type { Principal } from '../modules/access';

const STATUS: Partial<Record<string, number>> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.BAD_USER_INPUT]: 400,
};

/** Exports running at once in this process: each holds one pooled connection for as long as it streams. */
const MAX_CONCURRENT = 4;

/** Errors as the GraphQL API shapes them: `{ errors: [{ message, extensions: { code, …details } }] }`. */
function fail(res: Response, e: DomainError): void {
  res
    .status(STATUS[e.code] ?? 400)
    .json({ errors: [{ message: e.message, extensions: { code: e.code, ...(e.details ?? {}) } }] });
}

function principalOf(deps: AppDeps, req: Request): Principal {
  return deps.access.authenticate(req.headers.authorization);
}

/** Anything but a DomainError: logged without request values, answered 500 with a masked message. */
function internal(res: Response, log: Log, e: unknown): void {
  log('error', 'export failed', { error: errorForLog(e) });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(500).json({
    errors: [{ message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }],
  });
}

/** Writes a chunk, waiting for the socket to drain when its buffer is full; false once the client left. */
async function write(res: Response, chunk: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return false;
  if (res.write(chunk)) return true;
  await new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
  return !res.destroyed;
}

/**
 * `GET /export/movements` (CSV or NDJSON, streamed) and `GET /export/report` (CSV or JSON), with the admin
 * key. A customer token may export its own movements (the customer's statement); the report, which spans
 * every customer, needs the admin key. docs/operations.md describes both.
 */
export function exportRoutes(deps: AppDeps, log: Log): Router {
  const router = express.Router();
  let running = 0;

  router.get('/movements', async (req, res) => {
    let filter;
    let format;
    try {
      const principal = principalOf(deps, req);
      ({ filter, format } = parseExportQuery(req.query as Query, {
        formats: ['csv', 'ndjson'] as const,
        months: false,
        customer: true,
      }));
      if (principal.kind === 'customer') filter = ownCustomerOnly(filter, principal.customerId);
      if (running >= MAX_CONCURRENT) {
        res.setHeader('Retry-After', '5');
        res.status(503).json({
          errors: [
            { message: 'Too many exports running; retry shortly', extensions: { code: 'UNAVAILABLE' } },
          ],
        });
        return;
      }
      await deps.services.open().exports.checkFilter(filter);
    } catch (e) {
      if (e instanceof DomainError) return fail(res, e);
      return internal(res, log, e);
    }
    running++;
    const service = deps.services.open().exports;
    res.status(200);
    res.setHeader('Cache-Control', 'no-store');
    if (format === 'csv') {
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', 'attachment; filename="movements.csv"');
    } else {
      res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
      res.setHeader('Content-Disposition', 'attachment; filename="movements.ndjson"');
    }
    const line = format === 'csv' ? movementCsvLine : (m: MovementRow) => JSON.stringify(m) + '\n';
    try {
      if (format === 'csv' && !(await write(res, movementsCsvHeader))) return;
      const rows = await service.streamMovements(filter, (page) => {
        let chunk = '';
        for (const m of page) chunk += line(m);
        return write(res, chunk);
      });
      if (!res.destroyed) res.end();
      log('info', 'movements exported', { rows, format });
    } catch (e) {
      // the status is sent: cut the response so the client sees an incomplete transfer, not a short file
      internal(res, log, e);
    } finally {
      running--;
    }
  });

  router.get('/report', async (req, res) => {
    try {
      const principal = principalOf(deps, req);
      if (principal.kind !== 'admin') {
        throw new DomainError(ErrorCode.FORBIDDEN, 'The credit report needs an admin API key');
      }
      const { filter, format } = parseExportQuery(req.query as Query, {
        formats: ['csv', 'json'] as const,
        months: true,
        customer: false,
      });
      const service = deps.services.open().exports;
      await service.checkFilter(filter);
      const rows = await service.report(filter);
      res.setHeader('Cache-Control', 'no-store');
      if (format === 'json') {
        res.status(200).json({ rows });
        return;
      }
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', 'attachment; filename="credit-report.csv"');
      res.status(200).send(reportCsv(rows));
    } catch (e) {
      if (e instanceof DomainError) return fail(res, e);
      return internal(res, log, e);
    }
  });

  return router;
}
