/**
 * Provider failures as Baton errors with stable codes, so the step's retry policy can act
 * on them: rate limits and outages are retryable (a rate limit carries the provider's
 * Retry-After as `retryAfterMs`), rejected requests are not. Messages name the model and
 * endpoint but never carry request bodies or headers, so no key or prompt leaks into history.
 */
import { APICallError, LoadAPIKeyError } from '@ai-sdk/provider';
import { BatonError, type JsonValue } from '../errors.ts';
import { parseRetryAfter } from '../kinds/http-response.ts';

const BODY_EXCERPT = 300;

export function notConfigured(model: string, how: string): BatonError {
  return new BatonError(
    'LLM_NOT_CONFIGURED',
    `Model ${model} is not configured: ${how}. For an offline dry run use model: mock:echo.`,
    { retryable: false, details: { model } },
  );
}

/** Turns whatever a provider call threw into a BatonError (BatonErrors pass through). */
export function llmError(error: unknown, model: string): BatonError {
  if (error instanceof BatonError) return error;
  if (LoadAPIKeyError.isInstance(error)) return notConfigured(model, error.message);
  if (APICallError.isInstance(error)) return apiCallError(error, model);
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
function safeEndpoint(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return 'the provider endpoint';
  }
}
