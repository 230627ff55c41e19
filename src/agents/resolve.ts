/**
 * Pure resolution of an agent step into the request its worker executes: the role looked
 * up in the workflow's `agents:` section (or taken inline), step-level overrides applied,
 * tool names found in the top-level `tools:` section replaced by their specs, and the
 * prompt and instructions evaluated. The result is recorded in history as the step input,
 * so what the agent was asked is visible and a re-execution asks exactly the same.
 */
import type { z } from 'zod';
import type { JsonValue } from '../errors.ts';
import { didYouMean, suggest } from '../language/issues.ts';
import type { WorkflowDefinition } from '../language/model.ts';
import { parseDuration } from '../util/duration.ts';
import { budgetOfSection } from './budget.ts';
import {
  type AgentRequest,
  type AgentRole,
  DEFAULT_MAX_TURNS,
  modelPatternProblem,
  sectionRoleSchema,
  type ToolRef,
  toolSpecSchema,
} from './role.ts';

export type AgentConfig = string | AgentRole;

/** Step-level keys of an agent step (besides `agent:` itself). */
export interface AgentExtras {
  prompt?: string;
  output?: { schema: Record<string, unknown> };
  tools?: string[];
  maxTurns?: number;
  temperature?: number;
  maxTokens?: number;
  maxCostUsd?: number;
  cache?: { ttl: number | string };
}

export type Resolution =
  | { ok: true; request: AgentRequest }
  | { ok: false; code: string; message: string; details?: Record<string, JsonValue> };

export interface ResolveInput {
  config: AgentConfig;
  extras: AgentExtras;
  definition: WorkflowDefinition;
  stepId: string;
  evaluate(value: unknown): unknown;
}

export function resolveAgentRequest(input: ResolveInput): Resolution {
  const { config, extras, definition, stepId } = input;
  const found =
    typeof config === 'string' ? lookupRole(config, definition, stepId) : { ok: true as const, role: config };
  if (!found.ok) return found;
  const { role } = found;
  // A `${{ }}` model may evaluate to a whole chain.
  const chain = (Array.isArray(role.model) ? role.model : [role.model])
    .flatMap((model) => {
      const value = input.evaluate(model);
      return Array.isArray(value) ? value : [value];
    })
    .map(String);
  for (const model of chain) {
    const modelProblem = modelPatternProblem(model);
    if (modelProblem) {
      return {
        ok: false,
        code: 'AGENT_MODEL_INVALID',
        message: `step "${stepId}": model "${model}": ${modelProblem}`,
      };
    }
  }
  const [model, ...fallbacks] = chain;
  const budget = budgetOfSection(definition.sections.budget);
  if (typeof budget === 'string') {
    return {
      ok: false,
      code: 'BUDGET_INVALID',
      message: `the workflow's budget: section is invalid: ${budget}`,
    };
  }
  const tools = resolveTools([...(role.tools ?? []), ...(extras.tools ?? [])], definition, stepId);
  if (!tools.ok) return tools;
  const request: AgentRequest = {
    prompt: String(input.evaluate(extras.prompt ?? '')),
    role: typeof config === 'string' ? config : null,
    model,
    tools: tools.tools,
    mcp: role.mcp ?? [],
    approvalRequired: role.approvalRequired ?? [],
    maxTurns: extras.maxTurns ?? role.maxTurns ?? DEFAULT_MAX_TURNS,
  };
  if (fallbacks.length > 0) request.fallbacks = fallbacks;
  if (role.instructions !== undefined) request.instructions = String(input.evaluate(role.instructions));
  const schema = extras.output?.schema ?? role.output?.schema;
  if (schema !== undefined) request.outputSchema = schema as Record<string, JsonValue>;
  const temperature = extras.temperature ?? role.temperature;
  if (temperature !== undefined) request.temperature = temperature;
  const maxTokens = extras.maxTokens ?? role.maxTokens;
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  const maxCostUsd = extras.maxCostUsd ?? role.maxCostUsd;
  if (maxCostUsd !== undefined) request.maxCostUsd = maxCostUsd;
  const cache = extras.cache ?? role.cache;
  if (cache !== undefined) request.cache = { ttlMs: parseDuration(cache.ttl) };
  if (budget) request.budget = budget;
  if (role.baseURL !== undefined) request.baseURL = role.baseURL;
  if (role.apiKeyEnv !== undefined) request.apiKeyEnv = role.apiKeyEnv;
  if (role.mock !== undefined) request.mock = role.mock as JsonValue;
  return { ok: true, request };
}

function lookupRole(
  name: string,
  definition: WorkflowDefinition,
  stepId: string,
): { ok: true; role: AgentRole } | Extract<Resolution, { ok: false }> {
  const roles = asRecord(definition.sections.agents);
  const raw = roles[name];
  if (raw === undefined) {
    const known = Object.keys(roles);
    return {
      ok: false,
      code: 'AGENT_ROLE_NOT_FOUND',
      message:
        `step "${stepId}" uses agent role "${name}", which the workflow's agents: section does not define` +
        (didYouMean(suggest(name, known)) ||
          (known.length ? ` (roles: ${known.join(', ')})` : ' (it defines none)')),
      details: { role: name, known },
    };
  }
  const parsed = sectionRoleSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      code: 'AGENT_ROLE_INVALID',
      message: `agents.${name} is not a valid role: ${describeIssues(parsed.error)}`,
      details: { role: name },
    };
  }
  return { ok: true, role: parsed.data };
}

function resolveTools(
  refs: readonly ToolRef[],
  definition: WorkflowDefinition,
  stepId: string,
): { ok: true; tools: ToolRef[] } | Extract<Resolution, { ok: false }> {
  const section = asRecord(definition.sections.tools);
  const tools: ToolRef[] = [];
  const seen = new Set<string>();
  for (const ref of refs) {
    const name = typeof ref === 'string' ? ref : ref.name;
    if (seen.has(name)) continue;
    seen.add(name);
    if (typeof ref !== 'string' || section[ref] === undefined) {
      tools.push(ref);
      continue;
    }
    const parsed = toolSpecSchema.safeParse({ name: ref, ...asRecord(section[ref]) });
    if (!parsed.success) {
      return {
        ok: false,
        code: 'AGENT_TOOL_INVALID',
        message: `tools.${ref} (used by step "${stepId}") is not a valid tool: ${describeIssues(parsed.error)}`,
        details: { tool: ref },
      };
    }
    tools.push(parsed.data);
  }
  return { ok: true, tools };
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(value)'}: ${issue.message}`).join('; ');
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
