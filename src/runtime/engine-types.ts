/**
 * The types of the engine's public API (engine.ts): its options, what it returns, and the
 * events it publishes.
 */
import type { Logger } from 'pino';
import type { AgentEngineOptions } from '../agents/services.ts';
import type { RunEvent } from '../core/events.ts';
import type { RunRow, StepRow } from '../core/projection.ts';
import type { JsonValue } from '../errors.ts';
import type { KindRegistry } from '../kinds/registry.ts';
import type { Store } from '../store/types.ts';
import type { Clock, IdGenerator } from '../util/clock.ts';
import type { SecretsProvider } from './secrets.ts';

export interface EngineOptions {
  /** `sqlite:<path>` (default `.baton/baton.db`), `memory`, `postgres://…`, or a Store. */
  store?: string | Store;
  clock?: Clock;
  ids?: IdGenerator;
  registry?: KindRegistry;
  logger?: Logger;
  /** Hosts, IPs or CIDRs that http steps may reach even though they are private or loopback. */
  allowHosts?: string[];
  httpTimeoutMs?: number;
  sandbox?: { timeoutMs?: number; memoryBytes?: number };
  /** Agent steps: API-key environment, price overrides, extra providers, MCP servers, record/replay. */
  agents?: AgentEngineOptions;
  /**
   * Where `${{ secrets.NAME }}` and LLM API keys are looked up, on the worker, when a request is
   * sent (default: the worker's environment; LLM keys then come from `agents.env` when given).
   */
  secrets?: SecretsProvider;
}

export interface WorkflowSummary {
  name: string;
  version: string;
  hash: string;
}

export interface StartOptions {
  /** Starting twice with the same key returns the first run. */
  idempotencyKey?: string;
  /** Version label to start when `workflow` is a name; the latest registered one otherwise. */
  version?: string;
  tenant?: string;
  /** Explicit run id (must be unique). */
  runId?: string;
}

export interface RunHandle {
  id: string;
  /** False when an idempotency key matched an existing run. */
  created: boolean;
  result(options?: { timeoutMs?: number }): Promise<JsonValue>;
}

export interface RunDetails extends RunRow {
  steps: StepRow[];
}

export type EngineEvent =
  | { type: 'history'; runId: string; event: RunEvent }
  | { type: 'transient'; runId: string; path: string; name: string; data: JsonValue };

export interface ControlOptions {
  by?: string;
  reason?: string;
}

export interface DecisionOptions {
  step?: string;
  comment?: string;
  by?: string;
  payload?: JsonValue;
}
