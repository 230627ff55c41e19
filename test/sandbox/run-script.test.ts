import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { LOGS_TRUNCATED_LINE, runScript, shutdownSandbox } from '../../src/sandbox/index.ts';

after(() => shutdownSandbox());

describe('runScript results', () => {
  it('runs the code as an async function body and returns its value', async () => {
    const result = await runScript('const n = input.items.length; return { count: n * 2 };', {
      input: { items: [1, 2, 3] },
    });
    assert.deepEqual(result.value, { count: 6 });
    assert.deepEqual(result.logs, []);
    assert.ok(result.durationMs >= 0);
  });

  it('returns every JSON type', async () => {
    const cases: [string, unknown][] = [
      ['return null', null],
      ['return true', true],
      ['return false', false],
      ['return 42.5', 42.5],
      ['return -0', 0],
      ['return "héllo ✓"', 'héllo ✓'],
      ['return [1, "a", null, [true]]', [1, 'a', null, [true]]],
      ['return { a: { b: [1, { c: "d" }] }, e: null }', { a: { b: [1, { c: 'd' }] }, e: null }],
    ];
    for (const [code, expected] of cases) {
      assert.deepEqual((await runScript(code, {})).value, expected, code);
    }
  });

  it('turns an undefined result, or no return at all, into null', async () => {
    assert.equal((await runScript('', {})).value, null);
    assert.equal((await runScript('const a = 1;', {})).value, null);
    assert.equal((await runScript('return undefined', {})).value, null);
    assert.equal((await runScript('return () => 1', {})).value, null);
  });

  it('applies JSON semantics to the result (NaN to null, undefined properties dropped, toJSON used)', async () => {
    const { value } = await runScript(
      'return { n: NaN, u: undefined, d: new Date(0), list: [undefined, () => 1] }',
      {},
    );
    assert.deepEqual(value, { n: null, d: '1970-01-01T00:00:00.000Z', list: [null, null] });
  });

  it('awaits promises at top level', async () => {
    const { value } = await runScript(
      `const double = async (x) => { await null; return x * 2; };
       const values = await Promise.all([double(1), double(2), Promise.resolve(3)]);
       const settled = await Promise.allSettled([Promise.reject(new Error('no'))]);
       return { values, status: settled[0].status };`,
      {},
    );
    assert.deepEqual(value, { values: [2, 4, 3], status: 'rejected' });
  });

  it('returns the resolved value when the code returns a promise', async () => {
    assert.equal((await runScript('return Promise.resolve(7).then((x) => x + 1)', {})).value, 8);
  });
});

describe('runScript globals', () => {
  it('makes each key a global variable', async () => {
    const { value } = await runScript('return [input.name, steps.fetch.output.status, item, typeof inputs]', {
      input: { name: 'Ada' },
      steps: { fetch: { output: { status: 200 } } },
      item: 3,
      inputs: [1],
    });
    assert.deepEqual(value, ['Ada', 200, 3, 'object']);
  });

  it('gives the script deep copies: mutations inside do not reach the host', async () => {
    const input = { list: [1, 2], nested: { flag: false } };
    const { value } = await runScript(
      'input.list.push(3); input.nested.flag = true; input.added = 1; delete input.list; return input;',
      { input },
    );
    assert.deepEqual(value, { nested: { flag: true }, added: 1 });
    assert.deepEqual(input, { list: [1, 2], nested: { flag: false } });
  });

  it('the result is a copy too: it does not alias the host object passed in', async () => {
    const input = { a: [1] };
    const { value } = await runScript('return input', { input });
    assert.deepEqual(value, input);
    assert.notEqual(value, input);
  });

  it('defines a global whose value is undefined as null, so the variable exists', async () => {
    const { value } = await runScript('return item', { item: undefined as unknown as null });
    assert.equal(value, null);
  });

  it('does not carry globals or prototype changes from one run to the next', async () => {
    await runScript(
      'globalThis.leaked = 1; Object.prototype.polluted = true; Array.prototype.push = null;',
      {},
    );
    const { value } = await runScript('return [typeof leaked, ({}).polluted, typeof [].push]', {});
    // ({}).polluted is undefined in a fresh run, which JSON turns into null inside an array.
    assert.deepEqual(value, ['undefined', null, 'function']);
  });
});

describe('runScript console capture', () => {
  it('captures log/info/warn/error/debug, one string per call, arguments joined by spaces', async () => {
    const { logs } = await runScript(
      `console.log('hello', 'world');
       console.info({ a: 1 }, [1, 2]);
       console.warn(1, true, null, undefined);
       console.error(new TypeError('bad'));
       console.debug(10n, function named() {});`,
      {},
    );
    assert.deepEqual(logs, [
      'hello world',
      '{"a":1} [1,2]',
      '1 true null undefined',
      'TypeError: bad',
      '10n [Function named]',
    ]);
  });

  it('does not fail on values that cannot be shown as JSON', async () => {
    const { logs, value } = await runScript(
      'const c = {}; c.self = c; console.log("cyclic", c); return 1',
      {},
    );
    assert.equal(value, 1);
    assert.equal(logs.length, 1);
    assert.match(logs[0], /^cyclic \[/);
  });

  it('keeps logs within maxLogBytes and then adds a single truncation line', async () => {
    const { logs, value } = await runScript(
      'for (let i = 0; i < 10000; i++) console.log("line " + i); return "done"',
      {},
      { maxLogBytes: 64 },
    );
    assert.equal(value, 'done');
    assert.equal(logs.at(-1), LOGS_TRUNCATED_LINE);
    assert.equal(logs.filter((line) => line === LOGS_TRUNCATED_LINE).length, 1);
    const kept = logs.slice(0, -1);
    assert.deepEqual(
      kept,
      kept.map((_, i) => `line ${i}`),
    );
    assert.ok(Buffer.byteLength(kept.join(''), 'utf8') <= 64);
  });

  it('truncates a single huge line without keeping any of it', async () => {
    const { logs } = await runScript(
      'console.log("x".repeat(1e6)); console.log("after")',
      {},
      { maxLogBytes: 1024 },
    );
    assert.deepEqual(logs, [LOGS_TRUNCATED_LINE]);
  });

  it('counts multi-byte characters as UTF-8 bytes', async () => {
    const { logs } = await runScript('console.log("é".repeat(6)); console.log("é")', {}, { maxLogBytes: 12 });
    assert.deepEqual(logs, ['éééééé', LOGS_TRUNCATED_LINE]);
  });
});
