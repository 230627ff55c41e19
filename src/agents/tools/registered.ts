/** TypeScript functions registered with `engine.registerTool(name, definition)` as agent tools. */
import { z } from 'zod';
import { BatonError, type JsonValue } from '../../errors.ts';
import { TOOL_NAME } from '../role.ts';
import { jsonSchemaProblem } from '../structured-output.ts';
import { parseArguments } from './arguments.ts';
import { type AgentTool, ANY_OBJECT_SCHEMA, type ToolDefinition } from './types.ts';

function isZodSchema(value: unknown): value is z.ZodType {
  return typeof value === 'object' && value !== null && '_zod' in value;
}

/** Checks a definition when it is registered, so mistakes surface at startup rather than mid-run. */
export function checkToolDefinition(name: string, definition: ToolDefinition): void {
  if (!TOOL_NAME.test(name)) {
    throw new BatonError(
      'TOOL_INVALID',
      `tool name "${name}" is invalid: use 1 to 64 letters, digits, "_" or "-" (what LLM APIs accept)`,
    );
  }
  if (typeof definition?.execute !== 'function') {
    throw new BatonError('TOOL_INVALID', `tool "${name}" needs an execute(args, ctx) function`);
  }
  const { parameters } = definition;
  if (parameters !== undefined && !isZodSchema(parameters)) {
    const problem = jsonSchemaProblem(parameters as Record<string, unknown>);
    if (problem)
      throw new BatonError(
        'TOOL_INVALID',
        `tool "${name}": parameters is not a valid JSON Schema: ${problem}`,
      );
  }
}

export function registeredTool(name: string, definition: ToolDefinition): AgentTool {
  const { parameters } = definition;
  const zodSchema = isZodSchema(parameters) ? parameters : undefined;
  const inputSchema = zodSchema
    ? (z.toJSONSchema(zodSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>)
    : ((parameters as Record<string, unknown> | undefined) ?? ANY_OBJECT_SCHEMA);
  return {
    name,
    description: definition.description,
    inputSchema,
    approval: definition.approval,
    parse(args) {
      if (zodSchema) {
        const parsed = zodSchema.safeParse(args);
        return parsed.success
          ? { ok: true, args: parsed.data as Record<string, JsonValue> }
          : {
              ok: false,
              errors: parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`),
            };
      }
      return parseArguments(inputSchema, args);
    },
    async execute(args, ctx) {
      return definition.execute(args, ctx);
    },
  };
}
