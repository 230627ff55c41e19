/**
 * The scheduler keeps derived data between calls on the same state (per-scope frontiers,
 * per-round instance caches, step counts) so that a decision costs what changed, not the
 * size of the run. Those caches must never change a decision: driving random workflows
 * through results, failures and retries, the state the caches were built on decides
 * exactly what a fresh copy of it (no caches) decides, at every step.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CompiledWorkflow } from '../../src/core/compiled.ts';
import { decide } from '../../src/core/decide.ts';
import type { RunEvent } from '../../src/core/events.ts';
import { runRow } from '../../src/core/projection.ts';
import { recordStepResult, retryRun } from '../../src/core/signals.ts';
import { newRunState, type RunState } from '../../src/core/state.ts';
import { createBuiltinRegistry } from '../../src/kinds/builtin.ts';
import { loadWorkflowText } from '../../src/language/index.ts';
import { random } from '../helpers/random.ts';

const registry = createBuiltinRegistry();

/** A random DAG of task steps (some listed before their needs, some with `if:`, some maps), as JSON. */
function randomWorkflow(rand: () => number): string {
  const count = 3 + Math.floor(rand() * 10);
  const steps: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const step: Record<string, unknown> = { id: `s${i}` };
    const needs = Array.from({ length: i }, (_, j) => `s${j}`).filter(() => rand() < 0.3);
    if (needs.length > 0) step.needs = needs;
    if (rand() < 0.15) step.if = '${{ always() }}';
    if (rand() < 0.2) {
      step.map = {
        items: `\${{ range(${1 + Math.floor(rand() * 4)}) }}`,
        steps: [{ id: `inner${i}`, task: 'work' }],
      };
    } else {
      step.task = 'work';
    }
    steps.push(step);
  }
  for (let i = steps.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [steps[i], steps[j]] = [steps[j], steps[i]];
  }
  return JSON.stringify({ name: 'random', defaults: { retry: { attempts: 1 } }, steps }, null, 1);
}

function strip(events: readonly RunEvent[] | undefined): unknown {
  return JSON.parse(JSON.stringify(events ?? []));
}

function drive(seed: number): void {
  const rand = random(seed);
  const yaml = randomWorkflow(rand);
  const definition = loadWorkflowText(yaml, { registry });
  const wf = new CompiledWorkflow(definition, { name: 'random', version: '1', hash: 'h' }, registry);
  const started = { type: 'RunStarted', seq: 1, at: 1, workflow: wf.ref, input: {} } as const;
  const state: RunState = newRunState(`run-${seed}`, started);
  decide(wf, state, 1);
  let now = 2;
  let retries = 0;
  for (let turn = 0; turn < 500; turn++) {
    if (state.outcome) {
      if (state.outcome !== 'failed' || retries >= 2) return;
      retries++;
      const fresh = structuredClone(state);
      assert.deepEqual(
        strip(retryRun(wf, state, now)),
        strip(retryRun(wf, fresh, now)),
        `seed ${seed}: retry\n${yaml}`,
      );
      now++;
      continue;
    }
    const scheduled = [...state.steps.values()].filter((s) => s.status === 'scheduled');
    assert.ok(scheduled.length > 0, `seed ${seed}: the run is stuck\n${yaml}`);
    const step = scheduled[Math.floor(rand() * scheduled.length)];
    const result =
      rand() < 0.2
        ? ({ ok: false, error: { code: 'BOOM', message: 'boom', retryable: false } } as const)
        : ({ ok: true, output: turn } as const);
    const fresh = structuredClone(state);
    const cached = recordStepResult(wf, state, step.path, step.attempt, result, now);
    const rebuilt = recordStepResult(wf, fresh, step.path, step.attempt, result, now);
    assert.deepEqual(strip(cached), strip(rebuilt), `seed ${seed}, turn ${turn}\n${yaml}`);
    assert.equal(runRow(state).status, runRow(fresh).status, `seed ${seed}, turn ${turn}: run status`);
    now++;
  }
  assert.fail(`seed ${seed}: no outcome after 500 results\n${yaml}`);
}

describe('scheduler caches', () => {
  test('decide on a cached state equals decide on a fresh copy, through results, failures and retries', () => {
    for (let seed = 1; seed <= 300; seed++) drive(seed);
  });
});
