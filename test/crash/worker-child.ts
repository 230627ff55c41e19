/**
 * The process the crash test kills. It opens the engine on a shared SQLite file, makes
 * sure runs `run-0`…`run-<runs-1>` exist (by idempotency key, so a restart never starts
 * them twice), and works on them with a short lease so that the next process reclaims
 * interrupted steps quickly. Every handler execution writes a `start` and an `end`
 * side-effect record, which the checker compares with the recorded history.
 *
 *   node test/crash/worker-child.ts --db <file> --effects <file> --starts <file> --runs <n>
 *        [--lease-ms 400] [--concurrency 4] [--until-done]
 *
 * Prints `ready` once every run exists and the worker is running. With --until-done it
 * exits 0 when every run has reached an outcome; otherwise it works until killed.
 */
import { parseArgs } from 'node:util';
import { BatonError, type JsonValue } from '../../src/errors.ts';
import type { TaskContext } from '../../src/kinds/types.ts';
import { createEngine } from '../../src/runtime/engine.ts';
import {
  CRASH_WORKFLOW_YAML,
  failingAttempts,
  HANDLER_RESULTS,
  type HandlerName,
  runKey,
} from './crash-workflow.ts';
import { openJsonLines } from './side-effect-log.ts';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string' },
    effects: { type: 'string' },
    starts: { type: 'string' },
    runs: { type: 'string', default: '30' },
    'lease-ms': { type: 'string', default: '400' },
    concurrency: { type: 'string', default: '4' },
    'until-done': { type: 'boolean', default: false },
    fsync: { type: 'boolean', default: false },
  },
});
if (!args.db || !args.effects || !args.starts) {
  throw new BatonError('CHILD_USAGE', 'worker-child needs --db, --effects and --starts');
}
const runCount = Number(args.runs);
const effects = openJsonLines(args.effects, { fsync: args.fsync });
const starts = openJsonLines(args.starts, { fsync: args.fsync });

const engine = await createEngine({ store: `sqlite:${args.db}` });
await engine.register(CRASH_WORKFLOW_YAML);
for (const name of Object.keys(HANDLER_RESULTS) as HandlerName[]) {
  engine.registerTask(name, (input, ctx) => instrumented(name, input as Record<string, unknown>, ctx));
}
engine.startWorker({ leaseMs: Number(args['lease-ms']), concurrency: Number(args.concurrency), pollMs: 25 });

for (let i = 0; i < runCount; i++) {
  const key = runKey(i);
  const handle = await engine.start('crash-pipeline', { n: i }, { idempotencyKey: key });
  starts.append({ key, runId: handle.id, created: handle.created, pid: process.pid, time: Date.now() });
}
process.stdout.write('ready\n');

if (args['until-done']) {
  await untilAllFinished();
  await engine.close();
  effects.close();
  starts.close();
  process.stdout.write('done\n');
}

async function instrumented(
  name: HandlerName,
  input: Record<string, unknown>,
  ctx: TaskContext,
): Promise<JsonValue> {
  const record = {
    runId: ctx.runId,
    path: ctx.path,
    attempt: ctx.attempt,
    idempotencyKey: ctx.idempotencyKey,
    pid: process.pid,
  };
  effects.append({ ...record, phase: 'start', handler: name, time: Date.now() });
  try {
    await sleep(Math.floor(Math.random() * 31), ctx.signal);
    if (name === 'flaky' && ctx.attempt <= failingAttempts(ctx.idempotencyKey)) {
      throw new BatonError('FLAKY_UPSTREAM', `${ctx.path} fails its attempt ${ctx.attempt} on purpose`, {
        retryable: true,
      });
    }
  } catch (error) {
    // Aborted (lease lost) or failing on purpose: either way this execution ends without a result.
    effects.append({ ...record, phase: 'end', outcome: 'error', time: Date.now() });
    throw error;
  }
  const output = HANDLER_RESULTS[name](input);
  effects.append({ ...record, phase: 'end', outcome: 'ok', time: Date.now() });
  return output;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Polls until no run is active. Every wait, retry delay and lease in this workflow is
 * shorter than a second, so active runs whose histories stop growing for
 * STALL_MS are lost work: reported at once instead of after the test's timeout.
 */
async function untilAllFinished(): Promise<void> {
  const STALL_MS = 20_000;
  let progress = '';
  let progressAt = Date.now();
  for (;;) {
    const active = await engine.listRuns({
      status: ['pending', 'running', 'waiting', 'paused'],
      limit: 1_000,
    });
    if (active.length === 0) return;
    const now = active.map((run) => `${run.id}@${run.seq}`).join(',');
    if (now !== progress) {
      progress = now;
      progressAt = Date.now();
    } else if (Date.now() - progressAt > STALL_MS) {
      const ids = active
        .map((run) => `${run.id} (${run.idempotencyKey}, ${run.status}, seq ${run.seq})`)
        .join(', ');
      process.stderr.write(`stuck: ${active.length} runs made no progress for ${STALL_MS}ms: ${ids}\n`);
      process.exit(3);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
