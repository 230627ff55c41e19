/**
 * Workflows as tools: a call starts a run of the named workflow with the arguments as its
 * inputs and returns the run's output. The run is started with the call's idempotency key,
 * so a call re-run after a crash finds the run it started before instead of starting another.
 */
import { BatonError, type JsonValue } from '../../errors.ts';
import type { ToolSpec } from '../role.ts';
import { parseArguments } from './arguments.ts';
import { type AgentTool, ANY_OBJECT_SCHEMA } from './types.ts';

type WorkflowToolSpec = Extract<ToolSpec, { workflow: string }>;

/** Provided by the engine in ExecuteServices: starts (or finds, by key) a run and waits for its output. */
export type RunWorkflow = (
  name: string,
  input: Record<string, JsonValue>,
  options: { idempotencyKey: string; version?: string; signal?: AbortSignal },
) => Promise<JsonValue>;

export function workflowTool(spec: WorkflowToolSpec, runWorkflow: RunWorkflow | undefined): AgentTool {
  const inputSchema = (spec.parameters as Record<string, unknown> | undefined) ?? ANY_OBJECT_SCHEMA;
  return {
    name: spec.name,
    description: spec.description ?? `Runs the workflow "${spec.workflow}" with the arguments as its inputs.`,
    inputSchema,
    approval: spec.approval,
    parse(args) {
      return parseArguments(inputSchema, args);
    },
    async execute(args, ctx) {
      if (!runWorkflow) {
        throw new BatonError(
          'TOOL_UNAVAILABLE',
          `tool "${spec.name}" runs workflow "${spec.workflow}", but this engine offers no runWorkflow service`,
        );
      }
      return runWorkflow(spec.workflow, args, {
        idempotencyKey: ctx.idempotencyKey,
        version: spec.version,
        signal: ctx.signal,
      });
    },
  };
}
