/**
 * The durability proof for agent steps: a real worker process runs a multi-turn tool loop
 * against the loopback LLM server and is SIGKILLed while a slow tool call of turn 2 runs.
 * A new process on the same SQLite file must finish the run without asking the model again
 * for the recorded turns (the server's request log shows they were not re-paid), without
 * re-running the recorded tool call, and re-running the interrupted call with the same
 * idempotency key.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/open.ts';
import { until } from '../helpers/engine.ts';
import { startLlmServer } from '../helpers/llm-server.ts';

const WORKER = fileURLToPath(new URL('./fixtures/agent-worker.ts', import.meta.url));

interface Effect {
  tool: string;
  phase: 'start' | 'end';
  key: string;
  pid: number;
}

function readEffects(file: string): Effect[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Effect);
  } catch {
    return [];
  }
}

function startWorker(args: string[]): {
  child: ChildProcess;
  stdout: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, [WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err = (err + chunk).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => (err ? `${out}\n[stderr]\n${err}` : out), exited };
}

test('SIGKILL in the middle of an agent loop: recorded turns are not re-paid, the interrupted tool re-runs with its key', {
  timeout: 180_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-agent-crash-'));
  const db = join(dir, 'baton.db');
  const effects = join(dir, 'effects.jsonl');
  const server = await startLlmServer([
    {
      toolCalls: [{ id: 'call_lookup', name: 'lookup', args: { q: 'revenue' } }],
      usage: { prompt: 100, completion: 10 },
    },
    {
      toolCalls: [{ id: 'call_write', name: 'slow_write', args: { text: 'Revenue was 42.' } }],
      usage: { prompt: 200, completion: 20 },
    },
    { text: 'The report is written.', usage: { prompt: 300, completion: 30 } },
  ]);
  const children: ChildProcess[] = [];
  try {
    const args = ['--db', db, '--effects', effects, '--llm', server.baseURL];
    const first = startWorker(args);
    children.push(first.child);
    await until(
      () => readEffects(effects).some((e) => e.tool === 'slow_write' && e.phase === 'start'),
      60_000,
    ).catch((error: unknown) => {
      throw new Error(
        `the first worker never reached the slow tool (${String(error)}); LLM requests: ${server.requests.length}, ` +
          `exit code: ${first.child.exitCode}\n${first.stdout()}`,
      );
    });
    first.child.kill('SIGKILL');
    await first.exited;
    assert.equal(server.requests.length, 2, 'turns 1 and 2 were asked before the kill');
    assert.ok(
      !readEffects(effects).some((e) => e.tool === 'slow_write' && e.phase === 'end'),
      'killed mid-call',
    );

    const second = startWorker([...args, '--until-done']);
    children.push(second.child);
    const code = await second.exited;
    assert.equal(code, 0, `the second worker finished the run:\n${second.stdout()}`);
    const result = JSON.parse(
      second
        .stdout()
        .split('\n')
        .find((line) => line.startsWith('{'))!,
    ) as {
      runId: string;
      output: { text: string; turns: number; toolCalls: string[] };
    };
    assert.equal(result.output.text, 'The report is written.');
    assert.equal(result.output.turns, 3);
    assert.deepEqual(result.output.toolCalls, ['lookup', 'slow_write']);

    assert.equal(server.requests.length, 3, 'after the restart only turn 3 was sent to the model');
    const third = server.requests[2].body.messages;
    assert.deepEqual(
      third.filter((m) => m.role === 'tool').map((m) => m.tool_call_id),
      ['call_lookup', 'call_write'],
      'turn 3 saw both tool results',
    );

    const log = readEffects(effects);
    const key = `${result.runId}:write:call_write`;
    assert.deepEqual(
      log.filter((e) => e.tool === 'lookup').map((e) => e.phase),
      ['start', 'end'],
      'the recorded lookup did not run again',
    );
    const writes = log.filter((e) => e.tool === 'slow_write');
    assert.deepEqual(
      writes.map((e) => e.phase),
      ['start', 'start', 'end'],
      'the interrupted call ran again',
    );
    assert.deepEqual(new Set(writes.map((e) => e.key)), new Set([key]), 'with the same idempotency key');
    assert.notEqual(writes[0].pid, writes[1].pid);

    const store = await openStore(`sqlite:${db}`);
    try {
      const history = await store.loadEvents(result.runId);
      const keys = history.flatMap((e) => (e.type === 'StepProgress' ? [e.key] : []));
      assert.deepEqual(keys, ['turn:1', 'tool:1:call_lookup', 'turn:2', 'tool:2:call_write', 'turn:3']);
      const cost = history.reduce(
        (sum, e) => sum + (e.type === 'StepProgress' && e.usage ? e.usage.inputTokens : 0),
        0,
      );
      assert.equal(cost, 600, 'each turn was metered exactly once');
    } finally {
      await store.close();
    }
  } finally {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
