/**
 * The normalised workflow definition: what the parser and the TypeScript builder both
 * produce, what is hashed and stored, and what the scheduler reads. Durations are
 * milliseconds, `needs` are arrays, defaults are merged in. Expression strings stay as
 * source text here; they are compiled once per definition by `compile.ts`.
 */
import type { JsonValue } from '../errors.ts';

export type InputType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'any';

export interface InputSpec {
  type: InputType;
  description?: string;
  required: boolean;
  default?: JsonValue;
  enum?: JsonValue[];
  /** Extra JSON Schema keywords for nested validation (items, properties, minimum, pattern…). */
  schema?: Record<string, JsonValue>;
}

export type BackoffKind = 'exponential' | 'linear' | 'fixed';
export type JitterKind = 'none' | 'full' | 'equal';

export interface RetryPolicy {
  /** Total attempts including the first; 1 means no retry. */
  attempts: number;
  backoff: BackoffKind;
  delay: number;
  maxDelay: number;
  factor: number;
  jitter: JitterKind;
  /** Error codes that are never retried, in addition to errors flagged not retryable. */
  nonRetryable: string[];
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 1,
  backoff: 'exponential',
  delay: 1000,
  maxDelay: 60_000,
  factor: 2,
  jitter: 'full',
  nonRetryable: [],
};

export interface StepDefaults {
  retry: RetryPolicy;
  /** Per-attempt timeout in ms; undefined means none. */
  timeout?: number;
}

/** A nested list of steps owned by a block step (map body, loop body, switch case…). */
export interface Block {
  key: string;
  steps: StepDefinition[];
}

export interface StepDefinition {
  id: string;
  /** Registry key of the step kind, which is also its YAML key: task, http, map… */
  kind: string;
  name?: string;
  description?: string;
  /** Explicit dependencies plus those implied by `steps.<id>` references, sibling ids only. */
  needs: string[];
  /** Ids written in `needs:` by the author (for graphs and error messages). */
  explicitNeeds: string[];
  if?: string;
  retry: RetryPolicy;
  timeout?: number;
  continueOnError: boolean;
  /** Queue of the step's task; undefined means the default queue. */
  queue?: string;
  /** Claim order among due tasks, higher first; undefined means 0. */
  priority?: number;
  /** The value under the kind's key, validated by the kind's schema; nested step lists are moved into `blocks`. */
  config: unknown;
  /** Extra step-level keys that the kind declares (e.g. `input`, or an agent's `prompt`). */
  extras: Record<string, unknown>;
  blocks: Block[];
}

export interface WorkflowDefinition {
  name: string;
  version: string;
  description?: string;
  inputs: Record<string, InputSpec>;
  defaults: StepDefaults;
  /** Maximum steps of one run executing at once; undefined means unlimited. */
  concurrency?: number;
  /** Limits across all runs of this workflow, enforced by workers' claims (see docs/scaling.md). */
  limits?: WorkflowLimits;
  /** Run timeout in ms. */
  timeout?: number;
  steps: StepDefinition[];
  output?: unknown;
  /** Top-level sections owned by later features (agents, budget, triggers…), validated by their owners. */
  sections: Record<string, unknown>;
  metadata?: Record<string, JsonValue>;
}

export interface WorkflowLimits {
  /** Most step tasks of this workflow leased at once, across all runs and workers. */
  concurrentSteps?: number;
}

/** Where a definition came from, for error messages. */
export interface DefinitionSource {
  file?: string;
  text?: string;
}
