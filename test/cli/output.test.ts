import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { colourEnabled, createStyle, formatDuration, table } from '../../src/cli/format.ts';
import { parseInputPair } from '../../src/cli/inputs.ts';
import { createProgress } from '../../src/cli/progress.ts';
import type { RunEvent } from '../../src/core/events.ts';
import { evolve, newRunState } from '../../src/core/state.ts';

describe('formatting helpers', () => {
  test('durations read naturally at every scale', () => {
    assert.equal(formatDuration(3), '3 ms');
    assert.equal(formatDuration(1234), '1.2 s');
    assert.equal(formatDuration(125_000), '2m 05s');
    assert.equal(formatDuration(3_720_000), '1h 02m');
    assert.equal(formatDuration(3 * 86_400_000 + 4 * 3_600_000), '3d 4h');
  });

  test('colour is off for NO_COLOR and for pipes, on for terminals', () => {
    assert.equal(colourEnabled({ isTTY: true } as never, { TERM: 'xterm' }), true);
    assert.equal(colourEnabled({ isTTY: true } as never, { TERM: 'xterm', NO_COLOR: '1' }), false);
    assert.equal(colourEnabled({ isTTY: false } as never, {}), false);
    assert.equal(colourEnabled({ isTTY: true } as never, { TERM: 'dumb' }), false);
  });

  test('tables align on visible width, ignoring colour codes', () => {
    const style = createStyle(true);
    const text = table(
      ['A', 'B'],
      [
        [style.green('ok'), 'x'],
        ['longer', 'y'],
      ],
      createStyle(false),
    );
    const lines = text.split('\n');
    assert.equal(lines[0], 'A       B');
    assert.equal(lines[1], `${style.green('ok')}      x`);
    assert.equal(lines[2], 'longer  y');
  });

  test('--input values are JSON when they parse, else strings', () => {
    assert.deepEqual(parseInputPair('n=42'), ['n', 42]);
    assert.deepEqual(parseInputPair('flag=false'), ['flag', false]);
    assert.deepEqual(parseInputPair('obj={"a":[1]}'), ['obj', { a: [1] }]);
    assert.deepEqual(parseInputPair('quoted="42"'), ['quoted', '42']);
    assert.deepEqual(parseInputPair('name=Ada Lovelace'), ['name', 'Ada Lovelace']);
    assert.deepEqual(parseInputPair('expr=a=b'), ['expr', 'a=b']);
    assert.throws(() => parseInputPair('=x'), /--input expects key=value/);
  });
});

describe('live progress on a terminal', () => {
  test('redraws the step list in place and prints notes above it', () => {
    const writes: string[] = [];
    const stream = { isTTY: true, columns: 80, rows: 24, write: (chunk: string) => writes.push(chunk) > 0 };
    const progress = createProgress(stream as never, createStyle(false), true);
    const at = Date.now();
    const events: RunEvent[] = [
      { type: 'RunStarted', seq: 1, at, workflow: { name: 'demo', version: '1.0.0', hash: 'h' }, input: {} },
      { type: 'StepScheduled', seq: 2, at, path: 'fetch', attempt: 1, input: null, runAt: at },
      { type: 'StepCompleted', seq: 3, at: at + 5, path: 'fetch', attempt: 1, output: 1 },
    ];
    const state = newRunState('run-1', events[0] as Extract<RunEvent, { type: 'RunStarted' }>);
    progress.event(events[0], state);
    for (const event of events.slice(1)) progress.event(event, evolve(state, event));
    progress.note('waiting for approval on "x"');
    progress.finish();
    const output = writes.join('');
    assert.ok(output.startsWith('\x1b[?25l'), 'hides the cursor while drawing');
    assert.ok(output.includes('\x1b[2F\x1b[0J'), 'moves up over the previous frame and clears it');
    assert.match(output, /waiting for approval on "x"\n/);
    assert.match(output, /✓ fetch\s+5 ms/);
    assert.ok(output.endsWith('\x1b[?25h'), 'shows the cursor again at the end');
  });
});

describe('bin/baton.js', () => {
  test('runs the CLI from source', async () => {
    const bin = fileURLToPath(new URL('../../bin/baton.js', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [bin, '--version']);
    assert.match(stdout.trim(), /^\d+\.\d+\.\d+/);
  });
});
