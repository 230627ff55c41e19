/**
 * MCP servers over streamable HTTP, end to end: a real SDK server on loopback (one session per
 * client, see fixtures/mcp-http-server.ts), a real workflow whose agent step lists it by URL,
 * and the loopback OpenAI-compatible server playing the model that calls its tools.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { JsonValue } from '../../src/errors.ts';
import { type McpHttpServer, startMcpHttpServer } from './fixtures/mcp-http-server.ts';
import { type AgentHarness, agentHarness } from './support.ts';

type ChatTool = { function: { name: string; description?: string; parameters?: Record<string, unknown> } };
type StepFailure = Error & { details: { error: { code: string; message: string } } };

describe('MCP tools over streamable HTTP', () => {
  let h: AgentHarness;
  let mcp: McpHttpServer;
  before(async () => {
    mcp = await startMcpHttpServer({ requireHeader: ['X-Tenant', 'acme'] });
    h = await agentHarness();
  });
  after(async () => {
    await h.close();
    await mcp.close();
  });

  test('tools are listed with their schemas, called in one session, recorded and fed back', async () => {
    h.server.push(
      {
        toolCalls: [
          {
            id: 'call_find',
            name: 'crm_find_customer',
            args: { email: 'ada@example.com', fields: ['plan'] },
          },
          { id: 'call_refund', name: 'crm_refund', args: { orderId: 'o-7', amountCents: 1250 } },
        ],
      },
      { text: 'Ada is on the pro plan; the refund could not be made.' },
    );
    // The shape of the docs/agents.md example: an inline server by URL, with headers.
    const name = await h.t.define(
      [
        'name: mcp-http-tools',
        'agents:',
        '  support:',
        '    model: openai:gpt-4o-mini',
        '    mcp:',
        `      - { name: crm, url: "${mcp.url}", headers: { X-Tenant: acme }, tools: [find_customer, refund] }`,
        'steps:',
        '  - { id: ask, agent: support, prompt: Refund order o-7 of ada@example.com }',
        'output: ${{ steps.ask.output }}',
      ].join('\n'),
    );
    const handle = await h.t.engine.start(name);
    const output = (await handle.result()) as { text: string; toolCalls: string[] };
    assert.equal(output.text, 'Ada is on the pro plan; the refund could not be made.');
    assert.deepEqual(output.toolCalls.sort(), ['crm_find_customer', 'crm_refund']);

    // The model was offered both tools with the schemas the server declared.
    const [first, second] = h.server.requests;
    const offered = Object.fromEntries(
      ((first.body.tools ?? []) as ChatTool[]).map((t) => [t.function.name, t.function]),
    );
    assert.deepEqual(Object.keys(offered).sort(), ['crm_find_customer', 'crm_refund']);
    assert.equal(offered.crm_find_customer.description, 'Finds a customer by e-mail address');
    const find = offered.crm_find_customer.parameters as {
      properties: Record<string, Record<string, unknown>>;
      required: string[];
    };
    assert.equal(find.properties.email.type, 'string');
    assert.equal(find.properties.email.description, 'E-mail address of the customer');
    assert.deepEqual(find.properties.fields.items, { type: 'string', enum: ['name', 'plan'] });
    assert.deepEqual(find.required, ['email']);
    const refund = offered.crm_refund.parameters as typeof find;
    assert.equal(refund.properties.amountCents.type, 'integer');
    assert.equal(refund.properties.amountCents.exclusiveMinimum, 0);
    assert.deepEqual(refund.required.sort(), ['amountCents', 'orderId']);

    // The MCP server got the calls, with the model's arguments and the idempotency keys.
    const calls = [...mcp.calls].sort((a, b) => a.tool.localeCompare(b.tool));
    assert.deepEqual(
      calls.map(({ tool, args, idempotencyKey }) => ({ tool, args, idempotencyKey })),
      [
        {
          tool: 'find_customer',
          args: { email: 'ada@example.com', fields: ['plan'] },
          idempotencyKey: `${handle.id}:ask:call_find`,
        },
        {
          tool: 'refund',
          args: { orderId: 'o-7', amountCents: 1250 },
          idempotencyKey: `${handle.id}:ask:call_refund`,
        },
      ],
    );

    // One session: the server's id came back on every request after initialize, with the header.
    const [init, ...rest] = mcp.requests;
    assert.equal(init.rpc, 'initialize');
    assert.equal(init.sessionId, undefined);
    const sessionId = calls[0].sessionId;
    assert.ok(sessionId);
    assert.equal(calls[1].sessionId, sessionId);
    assert.ok(rest.length >= 3, 'initialized notification, tools/list and two tools/call');
    for (const request of rest)
      assert.equal(request.sessionId, sessionId, `${request.method} ${request.rpc}`);
    for (const request of mcp.requests) assert.equal(request.headers['x-tenant'], 'acme');

    // The results are in the run's history, the error as an error…
    const history = await h.t.engine.history(handle.id);
    const recorded = Object.fromEntries(
      history.flatMap((e) =>
        e.type === 'StepProgress' && e.key.startsWith('tool:') ? [[e.key, e.value]] : [],
      ),
    ) as Record<string, JsonValue>;
    assert.deepEqual(recorded['tool:1:call_find'], {
      output: { id: 'cus_42', name: 'Ada Lovelace', plan: 'pro' },
    });
    assert.deepEqual(recorded['tool:1:call_refund'], {
      error: 'crm_refund failed: refunds are frozen for order o-7',
      code: 'MCP_TOOL_ERROR',
    });
    // …and went back to the model as tool results.
    const results = Object.fromEntries(
      second.body.messages.filter((m) => m.role === 'tool').map((m) => [m.tool_call_id, String(m.content)]),
    );
    assert.deepEqual(JSON.parse(results.call_find), { id: 'cus_42', name: 'Ada Lovelace', plan: 'pro' });
    assert.equal(results.call_refund, 'crm_refund failed: refunds are frozen for order o-7');
  });

  test('an unreachable MCP URL fails the step with one message naming the server', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/mcp`;
    const name = await h.t.define(
      [
        'name: mcp-http-down',
        'agents:',
        `  a: { model: openai:gpt-4o-mini, mcp: [{ name: ghost, url: "${url}" }] }`,
        'steps:',
        '  - { id: s, agent: a, prompt: hi, retry: { attempts: 1 } }',
      ].join('\n'),
    );
    const before = h.server.requests.length;
    await assert.rejects(h.t.engine.run(name), (error: StepFailure) => {
      assert.equal(error.details.error.code, 'MCP_UNAVAILABLE');
      assert.equal(
        error.details.error.message,
        `step "s" failed: cannot connect to MCP server "ghost" (URL ${url}): connect ECONNREFUSED ${new URL(url).host}`,
      );
      return true;
    });
    assert.equal(h.server.requests.length, before, 'the model was never called');
  });
});

describe('an MCP server over HTTP given to the engine', () => {
  test('sends its auth header, opens a new session when the server lost the old one, ends it on close', async () => {
    const mcp = await startMcpHttpServer({ requireHeader: ['Authorization', 'Bearer crm-token'] });
    const h = await agentHarness([], {
      agents: { mcpServers: { crm: { url: mcp.url, headers: { Authorization: 'Bearer crm-token' } } } },
    });
    let closed = false;
    try {
      const name = await h.t.define(
        [
          'name: mcp-http-named',
          'agents:',
          '  support: { model: openai:gpt-4o-mini, mcp: [crm] }',
          'steps:',
          '  - { id: ask, agent: support, prompt: Who is ada@example.com? }',
          'output: ${{ steps.ask.output.text }}',
        ].join('\n'),
      );
      const lookup = (text: string) =>
        h.server.push(
          { toolCalls: [{ id: 'call_find', name: 'crm_find_customer', args: { email: 'ada@example.com' } }] },
          { text },
        );
      lookup('Ada Lovelace');
      assert.equal(await h.t.engine.run(name), 'Ada Lovelace');
      const firstSession = mcp.calls[0].sessionId;
      assert.ok(firstSession);

      // A restarted server no longer knows the session: the call answers 404 and Baton opens a new one.
      await mcp.forgetSessions();
      lookup('Still Ada');
      const before = h.server.requests.length;
      assert.equal(await h.t.engine.run(name), 'Still Ada');
      const answered = h.server.requests[before + 1].body.messages.find((m) => m.role === 'tool');
      assert.deepEqual(JSON.parse(String(answered?.content)), {
        id: 'cus_42',
        name: 'Ada Lovelace',
        plan: 'pro',
      });
      assert.equal(mcp.calls.length, 2);
      const secondSession = mcp.calls[1].sessionId;
      assert.ok(secondSession && secondSession !== firstSession);
      assert.equal(mcp.requests.filter((r) => r.rpc === 'initialize').length, 2);
      assert.ok(mcp.requests.every((r) => r.headers.authorization === 'Bearer crm-token'));

      await h.close();
      closed = true;
      assert.deepEqual(mcp.terminated, [secondSession], 'engine.close() ended the session with DELETE');
    } finally {
      if (!closed) await h.close();
      await mcp.close();
    }
  });
});

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the address guard and MCP over HTTP', () => {
  test('a server a workflow declares on an internal address is refused, without a request', async () => {
    const mcp = await startMcpHttpServer({});
    const h = await agentHarness([], { allowHosts: [] });
    try {
      const name = await h.t.define(
        [
          'name: mcp-http-internal',
          'agents:',
          `  a: { model: openai:gpt-4o-mini, mcp: [{ name: inside, url: "${mcp.url}" }] }`,
          'steps:',
          '  - { id: s, agent: a, prompt: hi }',
        ].join('\n'),
      );
      await assert.rejects(h.t.engine.run(name), (error: StepFailure) => {
        assert.equal(error.details.error.code, 'MCP_ADDRESS_BLOCKED');
        assert.match(
          error.details.error.message,
          /cannot connect to MCP server "inside" \(URL http:\/\/127\.0\.0\.1:\d+\/mcp\): HTTP request refused: 127\.0\.0\.1 is a loopback address/,
        );
        return true;
      });
      assert.equal(mcp.requests.length, 0, 'the MCP server was never reached');
      assert.equal(h.server.requests.length, 0, 'the model was never called');
    } finally {
      await h.close();
      await mcp.close();
    }
  });

  test('a declared server on an allow-listed address, and a server given to the engine, are reached', async () => {
    const mcp = await startMcpHttpServer({});
    const h = await agentHarness([], {
      allowHosts: [],
      agents: { mcpServers: { configured: { url: mcp.url } } },
    });
    const allowed = await agentHarness([], { allowHosts: ['127.0.0.1'] });
    try {
      for (const [harness, server] of [
        [h, 'configured'],
        [allowed, `{ name: declared, url: "${mcp.url}" }`],
      ] as const) {
        harness.server.push({ text: 'done' });
        const name = await harness.t.define(
          [
            `name: mcp-http-reached-${harness === h ? 'configured' : 'declared'}`,
            'agents:',
            `  a: { model: openai:gpt-4o-mini, mcp: [${server}] }`,
            'steps:',
            '  - { id: s, agent: a, prompt: hi }',
            'output: ${{ steps.s.output.text }}',
          ].join('\n'),
        );
        assert.equal(await harness.t.engine.run(name), 'done');
        const last = harness.server.requests.at(-1);
        const tools = (last?.body as { tools?: ChatTool[] } | undefined)?.tools ?? [];
        assert.ok(tools.length > 0, 'the server listed its tools to the model');
      }
    } finally {
      await h.close();
      await allowed.close();
      await mcp.close();
    }
  });
});
