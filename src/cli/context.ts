/**
 * What every command shares: the global options, the engine they open against the store,
 * and the `baton …` prefix used in the commands printed for the user to copy.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import pino from 'pino';
import { BatonError } from '../errors.ts';
import { createEngine, type Engine } from '../runtime/engine.ts';
import { redactUrl, resolveStoreUrl } from '../store/open.ts';
import { shellQuote } from './format.ts';

export interface GlobalOptions {
  store?: string;
  json: boolean;
  allowHost: string[];
  logLevel?: string;
  debug: boolean;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function globalOptions(command: Command): GlobalOptions {
  const all = command.optsWithGlobals<Partial<GlobalOptions>>();
  return {
    store: all.store,
    json: all.json === true,
    allowHost: all.allowHost ?? [],
    logLevel: all.logLevel,
    debug: all.debug === true,
  };
}

/** Hosts http steps may reach although private: `--allow-host` plus BATON_HTTP_ALLOW. */
export function allowedHosts(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (env.BATON_HTTP_ALLOW ?? '')
    .split(',')
    .map((host) => host.trim())
    .filter(Boolean);
  return [...new Set([...fromEnv, ...options.allowHost])];
}

export async function openEngine(options: GlobalOptions): Promise<Engine> {
  const url = resolveStoreUrl(options.store);
  // Loaded only when needed so SQLite users never load the PostgreSQL driver.
  if (/^postgres(ql)?:/.test(url)) await import('../store/postgres/register.ts');
  const logger = pino(
    { level: options.logLevel ?? process.env.BATON_LOG_LEVEL ?? 'warn' },
    pino.destination(2),
  );
  try {
    return await createEngine({ store: url, logger, allowHosts: allowedHosts(options) });
  } catch (error) {
    if (error instanceof BatonError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new BatonError('STORE_UNAVAILABLE', `cannot open the store ${redactUrl(url)}: ${reason}`, {
      retryable: true,
      details: { store: redactUrl(url) },
      cause: error,
    });
  }
}

/** Opens the engine, runs `action`, and always closes the store. */
export async function withEngine<T>(
  options: GlobalOptions,
  action: (engine: Engine) => Promise<T>,
): Promise<T> {
  const engine = await openEngine(options);
  try {
    return await action(engine);
  } finally {
    await engine.close();
  }
}

/** `baton` plus the global options needed to reach the same store, for commands printed to copy. */
export function batonCommand(options: GlobalOptions): string {
  const parts = ['baton'];
  if (options.store !== undefined) parts.push('--store', shellQuote(redactUrl(options.store)));
  return parts.join(' ');
}

/** Who decides or operates, for the audit trail: `--by`, else the operating-system user. */
export function actor(by: string | undefined): string | undefined {
  if (by !== undefined) return by;
  try {
    return userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value ?? null, null, 2)}\n`);
}
