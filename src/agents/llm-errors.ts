/**
 * Provider failures as Baton errors with stable codes, so the step's retry policy can act
 * on them: rate limits, outages and unreadable answers are retryable (a rate limit carries the
 * provider's Retry-After as `retryAfterMs`), rejected requests are not. Messages name the model and
 * endpoint but never carry request bodies or headers, so no key or prompt leaks into history.
 */
import { APICallError, JSONParseError, LoadAPIKeyError, TypeValidationError } from '@ai-sdk/provider';
import { NoOutputGeneratedError } from 'ai';
import { BatonError, type JsonValue } from '../errors.ts';
import { parseRetryAfter } from '../kinds/http-response.ts';

const BODY_EXCERPT = 300;

/**
 * `missing` names the absent setting (an API key, an endpoint): such a model is skipped in a
 * fallback chain (model-call.ts). Without it (an unknown provider, a refused endpoint, a bad
 * mock script) the configuration is wrong rather than absent, and the step fails.
 */
export function notConfigured(model: string, how: string, missing?: string): BatonError {
  return new BatonError(
    'LLM_NOT_CONFIGURED',
    `Model ${model} is not configured: ${how}. For an offline dry run use model: mock:echo.`,
    { retryable: false, details: missing ? { model, missing } : { model } },
  );
}

/** The model's provider lacks a key or endpoint in this worker (see notConfigured). */
export function isUnconfigured(error: BatonError): boolean {
  return error.code === 'LLM_NOT_CONFIGURED' && typeof error.details.missing === 'string';
}

/** Turns whatever a provider call threw into a BatonError (BatonErrors pass through). */
export function llmError(error: unknown, model: string): BatonError {
  if (error instanceof BatonError) return error;
  if (LoadAPIKeyError.isInstance(error)) return notConfigured(model, error.message, 'API key');
  if (APICallError.isInstance(error)) return apiCallError(error, model);
  if (JSONParseError.isInstance(error)) return badResponse(model, `not JSON: ${clip(error.text)}`);
  if (TypeValidationError.isInstance(error)) {
    return badResponse(model, `not the provider's API format: ${clip(JSON.stringify(error.value) ?? '')}`);
  }
  if (NoOutputGeneratedError.isInstance(error))
    return badResponse(model, 'the stream ended without an answer');
  const streamed = streamedError(error);
  if (streamed) return streamedFailure(streamed, model);
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : typeof error;
  if (/timeout|timed out/i.test(message) || name === 'TimeoutError') {
    return new BatonError('LLM_UNAVAILABLE', `Model ${model} did not answer in time: ${message}`, {
      retryable: true,
      details: { model },
    });
  }
  return new BatonError('LLM_ERROR', `Model ${model} call failed: ${message}`, {
    retryable: false,
    details: { model, errorName: name },
  });
}

function apiCallError(error: APICallError, model: string): BatonError {
  const endpoint = safeEndpoint(error.url);
  const status = error.statusCode;
  const details: Record<string, JsonValue> = { model, endpoint };
  if (status === undefined) {
    return new BatonError(
      'LLM_UNREACHABLE',
      `Model ${model}: cannot reach ${endpoint} (${error.message}). Check the provider's base URL ` +
        '(role baseURL, OPENAI_BASE_URL, ANTHROPIC_BASE_URL, OLLAMA_BASE_URL or BATON_OPENAI_COMPATIBLE_BASE_URL) ' +
        'and that the server is running.',
      { retryable: true, details },
    );
  }
  const sdkError = sdkErrorIn(error.responseBody);
  if (sdkError) return badResponse(model, sdkError, endpoint);
  details.status = status;
  const providerMessage = excerpt(error);
  if (providerMessage) details.body = providerMessage;
  const said = providerMessage ? `: ${providerMessage}` : '';
  if (status === 429) {
    const retryAfterMs = retryAfter(error.responseHeaders);
    if (retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;
    return new BatonError(
      'LLM_RATE_LIMITED',
      `Model ${model} is rate limited (429 from ${endpoint})${said}`,
      {
        retryable: true,
        details,
      },
    );
  }
  if (status === 401 || status === 403) {
    return new BatonError(
      'LLM_NOT_CONFIGURED',
      `Model ${model}: ${endpoint} refused the API key (${status})${said}. Check the key in the worker's environment.`,
      { retryable: false, details },
    );
  }
  if (status >= 500 || status === 408) {
    return new BatonError('LLM_UNAVAILABLE', `Model ${model}: ${endpoint} failed with ${status}${said}`, {
      retryable: true,
      details,
    });
  }
  return new BatonError(
    'LLM_REQUEST_REJECTED',
    `Model ${model}: ${endpoint} rejected the request (${status})${said}`,
    {
      retryable: false,
      details,
    },
  );
}

/**
 * The provider's answer could not be read: a body that is not JSON or not the API's shape (a
 * proxy's error page, a wrong endpoint) or a stream cut short. Usually a transient fault of
 * something in between, so retryable; the message says what came back and what to check.
 */
export function badResponse(model: string, why: string, endpoint?: string): BatonError {
  return new BatonError(
    'LLM_BAD_RESPONSE',
    `Model ${model}: ${endpoint ?? 'the provider'} sent an answer Baton cannot read (${why}). ` +
      "If this persists, check the provider's base URL and any proxy in between.",
    { retryable: true, details: endpoint ? { model, endpoint } : { model } },
  );
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/**
 * The Anthropic client reports an unreadable first stream event as an APICallError whose
 * "body" is the serialized SDK error (`{"name":"AI_JSONParseError",…}`) and whose status (500)
 * the endpoint never sent: that is a bad response, not an outage.
 */
function sdkErrorIn(body: string | undefined): string | undefined {
  if (!body?.startsWith('{"name":"AI_')) return undefined;
  try {
    const parsed = JSON.parse(body) as { name: string; text?: unknown };
    return typeof parsed.text === 'string' ? `not JSON: ${clip(parsed.text)}` : parsed.name;
  } catch {
    return undefined;
  }
}

/**
 * An error the provider sent inside a 200 stream after it had begun (Anthropic's `error` event,
 * OpenAI's `{ error }` chunk): the SDK passes on the provider's plain `{ type, message }` object.
 */
function streamedError(error: unknown): { type?: string; message: string } | undefined {
  if (typeof error !== 'object' || error === null || error instanceof Error) return undefined;
  const { type, message } = error as { type?: unknown; message?: unknown };
  if (typeof message !== 'string') return undefined;
  return { type: typeof type === 'string' ? type : undefined, message };
}

/** Error types that mean "ask again later", as their HTTP statuses (429, 5xx/529) do. */
const STREAMED_OUTAGES: Record<string, string> = {
  rate_limit_error: 'LLM_RATE_LIMITED',
  overloaded_error: 'LLM_UNAVAILABLE',
  api_error: 'LLM_UNAVAILABLE',
  server_error: 'LLM_UNAVAILABLE',
};

function streamedFailure(error: { type?: string; message: string }, model: string): BatonError {
  const code = (error.type && STREAMED_OUTAGES[error.type]) ?? 'LLM_ERROR';
  const said = `${error.type ? `${error.type}: ` : ''}${error.message.slice(0, BODY_EXCERPT)}`;
  const details: Record<string, JsonValue> = { model };
  if (error.type) details.type = error.type;
  return new BatonError(code, `Model ${model} failed while streaming its answer (${said})`, {
    retryable: code !== 'LLM_ERROR',
    details,
  });
}

function retryAfter(headers: Record<string, string> | undefined): number | undefined {
  if (!headers) return undefined;
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const ms = Number(lower['retry-after-ms']);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  return parseRetryAfter(lower['retry-after'] ?? null, Date.now());
}

/** The provider's own error message when the body is JSON ({ error: { message } }), else a short excerpt. */
function excerpt(error: APICallError): string | undefined {
  const body = error.responseBody;
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const message =
      typeof parsed.error === 'string'
        ? parsed.error
        : typeof parsed.error?.message === 'string'
          ? parsed.error.message
          : typeof parsed.message === 'string'
            ? parsed.message
            : undefined;
    if (message) return message.slice(0, BODY_EXCERPT);
  } catch {
    // not JSON: fall through to the raw excerpt
  }
  return body.slice(0, BODY_EXCERPT);
}

/** The URL without query string or credentials (some gateways take keys in the query). */
export function safeEndpoint(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return 'the provider endpoint';
  }
}
