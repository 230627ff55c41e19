// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * `script: <code>` runs sandboxed JavaScript (QuickJS, not Node's vm) with the step's
 * `input` as a global. The code is never templated: values reach it through `input`.
 */
import { z } from 'zod';
import type { JsonValue } from '../errors.ts';
import { runScript } from '../sandbox/index.ts';
import { asJson, evaluateOptional } from './shared.ts';
import type { ExecuteContext, SchemaKit, StepKind } from './types.ts';

export interface ScriptConfig {
  code: string;
  /** Milliseconds. */
  timeout?: number;
  /** Megabytes. */
  memory?: number;
}

// The WebAssembly build of QuickJS addresses at most 2 GiB.
const MAX_MEMORY_MB = 2048;

export const scriptKind: StepKind<ScriptConfig> = {
  key: 'script',
  description:
    'Runs sandboxed JavaScript with time and memory limits; `input` is a global, the result is the output.',
  defaultRetry: { attempts: 1 },

  schema(kit: SchemaKit) {
    const code = z
      .string()
      .min(1, 'a script step needs code')
      .describe(
        'JavaScript run in the sandbox as the body of an async function: `input` holds the step input, ' +
          'the value it returns is the output (`await` is allowed). Not templated.',
      );
    const full = z
      .strictObject({
        code,
        timeout: kit.duration
          .refine((ms) => ms > 0, 'a script timeout must be greater than 0')
          .optional()
          .describe('Time limit for the script, e.g. "2s"; defaults to the engine sandbox limit.'),
        memory: z
          .number()
          .int()
          .min(1)
          .max(MAX_MEMORY_MB)
          .optional()
          .describe('Memory limit in megabytes; defaults to the engine sandbox limit.'),
      })
      .describe('Script with explicit limits.');
    return z
      .union([code, full])
      .transform((value): ScriptConfig => (typeof value === 'string' ? { code: value } : value))
      .describe('JavaScript code, or { code, timeout, memory }.');
  },

  extras(kit: SchemaKit) {
    return {
      input: kit.template
        .optional()
        .describe('Value visible to the script as the global `input`; may hold ${{ }} templates.'),
    };
  },

  start(ctx) {
    return { type: 'task', input: asJson(evaluateOptional(ctx, ctx.step.extras.input)) };
  },

  async execute(ctx: ExecuteContext): Promise<JsonValue> {
    const config = ctx.config as ScriptConfig;
    const limits = {
      timeoutMs: config.timeout ?? ctx.services.sandbox.timeoutMs,
      memoryBytes:
        config.memory !== undefined ? config.memory * 1024 * 1024 : ctx.services.sandbox.memoryBytes,
    };
    const result = await runScript(config.code, { input: ctx.input }, limits, ctx.signal);
    for (const line of result.logs) ctx.log(line, { source: 'script' });
    return result.value;
  },
};
