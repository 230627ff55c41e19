/**
 * The one place an agent calls a model. In order: the response cache (opt-in; a hit costs
 * nothing and calls nobody), the budget (an estimate is reserved before the call and
 * reconciled when the turn is recorded), then the model chain: the primary model, and on a
 * rate limit, 5xx, timeout, unreachable endpoint or open circuit the next one. A model whose
 * provider has no key or endpoint in this worker is skipped; a `mock:` model only stands in
 * for such skipped models, so a chain `[openai:…, mock:script]` runs offline without a key and
 * against the provider with one. Each model has a circuit breaker. The answer says which model
 * gave it, whether it came from the cache and which models were passed over; the durable loop
 * records it as the turn's checkpoint.
 */
import type { LanguageModelV3 } from '@ai-sdk/provider';
import type { Spend } from '../core/budget.ts';
import { BatonError, type JsonValue } from '../errors.ts';
import type { Usage } from '../kinds/types.ts';
import { estimateCall } from './budget.ts';
import type { CircuitBreakers } from './circuit-breaker.ts';
import { isUnconfigured } from './llm-errors.ts';
import { type RecordedToolCall, streamTurn, type TurnAnswer, type TurnRequest } from './model-stream.ts';
import { splitModel } from './providers.ts';
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
  /** Told of each model skipped because this worker has no key or endpoint for its provider. */
  onSkip?: (skipped: PassedOver) => void;
}

/** A model of the chain that did not answer: it failed, its circuit was open, or it is not configured. */
export interface PassedOver {
  model: string;
  code: string;
  /** `not-configured`: skipped without a call, its provider has no key or endpoint in this worker. */
  reason?: 'not-configured';
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
  const record = await callChain(call, policy);
  // A mock's stand-in answer is not cached: once the real model is configured, it should answer.
  const standIn = isMock(record.model) && call.models.some((model) => !isMock(model));
  if (cache && key && !standIn) {
    const { fallbacks: _fallbacks, ...answer } = record;
    await cache.store.put(key, answer as unknown as JsonValue, cache.ttlMs);
  }
  return record;
}

async function callChain(call: ModelCall, policy: CallPolicy): Promise<TurnRecord> {
  const { breakers } = policy;
  const passed: PassedOver[] = [];
  const unconfigured: BatonError[] = [];
  const open: string[] = [];
  let lastFailure: BatonError | undefined;
  for (const model of call.models) {
    // A mock stands in for real models this worker has no key for, never for one that is down:
    // then the outage surfaces and the step's retry policy applies.
    if (isMock(model) && (lastFailure || open.length > 0)) continue;
    if (!breakers.tryAcquire(model)) {
      open.push(model);
      passed.push({ model, code: 'LLM_CIRCUIT_OPEN', message: `circuit open after repeated failures` });
      continue;
    }
    try {
      const answer = await streamTurn(call, model, () => call.resolve(model));
      breakers.success(model);
      return passed.length > 0 ? { ...answer, fallbacks: passed } : answer;
    } catch (error) {
      const failure = error instanceof BatonError ? error : undefined;
      if (!call.signal.aborted && failure && isUnconfigured(failure)) {
        breakers.release(model);
        const skip: PassedOver = {
          model,
          code: failure.code,
          reason: 'not-configured',
          message: failure.message,
        };
        // A lone model simply fails with its message; only a chain has a next model to warn about.
        if (call.models.length > 1) policy.onSkip?.(skip);
        passed.push(skip);
        unconfigured.push(failure);
        continue;
      }
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
  const tried = passed.filter((p) => p.reason !== 'not-configured');
  if (lastFailure && tried.length === 1) throw lastFailure;
  if (lastFailure) {
    throw new BatonError(
      lastFailure.code,
      `${call.where}: no model of the chain answered: ${passed.map((p) => `${p.model} (${p.code})`).join(', ')}. ` +
        `Last: ${lastFailure.message}`,
      { retryable: true, details: { ...lastFailure.details, fallbacks: passed as unknown as JsonValue } },
    );
  }
  if (open.length > 0) {
    const retryAfterMs = Math.min(...open.map((model) => breakers.retryAfterMs(model)));
    throw new BatonError(
      'LLM_CIRCUIT_OPEN',
      `${call.where}: the circuit of ${open.length === 1 ? `model ${open[0]}` : `every model of the chain (${open.join(', ')})`} ` +
        `is open after repeated failures; the next trial call is possible in ${Math.ceil(retryAfterMs / 1000)}s`,
      { retryable: true, details: { models: [...open], retryAfterMs } },
    );
  }
  if (unconfigured.length === 1) throw unconfigured[0];
  throw new BatonError(
    'LLM_NOT_CONFIGURED',
    `${call.where}: no model of the chain (${call.models.join(', ')}) is configured in this worker: ` +
      `${unconfigured.map((e) => e.message).join(' ')}`,
    { retryable: false, details: { models: [...call.models], fallbacks: passed as unknown as JsonValue } },
  );
}

function isMock(model: string): boolean {
  return splitModel(model).provider === 'mock';
}
