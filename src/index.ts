/** Baton's public API. */
export type { PriceTable } from './agents/prices.ts';
export type { AgentEngineOptions } from './agents/services.ts';
export type { ToolContext, ToolDefinition } from './agents/tools/types.ts';
export { expr, type StepsBuilder, WorkflowBuilder, workflow } from './builder/workflow-builder.ts';
export type { RunEvent, RunEventType } from './core/events.ts';
export type { RunRow, StepRow } from './core/projection.ts';
export type { RunStatus, StepStatus } from './core/state.ts';
export { BatonError, type JsonValue, type SerializedError } from './errors.ts';
export { createBuiltinRegistry } from './kinds/builtin.ts';
export { KindRegistry } from './kinds/registry.ts';
export type { ExecuteContext, StepKind, TaskContext, TaskHandler, Usage } from './kinds/types.ts';
export {
  formatIssues,
  hashDefinition,
  type Issue,
  loadWorkflowFile,
  loadWorkflowText,
  normalizeWorkflow,
  validateRunInputs,
  type WorkflowDefinition,
  workflowJsonSchema,
} from './language/index.ts';
export {
  createEngine,
  type DecisionOptions,
  Engine,
  type EngineEvent,
  type EngineOptions,
  type RunDetails,
  type RunHandle,
  type StartOptions,
  type WorkflowSummary,
} from './runtime/engine.ts';
export { envSecrets, type SecretsProvider } from './runtime/secrets.ts';
export type { Worker, WorkerOptions } from './runtime/worker.ts';
export { openStore } from './store/open.ts';
export { SqliteStore } from './store/sqlite/sqlite-store.ts';
export type { Store, UsageGroup, UsageQuery } from './store/types.ts';
export { type Clock, ManualClock, systemClock } from './util/clock.ts';
