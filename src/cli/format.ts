/**
 * Terminal formatting shared by every command: colours (off for NO_COLOR, dumb terminals
 * and pipes), aligned tables, durations, timestamps and run/step status symbols.
 */
import type { Writable } from 'node:stream';

export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

/** Colours only when the stream is a terminal and the user has not opted out (https://no-color.org). */
export function colourEnabled(
  stream: Writable & { isTTY?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== '') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export function createStyle(enabled: boolean): Style {
  const wrap = (open: number, close: number) => (text: string) =>
    enabled && text !== '' ? `\x1b[${open}m${text}\x1b[${close}m` : text;
  return {
    enabled,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  };
}

export function styleFor(stream: Writable & { isTTY?: boolean }): Style {
  return createStyle(colourEnabled(stream));
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

export function visibleLength(text: string): number {
  return text.replace(ANSI, '').length;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  style: Style,
): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => visibleLength(row[column] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1 ? cell : cell + ' '.repeat(widths[column] - visibleLength(cell)),
      )
      .join('  ')
      .trimEnd();
  return [style.bold(line(headers)), ...rows.map(line)].join('\n');
}

/** `3 ms`, `1.2 s`, `2m 05s`, `1h 02m`, `3d 4h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${pad2(seconds % 60)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)}h ${pad2(minutes % 60)}m`;
  const hours = Math.floor(minutes / 60);
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local wall-clock time `12:00:01`, with milliseconds when asked. */
export function formatTime(at: number, withMillis = false): string {
  const date = new Date(at);
  const time = `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
  return withMillis ? `${time}.${String(date.getMilliseconds()).padStart(3, '0')}` : time;
}

/** Local `2025-01-31 12:00:01`. */
export function formatDateTime(at: number): string {
  const date = new Date(at);
  return `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())} ${formatTime(at)}`;
}

export function formatAgo(at: number, now = Date.now()): string {
  const elapsed = now - at;
  if (elapsed < 1000) return 'just now';
  return `${formatDuration(elapsed)} ago`;
}

export function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, Math.max(0, max - 1))}…`;
}

/** Compact JSON for one-line summaries. */
export function compactJson(value: unknown, max = 80): string {
  return truncate(JSON.stringify(value) ?? 'undefined', max);
}

export function prettyJson(value: unknown): string {
  return JSON.stringify(value ?? null, null, 2);
}

const SYMBOLS: Record<string, string> = {
  pending: '○',
  scheduled: '○',
  running: '●',
  waiting: '⏸',
  paused: '⏸',
  completed: '✓',
  failed: '✗',
  skipped: '↷',
  cancelled: '⊘',
};

export function statusSymbol(status: string): string {
  return SYMBOLS[status] ?? '?';
}

/** Green for success, red for failure, yellow for "needs attention", dim for inactive. */
export function colourStatus(status: string, text: string, style: Style): string {
  switch (status) {
    case 'completed':
      return style.green(text);
    case 'failed':
      return style.red(text);
    case 'waiting':
    case 'paused':
    case 'cancelled':
      return style.yellow(text);
    case 'running':
      return style.cyan(text);
    case 'skipped':
    case 'pending':
    case 'scheduled':
      return style.dim(text);
    default:
      return text;
  }
}

/** Quotes an argument for a shell command line the user can copy. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@=+,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
