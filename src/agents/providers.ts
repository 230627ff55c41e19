/**
 * Resolves `provider:model-id` to an AI SDK language model. Keys come from the engine's secrets
 * provider (by default the worker's environment), endpoints from the environment (or the role's
 * `apiKeyEnv` / `baseURL`), at call time and never from history: a missing key fails with one
 * message saying which name to set. Record and replay (record-replay.ts) wrap or replace the
 * model here, so every call site gets them. The built-in providers fetch through checkedFetch
 * (stream-response.ts), which refuses a 200 answer that is not an event stream.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { wrapLanguageModel } from 'ai';
import type { SecretsProvider } from '../runtime/secrets.ts';
import { notConfigured } from './llm-errors.ts';
import { createMockModel } from './mock-provider.ts';
import { recordingMiddleware, replayModel } from './record-replay.ts';
import { checkedFetch } from './stream-response.ts';

export type ProviderEnv = Readonly<Record<string, string | undefined>>;

/** Builds a model for a custom provider prefix (engine option `agents.providers`). */
export type ModelFactory = (modelId: string) => LanguageModelV3;

export interface ModelSettings {
  /** Endpoints and Baton's LLM settings (BATON_LLM_*). */
  env: ProviderEnv;
  /** API keys, by name (OPENAI_API_KEY, ANTHROPIC_API_KEY, a role's apiKeyEnv). */
  secrets: SecretsProvider;
  /** True when `secrets` is the engine's own provider rather than the environment, for messages. */
  customSecrets: boolean;
  providers: Readonly<Record<string, ModelFactory>>;
  /** File to record real exchanges into (BATON_LLM_RECORD). */
  record?: string;
  /** File to serve recorded exchanges from (BATON_LLM_REPLAY). */
  replay?: string;
  /** Endpoints a role's `baseURL` may name besides those configured in `env` (BATON_LLM_BASE_URLS). */
  allowBaseURLs?: readonly string[];
}

const ENDPOINT_VARIABLES = [
  'OPENAI_BASE_URL',
  'ANTHROPIC_BASE_URL',
  'OLLAMA_BASE_URL',
  'BATON_OPENAI_COMPATIBLE_BASE_URL',
];

export interface ModelRequest {
  model: string;
  baseURL?: string;
  apiKeyEnv?: string;
  mock?: unknown;
}

export function splitModel(model: string): { provider: string; modelId: string } {
  const separator = model.indexOf(':');
  return separator < 0
    ? { provider: '', modelId: model }
    : { provider: model.slice(0, separator), modelId: model.slice(separator + 1) };
}

export async function resolveModel(request: ModelRequest, settings: ModelSettings): Promise<LanguageModelV3> {
  const { provider } = splitModel(request.model);
  if (settings.replay && provider !== 'mock') return replayModel(settings.replay, request.model);
  const model = await providerModel(request, settings);
  if (settings.record && provider !== 'mock') {
    return wrapLanguageModel({
      model,
      middleware: recordingMiddleware(settings.record, request.model),
    }) as LanguageModelV3;
  }
  return model;
}

async function providerModel(request: ModelRequest, settings: ModelSettings): Promise<LanguageModelV3> {
  const { provider, modelId } = splitModel(request.model);
  if (request.baseURL !== undefined && provider !== 'mock')
    checkBaseURL(request.model, request.baseURL, settings);
  const { env } = settings;
  const custom = settings.providers[provider];
  if (custom) return custom(modelId);
  const fetch = checkedFetch(request.model);
  switch (provider) {
    case 'mock':
      return createMockModel(modelId, request.mock);
    case 'openai': {
      const apiKey = await key(request, settings, 'OPENAI_API_KEY');
      // Chat Completions rather than the Responses API: every OpenAI-compatible server speaks it too.
      return createOpenAI({ apiKey, baseURL: request.baseURL ?? env.OPENAI_BASE_URL, fetch }).chat(modelId);
    }
    case 'anthropic': {
      const apiKey = await key(request, settings, 'ANTHROPIC_API_KEY');
      return createAnthropic({ apiKey, baseURL: request.baseURL ?? env.ANTHROPIC_BASE_URL, fetch })(modelId);
    }
    case 'ollama':
      return createOpenAICompatible({
        name: 'ollama',
        baseURL: request.baseURL ?? env.OLLAMA_BASE_URL ?? 'http://127.0.0.1:11434/v1',
        includeUsage: true,
        fetch,
      }).chatModel(modelId);
    case 'openai-compatible': {
      const baseURL = request.baseURL ?? env.BATON_OPENAI_COMPATIBLE_BASE_URL;
      if (!baseURL) {
        throw notConfigured(
          request.model,
          'an OpenAI-compatible model needs an endpoint: set BATON_OPENAI_COMPATIBLE_BASE_URL ' +
            '(e.g. http://127.0.0.1:8000/v1) in the worker environment or baseURL in the role',
          'BATON_OPENAI_COMPATIBLE_BASE_URL',
        );
      }
      const keyName = request.apiKeyEnv ?? 'BATON_OPENAI_COMPATIBLE_API_KEY';
      return createOpenAICompatible({
        name: 'openai-compatible',
        baseURL,
        apiKey: (await settings.secrets.get(keyName)) || undefined,
        includeUsage: true,
        fetch,
      }).chatModel(modelId);
    }
    default:
      throw notConfigured(
        request.model,
        `unknown provider "${provider}"; use openai, anthropic, ollama, openai-compatible or mock, ` +
          'or register a provider with the engine option agents.providers',
      );
  }
}

async function key(request: ModelRequest, settings: ModelSettings, defaultName: string): Promise<string> {
  const name = request.apiKeyEnv ?? defaultName;
  const value = await settings.secrets.get(name);
  if (!value) {
    throw notConfigured(
      request.model,
      settings.customSecrets
        ? `no API key: set ${name} in the engine's secrets provider (createEngine({ secrets }))`
        : `no API key: set ${name} in the environment of the worker that runs agent steps`,
      name,
    );
  }
  return value;
}

/**
 * Endpoints are the operator's choice: a workflow's role may name one only when the worker's
 * environment configures it (or allow-lists it), so a workflow cannot send a provider key, or
 * requests, to a host of its author's choosing.
 */
function checkBaseURL(model: string, baseURL: string, settings: ModelSettings): void {
  const allowed = new Set<string>();
  const add = (url: string | undefined) => {
    const origin = originOf(url);
    if (origin) allowed.add(origin);
  };
  for (const name of ENDPOINT_VARIABLES) add(settings.env[name]);
  for (const url of settings.env.BATON_LLM_BASE_URLS?.split(',') ?? []) add(url.trim());
  for (const url of settings.allowBaseURLs ?? []) add(url);
  if (!allowed.has(originOf(baseURL) ?? baseURL)) {
    throw notConfigured(
      model,
      `the role's baseURL ${baseURL} is not an endpoint this worker allows; add its origin to BATON_LLM_BASE_URLS ` +
        '(comma-separated) or to the engine option agents.allowBaseURLs',
    );
  }
}

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
