/**
 * How user code is wrapped and what runs in the VM before it.
 */

/** File name user code is compiled under; positions in stacks are reported against it. */
export const SCRIPT_FILENAME = 'script';
export const PRELUDE_FILENAME = 'baton-prelude';

/** Lines the wrapper adds before the first line of user code. */
export const WRAPPER_LINES_BEFORE = 1;

/**
 * The user's code is the body of an async function so it may `return` and `await`. A body that
 * deliberately closes the wrapper early only gets to run at the sandbox's global scope, which
 * grants nothing the function body does not already have.
 */
export function wrapUserCode(code: string): string {
  return `(async function () {\n${code}\n})()`;
}

/**
 * Runs before the user's code: defines the globals and `console` (whose methods are the host's log
 * function) and hands back the original JSON.stringify, so a script that replaces it cannot change
 * how its result is read. Kept tiny on purpose: QuickJS compiles it for every run, at roughly
 * 0.1 ms per kilobyte.
 */
export const PRELUDE_SOURCE = `(function (globalsJson, log) {
  'use strict';
  const define = Object.defineProperty;
  const globals = JSON.parse(globalsJson);
  const names = Object.keys(globals);
  for (let i = 0; i < names.length; i++) {
    define(globalThis, names[i], { value: globals[names[i]], writable: true, enumerable: true, configurable: true });
  }
  const console = Object.freeze({ log: log, info: log, warn: log, error: log, debug: log, trace: log });
  define(globalThis, 'console', { value: console, writable: true, configurable: true });
  return JSON.stringify;
})`;
