/** The database clock as SQL, and the channels task and run-outcome notices go out on. */

/**
 * Milliseconds since the epoch on the database server's clock, truncated like `Date.now()`:
 * a cast to bigint rounds, which put the database up to half a millisecond ahead of a
 * worker on the same clock, enough to lease a retry a millisecond before it was due.
 */
export const DB_NOW_MS = 'floor(extract(epoch from clock_timestamp()) * 1000)::bigint';
/**
 * DB_NOW_MS at the moment the statement arrived: stable within the statement, so PostgreSQL
 * computes it without a CTE. For single-statement commits, where it is at most a lock wait
 * earlier than the clock (a task due in that gap is left for a claim; a lease ends that much early).
 */
export const STATEMENT_NOW_MS = 'floor(extract(epoch from statement_timestamp()) * 1000)::bigint';
export const TASKS_CHANNEL = 'baton_tasks';
/** Runs that reached an outcome, for processes waiting on them (Store.onRunsFinished). */
export const RUNS_CHANNEL = 'baton_runs';
