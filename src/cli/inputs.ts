/**
 * Run inputs from the command line: `--input k=v` (JSON when the value parses as JSON,
 * else the plain string) over an optional `--input-file` object.
 */
import { readFile } from 'node:fs/promises';
import { usageError } from './exit.ts';

export function parseInputPair(pair: string): [string, unknown] {
  const equals = pair.indexOf('=');
  if (equals <= 0) throw usageError(`--input expects key=value, got "${pair}"`);
  const key = pair.slice(0, equals).trim();
  const text = pair.slice(equals + 1);
  if (key === '') throw usageError(`--input expects key=value, got "${pair}"`);
  return [key, parseLooseJson(text)];
}

/** `42` → 42, `true` → true, `{"a":1}` → object, `hello` → "hello"; `"42"` (quoted) stays a string. */
export function parseLooseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function readInputFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw usageError(
      `cannot read --input-file ${file}: ${code === 'ENOENT' ? 'no such file' : String(code ?? error)}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw usageError(
      `--input-file ${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw usageError(`--input-file ${file} must hold a JSON object of input names to values`);
  }
  return value as Record<string, unknown>;
}

export async function collectInputs(
  pairs: readonly string[],
  file: string | undefined,
): Promise<Record<string, unknown>> {
  const inputs: Record<string, unknown> = file === undefined ? {} : await readInputFile(file);
  for (const pair of pairs) {
    const [key, value] = parseInputPair(pair);
    inputs[key] = value;
  }
  return inputs;
}

/** Commander collector for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Collector for repeatable options that also accept comma-separated lists. */
export function collectList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  ];
}

export function parsePositiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw usageError(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}
