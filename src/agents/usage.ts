/**
 * Usage accounting for LLM calls: the provider's token counts become Baton's `Usage`
 * (one call, tokens, USD cost from the price table). The engine sums recorded usage per
 * step and per run; the agent loop sums it per step for its own output and cost limit.
 */
import type { LanguageModelUsage } from 'ai';
import type { Usage } from '../kinds/types.ts';
import { costOf, findPrice, isFreeModel, type PriceTable } from './prices.ts';

export const ZERO_USAGE: Usage = {
  calls: 0,
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  costUsd: 0,
};

export interface PricingContext {
  prices: PriceTable;
  /** Called once per process for each model the price table does not know. */
  warnUnknownModel(model: string): void;
}

export function usageOfCall(
  model: string,
  usage: Partial<LanguageModelUsage> | undefined,
  pricing: PricingContext,
): Usage {
  const inputTokens = usage?.inputTokens ?? 0;
  const outputTokens = usage?.outputTokens ?? 0;
  const cachedInputTokens = usage?.inputTokenDetails?.cacheReadTokens ?? usage?.cachedInputTokens ?? 0;
  const cacheWriteInputTokens = usage?.inputTokenDetails?.cacheWriteTokens ?? 0;
  const price = findPrice(pricing.prices, model);
  if (!price && !isFreeModel(model)) pricing.warnUnknownModel(model);
  const costUsd = costOf(price, {
    inputTokens,
    outputTokens,
    cachedInputTokens,
    cacheWriteInputTokens,
    cacheWrite1hInputTokens: oneHourWrites(usage?.raw),
  });
  return {
    calls: 1,
    inputTokens,
    outputTokens,
    cachedInputTokens,
    ...(cacheWriteInputTokens > 0 ? { cacheWriteInputTokens } : {}),
    costUsd,
  };
}

/**
 * Cache writes with a 1-hour lifetime, billed higher than the default 5-minute ones. The SDK
 * counts all writes together; Anthropic's raw usage splits them in `cache_creation`.
 */
function oneHourWrites(raw: unknown): number {
  const split = (raw as { cache_creation?: { ephemeral_1h_input_tokens?: unknown } } | undefined)
    ?.cache_creation;
  const tokens = split?.ephemeral_1h_input_tokens;
  return typeof tokens === 'number' && tokens > 0 ? tokens : 0;
}

export function addUsage(a: Usage, b: Usage): Usage {
  const sum: Usage = {
    calls: a.calls + b.calls,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
    costUsd: Math.round((a.costUsd + b.costUsd) * 1e10) / 1e10,
  };
  // Like cacheHits: present only once a call wrote to the provider's prompt cache.
  if (a.cacheWriteInputTokens !== undefined || b.cacheWriteInputTokens !== undefined)
    sum.cacheWriteInputTokens = (a.cacheWriteInputTokens ?? 0) + (b.cacheWriteInputTokens ?? 0);
  // Present only once an answer came from the response cache, so usage without hits keeps its shape.
  if (a.cacheHits !== undefined || b.cacheHits !== undefined)
    sum.cacheHits = (a.cacheHits ?? 0) + (b.cacheHits ?? 0);
  return sum;
}

/** A warner that says each unknown model once per process. */
export function onceWarner(warn: (model: string) => void): (model: string) => void {
  const seen = new Set<string>();
  return (model) => {
    if (seen.has(model)) return;
    seen.add(model);
    warn(model);
  };
}
