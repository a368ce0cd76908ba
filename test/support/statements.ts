/**
 * Counts the SQL statements an in-process app sends (`startTestApp`'s `onQuery`), for tests of what is kept
 * in memory between requests: `count(fn)` is the number sent while `fn` ran.
 */
export function statementCounter() {
  let counting = false;
  let statements = 0;
  let lastAt = 0;
  return {
    onQuery(): void {
      lastAt = Date.now();
      if (counting) statements++;
    },
    async count<T>(fn: () => Promise<T>): Promise<{ result: T; statements: number }> {
      statements = 0;
      counting = true;
      try {
        const result = await fn();
        return { result, statements };
      } finally {
        counting = false;
      }
    },
    /** Waits until the app has sent nothing for 200 ms (background work a commit wakes), at most 5 s. */
    async quiet(): Promise<void> {
      const until = Date.now() + 5_000;
      while (Date.now() - lastAt < 200 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    },
  };
}
