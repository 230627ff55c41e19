/**
 * Turns zod's issues into Baton's: one issue per problem, in the loader's wording
 * ("expected a string, got a number", "unknown key "x"; did you mean "y"?"), at the
 * right path. Custom messages written by a kind's schema are kept as they are.
 */
import type { z } from 'zod';
import { didYouMean, type IssuePath, type IssueSink, quoteList, suggest } from './issues.ts';
import { knownKeysAt } from './zod-walk.ts';

type ZodIssue = z.core.$ZodIssue;

/** Validates `value` with `schema`, reporting every issue under `basePath`; returns the parsed value on success. */
export function parseWith<T>(
  schema: z.ZodType<T>,
  value: unknown,
  basePath: IssuePath,
  sink: IssueSink,
): { ok: true; value: T } | { ok: false } {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  for (const issue of result.error.issues) reportIssue(issue, schema, basePath, [], sink);
  return { ok: false };
}

// zod's built-in messages start like this; anything else was written on purpose by a schema author.
const DEFAULT_MESSAGE = /^(Invalid|Too (small|big)|Unrecognized key)/;

function reportIssue(
  issue: ZodIssue,
  root: z.ZodType,
  basePath: IssuePath,
  prefix: IssuePath,
  sink: IssueSink,
): void {
  const relative = [...prefix, ...(issue.path as (string | number)[])];
  const path = [...basePath, ...relative];
  const custom = !DEFAULT_MESSAGE.test(issue.message);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(root, relative);
      for (const key of issue.keys) {
        const suggestion = suggest(key, known);
        sink.add([...path, key], `unknown key "${key}"${didYouMean(suggestion)}`, {
          at: 'key',
          suggestion,
          expected: known.length > 0 ? `one of ${quoteList(known)}` : undefined,
        });
      }
      return;
    }
    case 'invalid_type': {
      if (issue.input === undefined) {
        const key = path[path.length - 1];
        sink.add(path, `missing required key "${key}"`, { expected: describeType(issue.expected) });
        return;
      }
      const expected = describeType(issue.expected);
      const got = `got ${describeValue(issue.input)}`;
      sink.add(path, custom ? `${issue.message}, ${got}` : `expected ${expected}, ${got}`, { expected });
      return;
    }
    case 'invalid_value': {
      const values = issue.values.map((value) => JSON.stringify(value));
      const expected = values.length === 1 ? values[0] : `one of ${values.join(', ')}`;
      const strings = issue.values.filter((value): value is string => typeof value === 'string');
      const suggestion = typeof issue.input === 'string' ? suggest(issue.input, strings) : undefined;
      const message = custom
        ? issue.message
        : `expected ${expected}, got ${describeValue(issue.input)}${didYouMean(suggestion)}`;
      sink.add(path, message, { expected, suggestion });
      return;
    }
    case 'too_small':
    case 'too_big':
      sink.add(path, custom ? issue.message : describeBound(issue));
      return;
    case 'invalid_union':
      reportUnion(issue, root, basePath, relative, sink, custom);
      return;
    case 'invalid_key':
    case 'invalid_element':
      for (const inner of issue.issues) reportIssue(inner, root, basePath, relative, sink);
      return;
    case 'invalid_format': {
      const message = custom
        ? issue.message
        : issue.format === 'regex' && 'pattern' in issue
          ? `${describeValue(issue.input)} does not match the pattern ${String(issue.pattern)}`
          : `${describeValue(issue.input)} is not a valid ${issue.format}`;
      sink.add(path, message);
      return;
    }
    case 'not_multiple_of':
      sink.add(path, custom ? issue.message : `must be a multiple of ${issue.divisor}`);
      return;
    default:
      sink.add(path, issue.message);
  }
}

/**
 * A union failed. When every branch failed on the type alone, say which types were accepted; otherwise the
 * value had the right shape for some branch, so report that branch's issues, which are the precise ones.
 */
function reportUnion(
  issue: z.core.$ZodIssueInvalidUnion,
  root: z.ZodType,
  basePath: IssuePath,
  relative: IssuePath,
  sink: IssueSink,
  custom: boolean,
): void {
  const path = [...basePath, ...relative];
  const branches = issue.errors.filter((branch) => branch.length > 0);
  const shaped = branches.filter((branch) => !branch.every(isTypeMismatch));
  if (
    shaped.length > 0 &&
    !(custom && shaped.every((branch) => branch.every((inner) => inner.path.length === 0)))
  ) {
    // The branch the value got furthest into (deepest issue), then the one with the fewest problems.
    const depth = (branch: ZodIssue[]) => Math.max(...branch.map((inner) => inner.path.length));
    const best = shaped.reduce((a, b) =>
      depth(b) > depth(a) || (depth(b) === depth(a) && b.length < a.length) ? b : a,
    );
    for (const inner of best) reportIssue(inner, root, basePath, relative, sink);
    return;
  }
  if (custom) {
    sink.add(path, issue.message);
    return;
  }
  const expected = [...new Set(branches.flat().flatMap(expectedTypes))];
  const input = (branches[0]?.[0] as { input?: unknown } | undefined)?.input;
  const got = input === undefined ? '' : `, got ${describeValue(input)}`;
  sink.add(path, `expected ${expected.join(' or ')}${got}`, { expected: expected.join(' or ') });
}

function expectedTypes(issue: ZodIssue): string[] {
  if (issue.code === 'invalid_type') return [describeType(issue.expected)];
  if (issue.code === 'invalid_union') return issue.errors.flat().flatMap(expectedTypes);
  return [];
}

/** The value is not even of a type the schema accepts (so no branch-specific detail is worth showing). */
function isTypeMismatch(issue: ZodIssue): boolean {
  if (issue.path.length > 0) return false;
  if (issue.code === 'invalid_type') return true;
  return (
    issue.code === 'invalid_union' &&
    issue.errors.every((branch) => branch.length > 0 && branch.every(isTypeMismatch))
  );
}

function describeBound(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === 'too_small';
  const limit = Number(
    small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum,
  );
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case 'array':
    case 'set':
      if (small && limit === 1) return 'must not be empty';
      return `must have ${small ? 'at least' : 'at most'} ${limit} item${limit === 1 ? '' : 's'}`;
    case 'string':
      if (small && limit === 1) return 'must not be empty';
      return `must be ${small ? 'at least' : 'at most'} ${limit} character${limit === 1 ? '' : 's'} long`;
    default: {
      const relation = small ? (inclusive ? '≥' : '>') : inclusive ? '≤' : '<';
      const got = typeof issue.input === 'number' ? `, got ${issue.input}` : '';
      return `must be ${relation} ${limit}${got}`;
    }
  }
}

export function describeType(expected: string | undefined): string {
  switch (expected) {
    case 'object':
    case 'record':
    case 'map':
      return 'a mapping';
    case 'array':
    case 'tuple':
      return 'a list';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
    case undefined:
      return 'a value';
    default:
      return expected;
  }
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return value.length > 40 ? `a string` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}
