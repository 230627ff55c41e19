/**
 * Everything the SQLite store writes, on one connection, synchronously. It runs either on
 * the store's own thread (an in-memory database, which one connection must serve) or on a
 * writer thread (a file), where SQLite's share of each commit — the statements, the WAL
 * append — overlaps with the engine's work on the main thread.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { JsonValue } from '../../errors.ts';
import { taskFromRow } from '../sql-rows.ts';
import type {
  ClaimedTask,
  ClaimOptions,
  CommitResult,
  Lease,
  RejectedCommit,
  StoredDefinition,
} from '../types.ts';
import { CommitWriter } from './commit-writer.ts';
import type { EncodedRequest } from './encode.ts';
import { claimLimited, readLimits, UNLIMITED_ONLY, withoutLimitedClaim } from './limits.ts';
import { SQLITE_MIGRATIONS } from './migrations.ts';
import { type ThreadError, toThreadError } from './thread-error.ts';
import { pruneCached, putCached } from './usage-cache.ts';

type Row = Record<string, unknown>;

/** One request's outcome in a group commit: its result, or the error that failed it alone. */
export type BatchOutcome = { result: CommitResult } | { error: ThreadError };

/**
 * WAL mode (readers never wait for the writer); a checkpoint every 10,000 pages instead of
 * SQLite's 1,000: pages rewritten by consecutive commits are copied once, and the fsync
 * pauses come ten times less often. The WAL file grows to about 40 MB.
 */
export const CONNECTION_PRAGMAS =
  'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; PRAGMA wal_autocheckpoint = 10000;';

export class SqliteWriter {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #commits: CommitWriter;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#commits = new CommitWriter(db);
  }

  #sql = (text: string): StatementSync => {
    let statement = this.#statements.get(text);
    if (!statement) {
      statement = this.#db.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  };

  #transaction<T>(work: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  migrate(now: number): void {
    this.#transaction(() => {
      this.#db.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
      );
      const applied = new Set(
        (this.#db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((row) =>
          Number(row.version),
        ),
      );
      for (const migration of SQLITE_MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        this.#db.exec(migration.sql);
        this.#db
          .prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)')
          .run(migration.version, now);
      }
    });
  }

  /**
   * Group commit: all requests in one transaction (one WAL append), each all-or-nothing on
   * its own (see CommitWriter). If something unexpected fails the transaction, each request
   * is retried alone so that one bad request cannot lose the others' writes.
   */
  commitBatch(requests: readonly EncodedRequest[], now: number): BatchOutcome[] {
    const run = (items: readonly EncodedRequest[]) => {
      const results = this.#transaction(() => {
        this.#commits.startBatch();
        const limited = readLimits(this.#sql);
        return items.map((request) => this.#commits.apply(withoutLimitedClaim(limited, request), now));
      });
      this.#commits.committed();
      return results;
    };
    try {
      return run(requests).map((result) => ({ result }));
    } catch (error) {
      if (requests.length === 1) return [{ error: toThreadError(error) }];
      return requests.map((request) => {
        try {
          return { result: run([request])[0] };
        } catch (single) {
          return { error: toThreadError(single) };
        }
      });
    }
  }

  claim(options: ClaimOptions, now: number): ClaimedTask[] {
    return this.#transaction(() => {
      const filters: string[] = [];
      const params: (string | number)[] = [options.owner, now + options.leaseMs, now, now];
      if (options.queues?.length) {
        filters.push(`AND queue IN (${options.queues.map(() => '?').join(', ')})`);
        params.push(...options.queues);
      }
      if (options.kinds?.length) {
        filters.push(`AND kind IN (${options.kinds.map(() => '?').join(', ')})`);
        params.push(...options.kinds);
      }
      const claim = (unlimitedOnly: boolean, limit: number) =>
        this.#sql(`UPDATE tasks SET lease_owner = ?, lease_token = lease_token + 1, lease_expires_at = ?
        WHERE id IN (SELECT id FROM tasks WHERE held = 0 AND run_at <= ? AND (lease_expires_at IS NULL OR lease_expires_at <= ?)
          ${filters.join(' ')} ${unlimitedOnly ? UNLIMITED_ONLY : ''} ORDER BY priority DESC, run_at LIMIT ?)
        RETURNING *`).all(...params, limit) as Row[];
      const limits = readLimits(this.#sql);
      let rows: Row[];
      if (limits.size === 0) rows = claim(false, options.limit);
      else {
        const limited = claimLimited(this.#sql, options, now, limits);
        rows =
          limited.length < options.limit
            ? [...limited, ...claim(true, options.limit - limited.length)]
            : limited;
      }
      return rows.map((row) => ({
        ...taskFromRow(row),
        owner: options.owner,
        token: Number(row.lease_token),
        leaseExpiresAt: Number(row.lease_expires_at),
      }));
    });
  }

  /** Extends the leases still held until `expiresAt`; returns the ids of those lost. */
  renew(leases: readonly Lease[], expiresAt: number): string[] {
    const lost: string[] = [];
    this.#transaction(() => {
      const statement = this.#sql(
        'UPDATE tasks SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? AND lease_token = ?',
      );
      for (const lease of leases) {
        if (Number(statement.run(expiresAt, lease.taskId, lease.owner, lease.token).changes) === 0)
          lost.push(lease.taskId);
      }
    });
    return lost;
  }

  release(lease: Lease): void {
    this.#sql(
      'UPDATE tasks SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND lease_owner = ? AND lease_token = ?',
    ).run(lease.taskId, lease.owner, lease.token);
  }

  saveDefinition(definition: StoredDefinition): void {
    this.#transaction(() => {
      const next = Number(
        (this.#sql('SELECT COALESCE(MAX(ordinal), 0) + 1 AS next FROM definitions').get() as Row).next,
      );
      this.#sql(
        `INSERT INTO definitions (hash, name, version, definition, source, created_at, ordinal) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (hash) DO UPDATE SET ordinal = excluded.ordinal`,
      ).run(
        definition.hash,
        definition.name,
        definition.version,
        JSON.stringify(definition.definition),
        definition.source ?? null,
        definition.createdAt,
        next,
      );
    });
  }

  setConcurrencyLimit(key: string, limit: number | null): void {
    if (limit === null) this.#sql('DELETE FROM concurrency_limits WHERE key = ?').run(key);
    else
      this.#sql(
        'INSERT INTO concurrency_limits (key, max_leased) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET max_leased = excluded.max_leased',
      ).run(key, limit);
  }

  putCached(key: string, value: JsonValue, ttlMs: number, now: number): void {
    putCached(this.#sql, key, value, ttlMs, now);
  }

  pruneCached(now: number): number {
    return pruneCached(this.#sql, now);
  }

  recordRejectedCommit(rejection: RejectedCommit): void {
    this.#sql(
      'INSERT INTO rejected_commits (task_id, owner, token, run_id, reason, at) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(
      rejection.taskId,
      rejection.owner,
      rejection.token,
      rejection.runId,
      rejection.reason,
      rejection.at,
    );
  }
}

/** The operations a writer channel carries, by name. */
export type WriterOp =
  | 'migrate'
  | 'commitBatch'
  | 'claim'
  | 'renew'
  | 'release'
  | 'saveDefinition'
  | 'setConcurrencyLimit'
  | 'putCached'
  | 'pruneCached'
  | 'recordRejectedCommit';
