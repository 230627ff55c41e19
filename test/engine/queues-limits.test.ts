/**
 * Queues, priorities and cluster-wide concurrency limits end to end on SQLite: a step's
 * `queue`/`priority` reach its tasks (retries included), and a workflow's
 * `limits.concurrentSteps` or a queue limit caps concurrent executions across two workers
 * (two engines on one database file, like two processes).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BatonError } from '../../src/errors.ts';
import { createEngine, type Engine } from '../../src/runtime/engine.ts';
import { until } from '../helpers/engine.ts';

const dir = mkdtempSync(join(tmpdir(), 'baton-limits-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** Two engines on one fresh database file, each able to run a worker. */
async function twoEngines(): Promise<[Engine, Engine]> {
  const store = `sqlite:${join(dir, `db-${++files}.sqlite`)}`;
  return [await createEngine({ store }), await createEngine({ store })];
}

/** A handler that records how many of its executions overlap. */
function overlapTracker() {
  let running = 0;
  const tracker = { max: 0, calls: 0 };
  const handler = async (input: unknown) => {
    running++;
    tracker.calls++;
    tracker.max = Math.max(tracker.max, running);
    await new Promise((resolve) => setTimeout(resolve, 30));
    running--;
    return input as number;
  };
  return { tracker, handler };
}

const FAN_OUT = (extra: string, stepKeys = '') => `
name: fan-out
${extra}
inputs: { n: integer }
steps:
  - id: each
    map:
      items: \${{ range(0, inputs.n) }}
      steps:
        - { id: work, task: work, input: "\${{ item }}"${stepKeys} }
output: \${{ steps.each.output }}
`;

describe('queues, priorities and concurrency limits', () => {
  test("a step's queue and priority reach its tasks, and a retry keeps its queue", async () => {
    const engine = await createEngine({ store: 'memory' });
    try {
      let attempts = 0;
      engine.registerTask('gpu', async () => {
        attempts++;
        if (attempts === 1) throw new BatonError('BUSY', 'try again', { retryable: true });
        return 'rendered';
      });
      await engine.register(`
name: placed
steps:
  - id: render
    task: gpu
    queue: gpu
    priority: 7
    retry: { attempts: 2, delay: 10ms, jitter: none }
output: \${{ steps.render.output }}
`);
      const handle = await engine.start('placed');
      const task = await engine.store.getTask(`${handle.id}|step|render|1`);
      assert.deepEqual([task?.queue, task?.priority], ['gpu', 7]);
      // A worker of the gpu queue only: the retry must be on that queue too, or it never runs.
      engine.startWorker({ queues: ['gpu'], pollMs: 20 });
      assert.equal(await handle.result({ timeoutMs: 5_000 }), 'rendered');
      assert.equal(attempts, 2);
    } finally {
      await engine.close();
    }
  });

  test('higher priority steps are claimed first', async () => {
    const engine = await createEngine({ store: 'memory' });
    try {
      const order: string[] = [];
      engine.registerTask('note', async (input) => {
        order.push(String(input));
      });
      for (const [name, priority] of [
        ['low', -1],
        ['normal', 0],
        ['urgent', 50],
      ] as const) {
        await engine.register(
          `name: ${name}\nsteps:\n  - { id: a, task: note, input: ${name}, priority: ${priority} }\n`,
        );
        await engine.start(name);
      }
      engine.startWorker({ concurrency: 1, pollMs: 20 });
      await until(() => order.length === 3);
      assert.deepEqual(order, ['urgent', 'normal', 'low']);
    } finally {
      await engine.close();
    }
  });

  test('limits.concurrentSteps caps a workflow across all its runs and two workers', async () => {
    const [a, b] = await twoEngines();
    const { tracker, handler } = overlapTracker();
    try {
      for (const engine of [a, b]) {
        engine.registerTask('work', handler);
        engine.startWorker({ concurrency: 8, pollMs: 10 });
      }
      await a.register(FAN_OUT('limits: { concurrentSteps: 3 }'));
      assert.deepEqual(await a.store.listConcurrencyLimits(), [{ key: 'workflow:fan-out', limit: 3 }]);
      const runs = await Promise.all([a.start('fan-out', { n: 6 }), b.start('fan-out', { n: 6 })]);
      for (const run of runs) assert.deepEqual(await run.result({ timeoutMs: 15_000 }), [0, 1, 2, 3, 4, 5]);
      assert.equal(tracker.calls, 12);
      assert.equal(tracker.max, 3, 'three steps at once, never more');
      await a.register(FAN_OUT(''));
      assert.deepEqual(await a.store.listConcurrencyLimits(), [], 'a new definition without limits lifts it');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a queue limit set with setQueueLimit holds for every worker', async () => {
    const [a, b] = await twoEngines();
    const { tracker, handler } = overlapTracker();
    try {
      await a.setQueueLimit('slow', 2);
      for (const engine of [a, b]) {
        engine.registerTask('work', handler);
        engine.startWorker({ concurrency: 8, pollMs: 10 });
      }
      await a.register(FAN_OUT('', ', queue: slow'));
      const run = await b.start('fan-out', { n: 8 });
      assert.deepEqual(await run.result({ timeoutMs: 15_000 }), [0, 1, 2, 3, 4, 5, 6, 7]);
      assert.equal(tracker.max, 2);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
