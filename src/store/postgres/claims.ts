/**
 * Claiming due tasks on PostgreSQL: FOR UPDATE SKIP LOCKED under leases measured on the
 * database's clock, honouring cluster-wide concurrency limits, with one prepared statement
 * per combination of filters.
 */
import type { RunEvent } from '../../core/events.ts';
import { taskFromRow } from '../sql-rows.ts';
import type { ClaimedTask, ClaimOptions } from '../types.ts';
import type { StorePool } from './pool.ts';
import { ClaimFilters, type Statements } from './sql.ts';

type Row = Record<string, unknown>;

export class Claims {
  readonly #pool: StorePool;
  readonly #sql: Statements;
  /** Whether the last claim saw concurrency limits (assumed at first); only then do claims take the limits lock. */
  #limitsExist = true;
  readonly #texts = new Map<string, string>();

  constructor(pool: StorePool, sql: Statements) {
    this.#pool = pool;
    this.#sql = sql;
  }

  /** A limit was just set: the next claim takes the limits lock. */
  limitSet(): void {
    this.#limitsExist = true;
  }

  /**
   * Limited step tasks first (a locked pass, only while limits exist: scarce cluster-wide
   * slots are taken whenever they are free), then the rest without any lock. The second
   * pass also tells whether limits exist, so a store without limits never takes the lock.
   */
  async claim(options: ClaimOptions): Promise<ClaimedTask[]> {
    if (options.limit <= 0) return [];
    const queues = options.queues?.length ? [[...options.queues]] : [];
    const kinds = options.kinds?.length ? [[...options.kinds]] : [];
    const known = options.knownRuns ?? new Map<string, number>();
    const knownIds = [...known.keys()];
    const knownSeqs = [...known.values()];
    const params = (limit: number, withKinds = true) => [
      options.owner,
      options.leaseMs,
      limit,
      ...queues,
      ...(withKinds ? kinds : []),
      knownIds,
      knownSeqs,
    ];
    const claimed: ClaimedTask[] = [];
    const take = (rows: Row[]) => {
      for (const row of rows) {
        if (row.id === null) continue;
        const task: ClaimedTask = {
          ...taskFromRow(row),
          owner: options.owner,
          token: Number(row.lease_token),
          leaseExpiresAt: Number(row.lease_expires_at),
        };
        if (typeof row.history === 'string') {
          task.history = JSON.parse(row.history) as RunEvent[];
          const after = Number(row.history_after);
          if (after > 0) task.historyAfter = after;
        }
        claimed.push(task);
      }
    };
    if (this.#limitsExist && (!options.kinds?.length || options.kinds.includes('step'))) {
      take(
        await this.#pool.withClient('claimTasks', async (client) => {
          await client.query('BEGIN');
          try {
            await client.query(this.#sql.lockLimits);
            // Only step tasks are limited, and this pass runs only when steps may be claimed.
            const { name, text } = this.#claimSql('limited', ClaimFilters.of(queues.length > 0, false));
            const rows = (await client.query({ name, text, values: params(options.limit, false) })).rows;
            await client.query('COMMIT');
            return rows;
          } catch (error) {
            await client.query('ROLLBACK').catch(() => undefined);
            throw error;
          }
        }),
      );
    }
    if (claimed.length < options.limit) {
      const { name, text } = this.#claimSql(
        'unlimited',
        ClaimFilters.of(queues.length > 0, kinds.length > 0),
      );
      const rows = (await this.#pool.query('claimTasks', text, params(options.limit - claimed.length), name))
        .rows;
      this.#limitsExist = rows.some((row) => row.id === null);
      take(rows);
    }
    return claimed.sort((a, b) => b.priority - a.priority || a.runAt - b.runAt);
  }

  /**
   * A claim's statement and its prepared-statement name: claims run all the time, and
   * parsing and planning their text was most of their cost. Bump the suffix whenever a
   * claim's text changes, since connections keep prepared statements by name.
   */
  #claimSql(pass: 'limited' | 'unlimited', filters: ClaimFilters): { name: string; text: string } {
    const name = `baton_claim_${pass}_${filters.queues ? 'q' : ''}${filters.kinds ? 'k' : ''}_3`;
    let text = this.#texts.get(name);
    if (!text) {
      text = pass === 'limited' ? this.#sql.claimLimited(filters) : this.#sql.claimTasks(filters);
      this.#texts.set(name, text);
    }
    return { name, text };
  }
}
