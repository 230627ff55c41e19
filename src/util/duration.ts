import { BatonError } from '../errors.ts';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const DURATION_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/;

/** Parses "500ms", "1.5s", "5m", "24h", "2d", "1w" or a number of milliseconds. Compound forms ("1h30m") too. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw invalid(value);
    return Math.round(value);
  }
  const compound = value.trim().match(/\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|w)/g);
  if (!compound || compound.join('').replace(/\s/g, '') !== value.replace(/\s/g, '')) {
    if (/^\s*\d+\s*$/.test(value)) return Number(value);
    throw invalid(value);
  }
  let total = 0;
  for (const part of compound) {
    const match = DURATION_PATTERN.exec(part);
    if (!match) throw invalid(value);
    total += Number(match[1]) * UNIT_MS[match[2]];
  }
  return Math.round(total);
}

export function isDuration(value: unknown): boolean {
  if (typeof value !== 'string' && typeof value !== 'number') return false;
  try {
    parseDuration(value);
    return true;
  } catch {
    return false;
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(2)}s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(2)}m`;
  if (ms < 86_400_000) return `${+(ms / 3_600_000).toFixed(2)}h`;
  return `${+(ms / 86_400_000).toFixed(2)}d`;
}

function invalid(value: unknown): BatonError {
  return new BatonError(
    'INVALID_DURATION',
    `"${value}" is not a duration; expected e.g. 500ms, 30s, 5m, 2h, 1d or a number of milliseconds`,
  );
}
