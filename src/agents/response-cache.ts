/**
 * The LLM response cache, opt-in per role or step (`cache: { ttl: 1h }`): a turn's answer is
 * stored in the engine's store under a digest of everything that shapes it — the model chain,
 * instructions, messages, tools, output schema, sampling settings (and a mock model's script) —
 * so an identical request within the TTL is answered without calling the provider. Expiry is
 * measured on the store's clock. A cache that cannot be read or written never fails a call.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { JsonValue } from '../errors.ts';
import type { Store } from '../store/types.ts';
import type { Clock } from '../util/clock.ts';

/** Cache-key format version: bump when what goes into the key changes meaning. */
const KEY_VERSION = 'v1';
/** Expired entries are deleted at most this often per process. */
const PRUNE_EVERY_MS = 3_600_000;

export interface CacheKeyParts {
  models: readonly string[];
  system?: string;
  messages: unknown;
  tools: readonly { name: string; description?: string; inputSchema: unknown }[];
  outputSchema?: unknown;
  temperature?: number;
  maxTokens?: number;
  /** A mock:script model's replies, which shape its answers like a prompt does. */
  mock?: unknown;
}

export function responseCacheKey(parts: CacheKeyParts): string {
  const relevant = {
    models: parts.models,
    system: parts.system ?? null,
    messages: parts.messages,
    tools: parts.tools.map((tool) => ({
      name: tool.name,
      description: tool.description ?? null,
      inputSchema: tool.inputSchema,
    })),
    outputSchema: parts.outputSchema ?? null,
    temperature: parts.temperature ?? null,
    maxTokens: parts.maxTokens ?? null,
    mock: parts.models.some((model) => model.startsWith('mock:')) ? (parts.mock ?? null) : null,
  };
  return `${KEY_VERSION}:${createHash('sha256').update(canonicalJson(relevant)).digest('hex')}`;
}

export class ResponseCache {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #log?: Logger;
  #prunedAt = Number.NEGATIVE_INFINITY;

  constructor(store: Store, clock: Clock, log?: Logger) {
    this.#store = store;
    this.#clock = clock;
    this.#log = log;
  }

  async get(key: string): Promise<JsonValue | undefined> {
    try {
      return await this.#store.getCachedResponse(key);
    } catch (error) {
      this.#log?.warn({ err: error }, 'LLM response cache lookup failed; calling the model');
      return undefined;
    }
  }

  async put(key: string, value: JsonValue, ttlMs: number): Promise<void> {
    try {
      await this.#store.putCachedResponse(key, value, ttlMs);
      const now = this.#clock.now();
      if (now - this.#prunedAt >= PRUNE_EVERY_MS) {
        this.#prunedAt = now;
        await this.#store.pruneResponseCache();
      }
    } catch (error) {
      this.#log?.warn({ err: error }, 'LLM response cache write failed; the answer is not cached');
    }
  }
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item) => {
    if (item && typeof item === 'object' && !Array.isArray(item)) {
      return Object.fromEntries(
        Object.entries(item as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
      );
    }
    return item;
  });
}
