// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * `task: <handlerName>` runs a TypeScript function registered with
 * `engine.registerTask(name, fn)`, passing the step's evaluated `input`.
 */
import { z } from 'zod';
import { BatonError, type JsonValue } from '../errors.ts';
import { raceAbort } from './abort.ts';
import { JsonConversionError, toJsonValue } from './json-value.ts';
import { asJson, evaluateOptional } from './shared.ts';
import type { ExecuteContext, SchemaKit, StepKind, TaskContext } from './types.ts';

export type TaskConfig = string;

export const taskKind: StepKind<TaskConfig> = {
  key: 'task',
  description: 'Runs a TypeScript handler registered with engine.registerTask(name, fn).',
  defaultRetry: { attempts: 3 },

  schema() {
    return z
      .string()
      .trim()
      .min(1, 'a task step needs the name of a registered handler')
      .describe(
        'Name of a handler registered with engine.registerTask(name, fn); it receives the step input.',
      );
  },

  extras(kit: SchemaKit) {
    return {
      input: kit.template
        .optional()
        .describe('Value passed to the handler as its first argument; strings may hold ${{ }} templates.'),
    };
  },

  start(ctx) {
    return { type: 'task', input: asJson(evaluateOptional(ctx, ctx.step.extras.input)) };
  },

  async execute(ctx: ExecuteContext): Promise<JsonValue> {
    const name = ctx.config as TaskConfig;
    const handler = ctx.services.handlers.get(name);
    if (!handler) {
      throw new BatonError(
        'TASK_HANDLER_NOT_FOUND',
        `Step "${ctx.path}" calls task handler "${name}", which is not registered; ` +
          `register it with engine.registerTask('${name}', fn) before starting workers`,
        { details: { handler: name, step: ctx.path } },
      );
    }
    const taskContext: TaskContext = {
      runId: ctx.runId,
      stepId: ctx.stepId,
      path: ctx.path,
      attempt: ctx.attempt,
      idempotencyKey: ctx.idempotencyKey,
      signal: ctx.signal,
      log: ctx.log,
      memo: ctx.memo,
    };
    const where = `Task handler "${name}" of step "${ctx.path}"`;
    let result: unknown;
    try {
      result = await raceAbort(
        Promise.resolve().then(() => handler(ctx.input, taskContext)),
        ctx.signal,
        where,
      );
    } catch (error) {
      throw handlerError(error, where);
    }
    try {
      return toJsonValue(result);
    } catch (error) {
      if (!(error instanceof JsonConversionError)) throw error;
      throw new BatonError(
        'TASK_OUTPUT_INVALID',
        `${where} returned a value that is not JSON: ${error.message}`,
        { details: { handler: name, path: error.path } },
      );
    }
  },
};

/** Keeps BatonErrors; other errors keep a string `code` and `retryable: false` if the handler set them. */
function handlerError(error: unknown, where: string): BatonError {
  if (error instanceof BatonError) return error;
  if (error instanceof Error) {
    const { code, retryable } = error as { code?: unknown; retryable?: unknown };
    return new BatonError(
      typeof code === 'string' ? code : 'HANDLER_ERROR',
      `${where} failed: ${error.message}`,
      {
        retryable: retryable !== false,
        cause: error,
        details: { errorName: error.name },
      },
    );
  }
  return new BatonError('HANDLER_ERROR', `${where} threw ${describeThrown(error)}`, {
    retryable: true,
    details: { thrown: asJson(safeJson(error)) },
  });
}

function describeThrown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  return `a non-Error value (${typeof value})`;
}

function safeJson(value: unknown): JsonValue {
  try {
    return toJsonValue(value);
  } catch {
    return String(value);
  }
}
