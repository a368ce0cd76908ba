import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type Logger } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Log {
  (level: LogLevel, msg: string, extra?: Record<string, unknown>): void;
  /** The pino logger behind this log (absent on hand-made logs, e.g. in tests). */
  readonly pino?: Logger;
}

/**
 * The logger of the request being served (a pino child carrying its `reqId`): every line logged while
 * serving it, from a resolver, a service, formatError or the ledger runner, goes through it.
 */
const requestLogger = new AsyncLocalStorage<Logger>();

/** Runs `fn` (and everything asynchronous it starts) with `logger` as the request's logger. */
export function withRequestLogger<T>(logger: Logger, fn: () => T): T {
  return requestLogger.run(logger, fn);
}

/**
 * One JSON line per event on stderr (stdout is kept for the human-facing start banner), written by pino:
 * `{"level":"info","time":"…","msg":"…",…extra}`, plus `reqId` on the lines of a request. `sink` replaces
 * stderr (tests capture lines with it).
 */
export function createLog(min: LogLevel, sink?: (line: string) => void): Log & { readonly pino: Logger } {
  const destination: DestinationStream = sink
    ? { write: (line: string) => sink(line.endsWith('\n') ? line.slice(0, -1) : line) }
    : pino.destination({ dest: 2, sync: true });
  const base = pino(
    {
      level: min,
      base: undefined, // no pid and hostname on every line
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  const log = ((level, msg, extra) => {
    const logger = requestLogger.getStore() ?? base;
    if (extra) logger[level](extra, msg);
    else logger[level](msg);
  }) as Log & { pino: Logger };
  Object.defineProperty(log, 'pino', { value: base, enumerable: false });
  return log;
}
