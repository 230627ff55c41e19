/**
 * A loopback OpenAI-compatible server for agent tests: a real `node:http` server on
 * 127.0.0.1 speaking the Chat Completions API (JSON and SSE streaming) that serves scripted
 * replies in order — text, tool calls, usage numbers, errors — and records every request it
 * got. Pointing the real `@ai-sdk/openai` client at it (OPENAI_BASE_URL = `baseURL`, any
 * key) exercises the provider path end to end without the network.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedToolCall {
  id?: string;
  name: string;
  args: unknown;
}

export type ScriptedReply =
  | {
      text?: string;
      toolCalls?: ScriptedToolCall[];
      usage?: { prompt?: number; completion?: number; cached?: number };
      /** Wait this long before answering (after the request is read). */
      delayMs?: number;
    }
  | { status: number; message?: string; retryAfterSeconds?: number };

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
  idempotencyKey?: string;
  body: ChatRequest;
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
  /** Base URL for the OpenAI client, ending in /v1. */
  baseURL: string;
  requests: RecordedRequest[];
  /** Adds replies to the end of the script. */
  push(...replies: ScriptedReply[]): void;
  /** Replies still unserved. */
  pending(): number;
  /** Drops the unserved replies. */
  clear(): void;
  close(): Promise<void>;
}

export async function startLlmServer(
  script: ScriptedReply[] = [],
  options: { respond?: (request: ChatRequest, index: number) => ScriptedReply | undefined } = {},
): Promise<LlmServer> {
  const queue = [...script];
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `llm-server bug: ${String(error)}` } }));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as ChatRequest;
    const index = requests.length;
    requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: req.headers.authorization,
      idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      body,
    });
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      return sendError(res, {
        status: 404,
        message: `llm-server speaks only POST /v1/chat/completions, got ${req.method} ${req.url}`,
      });
    }
    const reply = options.respond?.(body, index) ?? queue.shift();
    if (!reply) {
      return sendError(res, {
        status: 400,
        message: `llm-server: no scripted reply left for request #${index + 1}`,
      });
    }
    if ('status' in reply) return sendError(res, reply);
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    const completion = completionOf(reply, body.model, index);
    if (body.stream) sendStream(res, completion, reply);
    else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(completion.json));
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
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

function sendError(
  res: ServerResponse,
  reply: { status: number; message?: string; retryAfterSeconds?: number },
): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (reply.retryAfterSeconds !== undefined) headers['retry-after'] = String(reply.retryAfterSeconds);
  res.writeHead(reply.status, headers);
  res.end(
    JSON.stringify({
      error: {
        message: reply.message ?? `scripted ${reply.status}`,
        type: 'scripted_error',
        code: String(reply.status),
      },
    }),
  );
}

interface Completion {
  json: Record<string, unknown>;
  id: string;
  toolCalls: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  usage: Record<string, unknown>;
}

function completionOf(
  reply: Exclude<ScriptedReply, { status: number }>,
  model: string,
  index: number,
): Completion {
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
function sendStream(
  res: ServerResponse,
  completion: Completion,
  reply: Exclude<ScriptedReply, { status: number }>,
): void {
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
  completion.toolCalls.forEach((call, index) => {
    send(choice({ tool_calls: [{ index, ...call }] }));
  });
  send(choice({}, completion.toolCalls.length > 0 ? 'tool_calls' : 'stop'));
  send({ ...base, choices: [], usage: completion.usage });
  res.end('data: [DONE]\n\n');
}
