/**
 * A pass over a block walks only the instances touched since it last looked (touched.ts);
 * the others it counts as still open. That must never change a decision: driving random
 * workflows of maps (instances with chains of steps, nested maps, bounded concurrency, a
 * workflow-wide limit) through results, failures, batches of results decided on once, and
 * pauses, the tracked state decides exactly what a fresh copy (which walks everything) does.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompiledWorkflow } from '../../src/core/compiled.ts';
import { decide } from '../../src/core/decide.ts';
import type { RunEvent } from '../../src/core/events.ts';
import { runRow } from '../../src/core/projection.ts';
import { pauseRun, recordStepResult, resumeRun, type StepResult } from '../../src/core/signals.ts';
import { newRunState, type RunState } from '../../src/core/state.ts';
import { createBuiltinRegistry } from '../../src/kinds/builtin.ts';
import { loadWorkflowText } from '../../src/language/index.ts';
import { random } from '../helpers/random.ts';

const registry = createBuiltinRegistry();

/** The steps of one map instance: a chain (some listed before their needs), maybe a nested map. */
function innerSteps(rand: () => number, label: string, depth: number): Record<string, unknown>[] {
  const count = 1 + Math.floor(rand() * 3);
  const steps: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const step: Record<string, unknown> = { id: `${label}_${i}` };
    if (i > 0 && rand() < 0.8) step.needs = [`${label}_${i - 1}`];
    if (depth < 1 && rand() < 0.25) step.map = mapOf(rand, `${label}_${i}n`, depth + 1);
    else step.task = 'work';
    steps.push(step);
  }
  return rand() < 0.3 ? steps.reverse() : steps;
}

function mapOf(rand: () => number, label: string, depth: number): Record<string, unknown> {
  const map: Record<string, unknown> = {
    items: `\${{ range(${2 + Math.floor(rand() * 6)}) }}`,
    steps: innerSteps(rand, label, depth),
  };
  if (rand() < 0.3) map.concurrency = 1 + Math.floor(rand() * 3);
  return map;
}

function randomWorkflow(rand: () => number): string {
  const count = 1 + Math.floor(rand() * 3);
  const steps: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const step: Record<string, unknown> = { id: `s${i}` };
    if (i > 0 && rand() < 0.5) step.needs = [`s${i - 1}`];
    if (rand() < 0.7) step.map = mapOf(rand, `m${i}`, 0);
    else step.task = 'work';
    steps.push(step);
  }
  const workflow: Record<string, unknown> = { name: 'random', defaults: { retry: { attempts: 2 } }, steps };
  if (rand() < 0.15) workflow.concurrency = 2 + Math.floor(rand() * 4);
  return JSON.stringify(workflow, null, 1);
}

function strip(events: readonly RunEvent[] | undefined): unknown {
  return JSON.parse(JSON.stringify(events ?? []));
}

function drive(seed: number): void {
  const rand = random(seed);
  const yaml = randomWorkflow(rand);
  const wf = new CompiledWorkflow(
    loadWorkflowText(yaml, { registry }),
    { name: 'random', version: '1', hash: 'h' },
    registry,
  );
  const started = { type: 'RunStarted', seq: 1, at: 1, workflow: wf.ref, input: {} } as const;
  const state: RunState = newRunState(`run-${seed}`, started);
  decide(wf, state, 1);
  let now = 2;
  const result = (turn: number): StepResult =>
    rand() < 0.15
      ? { ok: false, error: { code: 'BOOM', message: 'boom', retryable: true } }
      : { ok: true, output: turn };
  for (let turn = 0; turn < 2_000; turn++, now++) {
    if (state.outcome) return;
    const where = `seed ${seed}, turn ${turn}\n${yaml}`;
    const fresh = structuredClone(state);
    if (state.paused) {
      assert.deepEqual(strip(resumeRun(wf, state, now)), strip(resumeRun(wf, fresh, now)), where);
      continue;
    }
    if (rand() < 0.05) {
      pauseRun(state, now);
      pauseRun(fresh, now);
    }
    const scheduled = [...state.steps.values()].filter((s) => s.status === 'scheduled' && !s.runAt);
    const due =
      scheduled.length > 0 ? scheduled : [...state.steps.values()].filter((s) => s.status === 'scheduled');
    assert.ok(due.length > 0, `${where}: the run is stuck`);
    // One result decided on at once, or two recorded and then decided on together (a batch).
    const picks = (
      due.length > 1 && rand() < 0.4 ? [due[0], due[due.length - 1]] : [due[Math.floor(rand() * due.length)]]
    ).map((step) => ({ path: step.path, attempt: step.attempt }));
    const outcomes = picks.map(() => result(turn));
    const apply = (target: RunState): RunEvent[] => {
      if (picks.length === 1)
        return recordStepResult(wf, target, picks[0].path, picks[0].attempt, outcomes[0], now) ?? [];
      const events: RunEvent[] = [];
      for (const [i, step] of picks.entries())
        events.push(
          ...(recordStepResult(wf, target, step.path, step.attempt, outcomes[i], now, 'record') ?? []),
        );
      return [...events, ...decide(wf, target, now)];
    };
    assert.deepEqual(strip(apply(state)), strip(apply(fresh)), where);
    assert.equal(runRow(state).status, runRow(fresh).status, `${where}: run status`);
  }
  assert.fail(`seed ${seed}: no outcome after 2,000 turns\n${yaml}`);
}

test('a pass that walks only touched block instances decides what a walk of all of them does', () => {
  for (let seed = 1; seed <= 400; seed++) drive(seed);
});
