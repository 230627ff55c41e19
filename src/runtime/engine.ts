/**
 * The embeddable engine: register definitions and task handlers, start and control runs,
 * and (optionally) run a worker in the same process. Everything durable goes through the
 * store; this object holds only caches and the worker.
 */
import pino, { type Logger } from 'pino';
import { AgentServices } from '../agents/services.ts';
import type { ToolDefinition } from '../agents/tools/types.ts';
import type { CompiledWorkflow } from '../core/compiled.ts';
import type { RunEvent } from '../core/events.ts';
import type { RunRow } from '../core/projection.ts';
import {
  type ApprovalInput,
  cancelRun,
  decideApproval,
  findPendingApproval,
  pauseRun,
  resumeRun,
  retryRun,
} from '../core/signals.ts';
import { BatonError, type JsonValue } from '../errors.ts';
import { createBuiltinRegistry } from '../kinds/builtin.ts';
import type { KindRegistry } from '../kinds/registry.ts';
import type { TaskHandler } from '../kinds/types.ts';
import { hashDefinition, loadWorkflowFile, loadWorkflowText, validateRunInputs } from '../language/index.ts';
import type { WorkflowDefinition } from '../language/model.ts';
import { shutdownSandbox } from '../sandbox/index.ts';
import { queueLimitKey, workflowLimitKey } from '../store/limits.ts';
import { openStore } from '../store/open.ts';
import type {
  LatestDefinition,
  PendingApproval,
  RunFilter,
  Store,
  UsageGroup,
  UsageQuery,
} from '../store/types.ts';
import { type Clock, defaultIdGenerator, type IdGenerator, systemClock } from '../util/clock.ts';
import type {
  ControlOptions,
  DecisionOptions,
  EngineEvent,
  EngineOptions,
  RunDetails,
  RunHandle,
  StartOptions,
  WorkflowSummary,
} from './engine-types.ts';
import { executeServices } from './execute-services.ts';
import { type Committed, RunManager } from './run-manager.ts';
import { createRun, type RunOrigin, startChildRun } from './run-start.ts';
import { outcomeOf, waitForRun } from './run-waiting.ts';
import { type SecretsSource, secretsSource } from './secrets.ts';
import { createTaskRunner } from './task-runner.ts';
import { Worker, type WorkerOptions } from './worker.ts';
import { WorkflowNames } from './workflow-names.ts';

export type * from './engine-types.ts';

export class Engine {
  readonly store: Store;
  readonly registry: KindRegistry;
  readonly clock: Clock;
  readonly log: Logger;
  readonly #ids: IdGenerator;
  readonly #runs: RunManager;
  readonly #handlers = new Map<string, TaskHandler>();
  readonly #names: WorkflowNames;
  readonly #listeners = new Set<(event: EngineEvent) => void>();
  readonly #options: EngineOptions;
  readonly #agents: AgentServices;
  readonly #secrets: SecretsSource;
  #worker?: Worker;

  constructor(store: Store, options: EngineOptions = {}) {
    this.store = store;
    this.#options = options;
    this.clock = options.clock ?? systemClock;
    this.registry = options.registry ?? createBuiltinRegistry();
    this.log = options.logger ?? pino({ level: process.env.BATON_LOG_LEVEL ?? 'warn' }, pino.destination(2));
    this.#ids = options.ids ?? defaultIdGenerator(this.clock);
    this.#runs = new RunManager(store, this.registry, this.clock);
    this.#names = new WorkflowNames(store, this.#runs);
    this.#secrets = secretsSource(options.secrets);
    this.#agents = new AgentServices(options.agents, this.log, {
      store,
      clock: this.clock,
      secrets: options.secrets,
    });
    this.#runs.onCommit((committed) => this.#afterCommit(committed));
  }

  registerTask(name: string, handler: TaskHandler): this {
    this.#handlers.set(name, handler);
    return this;
  }

  /** Makes a TypeScript function available to agent steps as a tool (see docs/agents.md). */
  // biome-ignore lint/suspicious/noExplicitAny: arguments are whatever the tool's parameters schema describes
  registerTool<Args = any>(name: string, definition: ToolDefinition<Args>): this {
    this.#agents.registerTool(name, definition as ToolDefinition);
    return this;
  }

  /** Stores a definition (idempotent by content hash) and returns its identity. */
  async register(definition: WorkflowDefinition | string, source?: string): Promise<WorkflowSummary> {
    const def =
      typeof definition === 'string' ? loadWorkflowText(definition, { registry: this.registry }) : definition;
    const hash = hashDefinition(def);
    if (!(await this.store.getDefinition(hash))) {
      await this.store.saveDefinition({
        hash,
        name: def.name,
        version: def.version,
        definition: def,
        source: source ?? (typeof definition === 'string' ? definition : undefined),
        createdAt: this.clock.now(),
      });
      // A newly stored definition sets its workflow's cluster-wide step limit, or lifts it.
      await this.store.setConcurrencyLimit(workflowLimitKey(def.name), def.limits?.concurrentSteps);
      this.#names.forget(def.name);
    }
    this.#runs.compile(def, hash);
    return { name: def.name, version: def.version, hash };
  }

  /**
   * Caps how many steps of `queue` execute at once across every worker sharing the store
   * (undefined lifts the cap). The limit lives in the database, so it holds for all processes.
   */
  async setQueueLimit(queue: string, limit: number | undefined): Promise<void> {
    await this.store.setConcurrencyLimit(queueLimitKey(queue), limit);
  }

  async registerFile(file: string): Promise<WorkflowSummary> {
    const definition = await loadWorkflowFile(file, { registry: this.registry });
    return this.register(definition);
  }

  async start(
    workflow: string | WorkflowDefinition,
    input: Record<string, unknown> = {},
    options: StartOptions = {},
  ): Promise<RunHandle> {
    if (options.idempotencyKey !== undefined) {
      const existing = await this.store.findRunByIdempotencyKey(options.idempotencyKey);
      if (existing) return this.#handle(existing.id, false);
    }
    const runId = options.runId ?? this.#ids();
    const origin = { idempotencyKey: options.idempotencyKey, tenant: options.tenant };
    if (typeof workflow !== 'string') {
      const wf = await this.#runs.workflow((await this.register(workflow)).hash);
      const created = await this.#createRun(runId, wf, validateRunInputs(wf.definition, input), origin);
      return this.#handle(created.runId, created.created);
    }
    // A name resolved before is not read again: the create commit checks it is still the
    // newest definition, and when another process registered a newer one, it is resolved anew.
    const remembered = this.#names.remembered(workflow, options.version);
    try {
      const summary = remembered ?? (await this.#names.resolve(workflow, options.version));
      const wf = await this.#runs.workflow(summary.hash);
      const latest = remembered && { name: workflow, version: options.version, hash: summary.hash };
      const created = await this.#createRun(
        runId,
        wf,
        validateRunInputs(wf.definition, input),
        origin,
        latest,
      );
      return this.#handle(created.runId, created.created);
    } catch (error) {
      if (!remembered || !(error instanceof BatonError) || error.code !== 'DEFINITION_CHANGED') throw error;
      this.#names.forget(workflow);
      return this.start(workflow, input, { ...options, runId });
    }
  }

  /** Starts a run and waits for its output; throws when it fails or is cancelled. */
  async run(
    workflow: string | WorkflowDefinition,
    input: Record<string, unknown> = {},
    options: StartOptions = {},
  ): Promise<JsonValue> {
    const handle = await this.start(workflow, input, options);
    return handle.result();
  }

  #handle(id: string, created: boolean): RunHandle {
    return { id, created, result: (options) => this.result(id, options) };
  }

  /** Waits until the run reaches an outcome (or `statuses`), whichever process runs it. */
  wait(runId: string, options: { timeoutMs?: number; statuses?: readonly string[] } = {}): Promise<RunRow> {
    return waitForRun(this.store, (listener, filter) => this.subscribe(listener, filter), runId, options);
  }

  async result(runId: string, options: { timeoutMs?: number } = {}): Promise<JsonValue> {
    return outcomeOf(await this.wait(runId, options));
  }

  async getRun(runId: string): Promise<RunDetails> {
    const run = await this.store.getRun(runId);
    if (!run) throw new BatonError('RUN_NOT_FOUND', `no run with id ${runId}`, { details: { runId } });
    return { ...run, steps: await this.store.getSteps(runId) };
  }

  listRuns(filter?: RunFilter): Promise<RunRow[]> {
    return this.store.listRuns(filter);
  }

  /**
   * LLM usage (calls, tokens, cost, cache hits) totalled per workflow or per tenant over the
   * runs the query selects (created in [since, until)), most expensive first.
   */
  usage(query: UsageQuery = { groupBy: 'workflow' }): Promise<UsageGroup[]> {
    return this.store.usageSummary(query);
  }

  async history(runId: string): Promise<RunEvent[]> {
    return this.store.loadEvents(runId);
  }

  async pause(runId: string, options: ControlOptions = {}): Promise<void> {
    await this.#runs.mutate(runId, (_wf, state, now) => pauseRun(state, now, options.by, options.reason));
  }

  async resume(runId: string, options: ControlOptions = {}): Promise<void> {
    await this.#runs.mutate(runId, (wf, state, now) => resumeRun(wf, state, now, options.by));
  }

  async cancel(runId: string, options: ControlOptions = {}): Promise<void> {
    await this.#runs.mutate(runId, (wf, state, now) => cancelRun(wf, state, now, options.by, options.reason));
  }

  async retry(runId: string, options: ControlOptions = {}): Promise<void> {
    await this.#runs.mutate(runId, (wf, state, now) => retryRun(wf, state, now, options.by));
  }

  approve(runId: string, options: DecisionOptions = {}): Promise<void> {
    return this.#decide(
      runId,
      { decision: 'approved', comment: options.comment, by: options.by, payload: options.payload },
      options.step,
    );
  }

  reject(runId: string, options: DecisionOptions = {}): Promise<void> {
    return this.#decide(
      runId,
      { decision: 'rejected', comment: options.comment, by: options.by, payload: options.payload },
      options.step,
    );
  }

  async #decide(runId: string, input: ApprovalInput, step?: string): Promise<void> {
    await this.#runs.mutate(runId, (wf, state, now) =>
      decideApproval(wf, state, findPendingApproval(state, step).path, input, now),
    );
  }

  pendingApprovals(filter?: { runId?: string; limit?: number }): Promise<PendingApproval[]> {
    return this.store.listPendingApprovals(filter);
  }

  /** Receives every history event committed by this process, and transient step events. */
  subscribe(listener: (event: EngineEvent) => void, filter: { runId?: string } = {}): () => void {
    const wrapped =
      filter.runId === undefined
        ? listener
        : (event: EngineEvent) => event.runId === filter.runId && listener(event);
    this.#listeners.add(wrapped);
    return () => this.#listeners.delete(wrapped);
  }

  /** Starts executing tasks in this process. */
  startWorker(options: WorkerOptions = {}): Worker {
    if (this.#worker) return this.#worker;
    const runner = createTaskRunner({
      runs: this.#runs,
      store: this.store,
      log: this.log,
      secrets: this.#secrets,
      services: executeServices(this.#options, this.#handlers, this.#agents, async (name, input, options) =>
        (await this.start(name, input, options)).result(),
      ),
      publish: (runId, path, name, data) => this.#emit({ type: 'transient', runId, path, name, data }),
      startChild: (parentRunId, path) => this.#startChild(parentRunId, path),
      recordRejection: async (task, reason) => {
        this.log.warn({ taskId: task.id, runId: task.runId }, reason);
        await this.store.recordRejectedCommit({
          taskId: task.id,
          owner: task.owner,
          token: task.token,
          runId: task.runId,
          reason,
          at: this.clock.now(),
        });
      },
    });
    this.#worker = new Worker(this.store, this.clock, runner, this.log, options, (runId) =>
      this.#runs.cachedSeq(runId),
    );
    this.#worker.start();
    return this.#worker;
  }

  async stopWorker(graceMs?: number): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.stop(graceMs);
  }

  async close(): Promise<void> {
    await this.stopWorker();
    await this.#agents.close();
    await this.store.close();
    await shutdownSandbox();
  }

  #createRun(
    runId: string,
    wf: CompiledWorkflow,
    input: Record<string, JsonValue>,
    origin: RunOrigin,
    latest?: LatestDefinition,
  ): Promise<{ created: boolean; runId: string }> {
    return createRun(this.#runs, this.clock, runId, wf, input, origin, latest);
  }

  #startChild(parentRunId: string, path: string): Promise<void> {
    return startChildRun(
      {
        runs: this.#runs,
        store: this.store,
        clock: this.clock,
        resolve: (name, version) => this.#names.resolve(name, version),
        retry: (runId, options) => this.retry(runId, options),
      },
      parentRunId,
      path,
    );
  }

  #afterCommit(committed: Committed): void {
    for (const event of committed.events) this.#emit({ type: 'history', runId: committed.runId, event });
    const worker = this.#worker;
    const now = this.clock.now();
    const leased = committed.claimed;
    if (
      worker &&
      committed.write.tasks.insert.some((task) => task.runAt <= now && !leased?.some((c) => c.id === task.id))
    )
      worker.wake();
    for (const event of committed.events) {
      if ((event.type === 'RunCancelled' || event.type === 'RunFailed') && worker)
        worker.abortRun(committed.runId, `run ${event.type === 'RunCancelled' ? 'cancelled' : 'failed'}`);
      if (event.type === 'StepCancelled') {
        const child = committed.state.steps.get(event.path)?.childRunId;
        if (child)
          void this.cancel(child, { by: `parent ${committed.runId}`, reason: 'parent cancelled' }).catch(
            () => undefined,
          );
      }
    }
  }

  #emit(event: EngineEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log.error({ err: error }, 'event listener threw');
      }
    }
  }
}

export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const store =
    typeof options.store === 'object' ? options.store : await openStore(options.store, options.clock);
  return new Engine(store, options);
}
