/** Contract: usage summaries per workflow and tenant, and the LLM response cache with its expiry. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Usage } from '../../src/kinds/types.ts';
import { type MakeStore, sleep, withStore } from './contract-support.ts';
import { RunBuilder, scheduled } from './run-builder.ts';

function usage(
  calls: number,
  tokens: number,
  costUsd: number,
  cacheHits?: number,
  cacheWriteInputTokens?: number,
): Usage {
  const value: Usage = {
    calls,
    inputTokens: tokens,
    outputTokens: tokens / 2,
    cachedInputTokens: tokens / 10,
    costUsd,
  };
  if (cacheHits !== undefined) value.cacheHits = cacheHits;
  if (cacheWriteInputTokens !== undefined) value.cacheWriteInputTokens = cacheWriteInputTokens;
  return value;
}

export function usageContract(makeStore: MakeStore): void {
  describe('usage and response cache', () => {
    // Prompt-cache writes (r3) are summed like the rest and, like cache hits, absent where there are none.
    test('usageSummary totals runs per workflow or tenant, filtered by time, workflow, tenant and run', () =>
      withStore(makeStore, async (store) => {
        const at = 1_767_225_600_000;
        const make = async (
          id: string,
          options: { workflow: string; tenant?: string; at: number },
          metered: Usage[],
        ) => {
          const start = RunBuilder.start(id, options, [scheduled('s', options.at)]);
          await store.commit({ writes: [start.write] });
          for (const [i, one] of metered.entries()) {
            await store.commit({
              writes: [
                start.builder.next(
                  [
                    {
                      type: 'StepProgress',
                      path: 's',
                      attempt: 1,
                      key: `turn:${i + 1}`,
                      value: i,
                      usage: one,
                    },
                  ],
                  options.at,
                ),
              ],
            });
          }
        };
        await make('r1', { workflow: 'alpha', tenant: 'acme', at }, [usage(1, 100, 0.1), usage(1, 200, 0.2)]);
        await make('r2', { workflow: 'alpha', tenant: 'globex', at: at + 1000 }, [usage(0, 0, 0, 1)]);
        await make('r3', { workflow: 'beta', tenant: 'acme', at: at + 2000 }, [
          usage(2, 1000, 1.5, undefined, 400),
        ]);
        await make('r4', { workflow: 'beta', at: at + 3000 }, [usage(1, 10, 0.01)]);
        await make('r5', { workflow: 'gamma', tenant: 'acme', at: at + 4000 }, []);

        assert.deepEqual(await store.usageSummary({ groupBy: 'workflow' }), [
          {
            key: 'beta',
            runs: 2,
            usage: {
              calls: 3,
              inputTokens: 1010,
              outputTokens: 505,
              cachedInputTokens: 101,
              cacheWriteInputTokens: 400,
              costUsd: 1.51,
            },
          },
          {
            key: 'alpha',
            runs: 2,
            usage: {
              calls: 2,
              inputTokens: 300,
              outputTokens: 150,
              cachedInputTokens: 30,
              costUsd: 0.3,
              cacheHits: 1,
            },
          },
        ]);
        assert.deepEqual(
          (await store.usageSummary({ groupBy: 'tenant' })).map((g) => [g.key, g.runs, g.usage.costUsd]),
          [
            ['acme', 2, 1.8],
            [null, 1, 0.01],
            ['globex', 1, 0],
          ],
        );
        const window = await store.usageSummary({ groupBy: 'workflow', since: at + 1000, until: at + 3000 });
        assert.deepEqual(
          window.map((g) => [g.key, g.runs]),
          [
            ['beta', 1],
            ['alpha', 1],
          ],
        );
        assert.deepEqual(
          (await store.usageSummary({ groupBy: 'workflow', workflow: 'alpha', excludeRun: 'r2' })).map(
            (g) => [g.key, g.runs, g.usage.calls],
          ),
          [['alpha', 1, 2]],
        );
        assert.deepEqual(
          (await store.usageSummary({ groupBy: 'workflow', tenant: 'acme' })).map((g) => g.key),
          ['beta', 'alpha'],
        );
        assert.deepEqual(await store.usageSummary({ groupBy: 'workflow', workflow: 'gamma' }), []);
      }));

    test('cached responses are returned until they expire on the store clock, then pruned', () =>
      withStore(makeStore, async (store) => {
        const answer = {
          text: 'cached answer',
          toolCalls: [],
          usage: { calls: 1 },
          nested: [1, 'two', null],
        };
        assert.equal(await store.getCachedResponse('k1'), undefined);
        await store.putCachedResponse('k1', answer, 60_000);
        await store.putCachedResponse('k2', 'short-lived', 50);
        assert.deepEqual(await store.getCachedResponse('k1'), answer);
        assert.equal(await store.getCachedResponse('k2'), 'short-lived');
        await store.putCachedResponse('k1', { text: 'newer' }, 60_000);
        assert.deepEqual(await store.getCachedResponse('k1'), { text: 'newer' });
        await sleep(120);
        assert.equal(await store.getCachedResponse('k2'), undefined, 'expired entries are not served');
        assert.equal(await store.pruneResponseCache(), 1);
        assert.equal(await store.pruneResponseCache(), 0);
        assert.deepEqual(await store.getCachedResponse('k1'), { text: 'newer' });
      }));
  });
}
