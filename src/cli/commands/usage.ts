/** `baton usage`: LLM calls, tokens and cost totalled per workflow or per tenant. */
import type { Command } from 'commander';
import { BatonError } from '../../errors.ts';
import type { UsageQuery } from '../../store/types.ts';
import { parseDuration } from '../../util/duration.ts';
import { globalOptions, printJson, withEngine } from '../context.ts';
import { usageError } from '../exit.ts';
import { styleFor, table } from '../format.ts';
import { formatCount, formatUsd } from '../usage-text.ts';

interface UsageOptions {
  by: string;
  since?: string;
  until?: string;
  workflow?: string;
  tenant?: string;
}

export function registerUsage(program: Command): void {
  program
    .command('usage')
    .description(
      'LLM usage (calls, tokens, cost, cache hits) per workflow or per tenant, most expensive first',
    )
    .option('--by <group>', 'group by workflow or tenant', 'workflow')
    .option('--since <when>', 'only runs created since then: a duration ago (7d, 24h) or a date (2026-01-31)')
    .option('--until <when>', 'only runs created before then: a duration ago or a date')
    .option('--workflow <name>', 'only runs of this workflow')
    .option('--tenant <tenant>', 'only runs of this tenant')
    .action(async (options: UsageOptions, command: Command) => {
      const globals = globalOptions(command);
      if (options.by !== 'workflow' && options.by !== 'tenant') {
        throw usageError(`--by must be workflow or tenant, got "${options.by}"`);
      }
      const now = Date.now();
      const query: UsageQuery = { groupBy: options.by };
      if (options.since !== undefined) query.since = pointInTime(options.since, '--since', now);
      if (options.until !== undefined) query.until = pointInTime(options.until, '--until', now);
      if (options.workflow !== undefined) query.workflow = options.workflow;
      if (options.tenant !== undefined) query.tenant = options.tenant;
      const groups = await withEngine(globals, (engine) => engine.usage(query));
      if (globals.json) return printJson(groups);
      if (groups.length === 0) {
        process.stderr.write('no LLM usage recorded for these runs\n');
        return;
      }
      // Only providers that bill prompt-cache writes (Anthropic) report them: a column when there are some.
      const writes = groups.some((group) => group.usage.cacheWriteInputTokens);
      const rows = groups.map((group) => [
        group.key ?? '(none)',
        formatCount(group.runs),
        formatCount(group.usage.calls),
        formatCount(group.usage.inputTokens),
        formatCount(group.usage.outputTokens),
        formatCount(group.usage.cachedInputTokens),
        ...(writes ? [formatCount(group.usage.cacheWriteInputTokens ?? 0)] : []),
        formatCount(group.usage.cacheHits ?? 0),
        formatUsd(group.usage.costUsd),
      ]);
      const header = [
        options.by === 'tenant' ? 'TENANT' : 'WORKFLOW',
        'RUNS',
        'CALLS',
        'INPUT',
        'OUTPUT',
        'CACHED',
        ...(writes ? ['CACHE-WRITES'] : []),
        'HITS',
        'COST',
      ];
      process.stdout.write(`${table(header, rows, styleFor(process.stdout))}\n`);
    });
}

/** A duration before `now` ("7d") or a date/time ("2026-01-31", ISO 8601), in ms. */
function pointInTime(value: string, option: string, now: number): number {
  try {
    return now - parseDuration(value);
  } catch (error) {
    if (!(error instanceof BatonError)) throw error;
  }
  const at = Date.parse(value);
  if (Number.isNaN(at))
    throw usageError(`${option} expects a duration such as 7d or a date such as 2026-01-31, got "${value}"`);
  return at;
}
