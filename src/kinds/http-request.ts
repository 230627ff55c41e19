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
  const method =
    typeof input.method === 'string' ? input.method.toUpperCase() : input.method == null ? 'GET' : '';
  if (!(HTTP_METHODS as readonly string[]).includes(method)) {
    throw invalid(
      where,
      `method must be one of ${HTTP_METHODS.join(', ')}, got ${describeJsonType(input.method)}`,
    );
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
    responseType:
      input.responseType === 'json' || input.responseType === 'text' ? input.responseType : 'auto',
    allowStatus: Array.isArray(input.allowStatus)
      ? input.allowStatus.filter((s) => typeof s === 'number')
      : [],
    maxResponseBytes:
      typeof input.maxResponseBytes === 'number' ? input.maxResponseBytes : DEFAULT_MAX_RESPONSE_BYTES,
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
    throw new BatonError(
      'HTTP_INVALID_URL',
      `${where}: url must be a non-empty string, got ${describeJsonType(value)}`,
    );
  }
  const problem = literalUrlProblem(value.trim());
  if (problem) throw new BatonError('HTTP_INVALID_URL', `${where}: ${problem}`);
  return new URL(value.trim());
}

function asRecord(value: JsonValue | undefined, field: string, where: string): Record<string, JsonValue> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(where, `${field} must be an object of name: value, got ${describeJsonType(value)}`);
  }
  return value;
}

function stringify(value: JsonValue): string {
  return typeof value === 'string'
    ? value
    : typeof value === 'object'
      ? JSON.stringify(value)
      : String(value);
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

/** Why a literal URL (no template) can never work, for load-time validation. */
export function literalUrlProblem(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return `only http: and https: URLs are allowed, got ${url.protocol}`;
    if (url.username || url.password)
      return 'credentials in the URL are not allowed; send them in an Authorization header';
    return undefined;
  } catch {
    return `"${value}" is not an absolute URL (expected e.g. https://api.example.com/path)`;
  }
}
