/**
 * A worker process for the chaos tests, on PostgreSQL. It opens the engine (retrying while
 * the database is unreachable), registers the chaos workflows and instrumented handlers,
 * optionally makes sure runs exist (by idempotency key, so restarts never start them
 * twice), and works until killed or, with --until-done, until no run is active.
 *
 *   node test/chaos/chaos-child.ts --url <postgres://…?schema=…> --effects <file>
 *        [--claims <file>] [--starts <file> --runs <n> --workflow crash|race --items <n>]
 *        [--lease-ms 1000] [--concurrency 4] [--id <worker id>] [--slow-ms 300] [--until-done]
 *        [--no-notify] [--poll-ms <n>]
 *
 * Prints `ready` once every run exists and the worker is running. With --claims it logs
 * every lease it gets (claimed, or leased on insert) so a test can prove no task was
 * leased to two workers at once.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { BatonError } from '../../src/errors.ts';
import { createEngine, type Engine } from '../../src/runtime/engine.ts';
import { delay, isStoreUnavailable } from '../../src/runtime/store-retry.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import type { ClaimedTask } from '../../src/store/types.ts';
import { CRASH_WORKFLOW_NAME, CRASH_WORKFLOW_YAML, runKey } from '../crash/crash-workflow.ts';
import { openJsonLines } from '../crash/side-effect-log.ts';
import { RACE_WORKFLOW_YAML, registerChaosHandlers, STALL_WORKFLOW_YAML } from './chaos-workflows.ts';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    effects: { type: 'string' },
    claims: { type: 'string' },
    starts: { type: 'string' },
    runs: { type: 'string', default: '0' },
    workflow: { type: 'string', default: 'crash' },
    items: { type: 'string', default: '20' },
    'lease-ms': { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '4' },
    id: { type: 'string' },
    'slow-ms': { type: 'string', default: '300' },
    'poll-ms': { type: 'string' },
    'no-notify': { type: 'boolean', default: false },
    'until-done': { type: 'boolean', default: false },
  },
});
if (!args.url || !args.effects) throw new BatonError('CHILD_USAGE', 'chaos-child needs --url and --effects');

/** Retries `work` while the database is unreachable (it may be restarting), for up to a minute. */
async function retrying<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (let wait = 50; ; wait = Math.min(1_000, wait * 2)) {
    try {
      return await work();
    } catch (error) {
      if (!isStoreUnavailable(error) || Date.now() > deadline) throw error;
      await delay(wait);
    }
  }
}

const effects = openJsonLines(args.effects);
const claims = args.claims ? openJsonLines(args.claims) : undefined;
const starts = args.starts ? openJsonLines(args.starts) : undefined;
const logger = pino({ level: process.env.BATON_LOG_LEVEL ?? 'warn' }, pino.destination(2));

const store = new PostgresStore({ url: args.url, onBackgroundError: () => undefined });
// Measuring what notifications save: the worker then sees a store that offers none.
if (args['no-notify']) Object.defineProperty(store, 'onTasksAvailable', { value: undefined });
await retrying(() => store.init());
if (claims) logLeases(store);
const engine: Engine = await createEngine({ store, logger });
registerChaosHandlers(engine, { effects, slowMs: Number(args['slow-ms']) });
for (const yaml of [CRASH_WORKFLOW_YAML, RACE_WORKFLOW_YAML, STALL_WORKFLOW_YAML])
  await retrying(() => engine.register(yaml));
engine.startWorker({
  leaseMs: Number(args['lease-ms']),
  concurrency: Number(args.concurrency),
  ...(args.id ? { id: args.id } : {}),
  ...(args['poll-ms'] ? { pollMs: Number(args['poll-ms']) } : {}),
});

const runs = Number(args.runs);
for (let i = 0; i < runs; i++) {
  const key = runKey(i);
  const [name, input] =
    args.workflow === 'race' ? ['race', { n: Number(args.items) }] : [CRASH_WORKFLOW_NAME, { n: i }];
  const handle = await retrying(() => engine.start(name, input, { idempotencyKey: key }));
  starts?.append({ key, runId: handle.id, created: handle.created, pid: process.pid, time: Date.now() });
}
process.stdout.write('ready\n');

if (args['until-done']) {
  await untilAllFinished();
  await engine.close();
  effects.close();
  claims?.close();
  starts?.close();
  process.stdout.write('done\n');
}

/** Logs every lease this process gets: from claims and from claim-on-insert commits. */
function logLeases(target: PostgresStore): void {
  const log = (tasks: readonly ClaimedTask[] | undefined, via: string) => {
    for (const task of tasks ?? [])
      claims?.append({
        taskId: task.id,
        token: task.token,
        owner: task.owner,
        via,
        pid: process.pid,
        time: Date.now(),
      });
  };
  const claimTasks = target.claimTasks.bind(target);
  target.claimTasks = async (options) => {
    const claimed = await claimTasks(options);
    log(claimed, 'claim');
    return claimed;
  };
  const commit = target.commit.bind(target);
  target.commit = async (request) => {
    const result = await commit(request);
    if (result.ok) log(result.claimed, 'insert');
    return result;
  };
}

/** Polls until no run is active; a backlog that stops moving for STALL_MS is lost work: exit 3. */
async function untilAllFinished(): Promise<void> {
  const STALL_MS = 30_000;
  let progress = '';
  let progressAt = Date.now();
  for (;;) {
    const active = await retrying(() =>
      engine.listRuns({ status: ['pending', 'running', 'waiting', 'paused'], limit: 10_000 }),
    );
    if (active.length === 0) return;
    const now = active.map((run) => `${run.id}@${run.seq}`).join(',');
    if (now !== progress) {
      progress = now;
      progressAt = Date.now();
    } else if (Date.now() - progressAt > STALL_MS) {
      const ids = active
        .slice(0, 20)
        .map((run) => `${run.id} (${run.idempotencyKey}, ${run.status}, seq ${run.seq})`)
        .join(', ');
      process.stderr.write(`stuck: ${active.length} runs made no progress for ${STALL_MS}ms: ${ids}\n`);
      process.exit(3);
    }
    await delay(200);
  }
}
