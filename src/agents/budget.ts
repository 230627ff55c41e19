/**
 * LLM budgets as workflows declare them (`budget:`) and as agent steps enforce them: before
 * each model call the step reserves an estimate (input tokens from the request's size,
 * output tokens from maxTokens) through the run's atomic commit (src/core/budget.ts); the
 * recorded turn reconciles it with the real usage. Over the limit, `onExceed: fail` fails
 * the step with BUDGET_EXCEEDED and `pause` asks a human, whose approval raises the limit.
 */
import { z } from 'zod';
import type { BudgetExcess, BudgetLimits, BudgetRaise, Spend } from '../core/budget.ts';
import { BatonError, type JsonValue } from '../errors.ts';
import type { ExecuteContext, StepApprovalDecision } from '../kinds/types.ts';
import { durationSchema } from '../language/kit.ts';
import { costOf, findPrice, type PriceTable } from './prices.ts';

/** Output tokens assumed for a call without maxTokens. */
export const DEFAULT_OUTPUT_ESTIMATE = 1024;
/** Characters per token for the input estimate (a common rule of thumb for English text and JSON). */
const CHARS_PER_TOKEN = 4;

const amount = {
  usd: z.number().positive().optional().describe('Most USD the model calls may cost.'),
  tokens: z.int().positive().optional().describe('Most tokens (input + output) the model calls may use.'),
};

export const budgetSectionSchema = z
  .strictObject({
    ...amount,
    onExceed: z
      .enum(['fail', 'pause'])
      .default('fail')
      .describe('fail (default): the step fails with BUDGET_EXCEEDED; pause: a human may approve a raise.'),
    perWorkflow: z
      .strictObject({
        ...amount,
        window: durationSchema
          .optional()
          .describe('Count runs created within this period (e.g. 24h); all runs when absent.'),
      })
      .refine((limit) => limit.usd !== undefined || limit.tokens !== undefined, {
        message: 'set usd or tokens (or both)',
      })
      .optional()
      .describe("Limits on all runs of the workflow together, from the store's usage summary."),
    reviewers: z.array(z.string()).optional().describe('Who may approve a raise (onExceed: pause).'),
    timeout: durationSchema
      .optional()
      .describe('How long a budget pause waits for a decision; then it fails.'),
  })
  .refine(
    (budget) => budget.usd !== undefined || budget.tokens !== undefined || budget.perWorkflow !== undefined,
    { message: 'a budget needs usd, tokens or perWorkflow' },
  )
  .describe(
    'LLM budget of each run (usd, tokens) and of the workflow (perWorkflow), and what happens beyond it.',
  );

/** What an agent step's recorded input says about its run's budget. */
export interface AgentBudget {
  limits: BudgetLimits;
  onExceed: 'fail' | 'pause';
  reviewers?: string[];
  timeoutMs?: number;
}

/** The workflow's budget, parsed; undefined without one; an error message when it is invalid. */
export function budgetOfSection(section: unknown): AgentBudget | string | undefined {
  if (section === undefined) return undefined;
  const parsed = budgetSectionSchema.safeParse(section);
  if (!parsed.success) {
    return parsed.error.issues.map((issue) => `budget.${issue.path.join('.')}: ${issue.message}`).join('; ');
  }
  const { usd, tokens, onExceed, perWorkflow, reviewers, timeout } = parsed.data;
  const limits: BudgetLimits = {};
  if (usd !== undefined || tokens !== undefined) limits.run = withDefined({ usd, tokens });
  if (perWorkflow) {
    limits.workflow = withDefined({
      usd: perWorkflow.usd,
      tokens: perWorkflow.tokens,
      windowMs: perWorkflow.window,
    });
  }
  const budget: AgentBudget = { limits, onExceed };
  if (reviewers) budget.reviewers = reviewers;
  if (timeout !== undefined) budget.timeoutMs = timeout;
  return budget;
}

export interface EstimateInput {
  models: readonly string[];
  system?: string;
  messages: unknown;
  tools: readonly { name: string; description?: string; inputSchema: unknown }[];
  outputSchema?: unknown;
  maxTokens?: number;
}

/** What a call may cost at most, by its size: the dearest model of the chain prices it. */
export function estimateCall(input: EstimateInput, prices: PriceTable): Spend {
  const size = JSON.stringify([
    input.system ?? '',
    input.messages,
    input.tools,
    input.outputSchema ?? null,
  ]).length;
  const inputTokens = Math.ceil(size / CHARS_PER_TOKEN);
  const outputTokens = input.maxTokens ?? DEFAULT_OUTPUT_ESTIMATE;
  let usd = 0;
  for (const model of input.models) {
    usd = Math.max(
      usd,
      costOf(findPrice(prices, model), { inputTokens, outputTokens, cachedInputTokens: 0 }),
    );
  }
  return { usd, tokens: inputTokens + outputTokens };
}

/**
 * Reserves the estimate of the call recorded as `turn:<turn>`, asking a human when the budget
 * pauses: the approval key is `budget:<turn>` (`budget:<turn>.<n>` if the raise still does not
 * suffice). Throws BUDGET_EXCEEDED when the budget fails the call or a raise is rejected.
 */
export async function reserveForTurn(
  ctx: ExecuteContext,
  budget: AgentBudget,
  turn: number,
  estimate: Spend,
  where: string,
): Promise<void> {
  let raise: BudgetRaise | undefined;
  for (let round = 1; ; round++) {
    const verdict = await ctx.reserveBudget({ key: `turn:${turn}`, estimate, limits: budget.limits, raise });
    if (verdict.ok) return;
    if (budget.onExceed === 'fail') throw budgetExceeded(verdict, where);
    const key = round === 1 ? `budget:${turn}` : `budget:${turn}.${round}`;
    // The proposal is recorded so that the re-execution after the decision applies exactly what was shown.
    const proposal = (await ctx.memo(
      `${key}:proposal`,
      async () => proposalFor(verdict) as unknown as JsonValue,
    )) as unknown as Proposal;
    const decision = await ctx.requestApproval(key, {
      message: approvalMessage(verdict, proposal, where),
      payload: proposal as unknown as JsonValue,
      reviewers: budget.reviewers,
      timeoutMs: budget.timeoutMs,
      onTimeout: 'reject',
    });
    if (!decision.approved) throw budgetExceeded(verdict, where, decision);
    raise = raiseOf(proposal, decision);
  }
}

interface Proposal {
  scope: 'run' | 'workflow';
  usd?: number;
  tokens?: number;
}

/** Twice the limit, or what this call needs if that is more; USD rounded up to cents. */
function proposalFor(excess: BudgetExcess): Proposal {
  const needed = {
    usd: excess.spent.usd + excess.reserved.usd + excess.estimate.usd,
    tokens: excess.spent.tokens + excess.reserved.tokens + excess.estimate.tokens,
  };
  const proposal: Proposal = { scope: excess.scope };
  if (excess.limit.usd !== undefined) {
    proposal.usd = Math.ceil(Math.max(excess.limit.usd * 2, needed.usd) * 100) / 100;
  }
  if (excess.limit.tokens !== undefined) proposal.tokens = Math.max(excess.limit.tokens * 2, needed.tokens);
  return proposal;
}

/** The approver's payload sets the new limits; fields it leaves out (or no payload) take the proposal's. */
function raiseOf(proposal: Proposal, decision: StepApprovalDecision): BudgetRaise {
  const payload = (decision.payload ?? {}) as Record<string, unknown>;
  const pick = (name: 'usd' | 'tokens') => {
    const value = typeof payload === 'object' && payload !== null ? payload[name] : undefined;
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : proposal[name];
  };
  const raise: BudgetRaise = { scope: proposal.scope };
  const usd = pick('usd');
  const tokens = pick('tokens');
  if (usd !== undefined) raise.usd = usd;
  if (tokens !== undefined) raise.tokens = tokens;
  if (decision.by !== undefined) raise.by = decision.by;
  return raise;
}

function describeSpend(excess: BudgetExcess): string {
  const parts: string[] = [];
  const { limit, spent, reserved, estimate } = excess;
  if (limit.usd !== undefined) {
    parts.push(
      `$${round(spent.usd)} spent and $${round(reserved.usd)} reserved of $${limit.usd}, this call may cost $${round(estimate.usd)}`,
    );
  }
  if (limit.tokens !== undefined) {
    parts.push(
      `${spent.tokens} tokens used and ${reserved.tokens} reserved of ${limit.tokens}, this call may use ${estimate.tokens}`,
    );
  }
  return parts.join('; ');
}

function scopeName(excess: BudgetExcess): string {
  return excess.scope === 'run' ? 'run budget' : "workflow's budget (perWorkflow)";
}

function approvalMessage(excess: BudgetExcess, proposal: Proposal, where: string): string {
  const raised = [
    proposal.usd !== undefined ? `$${proposal.usd}` : '',
    proposal.tokens !== undefined ? `${proposal.tokens} tokens` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  return (
    `${where} would exceed the ${scopeName(excess)}: ${describeSpend(excess)}. ` +
    `Approve to raise it to ${raised} (or approve with a payload { usd, tokens } to choose the new limit).`
  );
}

function budgetExceeded(excess: BudgetExcess, where: string, decision?: StepApprovalDecision): BatonError {
  const verdict = decision
    ? `; the raise was ${decision.timedOut ? 'not decided in time' : `rejected by ${decision.by ?? 'a reviewer'}`}` +
      (decision.comment ? `: ${decision.comment}` : '')
    : '';
  return new BatonError(
    'BUDGET_EXCEEDED',
    `${where} would exceed the ${scopeName(excess)}: ${describeSpend(excess)}${verdict}`,
    {
      retryable: false,
      details: excess as unknown as Record<string, JsonValue>,
    },
  );
}

function round(usd: number): number {
  return Math.round(usd * 10_000) / 10_000;
}

function withDefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
