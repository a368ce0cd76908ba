import { Client } from 'pg';

/**
 * Every test file shares one database, so one backend left running (a query whose test timed out and whose
 * process is gone) or one statement stuck on a lock can stall the files after it. Two guards:
 * - the database's sessions check every second that their client is still there, and a transaction left idle
 *   for two minutes ends: an orphaned query cannot outlive its test file for long;
 * - a watch prints any backend waiting on a lock for 20 s or running one statement for 60 s, with what blocks
 *   it, so that a stall in CI names its cause in the log.
 */
export async function watchStuckBackends(url: string): Promise<{ stop(): Promise<void> }> {
  const db = new Client({ connectionString: url });
  await db.connect();
  await db.query(`do $$ begin
    execute format('alter database %I set client_connection_check_interval = %L', current_database(), '1s');
    execute format('alter database %I set idle_in_transaction_session_timeout = %L', current_database(), '2min');
  end $$`);
  const seen = new Set<string>();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    db.query<{
      pid: number;
      age: string;
      state: string;
      wait: string | null;
      blockers: number[];
      query: string;
    }>(
      `select pid, (now() - coalesce(state_change, query_start))::text as age, state,
              wait_event_type || ':' || wait_event as wait, pg_blocking_pids(pid) as blockers,
              left(regexp_replace(query, '\\s+', ' ', 'g'), 240) as query
         from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid()
          and ((wait_event_type = 'Lock' and now() - state_change > interval '20 seconds')
            or (state = 'active' and now() - query_start > interval '60 seconds')
            or (state like 'idle in transaction%' and now() - state_change > interval '60 seconds'))`,
    )
      .then(({ rows }) => {
        for (const r of rows) {
          const key = `${r.pid}:${r.query}`;
          if (seen.has(key)) continue;
          seen.add(key);
          console.warn(
            `[stuck backend] pid ${r.pid} ${r.state} for ${r.age}, wait ${r.wait ?? '-'}, blocked by [${r.blockers.join(', ')}]: ${r.query}`,
          );
        }
      })
      .catch(() => undefined)
      .finally(() => {
        busy = false;
      });
  }, 10_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await db.end().catch(() => undefined);
    },
  };
}
