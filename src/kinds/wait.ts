// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * `wait: 30s`, `wait: { for: … }` or `wait: { until: … }` pauses the step on a durable
 * timer; a waiting run costs a database row, not memory.
 */
import { z } from 'zod';
import { parseDuration } from '../util/duration.ts';
import { describeJsonType, failOutcome } from './shared.ts';
import type { SchemaKit, StartOutcome, StepKind } from './types.ts';

export interface WaitConfig {
  /** Milliseconds, or a `${{ }}` template evaluating to a duration. */
  for?: number | string;
  /** `${{ }}` template or literal: ISO 8601 timestamp or epoch milliseconds. */
  until?: unknown;
}

/** ISO 8601 date or date-time; a date-time without an offset is read as UTC so every host agrees. */
const ISO_TIMESTAMP =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

export const waitKind: StepKind<WaitConfig> = {
  key: 'wait',
  description: 'Waits for a duration or until a point in time on a durable timer.',

  schema(kit: SchemaKit) {
    const duration = kit.durationOrTemplate.describe(
      'How long to wait: "30s", "5m", "2d", milliseconds, or a ${{ }} template.',
    );
    const full = z
      .strictObject({
        for: duration.optional(),
        until: kit.template
          .optional()
          .describe(
            'When to resume: an ISO 8601 timestamp ("2030-01-01T09:00:00Z") or epoch milliseconds; may be a template.',
          ),
      })
      .superRefine((value, issues) => {
        if ((value.for === undefined) === (value.until === undefined)) {
          issues.addIssue({ code: 'custom', message: 'wait needs exactly one of `for` or `until`' });
        }
      })
      .describe('Wait { for: duration } or { until: timestamp }.');
    return z
      .union([duration, full])
      .transform((value): WaitConfig => (typeof value === 'object' ? value : { for: value }))
      .describe('A duration ("30s"), { for: duration } or { until: timestamp }.');
  },

  start(ctx): StartOutcome {
    const { config, now } = ctx;
    if (config.for !== undefined) {
      const value = typeof config.for === 'number' ? config.for : ctx.evaluate(config.for);
      const ms = toDuration(value);
      if (ms === undefined) {
        return failOutcome(
          'WAIT_INVALID_TIME',
          `Step "${ctx.path}": wait.for evaluated to ${describeJsonType(value)}, which is not a duration (e.g. "30s", "5m" or milliseconds)`,
        );
      }
      return { type: 'timer', fireAt: now + ms };
    }
    const value = ctx.evaluate(config.until);
    const at = toTimestamp(value);
    if (at === undefined) {
      return failOutcome(
        'WAIT_INVALID_TIME',
        `Step "${ctx.path}": wait.until evaluated to ${describeJsonType(value)}, which is not an ISO 8601 timestamp or epoch milliseconds`,
      );
    }
    return { type: 'timer', fireAt: Math.max(now, at) };
  },
};

function toDuration(value: unknown): number | undefined {
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  try {
    return parseDuration(value);
  } catch {
    return undefined;
  }
}

function toTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.round(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const match = ISO_TIMESTAMP.exec(text);
  if (!match) return undefined;
  const hasTime = text.length > 10;
  const normalised = hasTime && !match[1] ? `${text.replace(' ', 'T')}Z` : text.replace(' ', 'T');
  const ms = Date.parse(normalised);
  return Number.isNaN(ms) ? undefined : ms;
}
