// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * `agent: <role>` (or an inline role) runs an LLM agent: a durable tool-calling loop whose
 * every model turn and tool result is recorded, with optional structured output. The pure
 * `start` resolves the role and evaluates the prompt into the recorded step input; the
 * worker runs the loop (src/agents/loop.ts). See docs/agents.md.
 */
import { z } from 'zod';
import { type AgentConfig, type AgentExtras, resolveAgentRequest } from '../agents/resolve.ts';
import type { AgentRequest } from '../agents/role.ts';
import { cacheSpecSchema, limits, outputSpecSchema, roleSchema, TOOL_NAME } from '../agents/role.ts';
import { agentServicesOf } from '../agents/services.ts';
import type { JsonValue } from '../errors.ts';
import { failOutcome } from './shared.ts';
import type { ExecuteContext, SchemaKit, StepKind } from './types.ts';

export const agentKind: StepKind<AgentConfig> = {
  key: 'agent',
  description: 'Runs an LLM agent (a role from agents: or inline) with tools and optional structured output.',
  // Rate limits and provider outages are transient; rejected requests and guardrail failures are not retryable.
  defaultRetry: { attempts: 3 },

  schema(kit: SchemaKit) {
    return z
      .union([
        z
          .string()
          .regex(/^[A-Za-z_][\w-]*$/, 'expected the name of a role from the top-level agents: section')
          .describe('Name of a role in the top-level agents: section.'),
        roleSchema(kit.templateString),
      ])
      .describe(
        'The agent: a role name from agents:, or an inline role { model, instructions, tools, … }.',
      ) as unknown as z.ZodType<AgentConfig>;
  },

  extras(kit: SchemaKit) {
    return {
      prompt: kit.templateString.describe('The task for the agent; may hold ${{ }} templates.'),
      output: outputSpecSchema.optional(),
      tools: z
        .array(z.string().regex(TOOL_NAME, 'expected a tool name'))
        .optional()
        .describe('Tools this step adds to its role’s, by name.'),
      maxTurns: limits.maxTurns.optional(),
      temperature: limits.temperature.optional(),
      maxTokens: limits.maxTokens.optional(),
      maxCostUsd: limits.maxCostUsd.optional(),
      cache: cacheSpecSchema.optional(),
    };
  },

  // The agent has no nested steps; declaring `args` this way lets inline HTTP tools of an inline role write
  // `${{ args.city }}`, which is evaluated when the model calls the tool, not when the step starts.
  blocks: () => [],
  blockVariables: () => ['args'],

  start(ctx) {
    const resolution = resolveAgentRequest({
      config: ctx.config,
      extras: ctx.step.extras as AgentExtras,
      definition: ctx.definition,
      stepId: ctx.step.id,
      evaluate: ctx.evaluate,
    });
    if (!resolution.ok) return failOutcome(resolution.code, resolution.message, resolution.details);
    return { type: 'task', input: resolution.request as unknown as JsonValue };
  },

  async execute(ctx: ExecuteContext): Promise<JsonValue> {
    // The LLM libraries load with the first agent step, not with every engine.
    const { runAgent } = await import('../agents/loop.ts');
    const output = await runAgent(ctx, ctx.input as unknown as AgentRequest, agentServicesOf(ctx.services));
    return output as unknown as JsonValue;
  },
};
