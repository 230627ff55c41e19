// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * The workflows the chaos tests drive besides the crash pipeline (test/crash), and the
 * instrumented handlers every chaos worker registers: each execution writes a `start` and
 * an `end` side-effect record that the history checker compares with the histories.
 */
import { BatonError, type JsonValue } from '../../src/errors.ts';
import type { TaskContext } from '../../src/kinds/types.ts';
import type { Engine } from '../../src/runtime/engine.ts';
import { failingAttempts, HANDLER_RESULTS, type HandlerName } from '../crash/crash-workflow.ts';
import type { JsonLinesWriter } from '../crash/side-effect-log.ts';

/** `n` step tasks per run, all due at once: workers race to claim them. */
export const RACE_WORKFLOW_YAML = `
name: race
version: "1"
inputs:
  n: integer
steps:
  - id: fan
    map:
      items: \${{ range(0, inputs.n) }}
      steps:
        - { id: tick, task: tick, input: "\${{ item }}" }
output: \${{ steps.fan.output }}
`;

export function raceOutput(n: number): JsonValue {
  return Array.from({ length: n }, (_, i) => i * 2);
}

/** One slow step, for stalling the worker that runs it. */
export const STALL_WORKFLOW_YAML = `
name: stall
version: "1"
steps:
  - id: slow
    task: slow
output: \${{ steps.slow.output }}
`;

export interface HandlerOptions {
  effects: JsonLinesWriter;
  /** How long `slow` takes. */
  slowMs: number;
}

export function registerChaosHandlers(engine: Engine, options: HandlerOptions): void {
  const { effects } = options;
  const instrumented =
    (name: string, body: (input: JsonValue, ctx: TaskContext) => Promise<JsonValue>) =>
    async (input: unknown, ctx: TaskContext): Promise<JsonValue> => {
      const record = {
        runId: ctx.runId,
        path: ctx.path,
        attempt: ctx.attempt,
        idempotencyKey: ctx.idempotencyKey,
        pid: process.pid,
      };
      effects.append({ ...record, phase: 'start', handler: name, time: Date.now() });
      try {
        const output = await body(input as JsonValue, ctx);
        effects.append({ ...record, phase: 'end', outcome: 'ok', time: Date.now() });
        return output;
      } catch (error) {
        effects.append({ ...record, phase: 'end', outcome: 'error', time: Date.now() });
        throw error;
      }
    };
  for (const name of Object.keys(HANDLER_RESULTS) as HandlerName[]) {
    engine.registerTask(
      name,
      instrumented(name, async (input, ctx) => {
        await sleep(Math.floor(Math.random() * 31), ctx.signal);
        if (name === 'flaky' && ctx.attempt <= failingAttempts(ctx.idempotencyKey)) {
          throw new BatonError('FLAKY_UPSTREAM', `${ctx.path} fails its attempt ${ctx.attempt} on purpose`, {
            retryable: true,
          });
        }
        return HANDLER_RESULTS[name](input as Record<string, unknown>);
      }),
    );
  }
  engine.registerTask(
    'tick',
    instrumented('tick', async (input, ctx) => {
      await sleep(Math.floor(Math.random() * 4), ctx.signal);
      return Number(input) * 2;
    }),
  );
  engine.registerTask(
    'slow',
    instrumented('slow', async (_input, ctx) => {
      await sleep(options.slowMs, ctx.signal);
      return { by: process.pid };
    }),
  );
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
