import {
  arrayOrEmpty,
  expectInteger,
  expectString,
  optionalInteger,
  stringOrEmpty,
} from './builtin-arguments.ts';
import type { BuiltinDefinition } from './builtin-definition.ts';
import { runtimeFault } from './failures.ts';
import { checkLength, MAX_STRING_LENGTH, structuralKey, tooLong, toText } from './values.ts';

const FORMAT_TOKEN = /\{\{|\}\}|\{(\d+)\}/g;

function format(template: unknown, ...args: unknown[]): string {
  const text = expectString('format', 1, template);
  let out = '';
  let last = 0;
  for (const match of text.matchAll(FORMAT_TOKEN)) {
    let piece: string;
    if (match[1] === undefined) {
      piece = match[0] === '{{' ? '{' : '}';
    } else {
      const index = Number(match[1]);
      if (index >= args.length) {
        throw runtimeFault(`format() placeholder {${index}} has no argument (${args.length} given)`, {
          function: 'format',
        });
      }
      piece = toText(args[index]);
    }
    out += text.slice(last, match.index) + piece;
    last = match.index + match[0].length;
    if (out.length > MAX_STRING_LENGTH) throw tooLong('format() result', out.length);
  }
  return checkLength(out + text.slice(last), 'format() result');
}

function join(list: unknown, separator: unknown = ','): string {
  const items = arrayOrEmpty('join', 1, list);
  const sep = expectString('join', 2, separator);
  const parts = new Array<string>(items.length);
  let total = items.length > 0 ? sep.length * (items.length - 1) : 0;
  for (let i = 0; i < items.length; i++) {
    parts[i] = toText(items[i]);
    total += parts[i].length;
    if (total > MAX_STRING_LENGTH) throw tooLong('join() result', total);
  }
  return parts.join(sep);
}

function contains(haystack: unknown, needle: unknown): boolean {
  if (haystack === null || haystack === undefined) return false;
  if (typeof haystack === 'string') {
    if (typeof needle === 'string') return haystack.includes(needle);
    if (typeof needle === 'number' || typeof needle === 'boolean') return haystack.includes(String(needle));
    return false;
  }
  if (Array.isArray(haystack)) {
    const key = structuralKey(needle);
    if (key === undefined) return haystack.includes(needle);
    return haystack.some((item) => item !== null && typeof item === 'object' && structuralKey(item) === key);
  }
  throw runtimeFault(`contains() expects a string or an array as argument 1, got ${typeof haystack}`, {
    function: 'contains',
  });
}

function slice(subject: unknown, start: unknown, end?: unknown): unknown {
  if (subject === null || subject === undefined) return subject;
  const from = expectInteger('slice', 2, start);
  const to = optionalInteger('slice', 3, end, Number.POSITIVE_INFINITY);
  if (typeof subject === 'string' || Array.isArray(subject)) {
    return to === Number.POSITIVE_INFINITY ? subject.slice(from) : subject.slice(from, to);
  }
  throw runtimeFault(`slice() expects a string or an array as argument 1, got ${typeof subject}`, {
    function: 'slice',
  });
}

export const TEXT_BUILTINS: readonly BuiltinDefinition[] = [
  { name: 'lower', min: 1, max: 1, call: (s) => stringOrEmpty('lower', 1, s).toLowerCase() },
  { name: 'upper', min: 1, max: 1, call: (s) => stringOrEmpty('upper', 1, s).toUpperCase() },
  { name: 'trim', min: 1, max: 1, call: (s) => stringOrEmpty('trim', 1, s).trim() },
  {
    name: 'startsWith',
    min: 2,
    max: 2,
    call: (s, prefix) =>
      s !== null &&
      s !== undefined &&
      stringOrEmpty('startsWith', 1, s).startsWith(expectString('startsWith', 2, prefix)),
  },
  {
    name: 'endsWith',
    min: 2,
    max: 2,
    call: (s, suffix) =>
      s !== null &&
      s !== undefined &&
      stringOrEmpty('endsWith', 1, s).endsWith(expectString('endsWith', 2, suffix)),
  },
  {
    name: 'split',
    min: 2,
    max: 2,
    call: (s, separator) => {
      if (s === null || s === undefined) return [];
      return expectString('split', 1, s).split(expectString('split', 2, separator));
    },
  },
  { name: 'join', min: 1, max: 2, call: join },
  { name: 'format', min: 1, max: Number.POSITIVE_INFINITY, call: format },
  { name: 'string', min: 1, max: 1, call: (value) => toText(value) },
  { name: 'contains', min: 2, max: 2, call: contains },
  { name: 'slice', min: 2, max: 3, call: slice },
];
