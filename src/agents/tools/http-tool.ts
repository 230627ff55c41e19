/**
 * HTTP tools declared in YAML. The request goes through the http step kind itself, so it
 * gets the same SSRF guard, size limits, timeouts and error codes, with the tool call's
 * idempotency key as its Idempotency-Key header. `${{ args.<name> }}` templates place the
 * model's arguments; a request without any sends them as query parameters (GET, HEAD,
 * DELETE) or as a JSON body (other methods).
 */
import type { JsonValue } from '../../errors.ts';
import { compileValue } from '../../expr/index.ts';
import { httpKind } from '../../kinds/http.ts';
import type { ExecuteContext } from '../../kinds/types.ts';
import type { ToolSpec } from '../role.ts';
import { parseArguments } from './arguments.ts';
import { type AgentTool, ANY_OBJECT_SCHEMA } from './types.ts';

type HttpToolSpec = Extract<ToolSpec, { http: unknown }>;

const QUERY_METHODS = new Set(['GET', 'HEAD', 'DELETE']);

export function httpTool(spec: HttpToolSpec, step: ExecuteContext): AgentTool {
  const inputSchema = (spec.parameters as Record<string, unknown> | undefined) ?? ANY_OBJECT_SCHEMA;
  const template = compileValue(spec.http);
  return {
    name: spec.name,
    description: spec.description,
    inputSchema,
    approval: spec.approval,
    parse(args) {
      return parseArguments(inputSchema, args);
    },
    async execute(args, ctx) {
      // `${{ secrets.X }}` becomes a reference here; the http kind puts the value in just before sending.
      const secrets = step.secrets?.references() ?? {};
      const request = { ...(template.evaluate({ args, secrets }) as Record<string, JsonValue>) };
      if (!template.references.roots.includes('args')) placeArguments(request, args);
      const output = (await httpKind.execute!({
        ...step,
        path: `${step.path} (tool ${spec.name})`,
        input: request,
        idempotencyKey: ctx.idempotencyKey,
        signal: ctx.signal,
      })) as { status: number; body: JsonValue };
      return { status: output.status, body: output.body };
    },
  };
}

function placeArguments(request: Record<string, JsonValue>, args: Record<string, JsonValue>): void {
  const method = typeof request.method === 'string' ? request.method.toUpperCase() : 'GET';
  if (QUERY_METHODS.has(method)) {
    const query = (request.query as Record<string, JsonValue> | undefined) ?? {};
    request.query = { ...query, ...args };
  } else if (request.body === undefined) {
    request.body = args;
  }
}
