/**
 * `--require <module>`: loads user modules that register task handlers (and anything else)
 * on the engine, so `baton run` and `baton worker` can execute `task:` steps written in
 * TypeScript or JavaScript. A module exports `register(engine)` or a default function.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BatonError } from '../errors.ts';
import type { Engine } from '../runtime/engine.ts';

type Register = (engine: Engine) => unknown;

export async function loadHandlerModules(engine: Engine, specifiers: readonly string[]): Promise<void> {
  for (const specifier of specifiers) {
    const url = /^[./]/.test(specifier) ? pathToFileURL(resolve(specifier)).href : specifier;
    let module: { register?: unknown; default?: unknown };
    try {
      module = await import(url);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new BatonError('CLI_USAGE', `cannot load --require ${specifier}: ${reason.split('\n')[0]}`, {
        cause: error,
      });
    }
    const register = (typeof module.register === 'function' ? module.register : module.default) as
      | Register
      | undefined;
    if (typeof register !== 'function') {
      throw new BatonError(
        'CLI_USAGE',
        `--require ${specifier} must export a function register(engine) (or a default function)`,
      );
    }
    await register(engine);
  }
}
