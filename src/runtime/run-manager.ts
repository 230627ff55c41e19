/**
 * The imperative shell around the pure core for one run at a time: load the run's state
 * (cached, rebuilt from history on a miss), apply a pure transition, and commit the
 * resulting events, projections and task changes atomically. A conflict (someone else
 * appended first) discards the cached state and tries again on fresh history, backing off
 * at random when conflicts repeat (contention.ts).
 */
import { CompiledWorkflow } from '../core/compiled.ts';
import { decide } from '../core/decide.ts';
import type { RunEvent } from '../core/events.ts';
import { newRunState, type RunState, replay } from '../core/state.ts';
import { BatonError } from '../errors.ts';
import type { KindRegistry } from '../kinds/registry.ts';
import type { WorkflowDefinition } from '../language/model.ts';
import type {
  ClaimedTask,
  ClaimOptions,
  CommitResult,
  LatestDefinition,
  Lease,
  RunWrite,
  Store,
} from '../store/types.ts';
import type { Clock } from '../util/clock.ts';
import { Contention } from './contention.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import { mergedClaim, type QueuedResult, settle, shareClaimed } from './result-batch.ts';
import { RunStates } from './run-states.ts';
import { buildWrite } from './run-write.ts';
import { commitResolvingUnknown } from './store-retry.ts';

export type Transition = (wf: CompiledWorkflow, state: RunState, now: number) => RunEvent[] | undefined;

export interface Committed {
  runId: string;
  events: RunEvent[];
  state: RunState;
  write: RunWrite;
  /** Inserted tasks the commit leased straight to the worker that asked (claim-on-insert). */
  claimed?: ClaimedTask[];
}

export interface MutateOptions {
  /**
   * The transition without its scheduling pass (`decide`): results committed together
   * (mutate) are each recorded this way, and then decided on once, instead of a pass over
   * a wide map's every open item after each of them.
   */
  record?: Transition;
  complete?: Lease;
  verify?: Lease;
  /** Lease due tasks this commit inserts to a worker (see CommitRequest.claim). */
  claim?: ClaimOptions;
}

/** Queued results applied to a run's state, and the sequence number they follow. */
interface Decided {
  wf: CompiledWorkflow;
  state: RunState;
  expectedSeq: number;
  events: RunEvent[];
}

export type MutateResult =
  | { ok: true; committed?: Committed; claimed?: ClaimedTask[] }
  | { ok: false; reason: 'stale-lease' };

const MAX_CONFLICT_RETRIES = 50;
/**
 * A worker recording a step's result under its lease keeps trying much longer: the other
 * commits are progress on the same run (a wide map's items finishing elsewhere), giving up
 * would leave the task leased until the lease expired and then run the step again, and a
 * lost lease ends the loop anyway (the commit is refused as stale).
 */
const MAX_CONFLICT_RETRIES_UNDER_LEASE = 2_000;
/**
 * Runs with nothing in flight (waiting for a person, a timer or a child run; paused;
 * finished) leave the cache: a parked run costs a database row, not memory, and is
 * rebuilt from its history when something happens to it.
 */
const IDLE_STATUSES: ReadonlySet<string> = new Set(['waiting', 'paused', 'completed', 'failed', 'cancelled']);

export class RunManager {
  readonly store: Store;
  readonly registry: KindRegistry;
  readonly clock: Clock;
  readonly #states = new RunStates();
  readonly #workflows = new Map<string, CompiledWorkflow>();
  readonly #locks = new KeyedMutex();
  readonly #contention: Contention;
  readonly #listeners = new Set<(committed: Committed) => void>();
  /** Results waiting for their run's commit in flight, to be committed together (mutate). */
  readonly #queued = new Map<string, QueuedResult[]>();

  constructor(store: Store, registry: KindRegistry, clock: Clock, contention = new Contention()) {
    this.store = store;
    this.registry = registry;
    this.clock = clock;
    this.#contention = contention;
  }

  onCommit(listener: (committed: Committed) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async workflow(hash: string): Promise<CompiledWorkflow> {
    let compiled = this.#workflows.get(hash);
    if (!compiled) {
      const stored = await this.store.getDefinition(hash);
      if (!stored)
        throw new BatonError('DEFINITION_NOT_FOUND', `no stored workflow definition with hash ${hash}`);
      compiled = this.compile(stored.definition, hash);
    }
    return compiled;
  }

  compile(definition: WorkflowDefinition, hash: string): CompiledWorkflow {
    let compiled = this.#workflows.get(hash);
    if (!compiled) {
      compiled = new CompiledWorkflow(
        definition,
        { name: definition.name, version: definition.version, hash },
        this.registry,
      );
      this.#workflows.set(hash, compiled);
    }
    return compiled;
  }

  async #load(runId: string): Promise<{ wf: CompiledWorkflow; state: RunState }> {
    let state = this.#states.get(runId);
    if (!state) {
      const events = await this.store.loadEvents(runId);
      if (events.length === 0)
        throw new BatonError('RUN_NOT_FOUND', `no run with id ${runId}`, { details: { runId } });
      state = replay(runId, events);
      this.#states.remember(state);
    }
    const hash = state.workflow.hash;
    return { wf: this.#workflows.get(hash) ?? (await this.workflow(hash)), state };
  }

  /** A copy-free read of the current state; callers must not modify it. */
  async read(runId: string): Promise<{ wf: CompiledWorkflow; state: RunState }> {
    return this.#locks.run(runId, () => this.#load(runId));
  }

  /** Like `read`, but rebuilt from the store: other processes may have appended since it was cached. */
  async readFresh(runId: string): Promise<{ wf: CompiledWorkflow; state: RunState }> {
    return this.#locks.run(runId, () => {
      this.#states.delete(runId);
      return this.#load(runId);
    });
  }

  /**
   * Takes a run's history read elsewhere (with a claim) as its state, unless the cached
   * state is as new (RunStates.adopt): saves the read a claimed task's run would otherwise
   * start with.
   */
  async adopt(runId: string, events: readonly RunEvent[], after = 0): Promise<void> {
    await this.#locks.run(runId, async () => this.#states.adopt(runId, events, after));
  }

  /** The sequence number up to which the run's state is cached, if it is. */
  cachedSeq(runId: string): number | undefined {
    return this.#states.cachedSeq(runId);
  }

  forget(runId: string): void {
    this.#states.delete(runId);
  }

  /**
   * Applies `transition` to the run and commits it; re-reads history and retries on conflicts.
   * Results recorded under leases (`complete`) that queue behind one run's commit in flight
   * are committed together when it is done (result-batch.ts): a wide map's items finishing
   * at once cost one commit, not one each in turn.
   */
  mutate(runId: string, transition: Transition, options: MutateOptions = {}): Promise<MutateResult> {
    if (!options.complete || options.verify)
      return this.#locks.run(runId, () => this.#mutateLocked(runId, transition, options));
    return new Promise<MutateResult>((resolve, reject) => {
      const entry = { transition, options, resolve, reject };
      const queued = this.#queued.get(runId);
      if (queued) return void queued.push(entry);
      this.#queued.set(runId, [entry]);
      void this.#locks.run(runId, async () => {
        const batch = this.#queued.get(runId) ?? [];
        this.#queued.delete(runId);
        if (batch.length === 1) return settle(entry, this.#mutateLocked(runId, transition, options));
        // Whatever ends the batch unanswered (a read or a commit that failed) answers them all.
        await this.#commitBatch(runId, batch).catch((error) => {
          for (const queued of batch) queued.reject(error);
        });
      });
    });
  }

  /** Commits several queued results of one run as one (see mutate); settles each entry, or throws for all. */
  async #commitBatch(runId: string, batch: QueuedResult[]): Promise<void> {
    const leases = batch.map((entry) => entry.options.complete as Lease);
    const claim = mergedClaim(batch.map((entry) => entry.options.claim));
    let conflicts = 0;
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES_UNDER_LEASE; attempt++) {
      const decided = await this.#decideAll(runId, batch);
      // A transition failed, or none had anything to record: each on its own, as if alone.
      if (!decided) return this.#oneByOne(runId, batch);
      const { wf, state, expectedSeq, events } = decided;
      const write = buildWrite(wf, state, expectedSeq, events);
      let result: CommitResult;
      try {
        result = await commitResolvingUnknown(this.store, {
          writes: [write],
          complete: leases[0],
          completeMore: leases.slice(1),
          claim,
        });
      } catch (error) {
        // The cached state already holds the events that may not have been written.
        this.#states.delete(runId);
        throw error;
      }
      if (result.ok) {
        if (IDLE_STATUSES.has(write.run.status)) this.#states.delete(runId);
        const committed = { runId, events, state, write, claimed: result.claimed };
        this.#emit(committed);
        const shares = shareClaimed(result.claimed ?? [], batch);
        for (const [i, entry] of batch.entries()) entry.resolve({ ok: true, committed, claimed: shares[i] });
        return;
      }
      this.#states.delete(runId);
      // Which lease is gone, each entry finds out for itself.
      if (result.reason === 'stale-lease') return this.#oneByOne(runId, batch);
      if (result.reason !== 'conflict')
        throw new BatonError('COMMIT_FAILED', `could not commit run ${runId}: ${result.reason}`);
      await this.#contention.backOff(++conflicts);
    }
    throw new BatonError('COMMIT_CONFLICT', `run ${runId} kept changing; gave up`, { retryable: true });
  }

  /** Every queued transition applied in turn; undefined (the state left as it was found) when one cannot be. */
  async #decideAll(runId: string, batch: QueuedResult[]): Promise<Decided | undefined> {
    const { wf, state } = await this.#load(runId);
    const expectedSeq = state.seq;
    const events: RunEvent[] = [];
    const now = this.clock.now();
    try {
      let undecided = false;
      for (const entry of batch) {
        const record = entry.options.record;
        const more = (record ?? entry.transition)(wf, state, now);
        if (more) events.push(...more);
        if (record && more?.length) undecided = true;
      }
      // The scheduling pass each recorded result left out, once for all of them.
      if (undecided) events.push(...decide(wf, state, now));
    } catch {
      this.#states.delete(runId);
      return undefined;
    }
    return events.length > 0 ? { wf, state, expectedSeq, events } : undefined;
  }

  async #oneByOne(runId: string, batch: QueuedResult[]): Promise<void> {
    for (const entry of batch)
      await settle(entry, this.#mutateLocked(runId, entry.transition, entry.options));
  }

  /** mutate's work for one transition, with the run's lock held. */
  async #mutateLocked(runId: string, transition: Transition, options: MutateOptions): Promise<MutateResult> {
    let conflicts = 0;
    const attempts = options.complete ? MAX_CONFLICT_RETRIES_UNDER_LEASE : MAX_CONFLICT_RETRIES;
    for (let attempt = 0; attempt < attempts; attempt++) {
      // With several processes on one store, a cached state may be one another process has
      // since moved on. Writes are safe (the sequence check refuses them), but a refusal
      // or a task that looks moot is decided again on the latest history.
      const cached = this.#states.has(runId);
      const { wf, state } = await this.#load(runId);
      const expectedSeq = state.seq;
      let events: RunEvent[] | undefined;
      try {
        events = transition(wf, state, this.clock.now());
      } catch (error) {
        this.#states.delete(runId);
        if (cached) continue;
        throw error;
      }
      if (!events || events.length === 0) {
        if (!options.complete) return { ok: true };
        // Dropping a task on a stale state would lose work that is still due.
        if (cached && (await this.store.loadEvents(runId, expectedSeq)).length > 0) {
          this.#states.delete(runId);
          continue;
        }
        const result = await commitResolvingUnknown(this.store, { writes: [], complete: options.complete });
        return result.ok ? { ok: true } : { ok: false, reason: 'stale-lease' };
      }
      const write = buildWrite(wf, state, expectedSeq, events);
      let result: CommitResult;
      try {
        result = await commitResolvingUnknown(this.store, {
          writes: [write],
          complete: options.complete,
          verify: options.verify,
          claim: options.claim,
        });
      } catch (error) {
        // The cached state already holds the events that may not have been written.
        this.#states.delete(runId);
        throw error;
      }
      if (result.ok) {
        if (IDLE_STATUSES.has(write.run.status)) this.#states.delete(runId);
        const committed = { runId, events, state, write, claimed: result.claimed };
        this.#emit(committed);
        return { ok: true, committed, claimed: result.claimed };
      }
      this.#states.delete(runId);
      if (result.reason === 'stale-lease') return { ok: false, reason: 'stale-lease' };
      if (result.reason !== 'conflict')
        throw new BatonError('COMMIT_FAILED', `could not commit run ${runId}: ${result.reason}`);
      await this.#contention.backOff(++conflicts);
    }
    throw new BatonError(
      'COMMIT_CONFLICT',
      `run ${runId} kept changing; gave up after ${attempts} attempts`,
      {
        retryable: true,
      },
    );
  }

  /** Creates a run from its first event plus the initial decisions; returns the existing run on a duplicate key. */
  async create(
    runId: string,
    wf: CompiledWorkflow,
    started: Extract<RunEvent, { type: 'RunStarted' }>,
    initial: (state: RunState) => RunEvent[],
    latestDefinition?: LatestDefinition,
  ): Promise<{ created: boolean; runId: string }> {
    const state = newRunState(runId, started);
    const events = [started, ...initial(state)];
    const write = buildWrite(wf, state, 0, events);
    const result = await commitResolvingUnknown(this.store, { writes: [write], latestDefinition });
    if (result.ok) {
      if (!IDLE_STATUSES.has(write.run.status)) this.#states.remember(state);
      this.#emit({ runId, events, state, write });
      return { created: true, runId };
    }
    if (result.reason === 'duplicate-idempotency-key') return { created: false, runId: result.runId };
    if (result.reason === 'conflict') return { created: false, runId };
    if (result.reason === 'definition-changed')
      throw new BatonError(
        'DEFINITION_CHANGED',
        `workflow "${result.name}" has a newer definition than the one resolved; nothing was started`,
        { retryable: true, details: { name: result.name } },
      );
    throw new BatonError('COMMIT_FAILED', `could not create run ${runId}: ${result.reason}`);
  }

  #emit(committed: Committed): void {
    for (const listener of this.#listeners) listener(committed);
  }
}
