import jsepObject from '@jsep-plugin/object';
import jsepSpread from '@jsep-plugin/spread';
import jsepTernary from '@jsep-plugin/ternary';
import jsep from 'jsep';
import type { BaseNode } from './ast.ts';
import { syntaxError } from './failures.ts';

/** Longest text allowed inside one `${{ }}` (or one bare expression). */
export const MAX_EXPRESSION_LENGTH = 10_000;

/**
 * jsep is a process-wide singleton. We only ADD to it, once, at import: the ternary/object/spread plugins
 * (registration is idempotent by name) and two position-tracking hooks that do nothing unless one of our
 * own parses is running. Operator tables are left untouched; operators we do not support (bitwise, `~`)
 * are rejected by the compiler instead, so other users of jsep see standard behaviour.
 */
jsep.plugins.register(jsepTernary, jsepObject, jsepSpread);

interface Tracking {
  readonly stack: number[];
  readonly starts: WeakMap<object, number>;
  readonly ends: WeakMap<object, number>;
}

let tracking: Tracking | null = null;

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const PERIOD = 46;

jsep.hooks.add(
  'gobble-token',
  function recordTokenStart(env) {
    if (tracking === null) return;
    tracking.stack.push(this.index);
    // jsep returns numeric literals without running 'after-token'; parse them here so every token is recorded.
    const code = this.code;
    const isNumber =
      (code >= DIGIT_0 && code <= DIGIT_9) ||
      (code === PERIOD &&
        !(
          this.expr.charCodeAt(this.index + 1) === PERIOD && this.expr.charCodeAt(this.index + 2) === PERIOD
        ));
    if (isNumber) env.node = this.gobbleNumericLiteral();
  },
  true,
);

jsep.hooks.add('after-token', function recordTokenEnd(env) {
  if (tracking === null) return;
  const start = tracking.stack.pop();
  const node = env.node;
  if (start === undefined || !node || typeof node !== 'object') return;
  // A parenthesised token is reported twice (inner, then as the group): keep the inner start so errors point
  // at the name, and the outer end so the closing parenthesis belongs to it.
  if (!tracking.starts.has(node)) tracking.starts.set(node, start);
  tracking.ends.set(node, this.index);
});

/** Source positions (0-based, inside the parsed text) of the nodes of one parse. */
export class NodePositions {
  readonly #text: string;
  readonly #starts: WeakMap<object, number>;
  readonly #ends: WeakMap<object, number>;

  constructor(text: string, starts: WeakMap<object, number>, ends: WeakMap<object, number>) {
    this.#text = text;
    this.#starts = starts;
    this.#ends = ends;
  }

  startOf(node: BaseNode): number {
    const start = this.#starts.get(node);
    if (start !== undefined) return start;
    if (node.type === 'BinaryExpression') return this.startOf(node.left as BaseNode);
    if (node.type === 'ConditionalExpression') return this.startOf(node.test as BaseNode);
    return 0;
  }

  /** Index just past the node's last character. */
  endOf(node: BaseNode): number {
    let end = this.#ends.get(node);
    if (end === undefined) {
      if (node.type === 'BinaryExpression') return this.endOf(node.right as BaseNode);
      if (node.type === 'ConditionalExpression') return this.endOf(node.alternate as BaseNode);
      return this.#text.length;
    }
    while (end > 0 && isSpace(this.#text.charCodeAt(end - 1))) end--;
    return end;
  }

  /** Index of the first non-space character at or after `index`. */
  skipSpaces(index: number): number {
    let at = index;
    while (at < this.#text.length && isSpace(this.#text.charCodeAt(at))) at++;
    return at;
  }

  /** Whether the text between two indices holds a comma (jsep accepts `f(a b)` and `{a: 1 b: 2}`). */
  hasCommaBetween(end: number, start: number): boolean {
    return this.#text.slice(end, start).includes(',');
  }

  charAt(index: number): string {
    return this.#text.charAt(index);
  }

  tokenAt(index: number): string {
    return tokenAt(this.#text, index);
  }

  /** Index of `needle` at or after `from`, or `from` when absent. */
  find(needle: string, from: number): number {
    const index = this.#text.indexOf(needle, from);
    return index < 0 ? from : index;
  }

  /** Members and calls start where the chain's first token starts; jsep records only the whole chain. */
  inheritChainStarts(node: BaseNode): void {
    const start = this.#starts.get(node);
    const link =
      node.type === 'MemberExpression' ? node.object : node.type === 'CallExpression' ? node.callee : null;
    if (start !== undefined && link && typeof link === 'object' && !this.#starts.has(link)) {
      this.#starts.set(link, start);
    }
  }
}

const WORD = /[\p{L}\p{N}_$]+/uy;

/** The word (identifier, keyword, number) or single character at `index`, for "Unexpected token" messages. */
export function tokenAt(text: string, index: number): string {
  WORD.lastIndex = index;
  const word = WORD.exec(text);
  return word ? word[0] : text.charAt(index);
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

export interface ParsedExpression {
  readonly ast: BaseNode;
  readonly positions: NodePositions;
}

/**
 * Parses `text` (the inside of one `${{ }}`). Errors are reported against `source`, the string the user wrote,
 * where `text` begins at `offset`.
 */
export function parseExpression(text: string, source: string, offset: number): ParsedExpression {
  if (text.length > MAX_EXPRESSION_LENGTH) {
    throw syntaxError(
      `Expression is too long (${text.length} characters; the limit is ${MAX_EXPRESSION_LENGTH})`,
      source,
      offset,
    );
  }
  if (text.trim() === '') throw syntaxError('Empty expression', source, offset);
  const state: Tracking = { stack: [], starts: new WeakMap(), ends: new WeakMap() };
  const previous = tracking;
  tracking = state;
  let ast: BaseNode;
  try {
    ast = jsep(text) as BaseNode;
  } catch (error) {
    throw translateJsepError(error, text, source, offset);
  } finally {
    tracking = previous;
  }
  const positions = new NodePositions(text, state.starts, state.ends);
  rejectIgnoredSeparators(ast, positions, text, source, offset);
  return { ast, positions };
}

/** jsep silently skips `;` and `,` between top-level expressions, so `a;` would otherwise parse as `a`. */
function rejectIgnoredSeparators(
  ast: BaseNode,
  positions: NodePositions,
  text: string,
  source: string,
  offset: number,
) {
  const first = positions.skipSpaces(0);
  const last = ast.type === 'Compound' ? text.length : positions.skipSpaces(positions.endOf(ast));
  const at = text[first] === ';' || text[first] === ',' ? first : last < text.length ? last : -1;
  if (at >= 0)
    throw syntaxError(`Unexpected token ${JSON.stringify(tokenAt(text, at))}`, source, offset + at);
}

interface JsepError {
  description: string;
  index: number;
}

function isJsepError(error: unknown): error is JsepError {
  return (
    error instanceof Error &&
    typeof (error as Partial<JsepError>).description === 'string' &&
    typeof (error as Partial<JsepError>).index === 'number'
  );
}

type Rewrite = (match: RegExpMatchArray, text: string, index: number) => { problem: string; index: number };

const atEndSuffix = (text: string, index: number) =>
  index >= text.length ? ' before the end of the expression' : '';

/** jsep's terse messages ("Unexpected token )", "missing }") rewritten into consistent, quoted ones. */
const REWRITES: ReadonlyArray<readonly [RegExp, Rewrite]> = [
  [
    /^Unexpected ?(?:token )?"?(.*?)"?$/,
    (match, text, index) => {
      // jsep reports some tokens after consuming them; point at the token itself.
      const at = text[index] !== match[1] && text[index - 1] === match[1] ? index - 1 : index;
      const problem =
        at >= text.length
          ? 'Unexpected end of expression'
          : `Unexpected token ${JSON.stringify(tokenAt(text, at))}`;
      return { problem, index: at };
    },
  ],
  [
    /^Expected expression after (.+)$/,
    (match, _, index) => ({ problem: `Expected an expression after ${JSON.stringify(match[1])}`, index }),
  ],
  [
    /^(?:Expected|missing) (.)$/,
    (match, text, index) => ({
      problem: `Expected ${JSON.stringify(match[1])}${atEndSuffix(text, index)}`,
      index,
    }),
  ],
  [/^Expected comma$/, (_, text, index) => ({ problem: `Expected ","${atEndSuffix(text, index)}`, index })],
  [/^Unclosed quote/, (_, __, index) => ({ problem: 'Unterminated string literal', index })],
  [/^Unclosed (.)$/, (match, _, index) => ({ problem: `Unclosed ${JSON.stringify(match[1])}`, index })],
  [
    /^(?:missing unaryOp argument|Expected expression)$/,
    (_, __, index) => ({ problem: 'Expected an expression', index }),
  ],
  [
    /^unexpected object property$/,
    (_, __, index) => ({ problem: 'Expected a value for the object property', index }),
  ],
];

function translateJsepError(error: unknown, text: string, source: string, offset: number) {
  if (error instanceof RangeError) return syntaxError('Expression is nested too deeply', source, offset);
  if (!isJsepError(error)) {
    const reason = error instanceof Error ? error.message : String(error);
    return syntaxError(`Cannot parse expression: ${reason}`, source, offset);
  }
  for (const [pattern, rewrite] of REWRITES) {
    const match = error.description.match(pattern);
    if (match) {
      const { problem, index } = rewrite(match, text, error.index);
      return syntaxError(problem, source, offset + index);
    }
  }
  return syntaxError(error.description, source, offset + error.index);
}
