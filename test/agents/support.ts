/**
 * Shared set-up for agent tests: an engine whose OpenAI and Anthropic providers point at a
 * loopback LLM server. Only the OpenAI key is set; Anthropic tests add ANTHROPIC_API_KEY.
 */
import type { EngineEvent, EngineOptions } from '../../src/runtime/engine.ts';
import { type TestEngine, testEngine } from '../helpers/engine.ts';
import { type LlmServer, type ScriptedReply, startLlmServer } from '../helpers/llm-server.ts';

export const DUMMY_KEY = 'sk-test-do-not-leak-7f3a';

export interface AgentHarness {
  t: TestEngine;
  server: LlmServer;
  close(): Promise<void>;
}

export async function agentHarness(
  script: ScriptedReply[] = [],
  options: EngineOptions & { env?: Record<string, string | undefined>; manualClock?: boolean } = {},
): Promise<AgentHarness> {
  const server = await startLlmServer(script);
  const { env, ...engineOptions } = options;
  const t = await testEngine({
    ...engineOptions,
    agents: {
      ...engineOptions.agents,
      env: {
        OPENAI_API_KEY: DUMMY_KEY,
        OPENAI_BASE_URL: server.baseURL,
        ANTHROPIC_BASE_URL: server.baseURL,
        ...env,
      },
    },
  }).catch(async (error: unknown) => {
    await server.close();
    throw error;
  });
  return {
    t,
    server,
    async close() {
      await t.close();
      await server.close();
    },
  };
}

/** Collects the transient events the engine publishes for one run. */
export function collectEvents(t: TestEngine): { events: { name: string; data: unknown }[]; stop(): void } {
  const events: { name: string; data: unknown }[] = [];
  const stop = t.engine.subscribe((event: EngineEvent) => {
    if (event.type === 'transient') events.push({ name: event.name, data: event.data });
  });
  return { events, stop };
}

/** A workflow with one agent step `ask` whose output is the workflow's output. */
export function oneAgentWorkflow(name: string, role: string, step = ''): string {
  return [
    `name: ${name}`,
    'agents:',
    `  helper: ${role}`,
    'steps:',
    '  - id: ask',
    '    agent: helper',
    '    prompt: ${{ inputs.question }}',
    ...(step ? step.split('\n').map((line) => `    ${line}`) : []),
    'inputs:',
    '  question: { type: string, default: What is 2 + 3? }',
    'output: ${{ steps.ask.output }}',
  ].join('\n');
}
