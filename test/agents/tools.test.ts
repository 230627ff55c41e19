// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * Tools declared in YAML: HTTP tools (through the http step's guarded client, with the
 * call's idempotency key) and workflows as tools (a child run started by idempotency key).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type AgentHarness, agentHarness } from './support.ts';

interface Seen {
  method: string;
  url: string;
  idempotencyKey?: string;
  body: string;
}

describe('YAML tools', () => {
  let h: AgentHarness;
  let api: Server;
  let apiBase: string;
  const seen: Seen[] = [];
  before(async () => {
    h = await agentHarness();
    api = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          idempotencyKey: req.headers['idempotency-key'] as string,
          body,
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, path: req.url }));
      });
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    apiBase = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  });
  after(async () => {
    await h.close();
    await new Promise((resolve) => api.close(resolve));
  });

  test('HTTP tools: ${{ args }} templates, arguments as query or JSON body, idempotency key per call', async () => {
    seen.length = 0;
    h.server.push(
      {
        toolCalls: [
          { id: 'call_get', name: 'get_price', args: { sku: 'A-1' } },
          { id: 'call_search', name: 'search', args: { q: 'shoes', limit: 2 } },
          { id: 'call_order', name: 'order', args: { sku: 'A-1', qty: 3 } },
        ],
      },
      { text: 'Ordered.' },
    );
    const name = await h.t.define(
      [
        'name: http-tools',
        'tools:',
        '  search:',
        '    description: Searches the catalogue',
        `    http: { url: "${apiBase}/search" }`,
        '    parameters: { type: object, properties: { q: { type: string }, limit: { type: integer } }, required: [q] }',
        'agents:',
        '  shopper:',
        '    model: openai:gpt-4o-mini',
        '    tools:',
        '      - search',
        `      - { name: get_price, http: { url: "${apiBase}/prices/\${{ args.sku }}" } }`,
        `      - { name: order, http: { url: "${apiBase}/orders", method: POST } }`,
        'steps:',
        '  - { id: shop, agent: shopper, prompt: Buy shoes }',
        'output: ${{ steps.shop.output }}',
      ].join('\n'),
    );
    const before = h.server.requests.length;
    const handle = await h.t.engine.start(name);
    const output = (await handle.result()) as { toolCalls: string[] };
    assert.deepEqual(output.toolCalls, ['get_price', 'search', 'order']);
    const byPath = Object.fromEntries(seen.map((s) => [s.url.split('?')[0], s]));
    assert.equal(byPath['/prices/A-1'].method, 'GET');
    assert.equal(byPath['/search'].url, '/search?q=shoes&limit=2');
    assert.equal(byPath['/orders'].method, 'POST');
    assert.deepEqual(JSON.parse(byPath['/orders'].body), { sku: 'A-1', qty: 3 });
    assert.equal(byPath['/orders'].idempotencyKey, `${handle.id}:shop:call_order`);
    const results = h.server.requests[before + 1].body.messages.filter((m) => m.role === 'tool');
    assert.deepEqual(JSON.parse(String(results.find((m) => m.tool_call_id === 'call_get')?.content)), {
      status: 200,
      body: { ok: true, path: '/prices/A-1' },
    });
  });

  test('HTTP tools keep the SSRF guard: an internal address is refused and the model is told', async () => {
    const guarded = await agentHarness([], { allowHosts: [] });
    try {
      guarded.server.push(
        { toolCalls: [{ id: 'call_in', name: 'internal', args: {} }] },
        { text: 'Could not reach it.' },
      );
      const name = await guarded.t.define(
        [
          'name: ssrf',
          'agents:',
          `  a: { model: openai:gpt-4o-mini, tools: [{ name: internal, http: { url: "${apiBase}/admin" } }] }`,
          'steps:',
          '  - { id: s, agent: a, prompt: go }',
          'output: ${{ steps.s.output.text }}',
        ].join('\n'),
      );
      const before = seen.length;
      assert.equal(await guarded.t.engine.run(name), 'Could not reach it.');
      assert.equal(seen.length, before, 'the request never left');
      const result = guarded.server.requests[1].body.messages.find((m) => m.role === 'tool');
      assert.match(
        String(result?.content),
        /internal failed: HTTP request refused: 127\.0\.0\.1 is a loopback address/,
      );
    } finally {
      await guarded.close();
    }
  });

  test('a workflow as a tool runs as its own run, started with the call’s idempotency key', async () => {
    await h.t.define(
      [
        'name: square',
        'inputs: { n: number }',
        'steps:',
        '  - { id: sq, set: "${{ inputs.n * inputs.n }}" }',
        'output: { squared: "${{ steps.sq.output }}" }',
      ].join('\n'),
    );
    h.server.push({ toolCalls: [{ id: 'call_sq', name: 'square', args: { n: 7 } }] }, { text: '49' });
    const name = await h.t.define(
      [
        'name: uses-workflow-tool',
        'agents:',
        '  mathematician:',
        '    model: openai:gpt-4o-mini',
        '    tools:',
        '      - name: square',
        '        workflow: square',
        '        description: Squares a number',
        '        parameters: { type: object, properties: { n: { type: number } }, required: [n] }',
        'steps:',
        '  - { id: ask, agent: mathematician, prompt: What is 7 squared? }',
        'output: ${{ steps.ask.output }}',
      ].join('\n'),
    );
    const before = h.server.requests.length;
    const handle = await h.t.engine.start(name);
    await handle.result();
    const child = await h.t.engine.store.findRunByIdempotencyKey(`${handle.id}:ask:call_sq`);
    assert.ok(child, 'the child run is found by the call’s key');
    assert.equal(child.status, 'completed');
    assert.deepEqual(child.output, { squared: 49 });
    const result = h.server.requests[before + 1].body.messages.find((m) => m.role === 'tool');
    assert.deepEqual(JSON.parse(String(result?.content)), { squared: 49 });
  });
});
