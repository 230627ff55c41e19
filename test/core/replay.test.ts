/**
 * Committed histories prove the core is deterministic: replaying a history reproduces
 * the recorded projections, and wherever the scheduler had something to decide, what it
 * decides now is exactly what the history says it decided then.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CompiledWorkflow } from '../../src/core/compiled.ts';
import { decide } from '../../src/core/decide.ts';
import type { RunEvent } from '../../src/core/events.ts';
import { changedStepRows, type RunRow, runRow, type StepRow } from '../../src/core/projection.ts';
import { evolve, newRunState, type RunState, replay } from '../../src/core/state.ts';
import { createBuiltinRegistry } from '../../src/kinds/builtin.ts';
import type { WorkflowDefinition } from '../../src/language/model.ts';

const dir = join(import.meta.dirname, '..', 'fixtures', 'histories');
const registry = createBuiltinRegistry();

interface Fixture {
  definition: WorkflowDefinition;
  hash: string;
  history: RunEvent[];
  run: RunRow & { steps: StepRow[] };
}

function strip(event: RunEvent): Omit<RunEvent, 'seq' | 'at'> {
  const { seq: _seq, at: _at, ...body } = event;
  return JSON.parse(JSON.stringify(body));
}

function clone(state: RunState): RunState {
  return structuredClone(state);
}

for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  const fixture = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Fixture;
  const wf = new CompiledWorkflow(
    fixture.definition,
    { name: fixture.definition.name, version: fixture.definition.version, hash: fixture.hash },
    registry,
  );

  describe(`history fixture ${file}`, () => {
    test('replaying the history reproduces the recorded run and steps', () => {
      const state = replay(fixture.run.id, fixture.history);
      const { steps: recordedSteps, ...recordedRun } = fixture.run;
      assert.deepEqual(JSON.parse(JSON.stringify(runRow(state))), recordedRun);
      const rows = changedStepRows(state, [{ type: 'RunCancelRequested', seq: 0, at: 0 } as RunEvent]).upsert;
      const byPath = (rowsToSort: StepRow[]) => [...rowsToSort].sort((a, b) => a.path.localeCompare(b.path));
      assert.deepEqual(
        byPath(JSON.parse(JSON.stringify(rows))).map((s) => [s.path, s.status, s.attempt, s.output]),
        byPath(recordedSteps).map((s) => [s.path, s.status, s.attempt, s.output]),
      );
    });

    test('the scheduler decides now exactly what it decided then', () => {
      const [started, ...rest] = fixture.history;
      assert.equal(started.type, 'RunStarted');
      const state = newRunState(fixture.run.id, started as Extract<RunEvent, { type: 'RunStarted' }>);
      let i = 0;
      let decisions = 0;
      while (i < rest.length) {
        const probe = clone(state);
        const decided = decide(wf, probe, rest[i].at);
        if (decided.length > 0) {
          assert.deepEqual(
            decided.map(strip),
            rest.slice(i, i + decided.length).map(strip),
            `decision at seq ${rest[i].seq}`,
          );
          for (const event of rest.slice(i, i + decided.length)) evolve(state, event);
          i += decided.length;
          decisions++;
        } else {
          evolve(state, rest[i]);
          i++;
        }
      }
      assert.ok(decisions > 0);
      assert.ok(state.outcome, 'the history ends with an outcome');
    });
  });
}
