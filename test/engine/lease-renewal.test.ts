import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { createEngine } from '../../src/runtime/engine.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/types.ts';

/** Lines the engine logs at `level` or above, parsed. */
function captured(level: 'info' | 'warn') {
  const lines: { level: number; msg: string; taskId?: string }[] = [];
  const logger = pino({ level }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { lines, logger };
}

test('a renewal that races the task’s own commit neither warns nor aborts anything', async () => {
  const store: Store = await openStore('memory');
  let release: () => void = () => undefined;
  const stepMayFinish = new Promise<void>((resolve) => {
    release = resolve;
  });
  let runFinished: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    runFinished = resolve;
  });
  let renewalsAfterCommit = 0;
  const renew = store.renewLeases.bind(store);
  // The heartbeat's renewal reads the leases only after the step's result is committed:
  // the task row is gone by then, which is what a renewal sent just before a commit sees.
  store.renewLeases = async (leases, leaseMs) => {
    release();
    await finished;
    renewalsAfterCommit++;
    return renew(leases, leaseMs);
  };
  const log = captured('warn');
  const engine = await createEngine({ store, logger: log.logger });
  try {
    engine.registerTask('slow', async () => {
      await stepMayFinish;
      return 'done';
    });
    const { name } = await engine.register('name: renewed\nsteps:\n  - { id: only, task: slow }\n');
    engine.startWorker({ leaseMs: 150 });
    const handle = await engine.start(name);
    await handle.result();
    runFinished();
    assert.equal((await engine.getRun(handle.id)).status, 'completed');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(renewalsAfterCommit >= 1, 'a renewal ran after the commit');
    assert.deepEqual(
      log.lines.map((line) => line.msg),
      [],
      'nothing was lost, so nothing is warned about',
    );
  } finally {
    runFinished();
    await engine.close();
  }
});

test('a step whose lease another worker took over is aborted with a warning, and its result dropped', async () => {
  const store: Store = await openStore('memory');
  let stolen: () => void = () => undefined;
  const leaseStolen = new Promise<void>((resolve) => {
    stolen = resolve;
  });
  const renew = store.renewLeases.bind(store);
  // The first renewal stalls (a paused worker) until the lease has expired and another
  // worker has claimed the task; the renewal then finds the lease gone.
  let stalled = false;
  store.renewLeases = async (leases, leaseMs) => {
    if (!stalled) {
      stalled = true;
      await new Promise((resolve) => setTimeout(resolve, 300));
      const taken = await store.claimTasks({ owner: 'other-worker', limit: 10, leaseMs: 60_000 });
      assert.equal(taken.length, 1, 'the expired lease was claimed by the other worker');
      stolen();
    }
    await leaseStolen;
    return renew(leases, leaseMs);
  };
  const log = captured('warn');
  const engine = await createEngine({ store, logger: log.logger });
  try {
    let abortedWith: unknown;
    engine.registerTask('slow', async (_input: unknown, ctx: { signal: AbortSignal }) => {
      await leaseStolen;
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      abortedWith = ctx.signal.reason;
      return 'too late';
    });
    const { name } = await engine.register('name: taken\nsteps:\n  - { id: only, task: slow }\n');
    // One slot, busy with the step: this worker cannot claim the expired task back itself.
    engine.startWorker({ leaseMs: 150, concurrency: 1 });
    const handle = await engine.start(name);
    for (let i = 0; i < 100 && abortedWith === undefined; i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(String(abortedWith), /lease lost/);
    assert.ok(log.lines.some((line) => line.level === 40 && line.msg === 'lease lost; aborting the task'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const run = await engine.getRun(handle.id);
    assert.equal(run.status, 'running', 'the step result did not land: the other worker holds the task');
    assert.equal(run.steps[0].status, 'scheduled');
    assert.ok(
      !log.lines.some((line) => line.msg === 'task failed unexpectedly'),
      'the aborted step ends quietly',
    );
  } finally {
    await engine.close();
  }
});
