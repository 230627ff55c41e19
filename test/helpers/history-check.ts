/**
 * Checks Baton's delivery guarantees against what really happened: the histories in a
 * Store and a log of side effects written by task handlers (outside the database).
 *
 *   side effects at least once · step results exactly once · run outcomes exactly once
 *
 * It takes any Store, so the SQLite crash test and the PostgreSQL chaos tests share it.
 * It returns violations instead of throwing, so a test can print all of them at once.
 */
import { isDeepStrictEqual } from 'node:util';
import type { RunEvent } from '../../src/core/events.ts';
import type { RunRow } from '../../src/core/projection.ts';
import { changedStepRows, runRow } from '../../src/core/projection.ts';
import { replay, TERMINAL_RUN_STATUSES } from '../../src/core/state.ts';
import type { Store } from '../../src/store/types.ts';

/** One line a handler writes before (`start`) and after (`end`) its side effect. */
export interface SideEffectRecord {
  runId: string;
  path: string;
  attempt: number;
  idempotencyKey: string;
  phase: 'start' | 'end';
  /** `error` when the handler was about to throw; absent or `ok` otherwise. */
  outcome?: 'ok' | 'error';
  pid?: number;
  /** Date.now() of the writer: the same clock the engine stamps events with. */
  time: number;
}

export type ViolationRule =
  | 'seq-not-contiguous'
  | 'history-malformed'
  | 'duplicate-step-result'
  | 'executed-after-result'
  | 'executed-before-due'
  | 'unscheduled-execution'
  | 'wrong-idempotency-key'
  | 'missing-side-effect'
  | 'outcome-count'
  | 'event-after-outcome'
  | 'run-not-terminal'
  | 'replay-mismatch'
  | 'unknown-run';

export interface Violation {
  rule: ViolationRule;
  runId: string;
  path?: string;
  message: string;
}

export interface HistoryCheckOptions {
  store: Store;
  sideEffects: readonly SideEffectRecord[];
  /** Runs to check; every run in the store by default (then records of other runs are violations too). */
  runIds?: readonly string[];
  /** Whether every checked run must have reached an outcome (default true). */
  requireTerminal?: boolean;
  /** Which worker-executed steps write side-effect records (default: all of them). */
  tracksSideEffects?: (runId: string, path: string) => boolean;
  /** Allowed disagreement between the engine's clock and the handlers' (default 0: same machine clock). */
  clockToleranceMs?: number;
}

const OUTCOME_TYPES = new Set(['RunCompleted', 'RunFailed', 'RunCancelled']);

export async function checkHistory(options: HistoryCheckOptions): Promise<Violation[]> {
  const { store } = options;
  const runIds = options.runIds ?? (await allRunIds(store));
  const effectsByRun = groupBy(options.sideEffects, (record) => record.runId);
  const violations: Violation[] = [];
  if (options.runIds === undefined) {
    const known = new Set(runIds);
    for (const [runId, records] of effectsByRun) {
      if (!known.has(runId)) {
        const message = `${records.length} side-effect records name a run that does not exist`;
        violations.push({ rule: 'unknown-run', runId, message });
      }
    }
  }
  for (const runId of runIds) {
    const events = await store.loadEvents(runId);
    const row = await store.getRun(runId);
    const report = (rule: ViolationRule, message: string, path?: string) =>
      violations.push({ rule, runId, ...(path === undefined ? {} : { path }), message });
    const context: RunCheck = { runId, events, effects: effectsByRun.get(runId) ?? [], options, report };
    if (!row || events.length === 0) {
      report('history-malformed', `run row ${row ? 'exists' : 'missing'}, ${events.length} events`);
      continue;
    }
    checkSequence(context);
    checkOutcomes(context, row);
    checkSteps(context);
    await checkProjections(context, row);
  }
  return violations;
}

interface RunCheck {
  runId: string;
  events: RunEvent[];
  effects: SideEffectRecord[];
  options: HistoryCheckOptions;
  report(rule: ViolationRule, message: string, path?: string): void;
}

function checkSequence({ events, report }: RunCheck): void {
  events.forEach((event, index) => {
    if (event.seq !== index + 1) {
      report('seq-not-contiguous', `event #${index + 1} (${event.type}) has seq ${event.seq}`);
    }
  });
  if (events[0]?.type !== 'RunStarted') {
    report('history-malformed', `history starts with ${events[0]?.type}, not RunStarted`);
  }
}

/** Exactly one outcome per run (per epoch between manual retries), and nothing after it. */
function checkOutcomes({ events, options, report }: RunCheck, row: RunRow): void {
  let outcomes = 0;
  let finished = false;
  for (const event of events) {
    if (event.type === 'RunRetried') {
      outcomes = 0;
      finished = false;
      continue;
    }
    if (finished) {
      report('event-after-outcome', `${event.type} (seq ${event.seq}) was appended after the run's outcome`);
    }
    if (OUTCOME_TYPES.has(event.type)) {
      outcomes++;
      finished = true;
      if (outcomes > 1) report('outcome-count', `a second outcome ${event.type} at seq ${event.seq}`);
    }
  }
  if (options.requireTerminal !== false) {
    if (outcomes === 0) report('outcome-count', 'the run has no outcome event');
    if (!TERMINAL_RUN_STATUSES.has(row.status)) report('run-not-terminal', `the run is still ${row.status}`);
  }
}

interface Scheduling {
  scheduledAt: number;
  runAt: number;
  /** When this attempt's result (completion or failure) was recorded. */
  resultAt?: number;
  failed?: boolean;
}

interface StepFacts {
  completions: Extract<RunEvent, { type: 'StepCompleted' }>[];
  /** Schedulings of each attempt number; a manual run retry schedules attempt 1 again. */
  attempts: Map<number, Scheduling[]>;
}

function checkSteps(context: RunCheck): void {
  const { events, report } = context;
  const steps = new Map<string, StepFacts>();
  const facts = (path: string) => {
    let step = steps.get(path);
    if (!step) {
      step = { completions: [], attempts: new Map() };
      steps.set(path, step);
    }
    return step;
  };
  const latest = (path: string, attempt: number) => facts(path).attempts.get(attempt)?.at(-1);
  for (const event of events) {
    if (event.type === 'StepScheduled') {
      const schedulings = facts(event.path).attempts.get(event.attempt) ?? [];
      schedulings.push({ scheduledAt: event.at, runAt: event.runAt });
      facts(event.path).attempts.set(event.attempt, schedulings);
    }
    if (event.type === 'StepCompleted') {
      facts(event.path).completions.push(event);
      const scheduling = latest(event.path, event.attempt);
      if (scheduling) scheduling.resultAt ??= event.at;
    }
    if (event.type === 'StepFailed') {
      const scheduling = latest(event.path, event.attempt);
      if (scheduling && scheduling.resultAt === undefined) {
        scheduling.resultAt = event.at;
        scheduling.failed = true;
      }
    }
  }
  for (const [path, step] of steps) {
    if (step.completions.length > 1) {
      const seqs = step.completions.map((e) => e.seq).join(', ');
      report(
        'duplicate-step-result',
        `StepCompleted recorded ${step.completions.length} times (seq ${seqs})`,
        path,
      );
    }
  }
  checkEffects(context, steps);
}

function checkEffects({ runId, effects, options, report }: RunCheck, steps: Map<string, StepFacts>): void {
  const tolerance = options.clockToleranceMs ?? 0;
  const tracked = options.tracksSideEffects ?? (() => true);
  const byPath = groupBy(effects, (record) => record.path);
  for (const [path, records] of byPath) {
    const expectedKey = `${runId}:${path}`;
    const step = steps.get(path);
    const completedAt = step?.completions[0]?.at;
    for (const record of records) {
      const where = `attempt ${record.attempt} ${record.phase} at ${record.time} (pid ${record.pid ?? '?'})`;
      if (record.idempotencyKey !== expectedKey) {
        report(
          'wrong-idempotency-key',
          `${where} used key "${record.idempotencyKey}", expected "${expectedKey}"`,
          path,
        );
      }
      const schedulings = step?.attempts.get(record.attempt);
      if (!schedulings) {
        report('unscheduled-execution', `${where}: history never scheduled this attempt`, path);
        continue;
      }
      if (record.phase !== 'start') continue;
      const scheduling =
        schedulings.findLast((s) => s.scheduledAt <= record.time + tolerance) ?? schedulings[0];
      if (record.time + tolerance < scheduling.runAt) {
        report('executed-before-due', `${where}, but the attempt was due at ${scheduling.runAt}`, path);
      }
      const resultAt = completedAt ?? scheduling.resultAt;
      if (resultAt !== undefined && record.time > resultAt + tolerance) {
        const what = completedAt !== undefined ? 'the step completed' : 'this attempt failed';
        report('executed-after-result', `${where}, after ${what} at ${resultAt}`, path);
      }
    }
  }
  for (const [path, step] of steps) {
    if (step.attempts.size === 0 || !tracked(runId, path)) continue;
    const records = byPath.get(path) ?? [];
    for (const [number, schedulings] of step.attempts) {
      for (const [index, scheduling] of schedulings.entries()) {
        if (scheduling.resultAt === undefined) continue;
        // Records of this scheduling: between it and the next scheduling of the same attempt number.
        const until = schedulings[index + 1]?.scheduledAt ?? Number.POSITIVE_INFINITY;
        const own = records.filter(
          (r) =>
            r.attempt === number &&
            r.time + tolerance >= scheduling.scheduledAt &&
            r.time <= until + tolerance,
        );
        if (!scheduling.failed && !own.some((r) => r.phase === 'end' && r.outcome !== 'error')) {
          report(
            'missing-side-effect',
            `attempt ${number} completed but no handler execution of it finished`,
            path,
          );
        }
        if (scheduling.failed && !own.some((r) => r.phase === 'start')) {
          report(
            'missing-side-effect',
            `attempt ${number} failed but no handler execution of it started`,
            path,
          );
        }
      }
    }
  }
}

/** The stored run row (and step rows) must be what replaying the history gives. */
async function checkProjections({ runId, events, options, report }: RunCheck, row: RunRow): Promise<void> {
  let state: ReturnType<typeof replay>;
  try {
    state = replay(runId, events);
  } catch (error) {
    report('replay-mismatch', `history does not replay: ${(error as Error).message}`);
    return;
  }
  const replayed = runRow(state);
  const fields = ['status', 'output', 'error', 'seq', 'finishedAt'] as const;
  for (const field of fields) {
    if (!isDeepStrictEqual(normalise(replayed[field]), normalise(row[field]))) {
      report(
        'replay-mismatch',
        `run ${field} is ${JSON.stringify(row[field])} but replaying history gives ${JSON.stringify(replayed[field])}`,
      );
    }
  }
  const storedSteps = new Map((await options.store.getSteps(runId)).map((step) => [step.path, step]));
  for (const step of changedStepRows(state, events).upsert) {
    const stored = storedSteps.get(step.path);
    const mismatch = !stored
      ? 'is missing'
      : (['status', 'attempt', 'output'] as const).find(
          (field) => !isDeepStrictEqual(normalise(step[field]), normalise(stored[field])),
        );
    if (mismatch) {
      const detail =
        mismatch === 'is missing'
          ? mismatch
          : `has ${mismatch} ${JSON.stringify(stored?.[mismatch])}, replay gives ${JSON.stringify(step[mismatch])}`;
      report('replay-mismatch', `step row ${detail}`, step.path);
    }
  }
}

async function allRunIds(store: Store): Promise<string[]> {
  const ids: string[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await store.listRuns({ limit: 500, before });
    ids.push(...page.map((run) => run.id));
    if (page.length < 500) return ids;
    before = page[page.length - 1].id;
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** JSON round trip, so that `undefined` fields and stored-and-parsed values compare equal. */
function normalise(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

export function formatViolations(violations: readonly Violation[], limit = 50): string {
  const lines = violations
    .slice(0, limit)
    .map((v) => `[${v.rule}] ${v.runId}${v.path ? ` ${v.path}` : ''}: ${v.message}`);
  if (violations.length > limit) lines.push(`… and ${violations.length - limit} more`);
  return lines.join('\n');
}
