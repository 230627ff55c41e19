/**
 * Runs the real `baton` CLI as a child process in a temporary directory with its own
 * SQLite store, the way a user runs it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout+stderr; rejects after `timeoutMs` or on exit. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exit: Promise<Result>;
}

export class Workspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'baton-cli-'));
  readonly store = `sqlite:${join(this.dir, 'baton.db')}`;

  write(name: string, text: string): string {
    writeFileSync(join(this.dir, name), text);
    return name;
  }

  /** Starts `baton --store <tmp> ...args`; global options may also be given in `args`. */
  start(args: readonly string[], env: Record<string, string> = {}): Running {
    const child = spawn(process.execPath, [MAIN, '--store', this.store, ...args], {
      cwd: this.dir,
      env: { ...process.env, NO_COLOR: '1', BATON_HTTP_ALLOW: '', BATON_DATABASE_URL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const listeners = new Set<() => void>();
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      for (const listener of listeners) listener();
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      for (const listener of listeners) listener();
    });
    const exit = new Promise<Result>((resolve) =>
      child.on('close', (code) => resolve({ code, stdout, stderr })),
    );
    const waitFor = (pattern: RegExp, timeoutMs = 30_000) =>
      new Promise<RegExpMatchArray>((resolve, reject) => {
        const check = () => {
          const match = (stdout + stderr).match(pattern);
          if (!match) return false;
          finish();
          resolve(match);
          return true;
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`timed out waiting for ${pattern}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        }, timeoutMs);
        const onExit = () => {
          if (check()) return;
          finish();
          reject(new Error(`exited before ${pattern}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        };
        const finish = () => {
          clearTimeout(timer);
          listeners.delete(listener);
          child.off('close', onExit);
        };
        const listener = () => void check();
        if (check()) return;
        listeners.add(listener);
        child.on('close', onExit);
      });
    return { child, stdout: () => stdout, stderr: () => stderr, waitFor, exit };
  }

  run(args: readonly string[], env: Record<string, string> = {}): Promise<Result> {
    return this.start(args, env).exit;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`not JSON (${(error as Error).message}):\n${text}`);
  }
}

/** A run id printed in an approval hint or by `run --no-wait`. */
export function runIdFrom(text: string): string {
  const match = text.match(/\b(r[0-9a-z]{10,})\b/);
  if (!match) throw new Error(`no run id in:\n${text}`);
  return match[1];
}
