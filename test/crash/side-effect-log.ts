/**
 * An append-only JSON-lines file of side-effect records that outlives the processes
 * writing it. Each record is one `write(2)` on an O_APPEND descriptor, so a SIGKILL can
 * only lose a record whose write had not started; `fsync` (optional) would also cover a
 * power loss, which the crash test does not simulate.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { BatonError } from '../../src/errors.ts';
import type { SideEffectRecord } from '../helpers/history-check.ts';

export interface JsonLinesWriter {
  append(record: object): void;
  close(): void;
}

export function openJsonLines(file: string, options: { fsync?: boolean } = {}): JsonLinesWriter {
  const fd = openSync(file, 'a');
  return {
    append(record) {
      writeSync(fd, `${JSON.stringify(record)}\n`);
      if (options.fsync) fsyncSync(fd);
    },
    close() {
      closeSync(fd);
    },
  };
}

export interface ParsedLines<T> {
  records: T[];
  /** A final line without its newline: a write cut short (never observed with single writes). */
  tornTail: boolean;
}

/** Reads every complete line; any unparseable complete line is an error, not something to skip. */
export function readJsonLines<T>(file: string): ParsedLines<T> {
  if (!existsSync(file)) return { records: [], tornTail: false };
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const tail = lines.pop() ?? '';
  const records = lines.map((line, index) => {
    try {
      return JSON.parse(line) as T;
    } catch {
      throw new BatonError(
        'SIDE_EFFECT_LOG_CORRUPT',
        `${file}:${index + 1}: not a JSON record: ${line.slice(0, 200)}`,
      );
    }
  });
  return { records, tornTail: tail.length > 0 };
}

export function readSideEffects(file: string): ParsedLines<SideEffectRecord> {
  return readJsonLines<SideEffectRecord>(file);
}
