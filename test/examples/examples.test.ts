/** Every example in examples/ runs offline and produces what its comments promise. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type TestEngine, testEngine, until } from '../helpers/engine.ts';

const dir = join(import.meta.dirname, '..', '..', 'examples');

describe('examples', () => {
  let t: TestEngine;
  before(async () => {
    t = await testEngine();
  });
  after(() => t.close());

  test('hello.yaml', async () => {
    const { name } = await t.engine.registerFile(join(dir, 'hello.yaml'));
    const output = (await t.engine.run(name, { name: 'Ada' })) as Record<string, unknown>;
    assert.equal(output.greeting, 'Hello, Ada!');
    assert.equal(output.letters, 25);
    assert.equal(output.verdict, 'long');
    assert.deepEqual(
      (output.words as { word: string }[]).map((w) => w.word),
      ['durable', 'workflows', 'for', 'agents'],
    );
  });

  test('approval-gate.yaml: approve with an edited payload, or reject', async () => {
    const { name } = await t.engine.registerFile(join(dir, 'approval-gate.yaml'));
    const approved = await t.engine.start(name, { title: 'Q3' });
    await until(async () => (await t.engine.pendingApprovals({ runId: approved.id })).length === 1);
    await t.engine.approve(approved.id, { by: 'editor', comment: 'ok', payload: { title: 'Q3 (final)' } });
    await until(async () => (await t.engine.getRun(approved.id)).status === 'waiting');
    await t.advance(2_000);
    assert.deepEqual(await approved.result(), {
      published: true,
      title: 'Q3 (final)',
      reviewer: 'editor',
      comment: 'ok',
    });

    const rejected = await t.engine.start(name, { title: 'Q4' });
    await t.engine.reject(rejected.id, { comment: 'too early' });
    assert.deepEqual(await rejected.result(), { published: false, reason: 'too early' });
  });

  test('evaluator-loop.yaml', async () => {
    const { name } = await t.engine.registerFile(join(dir, 'evaluator-loop.yaml'));
    const output = (await t.engine.run(name, { target: 80 })) as {
      score: number;
      round: number;
      draft: string;
    };
    assert.ok(output.score >= 80);
    assert.equal(output.draft, 'idea +detail +detail +detail');
    assert.equal(output.round, 2);
  });

  test('fan-out.yaml: tolerant by default, strict fails', async () => {
    const { name } = await t.engine.registerFile(join(dir, 'fan-out.yaml'));
    const output = (await t.engine.run(name)) as { checks: Record<string, unknown>; lines: unknown[] };
    assert.deepEqual(Object.keys(output.checks).sort(), ['credit', 'fraud', 'stock']);
    assert.deepEqual(output.lines, [{ id: 'a', total: 19 }, null, { id: 'c', total: 47.5 }]);
    await assert.rejects(t.engine.run(name, { strict: true }), /some orders were invalid/);
  });

  test('parent.yaml with child-square.yaml', async () => {
    await t.engine.registerFile(join(dir, 'child-square.yaml'));
    const { name } = await t.engine.registerFile(join(dir, 'parent.yaml'));
    assert.deepEqual(await t.engine.run(name), { squares: [1, 4, 9, 16], sum: 30 });
  });

  test('embedded.ts', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(dir, 'embedded.ts')], {
      timeout: 30_000,
    });
    assert.match(stdout, /"inStock": 7/);
    assert.match(stdout, /"reservation": "res-book-42-/);
  });
});
