/**
 * Secret references. The scheduler never sees a secret's value: `secrets.NAME` evaluates to a
 * reference, `<<secret:NAME:NONCE>>`, which is what history records. The worker swaps the
 * reference for the value right before the request that needs it (runtime/step-secrets.ts).
 *
 * The nonce is what stops data from impersonating a reference: a run input or an HTTP response
 * that contains `<<secret:API_TOKEN:…>>` must not make a worker send API_TOKEN anywhere. The
 * nonce is a digest of the value it sits in, with every reference written as a bare placeholder
 * (`<<secret:NAME>>`). Forging one would take a string that contains the digest of itself. It
 * needs no key and no randomness, so the scheduler stays a pure function of its inputs, and it
 * travels inside the value, so the worker checks it without any other record.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../language/hash.ts';

/** A name as the `secrets:` section allows it (SECRET_NAME), then the nonce, unless it is a placeholder. */
const REFERENCE = /<<secret:([A-Za-z_][A-Za-z0-9_-]*)(?::([0-9a-f]{16}))?>>/g;
const REFERENCE_START = '<<secret:';

export type ValuePath = (string | number)[];

export interface SecretUse {
  name: string;
  /** Where in the value the reference is. */
  path: ValuePath;
}

export function secretPlaceholder(name: string): string {
  return `${REFERENCE_START}${name}>>`;
}

export function secretReference(name: string, nonce: string): string {
  return `${REFERENCE_START}${name}:${nonce}>>`;
}

/** The `secrets` variable of an expression: each declared name mapped to its placeholder or reference. */
export function secretTable(names: readonly string[], nonce?: string): Record<string, string> {
  const table: Record<string, string> = {};
  for (const name of names) table[name] = nonce ? secretReference(name, nonce) : secretPlaceholder(name);
  return table;
}

/** The nonce of a value whose references are all bare placeholders. */
export function nonceOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

/** True when `text` may hold a reference; cheap enough to ask of every string. */
export function mayHoldReference(text: string): boolean {
  return text.includes(REFERENCE_START);
}

/** Calls `visit` for every reference in `text` whose nonce is accepted, with its position. */
function eachReference(
  text: string,
  accepts: (nonce: string) => boolean,
  visit: (name: string, start: number, end: number) => void,
): void {
  if (!mayHoldReference(text)) return;
  for (const match of text.matchAll(REFERENCE)) {
    const nonce = match[2];
    if (nonce !== undefined && accepts(nonce)) visit(match[1], match.index, match.index + match[0].length);
  }
}

/** Every reference carrying one of `nonces` in a JSON-like value, with where it is. */
export function findSecrets(value: unknown, nonces: ReadonlySet<string>): SecretUse[] {
  const uses: SecretUse[] = [];
  walkStrings(value, [], (text, path) => {
    eachReference(
      text,
      (nonce) => nonces.has(nonce),
      (name) => uses.push({ name, path: path ?? [] }),
    );
    return text;
  });
  return uses;
}

/**
 * Rewrites the references carrying one of `nonces` in `text`: `replace` gets each name and
 * returns what stands in its place.
 */
export function replaceReferences(
  text: string,
  accepts: (nonce: string) => boolean,
  replace: (name: string) => string,
): string {
  let result = '';
  let last = 0;
  eachReference(text, accepts, (name, start, end) => {
    result += text.slice(last, start) + replace(name);
    last = end;
  });
  return last === 0 ? text : result + text.slice(last);
}

/**
 * Gives the references of a recorded value one nonce that covers the whole value. Fields are
 * evaluated one by one, each with its own nonce (`issued`); the worker sees only the result.
 */
export function seal<T>(value: T, issued: ReadonlySet<string>): T {
  const accepts = (nonce: string) => issued.has(nonce);
  const plain = mapStrings(value, (text) => replaceReferences(text, accepts, secretPlaceholder));
  const nonce = nonceOf(plain);
  return mapStrings(value, (text) =>
    replaceReferences(text, accepts, (name) => secretReference(name, nonce)),
  );
}

/** The nonce of the sealed references in a recorded value, or undefined when it holds none. */
export function sealedNonce(value: unknown): string | undefined {
  const candidates = new Set<string>();
  walkStrings(value, undefined, (text) => {
    eachReference(
      text,
      (nonce) => {
        candidates.add(nonce);
        return false;
      },
      () => undefined,
    );
    return text;
  });
  for (const nonce of candidates) {
    const plain = mapStrings(value, (text) =>
      replaceReferences(text, (found) => found === nonce, secretPlaceholder),
    );
    if (nonceOf(plain) === nonce) return nonce;
  }
  return undefined;
}

/** Copies a JSON-like value with every string passed through `map` (the value itself when nothing changed). */
export function mapStrings<T>(value: T, map: (text: string) => string): T {
  return walkStrings(value, undefined, (text) => map(text)) as T;
}

/** Walks the strings of plain objects and arrays; `path` is tracked only when given. */
function walkStrings(
  value: unknown,
  path: ValuePath | undefined,
  visit: (text: string, path: ValuePath | undefined) => string,
): unknown {
  if (typeof value === 'string') return visit(value, path);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, index) => {
      const next = walkStrings(item, path && [...path, index], visit);
      if (next === item) return;
      copy ??= [...value];
      copy[index] = next;
    });
    return copy ?? value;
  }
  if (value !== null && typeof value === 'object' && isPlain(value)) {
    let copy: Record<string, unknown> | undefined;
    for (const [key, item] of Object.entries(value)) {
      const next = walkStrings(item, path && [...path, key], visit);
      if (next === item) continue;
      copy ??= { ...value };
      copy[key] = next;
    }
    return copy ?? value;
  }
  return value;
}

function isPlain(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
