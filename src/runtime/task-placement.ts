/**
 * Where a step's task goes: the step's `queue` and `priority` keys (definition, not history)
 * are put on the step tasks a commit inserts, so a retry or a resumed step keeps them.
 */
import type { CompiledWorkflow } from '../core/compiled.ts';
import type { RunState } from '../core/state.ts';
import type { TaskChanges } from '../core/tasks.ts';

export function placeStepTasks(wf: CompiledWorkflow, state: RunState, changes: TaskChanges): TaskChanges {
  for (let i = 0; i < changes.insert.length; i++) {
    const task = changes.insert[i];
    if (task.kind !== 'step' || task.runId !== state.id) continue;
    const stepId = state.steps.get(task.path)?.id;
    const step = stepId === undefined ? undefined : wf.entries.get(stepId)?.step;
    if (step?.queue === undefined && step?.priority === undefined) continue;
    changes.insert[i] = {
      ...task,
      queue: step.queue ?? task.queue,
      priority: step.priority ?? task.priority,
    };
  }
  return changes;
}
