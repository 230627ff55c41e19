// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * `http: { url, method, … }` makes an HTTP request from a worker. Transient failures
 * (429, 5xx gateways, network errors, timeouts) are retryable; the request carries the
 * step's stable Idempotency-Key so a retried POST can be de-duplicated by the server.
 * Internal addresses are refused unless allow-listed (see http-guard.ts).
 */
import type { fetch } from 'undici';
import { z } from 'zod';
import { BatonError, type JsonValue } from '../errors.ts';
import { stepAborted } from './abort.ts';
import {
  buildRequest,
  DEFAULT_MAX_RESPONSE_BYTES,
  HEADER_NAME,
  HTTP_METHODS,
  type HttpRequestSpec,
  literalUrlProblem,
} from './http-request.ts';
import {
  decodeText,
  ERROR_BODY_EXCERPT,
  networkError,
  parseBody,
  readLimited,
  statusError,
} from './http-response.ts';
import { asJson, inputWithSecrets } from './shared.ts';
import type { ExecuteContext, SchemaKit, StepKind } from './types.ts';

export interface HttpConfig {
  url: string;
  method: (typeof HTTP_METHODS)[number];
  headers?: Record<string, unknown>;
  query?: Record<string, unknown>;
  body?: unknown;
  timeout?: number;
  responseType: 'auto' | 'json' | 'text';
  idempotencyKey: boolean;
  allowStatus?: number[];
  maxResponseBytes?: number;
}

export interface HttpOutput {
  status: number;
  headers: Record<string, string>;
  body: JsonValue;
}

export const httpKind: StepKind<HttpConfig> = {
  key: 'http',
  description: 'Makes an HTTP request; output is { status, headers, body }. Transient failures are retried.',
  defaultRetry: { attempts: 3 },
  secretFields: ['url', 'headers', 'query', 'body'],

  schema(kit: SchemaKit) {
    return z
      .strictObject({
        url: kit.templateString.describe('Absolute http(s) URL; may hold ${{ }} templates.'),
        method: z
          .string()
          .toUpperCase()
          .pipe(z.enum(HTTP_METHODS))
          .default('GET')
          .describe(`HTTP method: ${HTTP_METHODS.join(', ')} (default GET).`),
        headers: z
          .record(z.string().regex(HEADER_NAME, 'not a valid header name'), kit.template)
          .optional()
          .describe('Request headers; values may hold templates (e.g. ${{ secrets.API_TOKEN }}).'),
        query: z
          .record(z.string(), kit.template)
          .optional()
          .describe('Query parameters added to the URL; an array value repeats the parameter.'),
        body: kit.template
          .optional()
          .describe('Request body: objects and arrays are sent as JSON, strings as they are.'),
        timeout: kit.duration
          .optional()
          .describe('Time limit for the whole request, e.g. "10s"; defaults to the engine setting.'),
        responseType: z
          .enum(['auto', 'json', 'text'])
          .default('auto')
          .describe(
            'auto (default): parse JSON content types, text otherwise; json: always parse; text: never parse.',
          ),
        idempotencyKey: z
          .boolean()
          .default(true)
          .describe("Send the step's stable Idempotency-Key header (default true)."),
        allowStatus: z
          .array(z.number().int().min(100).max(599))
          .optional()
          .describe('Non-2xx statuses that count as success (e.g. [404]).'),
        maxResponseBytes: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe(
            `Largest response body accepted, in bytes (default ${DEFAULT_MAX_RESPONSE_BYTES}, 10 MiB).`,
          ),
      })
      .superRefine((value, issues) => {
        if (value.body !== undefined && (value.method === 'GET' || value.method === 'HEAD')) {
          issues.addIssue({
            code: 'custom',
            path: ['body'],
            message: `a ${value.method} request cannot have a body`,
          });
        }
        if (typeof value.url === 'string' && !value.url.includes('${{')) {
          const problem = literalUrlProblem(value.url);
          if (problem) issues.addIssue({ code: 'custom', path: ['url'], message: problem });
        }
      })
      .describe('An HTTP request.') as unknown as z.ZodType<HttpConfig>;
  },

  start(ctx) {
    return { type: 'task', input: asJson(ctx.evaluate(ctx.config)) };
  },

  async execute(ctx: ExecuteContext): Promise<JsonValue> {
    const where = `HTTP step "${ctx.path}"`;
    // Secrets are put in here, on the worker, just before the request: history keeps references.
    const input = await inputWithSecrets(ctx, httpKind.secretFields ?? []);
    const request = buildRequest(input, {
      idempotencyKey: ctx.idempotencyKey,
      defaultTimeoutMs: ctx.services.http.fetchTimeoutMs,
      where,
    });
    return (await send(request, ctx, where)) as unknown as JsonValue;
  },
};

async function send(request: HttpRequestSpec, ctx: ExecuteContext, where: string): Promise<HttpOutput> {
  const target = `${request.method} ${request.url.origin}${request.url.pathname}`;
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), request.timeoutMs);
  const signal = AbortSignal.any([ctx.signal, timeout.signal]);
  const failure = (error: unknown): BatonError => {
    if (ctx.signal.aborted) return stepAborted(ctx.signal, where);
    if (timeout.signal.aborted) {
      return new BatonError('HTTP_TIMEOUT', `${target} did not complete within ${request.timeoutMs} ms`, {
        retryable: true,
        details: { timeoutMs: request.timeoutMs },
      });
    }
    return networkError(error, target);
  };
  try {
    let response: Awaited<ReturnType<typeof fetch>>;
    try {
      const { fetch, guardedAgent } = await httpClient();
      response = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal,
        dispatcher: guardedAgent(ctx.services.http.allowHosts),
      });
    } catch (error) {
      throw failure(error);
    }
    const ok =
      (response.status >= 200 && response.status < 300) || request.allowStatus.includes(response.status);
    const contentType = response.headers.get('content-type');
    let bytes: Buffer | undefined;
    try {
      bytes = await readLimited(response.body, ok ? request.maxResponseBytes : ERROR_BODY_EXCERPT * 4, !ok);
    } catch (error) {
      throw failure(error);
    }
    if (bytes === undefined) {
      throw new BatonError(
        'HTTP_RESPONSE_TOO_LARGE',
        `${target} returned more than ${request.maxResponseBytes} bytes (maxResponseBytes); raise the limit or request less data`,
        { details: { status: response.status, maxResponseBytes: request.maxResponseBytes } },
      );
    }
    if (!ok)
      throw statusError(
        response.status,
        response.statusText,
        response.headers,
        decodeText(bytes, contentType),
        target,
      );
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    return {
      status: response.status,
      headers,
      body: parseBody(bytes, contentType, request.responseType, target),
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * undici and the address guard load on the first HTTP step: together they cost ~13 MiB and
 * ~150 ms at startup, which workflows without HTTP steps should not pay.
 */
async function httpClient() {
  const [{ fetch }, { guardedAgent }] = await Promise.all([import('undici'), import('./http-guard.ts')]);
  return { fetch, guardedAgent };
}
