// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * Load-time checks of `secrets.NAME`: every name read must be declared in the `secrets:`
 * section, wherever it is written — in steps, in the workflow output, and in the tools and
 * MCP servers of the `agents:` and `tools:` sections (which the worker renders when it calls
 * them). Like `inputs.<name>`, names are found by a conservative scan of the expression text.
 */
import { didYouMean, type IssuePath, type IssueSink, suggest } from './issues.ts';

const SECRET_MEMBER = /(?<![\w$.])secrets\s*(?:\.\s*([A-Za-z_$][\w$]*)|\[\s*(['"])([^'"\\]*)\2\s*\])/g;
const TEMPLATE = /\$\{\{([\s\S]*?)\}\}/g;

export interface SecretCheck {
  sink: IssueSink;
  secretNames: readonly string[];
  scalarSource?: (path: IssuePath) => string | undefined;
}

/** Reports each undeclared secret that `text` reads, at its column when the scalar is on one line. */
export function checkSecretNames(
  path: IssuePath,
  text: string,
  mode: 'template' | 'expression',
  check: SecretCheck,
): void {
  const reported = new Set<string>();
  for (const { name, column } of secretMentions(text, mode)) {
    if (check.secretNames.includes(name) || reported.has(name)) continue;
    reported.add(name);
    const suggestion = suggest(name, check.secretNames);
    const declared =
      check.secretNames.length === 0
        ? 'the workflow declares no secrets; list them in a top-level secrets: section'
        : `declared secrets: ${check.secretNames.join(', ')}`;
    check.sink.add(
      path,
      `unknown secret "${name}"${didYouMean(suggestion)}${suggestion ? '' : ` (${declared})`}`,
      { suggestion, columnOffset: offsetInScalar(text, check.scalarSource?.(path), column) },
    );
  }
}

/** Checks the strings of the `agents:` and `tools:` sections (tool requests, MCP headers and env). */
export function checkSectionSecrets(sections: Record<string, unknown>, check: SecretCheck): void {
  for (const key of ['agents', 'tools']) {
    visitStrings(sections[key], [key], (text, path) => {
      if (text.includes('${{')) checkSecretNames(path, text, 'template', check);
    });
  }
}

/** The secrets an expression or template reads by a literal name, each with its 1-based column in `text`. */
export function secretMentions(
  text: string,
  mode: 'template' | 'expression',
): { name: string; column: number }[] {
  const spans: { body: string; start: number }[] = text.includes('${{')
    ? [...text.matchAll(TEMPLATE)].map((match) => ({ body: match[1], start: match.index + 3 }))
    : mode === 'expression'
      ? [{ body: text, start: 0 }]
      : [];
  const mentions: { name: string; column: number }[] = [];
  for (const { body, start } of spans) {
    for (const match of body.matchAll(SECRET_MEMBER)) {
      const name = match[1] ?? match[3];
      if (name !== undefined) mentions.push({ name, column: start + match.index + 1 });
    }
  }
  return mentions;
}

/**
 * A column inside a string maps onto the file when the string is written on one line as a plain
 * or simply quoted scalar; returns how far right of the scalar's start it is, else undefined.
 */
export function offsetInScalar(text: string, raw: string | undefined, column: unknown): number | undefined {
  if (typeof column !== 'number' || raw === undefined || raw.includes('\n')) return undefined;
  if (raw === text) return column - 1;
  const quote = raw[0];
  if ((quote === '"' || quote === "'") && raw.endsWith(quote) && raw.slice(1, -1) === text) return column;
  return undefined;
}

function visitStrings(value: unknown, path: IssuePath, visit: (text: string, path: IssuePath) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) {
    value.forEach((item, index) => {
      visitStrings(item, [...path, index], visit);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) visitStrings(item, [...path, key], visit);
  }
}
