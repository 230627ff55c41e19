/**
 * A Baton worker process for the PostgreSQL comparison: an engine on the store URL with
 * its defaults (LISTEN/NOTIFY wake-ups, 30 s leases), the benchmark's task handlers, and a
 * worker of the given concurrency. Prints `ready`, then `T <runId> <ms>` whenever a `first`
 * step's body starts, and works until killed.
 *
 *   node bench/pg/baton-worker.ts --url <postgres://…?schema=…> --concurrency 8 --io-ms 10
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createEngine } from '../../src/runtime/engine.ts';
import { flagValue, wallNow } from './plan.ts';

const args = process.argv.slice(2);
const url = flagValue(args, '--url');
if (!url) throw new Error('baton-worker needs --url');
const ioMs = Number(flagValue(args, '--io-ms') ?? 10);

const engine = await createEngine({ store: url });
engine.registerTask('first', async (_input: unknown, ctx: { runId: string }) => {
  process.stdout.write(`T ${ctx.runId} ${wallNow()}\n`);
  return null;
});
engine.registerTask('io', async () => {
  await sleep(ioMs);
  return null;
});
engine.startWorker({ concurrency: Number(flagValue(args, '--concurrency') ?? 8) });
process.stdout.write('ready\n');
