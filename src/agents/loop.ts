/**
 * The durable agent loop. Each model turn is recorded (`turn:<n>`, with its usage and cost)
 * and each tool result too (`tool:<n>:<toolCallId>`), so a re-execution after a crash or an
 * approval replays the conversation from history: recorded turns are not sent to the model
 * again and recorded tool calls do not run again. Only the call that was in flight re-runs,
 * with the same idempotency key. Guardrails: maxTurns, maxCostUsd, the step timeout (signal).
 * Budgets, the response cache and fallback chains apply to each call (model-call.ts).
 */
import type { LanguageModelV3 } from '@ai-sdk/provider';
import type { ModelMessage } from 'ai';
import { BatonError, type JsonValue } from '../errors.ts';
import type { ExecuteContext, Usage } from '../kinds/types.ts';
import { reserveForTurn } from './budget.ts';
import { type CallPolicy, callModel, type TurnRecord } from './model-call.ts';
import { resolveModel } from './providers.ts';
import type { AgentRequest } from './role.ts';
import { type AgentServices, runWorkflowOf } from './services.ts';
import { checkStructuredOutput, repairPrompt } from './structured-output.ts';
import { runToolCalls } from './tool-calls.ts';
import { buildToolbox } from './tools/toolbox.ts';
import type { AgentTool } from './tools/types.ts';
import { addUsage, ZERO_USAGE } from './usage.ts';

export interface AgentOutput {
  text: string;
  /** The model that gave the final answer (a fallback's when the primary was passed over). */
  model: string;
  /** The parsed structured output when the step has an output schema, else null. */
  output: JsonValue;
  turns: number;
  /** Names of the tools called, in call order. */
  toolCalls: string[];
  usage: Usage;
}

export class AgentSession {
  readonly ctx: ExecuteContext;
  readonly request: AgentRequest;
  readonly agents: AgentServices;
  readonly where: string;
  readonly messages: ModelMessage[];
  usage: Usage = ZERO_USAGE;
  readonly toolNames: string[] = [];
  #tools?: Promise<Map<string, AgentTool>>;
  readonly #models = new Map<string, Promise<LanguageModelV3>>();

  constructor(ctx: ExecuteContext, request: AgentRequest, agents: AgentServices) {
    this.ctx = ctx;
    this.request = request;
    this.agents = agents;
    this.where = `Agent step "${ctx.path}"`;
    this.messages = [{ role: 'user', content: request.prompt }];
  }

  tools(): Promise<Map<string, AgentTool>> {
    this.#tools ??= buildToolbox(this.request, this.ctx, this.agents, runWorkflowOf(this.ctx.services));
    this.#tools.catch(() => {
      this.#tools = undefined;
    });
    return this.#tools;
  }

  /** The provider model for `model` (one of the chain), built on first use. */
  model(model: string): Promise<LanguageModelV3> {
    let resolved = this.#models.get(model);
    if (!resolved) {
      const { models } = this.agents;
      const secrets = this.ctx.secrets;
      // The key joins what this step redacts: providers echo a refused key in their error messages.
      const keys = {
        get: async (name: string) => {
          const value = await models.secrets.get(name);
          if (value) secrets?.conceal(value);
          return value;
        },
      };
      resolved = resolveModel({ ...this.request, model }, { ...models, secrets: keys });
      resolved.catch(() => this.#models.delete(model));
      this.#models.set(model, resolved);
    }
    return resolved;
  }
}

export async function runAgent(
  ctx: ExecuteContext,
  request: AgentRequest,
  agents: AgentServices,
): Promise<AgentOutput> {
  const session = new AgentSession(ctx, request, agents);
  const schema = request.outputSchema as Record<string, unknown> | undefined;
  let repairsLeft = schema ? 1 : 0;
  let repairing = false;
  for (let turn = 1; ; turn++) {
    if (turn > request.maxTurns && !repairing) {
      throw new BatonError(
        'AGENT_MAX_TURNS',
        `${session.where} reached its limit of ${request.maxTurns} model turns without a final answer; ` +
          'raise maxTurns or simplify the task',
        { details: { maxTurns: request.maxTurns, usage: session.usage as unknown as JsonValue } },
      );
    }
    const record = await recordedTurn(session, turn, schema);
    session.usage = addUsage(session.usage, record.usage);
    checkCost(session);
    session.messages.push(...(record.messages as unknown as ModelMessage[]));
    if (record.toolCalls.length > 0) {
      const results = await runToolCalls(session, turn, record.toolCalls);
      session.toolNames.push(...record.toolCalls.map((call) => call.name));
      session.messages.push({ role: 'tool', content: results });
      continue;
    }
    if (!schema) return outputOf(session, record, null, turn);
    const check = checkStructuredOutput(record.text, schema);
    if (check.ok) return outputOf(session, record, check.value, turn);
    if (repairsLeft === 0) {
      throw new BatonError(
        'AGENT_OUTPUT_INVALID',
        `${session.where}: the model's answer does not match the output schema, even after a repair turn: ` +
          check.errors.join('; '),
        { details: { errors: check.errors, text: record.text.slice(0, 2000) } },
      );
    }
    repairsLeft--;
    repairing = true;
    session.messages.push({ role: 'user', content: repairPrompt(check.errors, schema) });
  }
}

function recordedTurn(session: AgentSession, turn: number, schema: Record<string, unknown> | undefined) {
  const { ctx, request, agents } = session;
  return ctx.memo(
    `turn:${turn}`,
    async () =>
      (await callModel(
        {
          models: [request.model, ...(request.fallbacks ?? [])],
          resolve: (model) => session.model(model),
          system: request.instructions,
          messages: session.messages,
          tools: [...(await session.tools()).values()],
          outputSchema: schema,
          temperature: request.temperature,
          maxTokens: request.maxTokens,
          signal: ctx.signal,
          pricing: agents.pricing,
          onText: (delta) => ctx.publish('agent.text', { turn, delta }),
          where: session.where,
        },
        callPolicy(session, turn),
      )) as unknown as JsonValue,
    { usage: (value) => (value as unknown as TurnRecord).usage },
  ) as unknown as Promise<TurnRecord>;
}

function callPolicy(session: AgentSession, turn: number): CallPolicy {
  const { ctx, request, agents } = session;
  const policy: CallPolicy = { breakers: agents.breakers, onSkip: agents.warnNotConfigured };
  if (request.cache && agents.responseCache) {
    policy.cache = { store: agents.responseCache, ttlMs: request.cache.ttlMs, mock: request.mock };
  }
  const budget = request.budget;
  if (budget) policy.reserve = (estimate) => reserveForTurn(ctx, budget, turn, estimate, session.where);
  return policy;
}

function checkCost(session: AgentSession): void {
  const limit = session.request.maxCostUsd;
  if (limit === undefined || session.usage.costUsd <= limit) return;
  throw new BatonError(
    'AGENT_COST_LIMIT',
    `${session.where} spent $${session.usage.costUsd.toFixed(4)} on model calls, over its limit of $${limit} (maxCostUsd)`,
    { details: { maxCostUsd: limit, usage: session.usage as unknown as JsonValue } },
  );
}

function outputOf(session: AgentSession, record: TurnRecord, output: JsonValue, turns: number): AgentOutput {
  return {
    text: record.text,
    model: record.model,
    output,
    turns,
    toolCalls: session.toolNames,
    usage: session.usage,
  };
}
