export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Log {
  (level: LogLevel, msg: string, extra?: Record<string, unknown>): void;
}

/** One JSON line per event on stderr (stdout is kept for the human-facing start banner). */
export function createLog(
  min: LogLevel,
  sink: (line: string) => void = (l) => process.stderr.write(l + '\n'),
): Log {
  return (level, msg, extra) => {
    if (ORDER[level] < ORDER[min]) return;
    sink(JSON.stringify({ t: new Date().toISOString(), level, msg, ...extra }));
  };
}
