/** A tool call's arguments checked against the tool's JSON Schema, as AgentTool.parse reports them. */
import type { JsonValue } from '../../errors.ts';
import { schemaErrors } from '../structured-output.ts';
import type { AgentTool } from './types.ts';

export function parseArguments(
  schema: Record<string, unknown>,
  args: unknown,
): ReturnType<AgentTool['parse']> {
  const errors = schemaErrors(schema, args);
  return errors.length === 0 ? { ok: true, args: args as Record<string, JsonValue> } : { ok: false, errors };
}
