/**
 * A typed TypeScript builder for workflow definitions. It produces the same document a
 * YAML file would hold and runs it through the same normaliser, so a built workflow and
 * its YAML twin have the same definition and the same hash. Step ids accumulate in the
 * type, so `needs` only accepts ids declared earlier.
 */
import { createBuiltinRegistry } from '../kinds/builtin.ts';
import type { KindRegistry } from '../kinds/registry.ts';
import { normalizeWorkflow } from '../language/index.ts';
import type { WorkflowDefinition } from '../language/model.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

export type Duration = string | number;

export interface RetryOptions {
  attempts?: number;
  backoff?: 'exponential' | 'linear' | 'fixed';
  delay?: Duration;
  maxDelay?: Duration;
  factor?: number;
  jitter?: 'none' | 'full' | 'equal';
  nonRetryable?: string[];
}

export interface InputOptions {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'any';
  description?: string;
  default?: Json;
  required?: boolean;
  enum?: Json[];
  [keyword: string]: Json | undefined;
}

export interface CommonOptions<Ids extends string> {
  [extra: string]: unknown;
  needs?: Ids[];
  if?: string | boolean;
  name?: string;
  description?: string;
  retry?: RetryOptions;
  timeout?: Duration;
  continueOnError?: boolean;
}

type StepDocument = Record<string, unknown>;

/** Builds the nested step list of a block (map, loop, parallel, switch case). */
export type BlockBuilder = (steps: StepsBuilder<never>) => StepsBuilder<string>;

/** What adding a step returns: the same kind of builder, knowing one more step id. */
type Next<Kind extends 'steps' | 'workflow', Ids extends string> = Kind extends 'workflow'
  ? WorkflowBuilder<Ids>
  : StepsBuilder<Ids>;

export class StepsBuilder<Ids extends string, Kind extends 'steps' | 'workflow' = 'steps'> {
  protected readonly steps: StepDocument[] = [];

  /** Adds a step of any registered kind (also kinds added by plugins, such as `agent`). */
  step<Id extends string>(
    id: Id,
    kind: string,
    config: unknown,
    options: CommonOptions<Ids> & { [extra: string]: unknown } = {},
  ): Next<Kind, Ids | Id> {
    this.steps.push({ id, ...options, [kind]: config });
    return this as unknown as Next<Kind, Ids | Id>;
  }

  task<Id extends string>(id: Id, handler: string, options: CommonOptions<Ids> & { input?: Json } = {}) {
    return this.step(id, 'task', handler, options);
  }

  script<Id extends string>(
    id: Id,
    code: string,
    options: CommonOptions<Ids> & { input?: Json; timeoutMs?: Duration; memoryMb?: number } = {},
  ) {
    const { timeoutMs, memoryMb, ...rest } = options;
    const config =
      timeoutMs === undefined && memoryMb === undefined
        ? code
        : { code, timeout: timeoutMs, memory: memoryMb };
    return this.step(id, 'script', config, rest);
  }

  set<Id extends string>(id: Id, value: Json, options: CommonOptions<Ids> = {}) {
    return this.step(id, 'set', value, options);
  }

  http<Id extends string>(
    id: Id,
    request: {
      url: string;
      method?: string;
      headers?: Record<string, string>;
      query?: Record<string, Json>;
      body?: Json;
      timeout?: Duration;
      responseType?: 'auto' | 'json' | 'text';
      idempotencyKey?: boolean;
      allowStatus?: number[];
    },
    options: CommonOptions<Ids> = {},
  ) {
    return this.step(id, 'http', request, options);
  }

  wait<Id extends string>(
    id: Id,
    wait: { for: Duration } | { until: string | number },
    options: CommonOptions<Ids> = {},
  ) {
    return this.step(id, 'wait', wait, options);
  }

  approval<Id extends string>(
    id: Id,
    approval: {
      message: string;
      payload?: Json;
      reviewers?: string[];
      timeout?: Duration;
      onTimeout?: 'approve' | 'reject' | 'fail';
      onReject?: 'continue' | 'fail';
    },
    options: CommonOptions<Ids> = {},
  ) {
    return this.step(id, 'approval', approval, options);
  }

  workflow<Id extends string>(
    id: Id,
    name: string,
    options: CommonOptions<Ids> & { input?: Json; version?: string } = {},
  ) {
    const { version, ...rest } = options;
    return this.step(id, 'workflow', version === undefined ? name : { name, version }, rest);
  }

  fail<Id extends string>(id: Id, message: string, options: CommonOptions<Ids> & { code?: string } = {}) {
    const { code, ...rest } = options;
    return this.step(id, 'fail', code === undefined ? message : { message, code }, rest);
  }

  map<Id extends string>(
    id: Id,
    map: {
      items: Json;
      as?: string;
      concurrency?: number;
      output?: Json;
      onItemError?: 'fail' | 'continue';
      steps: BlockBuilder;
    },
    options: CommonOptions<Ids> = {},
  ) {
    return this.step(id, 'map', { ...map, steps: nested(map.steps) }, options);
  }

  loop<Id extends string>(
    id: Id,
    loop: {
      until?: string;
      while?: string;
      maxIterations: number;
      onMaxIterations?: 'complete' | 'fail';
      output?: Json;
      steps: BlockBuilder;
    },
    options: CommonOptions<Ids> = {},
  ) {
    return this.step(id, 'loop', { ...loop, steps: nested(loop.steps) }, options);
  }

  parallel<Id extends string>(
    id: Id,
    parallel: { concurrency?: number; output?: Json; steps: BlockBuilder },
    options: CommonOptions<Ids> = {},
  ) {
    return this.step(id, 'parallel', { ...parallel, steps: nested(parallel.steps) }, options);
  }

  switch<Id extends string>(
    id: Id,
    cases: { name?: string; when: string | boolean; output?: Json; steps?: BlockBuilder }[],
    fallback?: { output?: Json; steps?: BlockBuilder },
    options: CommonOptions<Ids> = {},
  ) {
    const config = {
      cases: cases.map((c) => ({ ...c, steps: c.steps ? nested(c.steps) : undefined })),
      default: fallback
        ? { ...fallback, steps: fallback.steps ? nested(fallback.steps) : undefined }
        : undefined,
    };
    return this.step(id, 'switch', config, options);
  }

  /** The plain step documents, as they would appear in a YAML file. */
  toSteps(): StepDocument[] {
    return this.steps;
  }
}

function nested(build: BlockBuilder): StepDocument[] {
  return build(new StepsBuilder<never>()).toSteps();
}

export class WorkflowBuilder<Ids extends string = never> extends StepsBuilder<Ids, 'workflow'> {
  readonly #document: Record<string, unknown>;

  constructor(name: string, options: { version?: string; description?: string } = {}) {
    super();
    this.#document = { name, ...options };
  }

  input(name: string, spec: InputOptions | InputOptions['type']): this {
    this.#document.inputs = {
      ...(this.#document.inputs as Record<string, unknown> | undefined),
      [name]: spec,
    };
    return this;
  }

  defaults(defaults: { retry?: RetryOptions; timeout?: Duration }): this {
    this.#document.defaults = defaults;
    return this;
  }

  concurrency(limit: number): this {
    this.#document.concurrency = limit;
    return this;
  }

  timeout(timeout: Duration): this {
    this.#document.timeout = timeout;
    return this;
  }

  /** Another top-level section (agents, budget…) owned by a feature outside the core. */
  section(name: string, value: unknown): this {
    this.#document[name] = value;
    return this;
  }

  output(output: Json): this {
    this.#document.output = output;
    return this;
  }

  /** The document as a YAML file would hold it. */
  toDocument(): Record<string, unknown> {
    return { ...this.#document, steps: this.toSteps() };
  }

  /** Validates and normalises; throws WORKFLOW_INVALID with every issue, like a bad file. */
  build(registry: KindRegistry = defaultRegistry()): WorkflowDefinition {
    return normalizeWorkflow(this.toDocument(), { registry });
  }
}

let registry: KindRegistry | undefined;
function defaultRegistry(): KindRegistry {
  registry ??= createBuiltinRegistry();
  return registry;
}

/** Starts a workflow definition: `workflow('name').input(…).task(…).build()`. */
export function workflow(
  name: string,
  options: { version?: string; description?: string } = {},
): WorkflowBuilder {
  return new WorkflowBuilder(name, options);
}

/** Wraps an expression source as a template string: expr('inputs.topic') → '${{ inputs.topic }}'. */
export function expr(source: string): string {
  return `\${{ ${source} }}`;
}
