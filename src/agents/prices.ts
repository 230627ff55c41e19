/**
 * The default LLM price table: USD per one million tokens, by provider and model id. It is
 * versioned and dated because providers change prices; an engine option or a JSON file
 * (`BATON_LLM_PRICES`) overrides or extends it. A model id matches an entry exactly or by the
 * longest prefix, so dated snapshots (`gpt-4o-mini-2024-07-18`) use their family's price.
 */
import { readFileSync } from 'node:fs';
import { BatonError } from '../errors.ts';

export interface ModelPrice {
  /** USD per 1M input tokens that were not served from the provider's prompt cache. */
  input: number;
  /** USD per 1M output tokens. */
  output: number;
  /** USD per 1M input tokens read from the prompt cache; defaults to `input`. */
  cachedInput?: number;
  /**
   * USD per 1M input tokens written to the prompt cache with the default 5-minute lifetime;
   * defaults to 1.25 × `input`, what Anthropic (the provider that reports writes) bills.
   */
  cacheWrite?: number;
  /** USD per 1M input tokens written to the prompt cache with a 1-hour lifetime; defaults to 2 × `input`. */
  cacheWrite1h?: number;
}

export interface PriceTable {
  version: string;
  /** Day the prices were checked against the providers' price pages. */
  date: string;
  /** `provider:model-id` (or a prefix of the model id) → price. */
  models: Record<string, ModelPrice>;
}

export const DEFAULT_PRICES: PriceTable = {
  version: '2025.11.2',
  date: '2025-11-01',
  models: {
    'openai:gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
    'openai:gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
    'openai:gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
    'openai:gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
    'openai:gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
    'openai:gpt-4.1-nano': { input: 0.1, cachedInput: 0.025, output: 0.4 },
    'openai:gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 },
    'openai:gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 },
    'openai:o3': { input: 2, cachedInput: 0.5, output: 8 },
    'openai:o3-mini': { input: 1.1, cachedInput: 0.55, output: 4.4 },
    'openai:o4-mini': { input: 1.1, cachedInput: 0.275, output: 4.4 },
    // Anthropic's prompt-cache writes cost 1.25 × input (5 minutes) or 2 × (1 hour): the defaults of cacheWrite*.
    'anthropic:claude-opus-4-5': { input: 5, cachedInput: 0.5, output: 25 },
    'anthropic:claude-opus-4-1': { input: 15, cachedInput: 1.5, output: 75 },
    'anthropic:claude-opus-4': { input: 15, cachedInput: 1.5, output: 75 },
    'anthropic:claude-sonnet-4-5': { input: 3, cachedInput: 0.3, output: 15 },
    'anthropic:claude-sonnet-4': { input: 3, cachedInput: 0.3, output: 15 },
    'anthropic:claude-3-7-sonnet': { input: 3, cachedInput: 0.3, output: 15 },
    'anthropic:claude-haiku-4-5': { input: 1, cachedInput: 0.1, output: 5 },
    'anthropic:claude-3-5-haiku': { input: 0.8, cachedInput: 0.08, output: 4 },
  },
};

/** Providers whose models cost nothing (local servers and the mock): no "unknown price" warning. */
const FREE_PROVIDERS = new Set(['mock', 'ollama']);

/**
 * The price table in effect: the defaults, then a JSON file named by `file` (or the
 * `BATON_LLM_PRICES` environment variable), then `overrides`; later entries win per model.
 */
export function loadPriceTable(
  overrides?: Partial<PriceTable>,
  file: string | undefined = process.env.BATON_LLM_PRICES,
): PriceTable {
  let table: PriceTable = { ...DEFAULT_PRICES, models: { ...DEFAULT_PRICES.models } };
  if (file) table = mergePrices(table, readPriceFile(file));
  if (overrides) table = mergePrices(table, overrides);
  return table;
}

function mergePrices(base: PriceTable, more: Partial<PriceTable>): PriceTable {
  return {
    version: more.version ?? base.version,
    date: more.date ?? base.date,
    models: { ...base.models, ...(more.models ?? {}) },
  };
}

const OPTIONAL_PRICES = ['cachedInput', 'cacheWrite', 'cacheWrite1h'] as const;

function readPriceFile(file: string): Partial<PriceTable> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new BatonError(
      'LLM_PRICES_INVALID',
      `cannot read the LLM price file ${file} (BATON_LLM_PRICES): ${(error as Error).message}`,
    );
  }
  const models = (parsed as { models?: unknown })?.models;
  if (typeof models !== 'object' || models === null || Array.isArray(models)) {
    throw new BatonError(
      'LLM_PRICES_INVALID',
      `the LLM price file ${file} must hold { "version", "date", "models": { "openai:gpt-4o": { "input": 2.5, "output": 10 } } }`,
    );
  }
  for (const [model, price] of Object.entries(models)) {
    const { input, output } = (price ?? {}) as Record<string, unknown>;
    if (typeof input !== 'number' || typeof output !== 'number') {
      throw new BatonError(
        'LLM_PRICES_INVALID',
        `the LLM price file ${file}: "${model}" needs numeric "input" and "output" (USD per 1M tokens)`,
      );
    }
    const other = OPTIONAL_PRICES.find((name) => name in price && typeof price[name] !== 'number');
    if (other) {
      throw new BatonError(
        'LLM_PRICES_INVALID',
        `the LLM price file ${file}: "${model}".${other} must be a number (USD per 1M tokens)`,
      );
    }
  }
  return parsed as Partial<PriceTable>;
}

/** The price of `provider:model-id`, or undefined when the table does not know it. */
export function findPrice(table: PriceTable, model: string): ModelPrice | undefined {
  const exact = table.models[model];
  if (exact) return exact;
  for (const key of Object.keys(table.models)) {
    if (model.startsWith(`${key}-`) && SNAPSHOT_SUFFIX.test(model.slice(key.length + 1)))
      return table.models[key];
  }
  return undefined;
}

/** What providers append to a model family for a snapshot: a date, `latest`, or a version number. */
const SNAPSHOT_SUFFIX = /^(\d{4}-\d{2}-\d{2}|\d{8}|latest|v?\d+(\.\d+)*)$/;

export function isFreeModel(model: string): boolean {
  return FREE_PROVIDERS.has(model.slice(0, model.indexOf(':')));
}

export interface CallTokens {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  /** Input tokens written to the prompt cache (part of `inputTokens`), of any lifetime. */
  cacheWriteInputTokens?: number;
  /** Of those, the ones written with a 1-hour lifetime. */
  cacheWrite1hInputTokens?: number;
}

/**
 * Cost in USD of one call. Cache reads and writes are part of `inputTokens` and billed at their
 * own prices; the rest of the input at `input`.
 */
export function costOf(price: ModelPrice | undefined, tokens: CallTokens): number {
  if (!price) return 0;
  const cached = Math.min(tokens.cachedInputTokens, tokens.inputTokens);
  const written = Math.min(tokens.cacheWriteInputTokens ?? 0, tokens.inputTokens - cached);
  const written1h = Math.min(tokens.cacheWrite1hInputTokens ?? 0, written);
  const usd =
    ((tokens.inputTokens - cached - written) * price.input +
      cached * (price.cachedInput ?? price.input) +
      (written - written1h) * (price.cacheWrite ?? price.input * 1.25) +
      written1h * (price.cacheWrite1h ?? price.input * 2) +
      tokens.outputTokens * price.output) /
    1_000_000;
  // Keeps sums of many small costs free of binary floating-point noise in reports.
  return Math.round(usd * 1e10) / 1e10;
}
