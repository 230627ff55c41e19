/**
 * The workflow the crash test drives, its handlers' pure arithmetic, and the output each
 * run must end with. Shared by the child process (which executes it) and the test (which
 * checks that no crash changed a result).
 *
 * It exercises a sequential task chain, a durable wait, retries, a map fan-out with a
 * concurrency limit, an inline `set` and a `switch` whose branch depends on the data.
 */
import type { JsonValue } from '../../src/errors.ts';

export const CRASH_WORKFLOW_NAME = 'crash-pipeline';

export const CRASH_WORKFLOW_YAML = `
name: ${CRASH_WORKFLOW_NAME}
version: "1"
inputs:
  n: integer
defaults:
  retry: { attempts: 5, backoff: fixed, delay: 10ms, jitter: none }
steps:
  - id: fetch
    task: work
    input: { value: "\${{ inputs.n }}" }
  - id: enrich
    task: flaky
    input: { value: "\${{ steps.fetch.output.value }}" }
  - id: settle
    needs: [enrich]
    wait: "\${{ 100 + (inputs.n % 3) * 100 }}"
  - id: plan
    needs: [settle]
    task: items
    input: { from: "\${{ steps.enrich.output.value }}", count: "\${{ 6 + inputs.n % 2 }}" }
  - id: fan
    map:
      items: "\${{ steps.plan.output.items }}"
      concurrency: 3
      steps:
        - id: square
          task: work
          input: { value: "\${{ item }}" }
        - id: check
          task: flaky
          input: { value: "\${{ steps.square.output.value }}" }
      output: "\${{ steps.check.output.value }}"
  - id: total
    task: sum
    input: { values: "\${{ steps.fan.output }}" }
  - id: parity
    set: { even: "\${{ steps.total.output.value % 2 == 0 }}", total: "\${{ steps.total.output.value }}" }
  - id: route
    switch:
      cases:
        - name: even
          when: "\${{ steps.parity.output.even }}"
          steps:
            - id: halve
              task: work
              input: { value: "\${{ steps.parity.output.total }}" }
      default:
        steps:
          - id: bump
            task: flaky
            input: { value: "\${{ steps.parity.output.total }}" }
  - id: finish
    task: work
    input: { value: "\${{ steps.route.output.value }}" }
output:
  n: "\${{ inputs.n }}"
  result: "\${{ steps.finish.output.value }}"
`;

export type HandlerName = 'work' | 'flaky' | 'items' | 'sum';

/** The deterministic part of each handler: what it returns for an input. */
export const HANDLER_RESULTS: Record<HandlerName, (input: Record<string, unknown>) => JsonValue> = {
  work: (input) => ({ value: Number(input.value) * 2 + 1 }),
  flaky: (input) => ({ value: Number(input.value) + 2 }),
  items: (input) => ({
    items: Array.from({ length: Number(input.count) }, (_, i) => Number(input.from) + i),
  }),
  sum: (input) => ({ value: (input.values as number[]).reduce((a, b) => a + b, 0) }),
};

/**
 * How many leading attempts of a `flaky` step fail: none, one or two, chosen by a hash of
 * the idempotency key so that a crash re-execution of an attempt fails the same way.
 */
export function failingAttempts(idempotencyKey: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < idempotencyKey.length; i++) {
    hash ^= idempotencyKey.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  const bucket = (hash >>> 0) % 6;
  return bucket < 3 ? 0 : bucket < 5 ? 1 : 2;
}

/** The output run `n` must finish with, computed without the engine. */
export function expectedOutput(n: number): JsonValue {
  const work = (value: number) => value * 2 + 1;
  const flaky = (value: number) => value + 2;
  const enriched = flaky(work(n));
  const items = Array.from({ length: 6 + (n % 2) }, (_, i) => enriched + i);
  const total = items.map((item) => flaky(work(item))).reduce((a, b) => a + b, 0);
  const routed = total % 2 === 0 ? work(total) : flaky(total);
  return { n, result: work(routed) };
}

export function runKey(index: number): string {
  return `run-${index}`;
}
