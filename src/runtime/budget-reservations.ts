/**
 * The shell side of LLM budgets (ExecuteContext.reserveBudget): read what the workflow's
 * other runs spent in the budget window from the store, then apply the pure `reserveBudget`
 * transition in the run's optimistic-concurrency commit, so concurrent steps of one run see
 * each other's reservations. An "exceeded" answer decided on a cached state is checked again
 * on fresh history before it is believed (RunManager retries a transition that throws).
 */
import {
  type BudgetExcess,
  type ReserveRequest,
  type ReserveVerdict,
  reserveBudget,
  spendOfUsage,
} from '../core/budget.ts';
import { BatonError } from '../errors.ts';
import type { ClaimedTask, Store } from '../store/types.ts';
import { lease } from './lease-heartbeat.ts';
import type { RunManager } from './run-manager.ts';

export async function reserveForStep(
  runs: RunManager,
  store: Store,
  task: ClaimedTask,
  workflowName: string,
  request: Omit<ReserveRequest, 'workflowSpent'>,
): Promise<ReserveVerdict> {
  let workflowSpent: ReserveRequest['workflowSpent'];
  const workflowLimit = request.limits.workflow;
  if (workflowLimit) {
    const since =
      workflowLimit.windowMs === undefined ? undefined : runs.clock.now() - workflowLimit.windowMs;
    const [group] = await store.usageSummary({
      groupBy: 'workflow',
      workflow: workflowName,
      since,
      excludeRun: task.runId,
    });
    workflowSpent = spendOfUsage(group?.usage);
  }
  let verdict: ReserveVerdict | undefined;
  try {
    const result = await runs.mutate(
      task.runId,
      (_wf, state, now) => {
        const reserved = reserveBudget(state, task.path, task.attempt, { ...request, workflowSpent }, now);
        verdict = reserved?.verdict;
        return reserved?.events;
      },
      { verify: lease(task) },
    );
    if (result.ok && verdict) return verdict;
  } catch (error) {
    if (error instanceof BatonError && error.code === 'BUDGET_EXCEEDED') {
      return { ok: false, ...(error.details as unknown as BudgetExcess) };
    }
    throw error;
  }
  throw new BatonError('STEP_LEASE_LOST', 'the step lost its lease; another worker owns it now', {
    retryable: true,
  });
}
