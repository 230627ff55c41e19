/**
 * The contract every step kind implements. A kind is one file that declares its YAML
 * shape (schema, extra step keys, nested blocks) and its behaviour: a pure `start` the
 * scheduler calls when the step becomes ready, an optional pure `onBlocksDone` for kinds
 * that own nested blocks, and an optional `execute` run by a worker for kinds whose work
 * has side effects. New kinds (agent, plan…) join by registering in `registry.ts`.
 */
import type { z } from 'zod';
import type { ReserveRequest, ReserveVerdict } from '../core/budget.ts';
import type { JsonValue, SerializedError } from '../errors.ts';
import type { RetryPolicy, StepDefinition, WorkflowDefinition } from '../language/model.ts';

/** Building blocks a kind uses to describe its config, shared so that errors and JSON Schema stay uniform. */
export interface SchemaKit {
  /** A list of nested steps (recursive step schema). */
  stepList: z.ZodType;
  /** Any JSON value whose strings may hold `${{ }}` templates. */
  template: z.ZodType;
  /** A string that may hold `${{ }}` templates. */
  templateString: z.ZodType<string>;
  /** A boolean-ish expression: `${{ … }}` or a bare expression string, or a boolean. */
  expression: z.ZodType<string | boolean>;
  /** A duration: "30s", "5m", or milliseconds; parsed to a number of ms. */
  duration: z.ZodType<number>;
  /** A duration or a `${{ }}` template evaluated at run time. */
  durationOrTemplate: z.ZodType<number | string>;
  /** Retry policy object, partial, merged with defaults. */
  retry: z.ZodType;
}

export interface RawBlock {
  key: string;
  steps: unknown[];
  /** Path of the step list inside the kind's config, for error positions. */
  path: (string | number)[];
}

/** Variables visible to expressions inside one instance of a block (item/index for map, loop for loop). */
export type BlockVars = Record<string, JsonValue>;

export interface BlockInstanceSpec {
  blockKey: string;
  vars: BlockVars;
  /**
   * Indices (in the same round) of instances that must finish first: a dynamic plan's task
   * dependencies. An instance whose dependency failed is skipped.
   */
  after?: number[];
}

export interface BlockInstanceResult {
  index: number;
  blockKey: string;
  vars: BlockVars;
  status: 'completed' | 'failed';
  /** Outputs of the instance's steps by id (completed ones only). */
  outputs: Record<string, JsonValue>;
  /** Status of each step of the instance by id. */
  statuses: Record<string, string>;
  error?: SerializedError;
}

export type StartOutcome =
  | { type: 'complete'; output: JsonValue; note?: Record<string, JsonValue> }
  | { type: 'fail'; error: SerializedError }
  /** Run `execute` on a worker with this input. */
  | { type: 'task'; input: JsonValue; queue?: string }
  | { type: 'timer'; fireAt: number }
  | { type: 'approval'; request: ApprovalRequest }
  | { type: 'child'; workflow: string; version?: string; input: JsonValue }
  /**
   * Start nested block instances; `concurrency` bounds how many instances run at once and
   * `stepConcurrency` how many steps of each instance run at once (a parallel group's limit).
   */
  | {
      type: 'blocks';
      instances: BlockInstanceSpec[];
      concurrency?: number;
      stepConcurrency?: number;
      note?: Record<string, JsonValue>;
    };

export interface ApprovalRequest {
  message: string;
  payload?: JsonValue;
  reviewers: string[];
  timeoutAt?: number;
  onTimeout: 'approve' | 'reject' | 'fail';
  onReject: 'continue' | 'fail';
}

/** What the scheduler gives a kind's pure hooks. Everything here is deterministic. */
export interface StartContext<C> {
  step: StepDefinition;
  /** The whole workflow (e.g. to resolve an agent role from its `agents:` section). */
  definition: WorkflowDefinition;
  config: C;
  runId: string;
  path: string;
  /** Time of the event being decided (from history, not a live clock). */
  now: number;
  /** Evaluates a template tree of this step (config or extras) in the step's scope. */
  evaluate(value: unknown): unknown;
  /** Evaluates with extra variables in scope (e.g. a loop's `until` with the iteration's outputs). */
  evaluateWith(value: unknown, vars: Record<string, unknown>): unknown;
}

export interface BlocksDoneContext<C> extends StartContext<C> {
  results: BlockInstanceResult[];
  /** Value recorded by `start` or a previous `onBlocksDone` (`note`), e.g. the number of iterations. */
  note: Record<string, JsonValue>;
  /** Evaluates a template in the scope of one finished instance: its block variables and its steps' outputs. */
  evaluateInInstance(value: unknown, index: number): unknown;
  /** Ids of the steps of a block in declaration order (the last one gives a block's default output). */
  blockStepIds(blockKey: string): string[];
}

/** Resources one LLM call (or any metered call) consumed; summed per step and per run. */
export interface Usage {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  /**
   * Input tokens written to the provider's prompt cache (part of `inputTokens`, billed above the
   * input price); absent when none.
   */
  cacheWriteInputTokens?: number;
  costUsd: number;
  /** Answers served from Baton's response cache instead of a provider (not in `calls`, no cost); absent when none. */
  cacheHits?: number;
}

export interface StepApprovalRequest {
  message: string;
  payload?: JsonValue;
  reviewers?: string[];
  timeoutMs?: number;
  /** What a timeout decides (default reject). */
  onTimeout?: 'approve' | 'reject';
}

export interface StepApprovalDecision {
  approved: boolean;
  decision: 'approved' | 'rejected';
  timedOut: boolean;
  at: number;
  comment?: string;
  by?: string;
  payload?: JsonValue;
}

export interface MemoOptions<T> {
  /** Usage to account for when the value is first recorded (not on replay). */
  usage?: (value: T) => Usage | undefined;
}

/** Worker-side context: everything a handler with side effects may use. */
export interface ExecuteContext {
  runId: string;
  stepId: string;
  path: string;
  attempt: number;
  /** Stable across attempts and crash re-executions of the same step instance. */
  idempotencyKey: string;
  input: JsonValue;
  config: unknown;
  step: StepDefinition;
  signal: AbortSignal;
  /**
   * Durable checkpoint inside a step: the first execution runs `fn` and records its
   * result in history; a re-execution after a crash returns the recorded value.
   */
  memo<T extends JsonValue>(key: string, fn: () => Promise<T>, options?: MemoOptions<T>): Promise<T>;
  /**
   * Asks a human to decide before the step goes on (a tool call that needs approval, a
   * budget raise). The first call suspends the step: execution stops, the run waits
   * durably, and once someone decides the step runs again from the top — `memo`
   * checkpoints replay — and this call returns the recorded decision.
   */
  requestApproval(key: string, request: StepApprovalRequest): Promise<StepApprovalDecision>;
  /**
   * Sets budget aside for a model call before it is made: checked, together with every other
   * reservation of the run, against the run's (and the workflow's) budget in one atomic commit.
   * The reservation is released when a `memo` checkpoint under the same key is recorded.
   */
  reserveBudget(request: Omit<ReserveRequest, 'workflowSpent'>): Promise<ReserveVerdict>;
  /** Publishes a transient event (progress, streamed text) on the run's event stream; not recorded. */
  publish(type: string, data: JsonValue): void;
  log(message: string, fields?: Record<string, unknown>): void;
  services: ExecuteServices;
  /** The step's secrets: resolves references right before a request, and redacts what it revealed. */
  secrets?: StepSecrets;
}

/**
 * Secret references of one step execution (core/secret-refs.ts). Values are looked up in the
 * engine's secrets provider; everything the step records or logs is redacted of them.
 */
export interface StepSecrets {
  /** Replaces the step's secret references in `value` with the secrets; `field` names it in errors. */
  resolve<T extends JsonValue>(value: T, field: string): Promise<T>;
  /** Adds a value read elsewhere (an LLM API key) to what is redacted. */
  conceal(value: string): void;
  /** The `secrets` variable for templates the worker evaluates (agent HTTP tools, MCP headers and env). */
  references(): Record<string, string>;
  /** Replaces every secret revealed so far with `***`. */
  redact<T>(value: T): T;
}

/** Host facilities, owned by the engine and handed to kinds. Extended by later features. */
export interface ExecuteServices {
  handlers: ReadonlyMap<string, TaskHandler>;
  http: { allowHosts: readonly string[]; fetchTimeoutMs: number };
  sandbox: { timeoutMs: number; memoryBytes: number };
  [name: string]: unknown;
}

export interface TaskContext {
  runId: string;
  stepId: string;
  path: string;
  attempt: number;
  idempotencyKey: string;
  signal: AbortSignal;
  log(message: string, fields?: Record<string, unknown>): void;
  memo<T extends JsonValue>(key: string, fn: () => Promise<T>, options?: MemoOptions<T>): Promise<T>;
}

// biome-ignore lint/suspicious/noExplicitAny: handlers accept any JSON input shape chosen by the user
export type TaskHandler = (input: any, ctx: TaskContext) => Promise<unknown> | unknown;

export interface StepKind<C = unknown> {
  readonly key: string;
  readonly description: string;
  schema(kit: SchemaKit): z.ZodType<C>;
  /** Extra step-level keys this kind accepts (e.g. `input`). */
  extras?(kit: SchemaKit): Record<string, z.ZodType>;
  /** Nested step lists inside the config. */
  blocks?(config: C): RawBlock[];
  /** Extra expression roots visible inside this kind's blocks (e.g. `item`, `index`, `loop`). */
  blockVariables?(config: C): string[];
  start(ctx: StartContext<C>): StartOutcome;
  onBlocksDone?(ctx: BlocksDoneContext<C>): StartOutcome;
  execute?(ctx: ExecuteContext): Promise<JsonValue>;
  /**
   * Top-level fields of the task input where `execute` resolves secret references before its side
   * effect (http: url, headers, query, body). A reference anywhere else fails the step when it starts.
   */
  secretFields?: readonly string[];
  /** Default retry policy for this kind when the workflow sets none (e.g. http retries transient errors). */
  defaultRetry?: Partial<RetryPolicy>;
}
