/**
 * MCP servers as tool providers: a stdio server (written with the SDK's server classes)
 * is started on first use, its tools are offered as <server>_<tool>, calls go through the
 * official client, and the connection is closed when the engine closes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type AgentHarness, agentHarness } from './support.ts';

const SERVER = fileURLToPath(new URL('./fixtures/mcp-server.ts', import.meta.url));

describe('MCP tools', () => {
  let h: AgentHarness;
  before(async () => {
    h = await agentHarness([], {
      agents: { mcpServers: { calc: { command: process.execPath, args: [SERVER] } } },
    });
  });
  after(() => h.close());

  test('tools of a stdio MCP server are listed, called and their results fed back', async () => {
    h.server.push(
      {
        toolCalls: [
          { id: 'call_add', name: 'calc_add', args: { a: 2, b: 40 } },
          { id: 'call_who', name: 'calc_whoami', args: {} },
          { id: 'call_broken', name: 'calc_broken', args: {} },
        ],
      },
      { text: 'The answer is 42.' },
    );
    const name = await h.t.define(
      [
        'name: mcp-tools',
        'agents:',
        '  mathematician: { model: openai:gpt-4o-mini, mcp: [calc] }',
        'steps:',
        '  - { id: ask, agent: mathematician, prompt: What is 2 + 40? }',
        'output: ${{ steps.ask.output }}',
      ].join('\n'),
    );
    const handle = await h.t.engine.start(name);
    const output = (await handle.result()) as { text: string; toolCalls: string[] };
    assert.equal(output.text, 'The answer is 42.');
    const [first, second] = h.server.requests;
    assert.deepEqual(first.body.tools?.map((t) => t.function.name).sort(), [
      'calc_add',
      'calc_broken',
      'calc_whoami',
    ]);
    const results = Object.fromEntries(
      second.body.messages.filter((m) => m.role === 'tool').map((m) => [m.tool_call_id, String(m.content)]),
    );
    assert.equal(results.call_add, '42');
    assert.equal(results.call_who, `${handle.id}:ask:call_who`);
    assert.match(results.call_broken, /calc_broken failed: the database is down/);
  });

  test('an inline server spec with a tool filter offers only the listed tools', async () => {
    h.server.push({ text: 'no tools needed' });
    const name = await h.t.define(
      [
        'name: mcp-filter',
        'agents:',
        '  a:',
        '    model: openai:gpt-4o-mini',
        `    mcp: [{ name: m, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(SERVER)}], tools: [add] }]`,
        'steps:',
        '  - { id: s, agent: a, prompt: hi }',
      ].join('\n'),
    );
    const before = h.server.requests.length;
    await h.t.engine.run(name);
    assert.deepEqual(
      h.server.requests[before].body.tools?.map((t) => t.function.name),
      ['m_add'],
    );
  });

  test('an MCP server that cannot start fails the step with MCP_UNAVAILABLE', async () => {
    const name = await h.t.define(
      [
        'name: mcp-missing',
        'agents:',
        '  a: { model: openai:gpt-4o-mini, mcp: [{ name: ghost, command: /nonexistent/mcp-server }] }',
        'steps:',
        '  - { id: s, agent: a, prompt: hi, retry: { attempts: 1 } }',
      ].join('\n'),
    );
    await assert.rejects(
      h.t.engine.run(name),
      (error: Error & { details: { error: { code: string; message: string } } }) => {
        assert.equal(error.details.error.code, 'MCP_UNAVAILABLE');
        assert.match(
          error.details.error.message,
          /cannot connect to MCP server "ghost" \(command "\/nonexistent\/mcp-server"\)/,
        );
        return true;
      },
    );
  });
});
