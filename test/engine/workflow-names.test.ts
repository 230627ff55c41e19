/**
 * start() by workflow name resolves the name once and remembers it; a newer definition,
 * registered here or by another process, is what the next start runs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEngine } from '../../src/runtime/engine.ts';

const WORKFLOW = `
name: greet
version: 1.0.0
steps:
  - { id: hello, set: { greeting: hi } }
`;

test('a definition registered in this engine is what the next start() by name runs, without a refused commit', async () => {
  const engine = await createEngine({ store: 'memory' });
  try {
    await engine.register(WORKFLOW);
    const counts = { reads: 0, commits: 0, refused: 0 };
    const { store } = engine;
    const latestDefinition = store.latestDefinition.bind(store);
    store.latestDefinition = (...args) => {
      counts.reads++;
      return latestDefinition(...args);
    };
    const commit = store.commit.bind(store);
    store.commit = async (request) => {
      counts.commits++;
      const result = await commit(request);
      if (!result.ok && result.reason === 'definition-changed') counts.refused++;
      return result;
    };
    await engine.start('greet', {}, { runId: 'a' });
    await engine.start('greet', {}, { runId: 'b' });
    assert.deepEqual(counts, { reads: 1, commits: 2, refused: 0 }, 'resolved once, then remembered');
    await engine.register(WORKFLOW.replace('1.0.0', '2.0.0'));
    await engine.start('greet', {}, { runId: 'c' });
    assert.equal((await engine.getRun('c')).workflowVersion, '2.0.0');
    assert.deepEqual(counts, { reads: 2, commits: 3, refused: 0 }, 'registering forgot the name');
    await engine.start('greet', {}, { runId: 'd', version: '1.0.0' });
    assert.equal((await engine.getRun('d')).workflowVersion, '1.0.0', 'a version asked for is honoured');
  } finally {
    await engine.close();
  }
});

test('an unknown workflow name is refused with the names that exist', async () => {
  const engine = await createEngine({ store: 'memory' });
  try {
    await engine.register(WORKFLOW);
    await assert.rejects(engine.start('gret'), (error: Error & { code?: string; details?: unknown }) => {
      assert.equal(error.code, 'WORKFLOW_NOT_FOUND');
      assert.deepEqual((error.details as { known: string[] }).known, ['greet']);
      return true;
    });
  } finally {
    await engine.close();
  }
});
