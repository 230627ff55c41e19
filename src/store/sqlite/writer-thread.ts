/**
 * The SQLite writer thread: owns the write connection and answers the store's calls in
 * order (see writer-channel.ts). Nothing else runs here, so a group commit's statements
 * and WAL append never wait behind the engine's work on the main thread.
 */
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { toThreadError } from './thread-error.ts';
import { CONNECTION_PRAGMAS, SqliteWriter } from './writer.ts';

const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs: number };
const db = new DatabaseSync(path, { timeout: busyTimeoutMs });
db.exec(CONNECTION_PRAGMAS);
const writer = new SqliteWriter(db);
const port = parentPort;
if (!port) throw new Error('writer-thread.ts runs as a worker thread');

port.on('message', ({ id, op, args }: { id: number; op: string; args: unknown[] }) => {
  if (op === 'close') {
    db.close();
    port.postMessage({ id, ok: true, value: undefined });
    return;
  }
  try {
    const method = (writer as unknown as Record<string, (...a: unknown[]) => unknown>)[op];
    port.postMessage({ id, ok: true, value: method.apply(writer, args) });
  } catch (error) {
    port.postMessage({ id, ok: false, error: toThreadError(error) });
  }
});
