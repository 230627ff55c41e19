/**
 * Agent roles as workflows declare them: in the top-level `agents:` map (reused by name)
 * or inline under a step's `agent:` key. One zod schema serves both, parameterised by the
 * schema of text fields, because inline roles are parsed with the loader's template-aware
 * kit while roles from the `agents:` section are validated when a step starts.
 */
import { z } from 'zod';
import type { JsonValue } from '../errors.ts';
import { durationSchema } from '../language/kit.ts';
import type { AgentBudget } from './budget.ts';
import { mockScriptSchema } from './mock-script.ts';
import { jsonSchemaProblem } from './structured-output.ts';

export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
export const PROVIDERS = ['openai', 'anthropic', 'ollama', 'openai-compatible', 'mock'] as const;
export const DEFAULT_MAX_TURNS = 10;

const toolName = z
  .string()
  .regex(TOOL_NAME, 'a tool name has 1 to 64 letters, digits, "_" or "-" (what LLM APIs accept)');

const jsonSchemaObject = z
  .record(z.string(), z.unknown())
  .superRefine((schema, issues) => {
    const problem = jsonSchemaProblem(schema);
    if (problem) issues.addIssue({ code: 'custom', message: `not a valid JSON Schema: ${problem}` });
  })
  .describe('A JSON Schema (draft 2020-12 or 07).');

const approvalSchema = z
  .union([
    z.boolean(),
    z.strictObject({
      reviewers: z.array(z.string()).optional().describe('Who may decide.'),
      timeout: z
        .union([z.string(), z.number()])
        .optional()
        .describe('How long to wait for a decision (e.g. "1h"); a timeout rejects the call.'),
    }),
  ])
  .describe('Ask a human before each call of this tool (true, or { reviewers, timeout }).');

const toolCommon = {
  name: toolName.describe('Name the model calls the tool by.'),
  description: z.string().optional().describe('What the tool does, for the model.'),
  parameters: jsonSchemaObject
    .optional()
    .describe('JSON Schema of the arguments (default: an object with any properties).'),
  approval: approvalSchema.optional(),
};

export const httpToolSchema = z
  .strictObject({
    ...toolCommon,
    http: z
      .looseObject({ url: z.string().describe('URL; ${{ args.<name> }} inserts an argument.') })
      .describe(
        'The request, as in an http step; ${{ args.x }} templates insert arguments. Without templates, ' +
          'GET/DELETE send the arguments as query parameters and other methods as a JSON body.',
      ),
  })
  .describe('A tool that makes an HTTP request.');

export const workflowToolSchema = z
  .strictObject({
    ...toolCommon,
    workflow: z.string().min(1).describe('Name of a registered workflow; the arguments are its inputs.'),
    version: z.string().optional().describe('Version of the workflow (default: latest).'),
  })
  .describe('A tool that runs another workflow and returns its output.');

export const toolSpecSchema = z.union([httpToolSchema, workflowToolSchema]);

export const toolRefSchema = z
  .union([toolName, httpToolSchema, workflowToolSchema])
  .describe(
    'A tool: the name of a registered tool (engine.registerTool) or of an entry in the top-level tools: map, ' +
      'or an inline HTTP or workflow tool.',
  );

const mcpCommon = {
  name: toolName.describe('Server name; its tools are offered as <name>_<tool>.'),
  tools: z.array(z.string()).optional().describe('Only offer these tools of the server (default: all).'),
};

export const mcpServerSchema = z
  .union([
    z.strictObject({
      ...mcpCommon,
      command: z.string().min(1).describe('Executable that starts a stdio MCP server.'),
      args: z.array(z.string()).optional(),
      env: z.record(z.string(), z.string()).optional(),
      cwd: z.string().optional(),
    }),
    z.strictObject({
      ...mcpCommon,
      url: z.url().describe('Streamable HTTP endpoint of an MCP server.'),
      headers: z.record(z.string(), z.string()).optional(),
    }),
  ])
  .describe('An MCP server: a stdio command or a streamable HTTP URL.');

export const outputSpecSchema = z
  .strictObject({ schema: jsonSchemaObject.describe('JSON Schema the final answer must satisfy.') })
  .describe('Structured output: the final answer is JSON validated against this schema.');

/** Any `provider:` prefix passes here: engines may add providers (engine option agents.providers). */
const modelPattern = /^[a-z][a-z0-9-]*:\S.*$/;

/** Why `model` cannot name a model, or undefined when it has the provider:model-id form. */
export function modelPatternProblem(model: string): string | undefined {
  if (modelPattern.test(model)) return undefined;
  return `expected <provider>:<model-id>, provider one of ${PROVIDERS.join(', ')} (e.g. openai:gpt-4o-mini, mock:echo)`;
}

export function modelSchema(text: z.ZodType<string>): z.ZodType<string> {
  return text
    .superRefine((model, issues) => {
      const problem = model.includes('${{') ? undefined : modelPatternProblem(model);
      if (problem) issues.addIssue({ code: 'custom', message: problem });
    })
    .describe(
      'Model as provider:model-id: openai:gpt-4o-mini, anthropic:claude-sonnet-4-5, ollama:llama3.1, mock:echo…',
    );
}

/** One model, or a fallback chain: the next model answers when one is rate limited, failing or open-circuited. */
export function modelChainSchema(text: z.ZodType<string>): z.ZodType<string | string[]> {
  return z
    .union([
      modelSchema(text),
      z
        .array(modelSchema(text))
        .min(1)
        .max(8)
        .describe('A fallback chain: primary first, then the models to use when it is rate limited or down.'),
    ])
    .describe(
      'Model as provider:model-id (openai:gpt-4o-mini, anthropic:claude-sonnet-4-5, mock:echo…), or a list: ' +
        'a fallback chain tried in order on rate limits, 5xx, timeouts and open circuits.',
    );
}

export const cacheSpecSchema = z
  .strictObject({
    ttl: durationSchema.describe('How long a cached answer is served (e.g. 1h, 7d).'),
  })
  .describe(
    'Response cache: an identical request (model, messages, tools, settings) within the TTL is answered from the store.',
  );

export const limits = {
  maxTurns: z.int().min(1).max(1000).describe(`Most model calls in one step (default ${DEFAULT_MAX_TURNS}).`),
  temperature: z.number().min(0).max(2).describe('Sampling temperature.'),
  maxTokens: z.int().min(1).describe('Most output tokens per model call.'),
  maxCostUsd: z.number().positive().describe('Fail the step once its LLM calls cost more than this (USD).'),
};

export function roleSchema(text: z.ZodType<string>) {
  return z
    .strictObject({
      model: modelChainSchema(text),
      instructions: text.optional().describe('System instructions of the role.'),
      description: z.string().optional(),
      tools: z.array(toolRefSchema).optional(),
      mcp: z
        .array(z.union([toolName.describe('Name of an MCP server given to the engine'), mcpServerSchema]))
        .optional()
        .describe('MCP servers whose tools the role may call.'),
      approvalRequired: z.array(z.string()).optional().describe('Tools that need a human approval per call.'),
      output: outputSpecSchema.optional(),
      maxTurns: limits.maxTurns.optional(),
      temperature: limits.temperature.optional(),
      maxTokens: limits.maxTokens.optional(),
      maxCostUsd: limits.maxCostUsd.optional(),
      cache: cacheSpecSchema.optional(),
      baseURL: z
        .url()
        .optional()
        .describe('Endpoint of the provider API (e.g. a local OpenAI-compatible server).'),
      apiKeyEnv: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
        .optional()
        .describe('Environment variable holding the API key (default per provider, e.g. OPENAI_API_KEY).'),
      mock: mockScriptSchema.optional().describe('Replies of a mock:script model.'),
    })
    .describe('An agent role: model, instructions, tools and limits.');
}

/** Roles of the `agents:` section, validated when a step uses one (the loader keeps sections as written). */
export const sectionRoleSchema = roleSchema(z.string());

export type AgentRole = z.infer<typeof sectionRoleSchema>;
export type ToolRef = z.infer<typeof toolRefSchema>;
export type ToolSpec = z.infer<typeof toolSpecSchema>;
export type McpServerSpec = z.infer<typeof mcpServerSchema>;
/** An MCP server given to the engine by name (engine option agents.mcpServers). */
export type McpServerConfig = McpServerSpec extends infer S
  ? S extends unknown
    ? Omit<S, 'name'>
    : never
  : never;
export type ApprovalSpec = z.infer<typeof approvalSchema>;

/** What an agent step's worker receives: the role resolved and the prompt evaluated, recorded in history. */
export interface AgentRequest {
  prompt: string;
  /** Name of the role in the `agents:` section, or null for an inline role. */
  role: string | null;
  /** The primary model. */
  model: string;
  /** Models tried in order when the primary (then each fallback) is rate limited, failing or open-circuited. */
  fallbacks?: string[];
  instructions?: string;
  tools: ToolRef[];
  mcp: (string | McpServerSpec)[];
  approvalRequired: string[];
  outputSchema?: Record<string, JsonValue>;
  maxTurns: number;
  temperature?: number;
  maxTokens?: number;
  maxCostUsd?: number;
  /** Response cache (opt-in): answers are kept this long. */
  cache?: { ttlMs: number };
  /** The run's LLM budget, from the workflow's `budget:` section. */
  budget?: AgentBudget;
  baseURL?: string;
  apiKeyEnv?: string;
  mock?: JsonValue;
}
