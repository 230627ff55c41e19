/**
 * Reading an HTTP step's response: bounded body reads, JSON or text decoding, and the
 * mapping of statuses and transport failures to BatonErrors a retry policy can act on.
 */
import { BatonError, type JsonValue } from '../errors.ts';
import type { HttpRequestSpec } from './http-request.ts';

/** Statuses worth retrying: the server asked to come back later or a gateway failed in passing. */
export const RETRYABLE_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);
export const ERROR_BODY_EXCERPT = 500;

/** Reads a body up to `limit` bytes; beyond it either truncates (`truncate`) or returns undefined. */
export async function readLimited(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  truncate: boolean,
): Promise<Buffer | undefined> {
  if (!body) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > limit) {
      await reader.cancel().catch(() => {});
      if (!truncate) return undefined;
      chunks.push(value.subarray(0, limit - size));
      break;
    }
    size += value.byteLength;
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

export function decodeText(bytes: Buffer, contentType: string | null): string {
  const charset = /charset="?([^";\s]+)/i.exec(contentType ?? '')?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

export function isJsonContentType(contentType: string | null): boolean {
  return /^\s*(?:application|text)\/(?:[\w.+-]*\+)?json\s*(?:;|$)/i.test(contentType ?? '');
}

/** Retry-After as milliseconds from now: delay-seconds or an HTTP date; undefined when absent or invalid. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function parseBody(
  bytes: Buffer,
  contentType: string | null,
  responseType: HttpRequestSpec['responseType'],
  target: string,
): JsonValue {
  const text = decodeText(bytes, contentType);
  const wantsJson = responseType === 'json' || (responseType === 'auto' && isJsonContentType(contentType));
  if (!wantsJson) return text;
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    if (responseType === 'auto') return text;
    throw new BatonError(
      'HTTP_RESPONSE_INVALID',
      `${target} returned a body that is not JSON (responseType: json): ${(error as Error).message}`,
      {
        details: { body: text.slice(0, ERROR_BODY_EXCERPT) },
      },
    );
  }
}

export function statusError(
  status: number,
  statusText: string,
  headers: Headers | { get(name: string): string | null },
  body: string,
  target: string,
): BatonError {
  const retryable = RETRYABLE_STATUSES.has(status);
  const details: Record<string, JsonValue> = { status, body: body.slice(0, ERROR_BODY_EXCERPT) };
  const retryAfterMs = parseRetryAfter(headers.get('retry-after'), Date.now());
  if (retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;
  const hint = retryable ? '' : ' (not retried; list it in allowStatus to treat it as success)';
  return new BatonError(
    'HTTP_STATUS',
    `${target} responded ${status}${statusText ? ` ${statusText}` : ''}${hint}`,
    {
      retryable,
      details,
    },
  );
}

const NETWORK_CODES = /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/;

/** Finds our own refusal or a system error code in fetch's cause chain ("fetch failed" says nothing). */
export function networkError(error: unknown, target: string): BatonError {
  let cause: unknown = error;
  let code: string | undefined;
  let message = error instanceof Error ? error.message : String(error);
  for (let depth = 0; cause && depth < 8; depth++) {
    if (cause instanceof BatonError) return cause;
    const candidate = (cause as { code?: unknown }).code;
    if (!code && cause instanceof Error) message = cause.message;
    if (typeof candidate === 'string' && NETWORK_CODES.test(candidate)) code ??= candidate;
    cause = (cause as { cause?: unknown }).cause;
  }
  if (!code && /^bad port$/i.test(message)) {
    return new BatonError(
      'HTTP_INVALID_URL',
      `${target}: fetch refuses this port (a well-known non-HTTP port such as 25)`,
      {
        cause: error,
      },
    );
  }
  if (!code && error instanceof TypeError && !error.cause) {
    return new BatonError(
      'HTTP_INVALID_REQUEST',
      `${target}: the request could not be built: ${error.message}`,
      { cause: error },
    );
  }
  return new BatonError('HTTP_NETWORK', `${target} failed: ${message}`, {
    retryable: true,
    cause: error,
    details: code ? { code } : {},
  });
}
