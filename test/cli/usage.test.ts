/**
 * LLM usage in the CLI: `baton runs show` prints the run's usage and a usage column per
 * step, and `baton usage` totals runs per workflow (or tenant), as a table or JSON.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type LlmServer, startLlmServer } from '../helpers/llm-server.ts';
import { parseJson, Workspace } from './helpers.ts';

const ws = new Workspace();
let runId = '';

const agentWorkflow = (name: string, input: number, output: number) => `name: ${name}
agents:
  writer:
    model: mock:script
    mock:
      - { text: "first draft", usage: { input: ${input}, output: ${output} } }
steps:
  - id: draft
    agent: writer
    prompt: Write something.
  - id: polish
    agent: writer
    prompt: Polish it.
  - id: count
    set: \${{ 1 + 1 }}
output: \${{ steps.polish.output.text }}
`;

before(async () => {
  ws.write('writer.yaml', agentWorkflow('writer', 100, 20));
  ws.write('other.yaml', agentWorkflow('other', 1000, 500));
  runId = (parseJson((await ws.run(['--json', 'run', 'writer.yaml'])).stdout) as { runId: string }).runId;
  await ws.run(['run', 'writer.yaml']);
  await ws.run(['run', 'other.yaml']);
});
after(() => ws.cleanup());

describe('usage in the CLI', () => {
  test('runs show prints the run usage and a usage column for the steps', async () => {
    const result = await ws.run(['runs', 'show', runId]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^usage\s+2 calls, 200 input \+ 40 output tokens, \$0$/m);
    assert.match(result.stdout, /^\s+PATH\s+STATUS\s+ATTEMPT\s+DURATION\s+USAGE\s+DETAIL/m);
    assert.match(result.stdout, /^\s+draft\s+completed\s+1\s+\d+ ms\s+1 call, 120 tok, \$0/m);
    assert.match(result.stdout, /^\s+count\s+completed\s+1\s+\d+ ms\s*$/m);
    const json = parseJson((await ws.run(['--json', 'runs', 'show', runId])).stdout) as {
      run: { usage: { calls: number } };
      steps: { path: string; usage?: { inputTokens: number } }[];
    };
    assert.equal(json.run.usage.calls, 2);
    assert.equal(json.steps.find((s) => s.path === 'polish')?.usage?.inputTokens, 100);
  });

  test('baton usage totals per workflow, most expensive first', async () => {
    const json = parseJson((await ws.run(['--json', 'usage'])).stdout) as {
      key: string;
      runs: number;
      usage: { calls: number; inputTokens: number; outputTokens: number };
    }[];
    assert.deepEqual(
      json.map((g) => [g.key, g.runs, g.usage.calls, g.usage.inputTokens, g.usage.outputTokens]),
      [
        // Mock models are free, so equal costs fall back to name order.
        ['other', 1, 2, 2000, 1000],
        ['writer', 2, 4, 400, 80],
      ],
    );
    const result = await ws.run(['usage']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^WORKFLOW\s+RUNS\s+CALLS\s+INPUT\s+OUTPUT\s+CACHED\s+HITS\s+COST$/m);
    assert.match(result.stdout, /^other\s+1\s+2\s+2,000\s+1,000\s+0\s+0\s+\$0$/m);
    const tenants = await ws.run(['usage', '--by', 'tenant', '--workflow', 'writer']);
    assert.match(tenants.stdout, /^\(none\)\s+2\s+4\s+400\s+80/m);
    const future = await ws.run(['usage', '--since', '2999-01-01']);
    assert.equal(future.code, 0);
    assert.match(future.stderr, /no LLM usage recorded/);
    const recent = parseJson((await ws.run(['--json', 'usage', '--since', '1h'])).stdout) as unknown[];
    assert.equal(recent.length, 2);
  });

  test('baton usage rejects a bad grouping or time', async () => {
    const bad = await ws.run(['usage', '--by', 'colour']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--by must be workflow or tenant/);
    const badTime = await ws.run(['usage', '--since', 'last tuesday']);
    assert.equal(badTime.code, 2);
    assert.match(badTime.stderr, /--since expects a duration such as 7d or a date/);
  });
});

describe('prompt-cache writes in the CLI', () => {
  const cws = new Workspace();
  let server: LlmServer;
  let cacheRunId = '';
  before(async () => {
    // Anthropic through the loopback Messages API, which reports the writes.
    server = await startLlmServer([
      { text: 'cached', usage: { prompt: 3000, cacheWrite: 2500, completion: 40 } },
      { text: 'cached', usage: { prompt: 3000, cached: 2500, completion: 40 } },
    ]);
    cws.write(
      'cache.yaml',
      'name: cache\nsteps:\n  - id: ask\n    agent: { model: anthropic:claude-haiku-4-5 }\n    prompt: Hi.\n' +
        '  - id: again\n    agent: { model: anthropic:claude-haiku-4-5 }\n    prompt: Hi again.\n    needs: [ask]\n',
    );
    const env = { ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: server.baseURL };
    const started = await cws.run(['--json', 'run', 'cache.yaml'], env);
    assert.equal(started.code, 0, started.stderr);
    cacheRunId = (parseJson(started.stdout) as { runId: string }).runId;
  });
  after(async () => {
    cws.cleanup();
    await server.close();
  });

  test('runs show and baton usage count the tokens written to the prompt cache', async () => {
    const shown = await cws.run(['runs', 'show', cacheRunId]);
    assert.equal(shown.code, 0, shown.stderr);
    // claude-haiku-4-5 per 1M: 1,000 input at $1, 2,500 written at $1.25, 2,500 read at $0.10, 80 output at $5.
    assert.match(
      shown.stdout,
      /^usage\s+2 calls, 6,000 input \+ 80 output tokens \(2,500 cached, 2,500 cache writes\), \$0\.0048$/m,
    );
    const usage = await cws.run(['usage']);
    assert.match(
      usage.stdout,
      /^WORKFLOW\s+RUNS\s+CALLS\s+INPUT\s+OUTPUT\s+CACHED\s+CACHE-WRITES\s+HITS\s+COST$/m,
    );
    assert.match(usage.stdout, /^cache\s+1\s+2\s+6,000\s+80\s+2,500\s+2,500\s+0\s+\$0\.0048$/m);
  });
});
