import { syntaxError } from './failures.ts';

/** A piece of a template string: literal text, or the text of one `${{ … }}` starting at `offset` in the source. */
export type Segment =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'expression'; readonly text: string; readonly offset: number };

/** Opens an expression inside a string. */
export const OPEN = '$' + '{{';

export function hasExpression(text: string): boolean {
  return text.includes(OPEN);
}

/**
 * Splits a template into literal text and expressions. The end of an expression is the first `}}` outside
 * string literals and outside braces opened within it, so `${{ {a: {b: 1}} }}` and `${{ '}}' }}` work.
 */
export function splitTemplate(source: string): Segment[] {
  const segments: Segment[] = [];
  let cursor = 0;
  while (cursor < source.length) {
    const open = source.indexOf(OPEN, cursor);
    if (open < 0) break;
    if (open > cursor) segments.push({ kind: 'text', text: source.slice(cursor, open) });
    const start = open + OPEN.length;
    const end = findExpressionEnd(source, start, open);
    segments.push({ kind: 'expression', text: source.slice(start, end), offset: start });
    cursor = end + 2;
  }
  if (cursor < source.length) segments.push({ kind: 'text', text: source.slice(cursor) });
  return segments;
}

function findExpressionEnd(source: string, start: number, open: number): number {
  let depth = 0;
  for (let i = start; i < source.length; i++) {
    const ch = source[i];
    if (ch === "'" || ch === '"') {
      i = skipString(source, i);
    } else if (ch === '{') {
      depth++;
    } else if (ch === '}') {
      if (depth > 0) depth--;
      else if (source[i + 1] === '}') return i;
    }
  }
  throw syntaxError(`Unterminated "${OPEN}" (missing "}}")`, source, open);
}

/** Index of the closing quote of the string literal opening at `quoteIndex`. */
function skipString(source: string, quoteIndex: number): number {
  const quote = source[quoteIndex];
  for (let i = quoteIndex + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === quote) return i;
  }
  throw syntaxError('Unterminated string literal', source, quoteIndex);
}
