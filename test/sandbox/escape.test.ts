import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { runScript, shutdownSandbox } from '../../src/sandbox/index.ts';
import { expectBatonError } from './expect-error.ts';

after(() => shutdownSandbox());

const HOST_NAMES = [
  'process',
  'require',
  'module',
  'exports',
  '__dirname',
  'Buffer',
  'fetch',
  'setTimeout',
  'setInterval',
  'setImmediate',
  'queueMicrotask',
  'WebAssembly',
  'Deno',
  'Bun',
  'std',
  'os',
  'scriptArgs',
];

describe('sandbox escape attempts find nothing of the host', () => {
  it('has no host globals', async () => {
    const { value } = await runScript(
      `return names.map((name) => [name, typeof globalThis[name]]).filter(([, type]) => type !== 'undefined')`,
      { names: HOST_NAMES },
    );
    assert.deepEqual(value, []);
  });

  it('reaches only the sandbox global object through the Function constructor', async () => {
    const { value } = await runScript(
      `const viaThis = this.constructor.constructor('return typeof process')();
       const viaConsole = console.log.constructor('return typeof require')();
       const viaArrow = (() => {}).constructor('return this')() === globalThis;
       const viaAsync = await (async () => {}).constructor('return typeof process')();
       return [viaThis, viaConsole, viaArrow, viaAsync];`,
      {},
    );
    assert.deepEqual(value, ['undefined', 'undefined', true, 'undefined']);
  });

  it('fails with a ReferenceError when the classic escape is attempted', async () => {
    const error = await expectBatonError(
      runScript('return this.constructor.constructor("return process")().env', {}),
      'SCRIPT_ERROR',
      false,
    );
    assert.match(error.message, /ReferenceError: 'process' is not defined/);
  });

  it('cannot import modules', async () => {
    const error = await expectBatonError(
      runScript('const fs = await import("fs"); return typeof fs', {}),
      'SCRIPT_ERROR',
      false,
    );
    assert.match(error.message, /could not load module 'fs'/);
  });

  it('cannot reach the host through eval or the console functions', async () => {
    const { value } = await runScript(
      `return [
         eval('typeof process'),
         (() => { try { return typeof console.log.caller; } catch { return 'blocked'; } })(),
         Object.getOwnPropertyNames(console.log).includes('prototype'),
         String(console.log).includes('native code'),
       ]`,
      {},
    );
    assert.deepEqual(value, ['undefined', 'blocked', false, true]);
  });

  it('does not leak prototype pollution into the host', async () => {
    await runScript('Object.prototype.polluted = "yes"; Array.prototype.evil = () => 1; return 1', {});
    const probe: Record<string, unknown> = {};
    assert.equal(probe.polluted, undefined);
    assert.equal(([] as unknown as Record<string, unknown>).evil, undefined);
  });

  it('returns data, never live objects: getters and functions in the result are not carried out', async () => {
    const { value } = await runScript('return { get computed() { return 5; }, fn() {} }', {});
    assert.deepEqual(value, { computed: 5 });
  });

  it('does not expose the host through the global object listing', async () => {
    const { value } = await runScript('return Object.getOwnPropertyNames(globalThis)', { input: 1 });
    const names = value as string[];
    assert.ok(names.includes('console'));
    assert.ok(names.includes('input'));
    for (const name of HOST_NAMES) assert.ok(!names.includes(name), `${name} is visible`);
  });
});
