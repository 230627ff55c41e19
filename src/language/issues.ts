/**
 * Validation issues: what the loader collects instead of throwing at the first problem, so
 * that one run of `baton validate` lists every mistake in a file with its position.
 */
import { closest, distance as levenshtein } from 'fastest-levenshtein';
import { BatonError } from '../errors.ts';

export type IssuePath = (string | number)[];

export interface Issue {
  file?: string;
  line?: number;
  column?: number;
  path: IssuePath;
  message: string;
  /** What was expected there, when it can be said briefly (a type, a list of allowed keys…). */
  expected?: string;
  /** The closest valid name, when the value looks like a misspelling. */
  suggestion?: string;
}

export interface Position {
  line: number;
  column: number;
}

/** Maps a path in the document to a position in the source; `key` asks for the key of a mapping entry. */
export interface Locator {
  locate(path: IssuePath, at: 'key' | 'value'): Position | undefined;
}

export interface IssueOptions {
  expected?: string;
  suggestion?: string;
  /** Report at the key of the entry rather than its value (unknown keys). */
  at?: 'key' | 'value';
  /** Characters to move right from the located position (an error inside a one-line string). */
  columnOffset?: number;
}

/** Collects issues, filling in positions from the source when there is one. */
export class IssueSink {
  readonly issues: Issue[] = [];
  readonly file: string | undefined;
  readonly locator: Locator | undefined;

  constructor(file: string | undefined, locator: Locator | undefined) {
    this.file = file;
    this.locator = locator;
  }

  add(path: IssuePath, message: string, options: IssueOptions = {}): void {
    const position = this.locator?.locate(path, options.at ?? 'value');
    const issue: Issue = { path: [...path], message };
    if (this.file !== undefined) issue.file = this.file;
    if (position) {
      issue.line = position.line;
      issue.column = position.column + (options.columnOffset ?? 0);
    }
    if (options.expected !== undefined) issue.expected = options.expected;
    if (options.suggestion !== undefined) issue.suggestion = options.suggestion;
    this.issues.push(issue);
  }

  /** Describes where a path is, for messages that point at another place ("first defined at line 4"). */
  describeLocation(path: IssuePath): string {
    const position = this.locator?.locate(path, 'value');
    return position ? `line ${position.line}` : formatPath(path);
  }

  get count(): number {
    return this.issues.length;
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `steps[2].http.url`; keys that are not identifiers are quoted: `inputs["my key"]`. */
export function formatPath(path: IssuePath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** `file:line:column: path: message`, leaving out the parts that are unknown. */
export function formatIssue(issue: Issue): string {
  const where: string[] = [];
  if (issue.file !== undefined) where.push(issue.file);
  if (issue.line !== undefined) {
    where.push(String(issue.line));
    if (issue.column !== undefined) where.push(String(issue.column));
  }
  const parts: string[] = [];
  if (where.length > 0) parts.push(where.join(':'));
  if (issue.path.length > 0) parts.push(formatPath(issue.path));
  parts.push(issue.message);
  return parts.join(': ');
}

export function formatIssues(issues: Issue[]): string {
  return issues.map(formatIssue).join('\n');
}

/** Orders issues by position so the report reads top to bottom; issues without a position keep their order. */
export function sortIssues(issues: Issue[]): Issue[] {
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => {
      const lineA = a.issue.line ?? Number.POSITIVE_INFINITY;
      const lineB = b.issue.line ?? Number.POSITIVE_INFINITY;
      if (lineA !== lineB) return lineA - lineB;
      const columnA = a.issue.column ?? 0;
      const columnB = b.issue.column ?? 0;
      if (columnA !== columnB) return columnA - columnB;
      return a.index - b.index;
    })
    .map((entry) => entry.issue);
}

export function workflowInvalid(issues: Issue[]): BatonError {
  const sorted = sortIssues(issues);
  const noun = sorted.length === 1 ? 'problem' : 'problems';
  return new BatonError('WORKFLOW_INVALID', formatIssues(sorted), {
    details: { issues: sorted, summary: `${sorted.length} ${noun} in workflow` },
  });
}

/**
 * The candidate a misspelt `word` most likely meant, or undefined when nothing is close enough
 * to be a useful suggestion (a wild guess is worse than none).
 */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const list = [...new Set(candidates)].filter((candidate) => candidate !== word);
  if (list.length === 0 || word === '') return undefined;
  const lower = word.toLowerCase();
  const sameLetters = list.find((candidate) => candidate.toLowerCase() === lower);
  if (sameLetters) return sameLetters;
  const extending = list.filter((candidate) => candidate.toLowerCase().startsWith(lower));
  if (lower.length >= 3 && extending.length === 1) return extending[0];
  const best = closest(
    lower,
    list.map((candidate) => candidate.toLowerCase()),
  );
  const match = list.find((candidate) => candidate.toLowerCase() === best);
  if (match === undefined) return undefined;
  const distance = levenshtein(lower, best);
  const allowed = Math.max(2, Math.floor(Math.max(word.length, match.length) / 3));
  return distance <= allowed && distance < Math.min(word.length, match.length) ? match : undefined;
}

/** `; did you mean "x"?` or nothing. */
export function didYouMean(suggestion: string | undefined): string {
  return suggestion === undefined ? '' : `; did you mean "${suggestion}"?`;
}

export function quoteList(values: readonly string[]): string {
  return values.map((value) => `"${value}"`).join(', ');
}
