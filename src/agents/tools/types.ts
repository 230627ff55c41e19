/** The tool contract of the agent loop, whatever a tool is backed by (a function, HTTP, a workflow, MCP). */
import type { z } from 'zod';
import type { JsonValue } from '../../errors.ts';
import type { ApprovalSpec } from '../role.ts';

/** What a tool's code receives besides its arguments. */
export interface ToolContext {
  runId: string;
  stepId: string;
  path: string;
  attempt: number;
  toolCallId: string;
  /**
   * `<step idempotency key>:<toolCallId>`: the same when a call is re-run after a crash,
   * so the tool can de-duplicate its side effect.
   */
  idempotencyKey: string;
  signal: AbortSignal;
  log(message: string, fields?: Record<string, unknown>): void;
}

/** A tool registered with `engine.registerTool(name, definition)`. */
// biome-ignore lint/suspicious/noExplicitAny: arguments are whatever the parameters schema describes
export interface ToolDefinition<Args = any> {
  description?: string;
  /** A zod schema (arguments are parsed with it) or a JSON Schema (arguments are validated with it). */
  parameters?: z.ZodType<Args> | Record<string, unknown>;
  /** Ask a human before each call (see docs/agents.md, "Approvals"). */
  approval?: ApprovalSpec;
  execute(args: Args, ctx: ToolContext): unknown;
}

/** A tool as the loop uses it: a JSON Schema for the model and a function to run. */
export interface AgentTool {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  approval?: ApprovalSpec;
  /** Checks and normalises the model's arguments; returns the problems found, if any. */
  parse(args: unknown): { ok: true; args: Record<string, JsonValue> } | { ok: false; errors: string[] };
  execute(args: Record<string, JsonValue>, ctx: ToolContext): Promise<unknown>;
}

export const ANY_OBJECT_SCHEMA: Record<string, unknown> = { type: 'object', additionalProperties: true };
