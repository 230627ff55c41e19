/**
 * LLM budgets in the pure core. Before a model call, a running step reserves an estimate of
 * its cost (`BudgetReserved`); the reservation is released when the call's turn is recorded
 * under the same key (the StepProgress that carries the real usage) or when the step stops
 * (completes, fails, is rescheduled, suspends, is cancelled). The check "spent + reserved +
 * estimate ≤ limit" runs inside the run's optimistic-concurrency commit, so two steps of one
 * run cannot both pass it on the same headroom. A human who approves a budget pause raises
 * the limit for the rest of the run (`BudgetRaised`), recorded in history.
 */
import { BatonError, type JsonValue } from '../errors.ts';
import type { Usage } from '../kinds/types.ts';
import type { RunEvent, RunEventBody } from './events.ts';
import { evolve, type RunState, runningAttempt } from './state.ts';

export type BudgetScope = 'run' | 'workflow';

/** Money and tokens (input + output) as budgets count them. */
export interface Spend {
  usd: number;
  tokens: number;
}

export interface BudgetAmount {
  usd?: number;
  tokens?: number;
}

/** Limits a workflow declares (`budget:`); the workflow limit covers its runs created in the window. */
export interface BudgetLimits {
  run?: BudgetAmount;
  workflow?: BudgetAmount & { windowMs?: number };
}

export interface BudgetState {
  /** Reservations of calls in flight, by `<path>\u0000<key>`. */
  reservations: Map<string, Spend>;
  reserved: Spend;
  /** Limits raised by approvals, overriding the declared ones field by field. */
  raised: { run?: BudgetAmount; workflow?: BudgetAmount };
}

export interface BudgetRaise {
  scope: BudgetScope;
  usd?: number;
  tokens?: number;
  by?: string;
}

export interface ReserveRequest {
  /** The checkpoint key the call's result will be recorded under (e.g. `turn:3`). */
  key: string;
  estimate: Spend;
  limits: BudgetLimits;
  /** What the workflow's other runs in the window spent (from the store), for a per-workflow limit. */
  workflowSpent?: Spend;
  /** Limits a human approved, applied before the check. */
  raise?: BudgetRaise;
}

export interface BudgetExcess {
  scope: BudgetScope;
  /** The limit in effect (declared, or raised by an approval). */
  limit: BudgetAmount;
  spent: Spend;
  reserved: Spend;
  estimate: Spend;
}

export type ReserveVerdict = { ok: true } | ({ ok: false } & BudgetExcess);

export const ZERO_SPEND: Spend = { usd: 0, tokens: 0 };

export function spendOfUsage(usage: Usage | undefined): Spend {
  return usage ? { usd: usage.costUsd, tokens: usage.inputTokens + usage.outputTokens } : { ...ZERO_SPEND };
}

export function addSpend(a: Spend, b: Spend, sign = 1): Spend {
  return {
    usd: Math.round((a.usd + sign * b.usd) * 1e9) / 1e9,
    tokens: a.tokens + sign * b.tokens,
  };
}

function reservationId(path: string, key: string): string {
  return `${path}\u0000${key}`;
}

/** The limit of `scope` in effect: declared, with raised fields overriding. */
export function effectiveLimit(
  state: RunState,
  limits: BudgetLimits,
  scope: BudgetScope,
): BudgetAmount | undefined {
  const declared = scope === 'run' ? limits.run : limits.workflow;
  const raised = state.budget?.raised[scope];
  if (!declared && !raised) return undefined;
  const limit: BudgetAmount = {};
  const usd = raised?.usd ?? declared?.usd;
  const tokens = raised?.tokens ?? declared?.tokens;
  if (usd !== undefined) limit.usd = usd;
  if (tokens !== undefined) limit.tokens = tokens;
  return limit;
}

/**
 * Reserves `request.estimate` for the call `request.key` of attempt `attempt` of step `path`.
 * Returns the events to commit and the verdict; throws BUDGET_EXCEEDED (with the excess in
 * `details`) when nothing needs committing and the budget does not allow the call, so the
 * shell re-checks on fresh history before believing it. Undefined when the step is no
 * longer running this attempt.
 */
export function reserveBudget(
  state: RunState,
  path: string,
  attempt: number,
  request: ReserveRequest,
  now: number,
): { events: RunEvent[]; verdict: ReserveVerdict } | undefined {
  const step = runningAttempt(state, path, attempt);
  if (!step) return undefined;
  const events: RunEvent[] = [];
  const emit = (body: RunEventBody) => {
    const event = { ...body, seq: state.seq + 1, at: now } as RunEvent;
    evolve(state, event);
    events.push(event);
  };
  const raise = request.raise;
  if (raise) {
    const current = effectiveLimit(state, request.limits, raise.scope) ?? {};
    const changed =
      (raise.usd !== undefined && raise.usd !== current.usd) ||
      (raise.tokens !== undefined && raise.tokens !== current.tokens);
    if (changed) {
      const body: RunEventBody = { type: 'BudgetRaised', path, scope: raise.scope };
      if (raise.usd !== undefined) body.usd = raise.usd;
      if (raise.tokens !== undefined) body.tokens = raise.tokens;
      if (raise.by !== undefined) body.by = raise.by;
      emit(body);
    }
  }
  const excess = budgetExcess(state, path, request);
  if (excess) {
    if (events.length === 0) {
      throw new BatonError('BUDGET_EXCEEDED', `the ${excess.scope} budget does not allow this call`, {
        details: excess as unknown as Record<string, JsonValue>,
      });
    }
    return { events, verdict: { ok: false, ...excess } };
  }
  emit({
    type: 'BudgetReserved',
    path,
    attempt,
    key: request.key,
    usd: request.estimate.usd,
    tokens: request.estimate.tokens,
  });
  return { events, verdict: { ok: true } };
}

/** What a call of `request.estimate` would exceed, checking the run limit, then the workflow's. */
export function budgetExcess(
  state: RunState,
  path: string,
  request: ReserveRequest,
): BudgetExcess | undefined {
  const spent = spendOfUsage(state.usage);
  let reserved = state.budget?.reserved ?? ZERO_SPEND;
  const own = state.budget?.reservations.get(reservationId(path, request.key));
  // A re-executed call replaces its own earlier reservation rather than adding to it.
  if (own) reserved = addSpend(reserved, own, -1);
  const over = (limit: BudgetAmount, base: Spend) => {
    const total = addSpend(addSpend(base, reserved), request.estimate);
    return (
      (limit.usd !== undefined && total.usd > limit.usd) ||
      (limit.tokens !== undefined && total.tokens > limit.tokens)
    );
  };
  const runLimit = effectiveLimit(state, request.limits, 'run');
  if (runLimit && over(runLimit, spent)) {
    return { scope: 'run', limit: runLimit, spent, reserved, estimate: request.estimate };
  }
  const workflowLimit = effectiveLimit(state, request.limits, 'workflow');
  if (workflowLimit && request.limits.workflow) {
    const workflowSpent = addSpend(request.workflowSpent ?? ZERO_SPEND, spent);
    if (over(workflowLimit, workflowSpent)) {
      return {
        scope: 'workflow',
        limit: workflowLimit,
        spent: workflowSpent,
        reserved,
        estimate: request.estimate,
      };
    }
  }
  return undefined;
}

/** Events that end whatever calls a step had in flight: its reservations are released. */
const STEP_SETTLING: ReadonlySet<string> = new Set([
  'StepScheduled',
  'StepCompleted',
  'StepFailed',
  'StepSkipped',
  'StepCancelled',
  'StepSuspended',
]);

/** Folds the budget side of an event into the state (called by `evolve` for every event). */
export function applyBudgetEvent(state: RunState, event: RunEventBody): void {
  if (event.type === 'BudgetReserved') {
    const budget = budgetOf(state);
    const id = reservationId(event.path, event.key);
    const previous = budget.reservations.get(id);
    if (previous) budget.reserved = addSpend(budget.reserved, previous, -1);
    const spend = { usd: event.usd, tokens: event.tokens };
    budget.reservations.set(id, spend);
    budget.reserved = addSpend(budget.reserved, spend);
    return;
  }
  if (event.type === 'BudgetRaised') {
    const budget = budgetOf(state);
    const raised = { ...budget.raised[event.scope] };
    if (event.usd !== undefined) raised.usd = event.usd;
    if (event.tokens !== undefined) raised.tokens = event.tokens;
    budget.raised[event.scope] = raised;
    return;
  }
  const budget = state.budget;
  if (!budget || budget.reservations.size === 0 || !('path' in event)) return;
  if (event.type === 'StepProgress') {
    release(budget, reservationId(event.path, event.key));
  } else if (STEP_SETTLING.has(event.type)) {
    const prefix = `${event.path}\u0000`;
    for (const id of [...budget.reservations.keys()]) if (id.startsWith(prefix)) release(budget, id);
  }
}

function release(budget: BudgetState, id: string): void {
  const spend = budget.reservations.get(id);
  if (!spend) return;
  budget.reservations.delete(id);
  budget.reserved = addSpend(budget.reserved, spend, -1);
}

function budgetOf(state: RunState): BudgetState {
  state.budget ??= { reservations: new Map(), reserved: { ...ZERO_SPEND }, raised: {} };
  return state.budget;
}
