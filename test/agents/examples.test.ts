/**
 * The agent examples in examples/agents run offline (no key: their chains fall to the mock
 * models) and give what their comments promise; with OPENAI_API_KEY set the same files run
 * through the real OpenAI client (here against the loopback server).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type TestEngine, testEngine, until } from '../helpers/engine.ts';
import { startLlmServer } from '../helpers/llm-server.ts';

const dir = join(import.meta.dirname, '..', '..', 'examples', 'agents');

describe('examples/agents', () => {
  let t: TestEngine;
  before(async () => {
    t = await testEngine({ agents: { env: {} } });
  });
  after(() => t.close());

  test('research-pipeline.yaml: research → analysis → human review → report', async () => {
    const { name } = await t.engine.registerFile(join(dir, 'research-pipeline.yaml'));
    const handle = await t.engine.start(name, { topic: 'durable agents' });
    await until(async () => (await t.engine.pendingApprovals({ runId: handle.id })).length === 1);
    await t.engine.approve(handle.id, { by: 'editor', comment: 'keep it short' });
    const output = (await handle.result()) as {
      findings: string[];
      risk: string;
      approved: boolean;
      report: string;
    };
    assert.equal(output.findings.length, 3);
    assert.equal(output.risk, 'low');
    assert.equal(output.approved, true);
    assert.match(output.report, /^# Report\nDurable execution/);
    const run = await t.engine.getRun(handle.id);
    assert.equal(run.status, 'completed');
  });

  test('map-reduce-summaries.yaml: one agent per document, then a digest', async () => {
    const { name } = await t.engine.registerFile(join(dir, 'map-reduce-summaries.yaml'));
    const output = (await t.engine.run(name)) as {
      summaries: { title: string; summary: string }[];
      digest: string;
    };
    assert.deepEqual(
      output.summaries.map((s) => s.title),
      ['Leases', 'History', 'Budgets'],
    );
    assert.match(output.summaries[1].summary, /^Summary: History: Every step result/);
    assert.match(output.digest, /^Digest of 3 documents/);
  });

  test('parallel-analysis.yaml: three analysts in parallel, a tally, a judge', async () => {
    const { name } = await t.engine.registerFile(join(dir, 'parallel-analysis.yaml'));
    const output = (await t.engine.run(name)) as {
      votesForGo: number;
      averageScore: number;
      recommendation: string;
    };
    assert.equal(output.votesForGo, 2);
    assert.equal(output.averageScore, 6.7);
    assert.match(output.recommendation, /^Go, with a staged rollout/);
  });

  test('project-decomposition.yaml: a planner’s tasks run as a plan in dependency waves, then a review', async () => {
    const { name } = await t.engine.registerFile(join(dir, 'project-decomposition.yaml'));
    const handle = await t.engine.start(name);
    const output = (await handle.result()) as {
      tasksCompleted: number;
      qualityScore: number;
      deliverables: Record<string, string>;
    };
    assert.equal(output.tasksCompleted, 5);
    assert.equal(output.qualityScore, 8);
    assert.deepEqual(Object.keys(output.deliverables), [
      'audience',
      'platform',
      'first-issue',
      'landing-page',
      'launch',
    ]);
    assert.match(output.deliverables.launch, /^Delivered — Announce the launch \(task launch of the project/);
    const history = await t.engine.history(handle.id);
    const position = (type: string, path: string) =>
      history.findIndex((e) => e.type === type && 'path' in e && e.path === path);
    const work = (task: number) => `execute[${task}]/work`;
    // Wave 1: audience and platform; wave 2: first-issue (needs audience), landing-page (needs both); wave 3: launch.
    assert.ok(
      position('StepScheduled', work(1)) < position('StepCompleted', work(0)),
      'wave 1 runs together',
    );
    assert.ok(position('StepScheduled', work(2)) > position('StepCompleted', work(0)));
    assert.ok(position('StepScheduled', work(3)) > position('StepCompleted', work(1)));
    assert.ok(position('StepScheduled', work(4)) > position('StepCompleted', work(2)));
    assert.ok(position('StepScheduled', work(4)) > position('StepCompleted', work(3)));
    const plan = (await t.engine.getRun(handle.id)).steps.find((s) => s.path === 'execute');
    assert.deepEqual((plan?.detail?.note as { waves?: string[][] } | undefined)?.waves, [
      ['audience', 'platform'],
      ['first-issue', 'landing-page'],
      ['launch'],
    ]);
  });

  test('with OPENAI_API_KEY set, project-decomposition.yaml runs unchanged against an OpenAI-compatible API', async () => {
    const plan = {
      tasks: [
        { id: 'research', title: 'Research competitors', needs: [] },
        { id: 'write', title: 'Write the copy', needs: ['research'] },
      ],
    };
    const server = await startLlmServer([], {
      respond: (request) => {
        const system = String(request.messages[0]?.content);
        if (system.includes('project planner')) return { text: JSON.stringify(plan) };
        if (system.includes('review')) return { text: '{"score":7,"summary":"Solid."}' };
        const task = String(request.messages[1]?.content);
        return { text: `Finished: ${task.slice(0, task.indexOf(' ('))}` };
      },
    });
    const real = await testEngine({
      agents: { env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.baseURL } },
    });
    try {
      const yaml = readFileSync(join(dir, 'project-decomposition.yaml'), 'utf8');
      const output = (await real.engine.run(await real.define(yaml), { project: 'A landing page' })) as {
        tasksCompleted: number;
        qualityScore: number;
        deliverables: Record<string, string>;
      };
      assert.deepEqual(output.deliverables, {
        research: 'Finished: Research competitors',
        write: 'Finished: Write the copy',
      });
      assert.equal(output.qualityScore, 7);
      assert.equal(server.requests.length, 4);
      assert.ok(server.requests.every((r) => r.body.model === 'gpt-4o-mini'));
      const order = server.requests.map((r) => String(r.body.messages[1]?.content).slice(0, 20));
      assert.ok(
        order[1].startsWith('Research competitors') && order[2].startsWith('Write the copy'),
        order.join(' | '),
      );
    } finally {
      await real.close();
      await server.close();
    }
  });

  test('with OPENAI_API_KEY set, parallel-analysis.yaml runs unchanged against an OpenAI-compatible API', async () => {
    const verdicts: Record<string, string> = {
      'look for the upside': '{"vote":"go","score":8,"reason":"faster"}',
      'can go wrong': '{"vote":"no-go","score":3,"reason":"risky"}',
      'cost against benefit': '{"vote":"no-go","score":5,"reason":"expensive"}',
    };
    const server = await startLlmServer([], {
      respond: (request) => {
        const system = String(request.messages[0]?.content);
        const match = Object.keys(verdicts).find((k) => system.includes(k));
        return { text: match ? verdicts[match] : 'No-go for now.', usage: { prompt: 100, completion: 20 } };
      },
    });
    const real = await testEngine({
      agents: { env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.baseURL } },
    });
    try {
      const yaml = readFileSync(join(dir, 'parallel-analysis.yaml'), 'utf8');
      const output = (await real.engine.run(await real.define(yaml))) as {
        votesForGo: number;
        averageScore: number;
        recommendation: string;
      };
      assert.deepEqual(output, { votesForGo: 1, averageScore: 5.3, recommendation: 'No-go for now.' });
      assert.equal(server.requests.length, 4);
      assert.ok(server.requests.every((r) => r.body.model === 'gpt-4o-mini'));
    } finally {
      await real.close();
      await server.close();
    }
  });
});
