/**
 * The one place an agent calls a model. In order: the response cache (opt-in; a hit costs
 * nothing and calls nobody), the budget (an estimate is reserved before the call and
 * reconciled when the turn is recorded), then the model chain: the primary model, and on a
 * rate limit, 5xx, timeout, unreachable endpoint or open circuit the next one. Each model has
 * a circuit breaker. The answer says which model gave it, whether it came from the cache and
 * which models were passed over; the durable loop records it as the turn's checkpoint.
 */
import type { LanguageModelV3 } from '@ai-sdk/provider';
import type { Spend } from '../core/budget.ts';
import { BatonError, type JsonValue } from '../errors.ts';
import type { Usage } from '../kinds/types.ts';
import { estimateCall } from './budget.ts';
import type { CircuitBreakers } from './circuit-breaker.ts';
import { type RecordedToolCall, streamTurn, type TurnAnswer, type TurnRequest } from './model-stream.ts';
import { type ResponseCache, responseCacheKey } from './response-cache.ts';

export type { RecordedToolCall };

export interface ModelCall extends TurnRequest {
  /** The model chain, primary first, each `provider:model-id`. */
  models: readonly string[];
  /** Builds a provider model; called only when that model is really called (not on a cache hit or replay). */
  resolve(model: string): LanguageModelV3 | Promise<LanguageModelV3>;
}

export interface CallPolicy {
  breakers: CircuitBreakers;
  cache?: { store: ResponseCache; ttlMs: number; mock?: unknown };
  /** Sets the call's estimated cost aside against the budget; throws when it does not allow the call. */
  reserve?: (estimate: Spend) => Promise<void>;
}

/** A model of the chain that did not answer: it failed, or its circuit was open. */
export interface PassedOver {
  model: string;
  code: string;
  message: string;
}

/** One model turn as recorded in history (`turn:<n>`). */
export interface TurnRecord extends TurnAnswer {
  /** Served from the response cache: no provider was called and nothing was paid. */
  cached?: boolean;
  /** Models of the chain passed over before `model` answered. */
  fallbacks?: PassedOver[];
}

/** The usage a cache hit records: no call, no tokens, no cost, one hit. */
export const CACHE_HIT_USAGE: Usage = {
  calls: 0,
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  costUsd: 0,
  cacheHits: 1,
};

/** Failures after which the next model of the chain is tried (and the model's circuit counts one more). */
const OUTAGES: ReadonlySet<string> = new Set(['LLM_RATE_LIMITED', 'LLM_UNAVAILABLE', 'LLM_UNREACHABLE']);

export async function callModel(call: ModelCall, policy: CallPolicy): Promise<TurnRecord> {
  const cache = policy.cache;
  const key = cache
    ? responseCacheKey({
        models: call.models,
        system: call.system,
        messages: call.messages,
        tools: call.tools,
        outputSchema: call.outputSchema,
        temperature: call.temperature,
        maxTokens: call.maxTokens,
        mock: cache.mock,
      })
    : undefined;
  if (cache && key) {
    const hit = await cache.store.get(key);
    if (hit && typeof hit === 'object' && !Array.isArray(hit)) {
      const { fallbacks: _fallbacks, ...answer } = hit as unknown as TurnRecord;
      return { ...answer, cached: true, usage: { ...CACHE_HIT_USAGE } };
    }
  }
  if (policy.reserve) {
    await policy.reserve(
      estimateCall(
        {
          models: call.models,
          system: call.system,
          messages: call.messages,
          tools: call.tools,
          outputSchema: call.outputSchema,
          maxTokens: call.maxTokens,
        },
        call.pricing.prices,
      ),
    );
  }
  const record = await callChain(call, policy.breakers);
  if (cache && key) {
    const { fallbacks: _fallbacks, ...answer } = record;
    await cache.store.put(key, answer as unknown as JsonValue, cache.ttlMs);
  }
  return record;
}

async function callChain(call: ModelCall, breakers: CircuitBreakers): Promise<TurnRecord> {
  const passed: PassedOver[] = [];
  let lastFailure: BatonError | undefined;
  for (const model of call.models) {
    if (!breakers.tryAcquire(model)) {
      passed.push({ model, code: 'LLM_CIRCUIT_OPEN', message: `circuit open after repeated failures` });
      continue;
    }
    try {
      const answer = await streamTurn(call, model, () => call.resolve(model));
      breakers.success(model);
      return passed.length > 0 ? { ...answer, fallbacks: passed } : answer;
    } catch (error) {
      const failure = error instanceof BatonError ? error : undefined;
      if (call.signal.aborted || !failure || !OUTAGES.has(failure.code)) {
        // The provider answered (a rejected request) or nothing was asked of it: no outage to count.
        if (failure?.code === 'LLM_REQUEST_REJECTED') breakers.success(model);
        else breakers.release(model);
        throw error;
      }
      breakers.failure(model);
      passed.push({ model, code: failure.code, message: failure.message });
      lastFailure = failure;
    }
  }
  if (lastFailure && call.models.length === 1) throw lastFailure;
  if (lastFailure) {
    throw new BatonError(
      lastFailure.code,
      `${call.where}: no model of the chain answered: ${passed.map((p) => `${p.model} (${p.code})`).join(', ')}. ` +
        `Last: ${lastFailure.message}`,
      { retryable: true, details: { ...lastFailure.details, fallbacks: passed as unknown as JsonValue } },
    );
  }
  const retryAfterMs = Math.min(...call.models.map((model) => breakers.retryAfterMs(model)));
  throw new BatonError(
    'LLM_CIRCUIT_OPEN',
    `${call.where}: the circuit of ${call.models.length === 1 ? `model ${call.models[0]}` : `every model of the chain (${call.models.join(', ')})`} ` +
      `is open after repeated failures; the next trial call is possible in ${Math.ceil(retryAfterMs / 1000)}s`,
    { retryable: true, details: { models: [...call.models], retryAfterMs } },
  );
}
