/**
 * Turns an HTTP step's evaluated config (templates may have produced any JSON) into a
 * checked request, and reads responses within a size limit.
 */
import { BatonError, type JsonValue } from '../errors.ts';
import { parseDuration } from '../util/duration.ts';
import { describeJsonType } from './shared.ts';

export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export interface HttpRequestSpec {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  responseType: 'auto' | 'json' | 'text';
  allowStatus: number[];
  maxResponseBytes: number;
}

export function buildRequest(
  input: JsonValue,
  options: { idempotencyKey: string; defaultTimeoutMs: number; where: string },
): HttpRequestSpec {
  const { where } = options;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalid(where, `the request must be an object, got ${describeJsonType(input)}`);
  }
  const url = parseUrl(input.url, where);
  const method = typeof input.method === 'string' ? input.method.toUpperCase() : input.method == null ? 'GET' : '';
  if (!(HTTP_METHODS as readonly string[]).includes(method)) {
    throw invalid(where, `method must be one of ${HTTP_METHODS.join(', ')}, got ${describeJsonType(input.method)}`);
  }
  for (const [name, value] of Object.entries(asRecord(input.query, 'query', where))) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== null) url.searchParams.append(name, stringify(item));
    }
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(asRecord(input.headers, 'headers', where))) {
    if (!HEADER_NAME.test(name)) throw invalid(where, `"${name}" is not a valid header name`);
    if (value !== null) headers[name.toLowerCase()] = stringify(value);
  }
  if (input.idempotencyKey !== false && headers['idempotency-key'] === undefined) {
    headers['idempotency-key'] = options.idempotencyKey;
  }
  const spec: HttpRequestSpec = {
    url,
    method,
    headers,
    timeoutMs: timeoutOf(input.timeout, options.defaultTimeoutMs, where),
    responseType: input.responseType === 'json' || input.responseType === 'text' ? input.responseType : 'auto',
    allowStatus: Array.isArray(input.allowStatus) ? input.allowStatus.filter((s) => typeof s === 'number') : [],
    maxResponseBytes: typeof input.maxResponseBytes === 'number' ? input.maxResponseBytes : DEFAULT_MAX_RESPONSE_BYTES,
  };
  if (input.body !== undefined && input.body !== null) {
    if (method === 'GET' || method === 'HEAD') throw invalid(where, `a ${method} request cannot have a body`);
    if (typeof input.body === 'string') spec.body = input.body;
    else {
      spec.body = JSON.stringify(input.body);
      headers['content-type'] ??= 'application/json';
    }
  }
  return spec;
}

function parseUrl(value: JsonValue | undefined, where: string): URL {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new BatonError('HTTP_INVALID_URL', `${where}: url must be a non-empty string, got ${describeJsonType(value)}`);
  }
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new BatonError('HTTP_INVALID_URL', `${where}: "${value}" is not an absolute URL (expected e.g. https://api.example.com/path)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BatonError('HTTP_INVALID_URL', `${where}: only http: and https: URLs are allowed, got ${url.protocol}`, {
      details: { protocol: url.protocol },
    });
  }
  if (url.username || url.password) {
    throw new BatonError('HTTP_INVALID_URL', `${where}: credentials in the URL are not allowed; send them in an Authorization header`);
  }
  return url;
}

function asRecord(value: JsonValue | undefined, field: string, where: string): Record<string, JsonValue> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(where, `${field} must be an object of name: value, got ${describeJsonType(value)}`);
  }
  return value;
}

function stringify(value: JsonValue): string {
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function timeoutOf(value: JsonValue | undefined, fallback: number, where: string): number {
  if (value === undefined || value === null) return fallback;
  try {
    if (typeof value === 'number' || typeof value === 'string') return parseDuration(value);
  } catch {
    // reported below
  }
  throw invalid(where, `timeout must be a duration such as "30s", got ${describeJsonType(value)}`);
}

function invalid(where: string, message: string): BatonError {
  return new BatonError('HTTP_INVALID_REQUEST', `${where}: ${message}`);
}

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
