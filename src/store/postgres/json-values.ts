/**
 * JSON parameters. History goes into `json` columns verbatim. Projections go into `jsonb`,
 * which cannot hold U+0000 or an unpaired surrogate (both legal in JavaScript strings and
 * in `json`); there they become U+FFFD so that an odd byte in an LLM answer degrades a read
 * model instead of failing the commit. The history keeps the exact value.
 */

/** `\u0000` or a lone-surrogate escape, not itself escaped (preceded by an even number of backslashes). */
const JSONB_UNSAFE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/gi;

export function jsonText(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export function jsonbText(value: unknown): string | null {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  return text.includes('\\u') ? text.replace(JSONB_UNSAFE_ESCAPE, '$1\\ufffd') : text;
}
