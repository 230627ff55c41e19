// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * Agents and the engine's secrets provider: LLM API keys are looked up through it, HTTP tools
 * and MCP servers get `${{ secrets.NAME }}` in their headers, and neither the keys nor the
 * tokens end up in history or in what the model is sent back.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { BatonError } from '../../src/errors.ts';
import type { SecretsProvider } from '../../src/index.ts';
import { type McpHttpServer, startMcpHttpServer } from './fixtures/mcp-http-server.ts';
import { type AgentHarness, agentHarness, oneAgentWorkflow } from './support.ts';

const LLM_KEY = 'sk-vault-91c2e4f7a3';
const TEAM_KEY = 'sk-team-vault-55d1b0';
const TOOL_TOKEN = 'tool-token-0af3c8e2d6';
const vault: Record<string, string> = { OPENAI_API_KEY: LLM_KEY, TEAM_KEY, TOOL_TOKEN };
const secrets: SecretsProvider = { get: async (name) => vault[name] };

describe('agents and the secrets provider', () => {
  let h: AgentHarness;
  let api: Server;
  let apiBase = '';
  let mcp: McpHttpServer;
  const toolAuthorizations: (string | undefined)[] = [];
  before(async () => {
    // No key in the agents' environment: it can only come from the provider.
    h = await agentHarness([], { env: { OPENAI_API_KEY: undefined }, secrets });
    api = createServer((request, response) => {
      toolAuthorizations.push(request.headers.authorization);
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ youSent: request.headers.authorization }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    apiBase = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    mcp = await startMcpHttpServer({ requireHeader: ['Authorization', `Bearer ${TOOL_TOKEN}`] });
  });
  after(async () => {
    await h.close();
    await mcp.close();
    await new Promise((resolve) => api.close(resolve));
  });

  test('the LLM key comes from the provider, by the provider default name or the role’s apiKeyEnv', async () => {
    h.server.push({ text: 'hello' }, { text: 'hello again' });
    const plain = await h.t.define(oneAgentWorkflow('vault-key', '{ model: openai:gpt-4o-mini }'));
    await h.t.engine.run(plain);
    assert.equal(h.server.requests.at(-1)?.authorization, `Bearer ${LLM_KEY}`);
    const team = await h.t.define(
      oneAgentWorkflow('vault-team-key', '{ model: openai:gpt-4o-mini, apiKeyEnv: TEAM_KEY }'),
    );
    await h.t.engine.run(team);
    assert.equal(h.server.requests.at(-1)?.authorization, `Bearer ${TEAM_KEY}`);
  });

  test('a key the provider lacks fails the step, naming the model and where to set it', async () => {
    const name = await h.t.define(
      oneAgentWorkflow('vault-no-key', '{ model: openai:gpt-4o-mini, apiKeyEnv: NOT_IN_VAULT }'),
    );
    await assert.rejects(h.t.engine.run(name), (error: BatonError) => {
      const cause = error.details.error as { code: string; message: string };
      assert.equal(cause.code, 'LLM_NOT_CONFIGURED');
      assert.match(
        cause.message,
        /Model openai:gpt-4o-mini is not configured: no API key: set NOT_IN_VAULT in the engine's secrets provider/,
      );
      return true;
    });
  });

  test('a provider echoing a refused key does not put it in history', async () => {
    h.server.push({ status: 401, message: `Incorrect API key provided: ${LLM_KEY}` });
    const name = await h.t.define(oneAgentWorkflow('vault-refused', '{ model: openai:gpt-4o-mini }'));
    const handle = await h.t.engine.start(name);
    await assert.rejects(handle.result());
    const history = JSON.stringify(await h.t.engine.history(handle.id));
    assert.ok(history.includes('Incorrect API key provided: ***'), history);
    assert.ok(!history.includes(LLM_KEY));
  });

  test('HTTP tools and MCP servers send ${{ secrets.NAME }} in their headers; history and the model never see it', async () => {
    h.server.push(
      {
        toolCalls: [
          { id: 'call_me', name: 'whoami', args: {} },
          { id: 'call_crm', name: 'crm_find_customer', args: { email: 'ada@example.com' } },
        ],
      },
      { text: 'Done.' },
    );
    const name = await h.t.define(
      [
        'name: tool-secrets',
        'secrets: [TOOL_TOKEN]',
        'tools:',
        '  whoami:',
        `    http: { url: "${apiBase}/me", headers: { Authorization: "Bearer \${{ secrets.TOOL_TOKEN }}" } }`,
        'agents:',
        '  helper:',
        '    model: openai:gpt-4o-mini',
        '    tools: [whoami]',
        '    mcp:',
        `      - { name: crm, url: "${mcp.url}", headers: { Authorization: "Bearer \${{ secrets.TOOL_TOKEN }}" } }`,
        'steps:',
        '  - { id: ask, agent: helper, prompt: Who am I? }',
      ].join('\n'),
    );
    const before = h.server.requests.length;
    const handle = await h.t.engine.start(name);
    await handle.result();
    assert.deepEqual(toolAuthorizations, [`Bearer ${TOOL_TOKEN}`]);
    assert.equal(mcp.calls.length, 1, 'the MCP server accepted the header');
    const answer = h.server.requests[before + 1].body.messages.find(
      (message) => message.role === 'tool' && message.tool_call_id === 'call_me',
    );
    assert.deepEqual(JSON.parse(String(answer?.content)).body, { youSent: 'Bearer ***' });
    const recorded = JSON.stringify([
      await h.t.engine.history(handle.id),
      await h.t.engine.getRun(handle.id),
    ]);
    assert.ok(!recorded.includes(TOOL_TOKEN));
    assert.ok(!JSON.stringify(h.server.requests).includes(TOOL_TOKEN), 'the model never saw it');
  });
});
