/**
 * A loopback LLM server for agent tests: a real `node:http` server on 127.0.0.1 speaking the
 * OpenAI Chat Completions API (`POST /v1/chat/completions`) and the Anthropic Messages API
 * (`POST /v1/messages`, anthropic-api.ts), each as JSON and as SSE streaming. It serves one
 * script of replies in order, whichever API asks — text, tool calls, usage numbers, errors,
 * malformed bodies — and records every request it got. Pointing the real AI SDK clients at it
 * (OPENAI_BASE_URL or ANTHROPIC_BASE_URL = `baseURL`, any key) exercises the provider paths
 * end to end without the network.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  anthropicErrorBody,
  invalidMessagesRequest,
  type MessagesRequest,
  sendMessagesReply,
} from './anthropic-api.ts';

export type { ContentBlock, MessagesRequest } from './anthropic-api.ts';

export interface ScriptedToolCall {
  id?: string;
  name: string;
  args: unknown;
}

/** A model's answer. */
export interface ScriptedAnswer {
  text?: string;
  toolCalls?: ScriptedToolCall[];
  /**
   * Token counts as OpenAI reports them: `prompt` includes the `cached` (prompt-cache read)
   * tokens. The Messages API reports them apart, as input_tokens and cache_read_input_tokens,
   * and reports `cacheWrite` (prompt-cache writes, also part of `prompt`; `cacheWrite1h` of
   * them with a 1-hour lifetime) as cache_creation_input_tokens; Chat Completions ignores it.
   */
  usage?: {
    prompt?: number;
    completion?: number;
    cached?: number;
    cacheWrite?: number;
    cacheWrite1h?: number;
  };
  /** Wait this long before answering (after the request is read). */
  delayMs?: number;
  /**
   * Fail inside a 200 stream with this provider error (e.g. `{ type: "overloaded_error",
   * message: "Overloaded" }`) after the first content has streamed; a JSON request gets it as
   * a 529 (overloaded) or 500 instead.
   */
  streamError?: { type: string; message: string };
}

/** An HTTP error in the API's own error format; `retryAfterSeconds` sets Retry-After. */
export interface ScriptedError {
  status: number;
  message?: string;
  retryAfterSeconds?: number;
}

/** A body sent as is (default status 200, JSON content type): for malformed responses. */
export interface ScriptedRaw {
  raw: string;
  status?: number;
  contentType?: string;
}

export type ScriptedReply = ScriptedAnswer | ScriptedError | ScriptedRaw;

export interface RecordedRequest<Body = ChatRequest> {
  method: string;
  path: string;
  authorization?: string;
  /** The `x-api-key` header, which the Messages API authenticates with. */
  apiKey?: string;
  /** The `anthropic-version` header. */
  anthropicVersion?: string;
  idempotencyKey?: string;
  body: Body;
}

export interface ChatRequest {
  model: string;
  stream?: boolean;
  messages: {
    role: string;
    content?: unknown;
    tool_calls?: { id: string; function: { name: string } }[];
    tool_call_id?: string;
  }[];
  tools?: { function: { name: string } }[];
  response_format?: { type: string; json_schema?: unknown };
  temperature?: number;
  [key: string]: unknown;
}

export interface LlmServer {
  /** Base URL for either client, ending in /v1. */
  baseURL: string;
  /** Chat Completions requests (and requests to paths the server does not speak). */
  requests: RecordedRequest[];
  /** Messages API requests. */
  anthropicRequests: RecordedRequest<MessagesRequest>[];
  /** Adds replies to the end of the script. */
  push(...replies: ScriptedReply[]): void;
  /** Replies still unserved. */
  pending(): number;
  /** Drops the unserved replies. */
  clear(): void;
  close(): Promise<void>;
}

export type Api = 'chat-completions' | 'messages';

export async function startLlmServer(
  script: ScriptedReply[] = [],
  options: {
    /** Answers a request instead of the script (which is used when this returns undefined). */
    respond?: (request: ChatRequest | MessagesRequest, index: number, api: Api) => ScriptedReply | undefined;
  } = {},
): Promise<LlmServer> {
  const queue = [...script];
  const requests: RecordedRequest[] = [];
  const anthropicRequests: RecordedRequest<MessagesRequest>[] = [];
  let received = 0;
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `llm-server bug: ${String(error)}` } }));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    const index = received++;
    const recorded = {
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: req.headers.authorization,
      apiKey: req.headers['x-api-key'] as string | undefined,
      anthropicVersion: req.headers['anthropic-version'] as string | undefined,
      idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      body,
    };
    const api: Api | undefined =
      req.method !== 'POST'
        ? undefined
        : req.url?.endsWith('/chat/completions')
          ? 'chat-completions'
          : req.url?.endsWith('/messages')
            ? 'messages'
            : undefined;
    if (api === 'messages') anthropicRequests.push(recorded);
    else requests.push(recorded);
    if (!api) {
      return sendError(res, 'chat-completions', {
        status: 404,
        message: `llm-server speaks only POST /v1/chat/completions and POST /v1/messages, got ${req.method} ${req.url}`,
      });
    }
    const invalid = api === 'messages' ? invalidMessagesRequest(body) : undefined;
    if (invalid) return sendError(res, api, { status: 400, message: invalid });
    const reply = options.respond?.(body, index, api) ?? queue.shift();
    if (!reply) {
      return sendError(res, api, {
        status: 400,
        message: `llm-server: no scripted reply left for request #${index + 1}`,
      });
    }
    if ('raw' in reply) {
      res.writeHead(reply.status ?? 200, { 'content-type': reply.contentType ?? 'application/json' });
      res.end(reply.raw);
      return;
    }
    if ('status' in reply) return sendError(res, api, reply);
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (api === 'messages') return sendMessagesReply(res, reply, body, index);
    const completion = completionOf(reply, body.model, index);
    if (body.stream) sendStream(res, completion, reply);
    else if (reply.streamError) {
      const status = reply.streamError.type === 'overloaded_error' ? 503 : 500;
      sendError(res, api, { status, message: reply.streamError.message });
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(completion.json));
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    anthropicRequests,
    push: (...replies) => queue.push(...replies),
    pending: () => queue.length,
    clear: () => {
      queue.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function sendError(res: ServerResponse, api: Api, reply: ScriptedError): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (reply.retryAfterSeconds !== undefined) headers['retry-after'] = String(reply.retryAfterSeconds);
  res.writeHead(reply.status, headers);
  const message = reply.message ?? `scripted ${reply.status}`;
  res.end(
    JSON.stringify(
      api === 'messages'
        ? anthropicErrorBody(reply.status, message)
        : { error: { message, type: 'scripted_error', code: String(reply.status) } },
    ),
  );
}

interface Completion {
  json: Record<string, unknown>;
  id: string;
  toolCalls: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  usage: Record<string, unknown>;
}

function completionOf(reply: ScriptedAnswer, model: string, index: number): Completion {
  const id = `chatcmpl-${index + 1}`;
  const toolCalls = (reply.toolCalls ?? []).map((call, i) => ({
    id: call.id ?? `call_${index + 1}_${i + 1}`,
    type: 'function' as const,
    function: {
      name: call.name,
      arguments: typeof call.args === 'string' ? call.args : JSON.stringify(call.args),
    },
  }));
  const prompt = reply.usage?.prompt ?? 10;
  const completion = reply.usage?.completion ?? 5;
  const usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: reply.usage?.cached ?? 0 },
  };
  const message: Record<string, unknown> = { role: 'assistant', content: reply.text ?? null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return {
    id,
    toolCalls,
    usage,
    json: {
      id,
      object: 'chat.completion',
      created: 1_767_225_600,
      model,
      choices: [{ index: 0, message, finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop' }],
      usage,
    },
  };
}

/** Server-sent events as OpenAI streams them: text in word deltas, tool calls, finish, then usage. */
function sendStream(res: ServerResponse, completion: Completion, reply: ScriptedAnswer): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const base = {
    id: completion.id,
    object: 'chat.completion.chunk',
    created: 1_767_225_600,
    model: completion.json.model,
  };
  const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
  const choice = (delta: unknown, finish: string | null = null) => ({
    ...base,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  send(choice({ role: 'assistant', content: '' }));
  for (const piece of reply.text?.match(/\S+\s*|\s+/g) ?? []) send(choice({ content: piece }));
  if (reply.streamError) {
    send({ error: { ...reply.streamError, code: null, param: null } });
    res.end();
    return;
  }
  completion.toolCalls.forEach((call, index) => {
    send(choice({ tool_calls: [{ index, ...call }] }));
  });
  send(choice({}, completion.toolCalls.length > 0 ? 'tool_calls' : 'stop'));
  send({ ...base, choices: [], usage: completion.usage });
  res.end('data: [DONE]\n\n');
}
