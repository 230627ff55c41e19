import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { configureSandbox, runScript, shutdownSandbox } from '../../src/sandbox/index.ts';
import { expectBatonError } from './expect-error.ts';

after(() => shutdownSandbox());

describe('sandbox lifecycle', () => {
  it('fails running scripts retryably on shutdown and starts afresh afterwards', async () => {
    const running = expectBatonError(
      runScript('while (true) {}', {}, { timeoutMs: 10_000 }),
      'SANDBOX_FAILURE',
      true,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await shutdownSandbox();
    await running;
    assert.equal((await runScript('return 5', {})).value, 5);
  });

  it('rejects an invalid thread count', () => {
    assert.throws(() => configureSandbox({ maxThreads: 0 }), { code: 'INVALID_SANDBOX_OPTIONS' });
  });

  it('does not keep the process alive once scripts are done', () => {
    const sandbox = pathToFileURL(new URL('../../src/sandbox/index.ts', import.meta.url).pathname).href;
    const program = `import { runScript } from ${JSON.stringify(sandbox)};
      const { value } = await runScript('return input * 2', { input: 21 });
      console.log(JSON.stringify(value));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(child.error, undefined, 'the child process did not exit by itself');
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), '42');
  });
});
