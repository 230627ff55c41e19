/** What one commit writes for a run: its new events, and the run row, step rows and task changes they imply. */
import type { CompiledWorkflow } from '../core/compiled.ts';
import type { RunEvent } from '../core/events.ts';
import { changedStepRows, runRow } from '../core/projection.ts';
import type { RunState } from '../core/state.ts';
import { taskChanges } from '../core/tasks.ts';
import type { RunWrite } from '../store/types.ts';
import { placeStepTasks } from './task-placement.ts';

/** `state` is the run's state after `events`, which follow sequence number `expectedSeq`. */
export function buildWrite(
  wf: CompiledWorkflow,
  state: RunState,
  expectedSeq: number,
  events: RunEvent[],
): RunWrite {
  return {
    runId: state.id,
    expectedSeq,
    events,
    run: runRow(state),
    steps: changedStepRows(state, events),
    tasks: placeStepTasks(wf, state, taskChanges(state, events)),
  };
}
