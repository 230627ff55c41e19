/**
 * The Anthropic Messages API side of the loopback LLM server (llm-server.ts routes
 * `POST /v1/messages` here): the same scripted replies as Chat Completions, answered the way
 * the real API answers — a `message` with text and `tool_use` content blocks, or the SSE event
 * sequence message_start → content_block_start/delta/stop → message_delta (stop reason, usage)
 * → message_stop — and errors as `{ type: "error", error: { type, message } }`. Requests the
 * real API would reject (a `tool_result` without its `tool_use`, and the reverse) get its 400,
 * so a broken mapping fails a test instead of passing unnoticed.
 */
import type { ServerResponse } from 'node:http';
import type { ScriptedAnswer } from './llm-server.ts';

/** A content block of a Messages API request or response (loosely typed, for assertions). */
export interface ContentBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
  [key: string]: unknown;
}

export interface MessagesRequest {
  model: string;
  max_tokens: number;
  stream?: boolean;
  system?: string | ContentBlock[];
  messages: { role: string; content: string | ContentBlock[] }[];
  tools?: { name: string; description?: string; input_schema: Record<string, unknown> }[];
  tool_choice?: { type: string; name?: string };
  output_config?: { format?: { type: string; schema: Record<string, unknown> } };
  temperature?: number;
  [key: string]: unknown;
}

/** The error types the API names for each status; other 5xx are `api_error`. */
const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

export function anthropicErrorBody(status: number, message: string): Record<string, unknown> {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  return { type: 'error', error: { type, message } };
}

/** Why the real API would answer 400 to this request, or undefined when it would accept it. */
export function invalidMessagesRequest(body: MessagesRequest): string | undefined {
  if (typeof body.model !== 'string') return 'model: Field required';
  if (typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: Field required';
  for (const [i, message] of body.messages.entries()) {
    if (message.role !== 'user' && message.role !== 'assistant') {
      return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    }
    const blocks = Array.isArray(message.content) ? message.content : [];
    const previous = body.messages[i - 1];
    const asked = new Set(
      (previous?.role === 'assistant' && Array.isArray(previous.content) ? previous.content : [])
        .filter((block) => block.type === 'tool_use')
        .map((block) => block.id),
    );
    const unexpected = blocks.filter((b) => b.type === 'tool_result' && !asked.has(b.tool_use_id));
    if (unexpected.length > 0) {
      return (
        `messages.${i}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ` +
        `${unexpected.map((b) => b.tool_use_id).join(', ')}. Each \`tool_result\` block must have a ` +
        'corresponding `tool_use` block in the previous message.'
      );
    }
    const answered = new Set(blocks.filter((b) => b.type === 'tool_result').map((b) => b.tool_use_id));
    const missing = [...asked].filter((id) => !answered.has(id));
    if (missing.length > 0) {
      return (
        `messages.${i - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ` +
        `${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block ` +
        'in the next message.'
      );
    }
  }
  return undefined;
}

interface Message {
  id: string;
  content: ContentBlock[];
  stopReason: string;
  usage: { output_tokens: number; [key: string]: unknown };
}

/** The tool a request obliges the model to call: a named one, or the only one under `any`. */
function forcedTool(body: MessagesRequest): string | undefined {
  const choice = body.tool_choice;
  if (choice?.type === 'tool') return choice.name;
  if (choice?.type === 'any' && body.tools?.length === 1) return body.tools[0].name;
  return undefined;
}

/**
 * The message the model answers with. When the request obliges the model to call a tool (the
 * AI SDK does so for structured output on models without native JSON output, with its `json`
 * tool), scripted text is sent as that tool's input, as a model obliged to call it would.
 */
function messageOf(reply: ScriptedAnswer, body: MessagesRequest, index: number): Message {
  const content: ContentBlock[] = [];
  const forced = forcedTool(body);
  if (forced && reply.text !== undefined && !reply.toolCalls?.length) {
    content.push({ type: 'tool_use', id: `toolu_${index + 1}_1`, name: forced, input: reply.text });
  } else if (reply.text) content.push({ type: 'text', text: reply.text });
  (reply.toolCalls ?? []).forEach((call, i) => {
    content.push({
      type: 'tool_use',
      id: call.id ?? `toolu_${index + 1}_${i + 1}`,
      name: call.name,
      input: call.args,
    });
  });
  // The API counts cache reads and writes apart from input_tokens; scripts give the total, as OpenAI does.
  const cached = reply.usage?.cached ?? 0;
  const written = reply.usage?.cacheWrite ?? 0;
  const written1h = reply.usage?.cacheWrite1h ?? 0;
  return {
    id: `msg_${String(index + 1).padStart(4, '0')}`,
    content,
    stopReason: content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn',
    usage: {
      input_tokens: (reply.usage?.prompt ?? 10) - cached - written,
      cache_creation_input_tokens: written,
      cache_read_input_tokens: cached,
      // The split by lifetime, as newer API versions send it.
      ...(written > 0
        ? {
            cache_creation: {
              ephemeral_5m_input_tokens: written - written1h,
              ephemeral_1h_input_tokens: written1h,
            },
          }
        : {}),
      output_tokens: reply.usage?.completion ?? 5,
    },
  };
}

/** Tool input as JSON text: scripted args that are a string are sent verbatim (possibly malformed). */
function inputJson(input: unknown): string {
  return typeof input === 'string' ? input : JSON.stringify(input);
}

export function sendMessagesReply(
  res: ServerResponse,
  reply: ScriptedAnswer,
  body: MessagesRequest,
  index: number,
): void {
  const message = messageOf(reply, body, index);
  const headers = { 'request-id': `req_${index + 1}` };
  if (body.stream) {
    sendMessagesStream(res, message, body.model, reply, headers);
    return;
  }
  if (reply.streamError) {
    const status = reply.streamError.type === 'overloaded_error' ? 529 : 500;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ type: 'error', error: reply.streamError }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', ...headers });
  res.end(
    JSON.stringify({
      id: message.id,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: message.content.map((block) =>
        block.type === 'tool_use' && typeof block.input === 'string'
          ? { ...block, input: parseOr(block.input, {}) }
          : block,
      ),
      stop_reason: message.stopReason,
      stop_sequence: null,
      usage: message.usage,
    }),
  );
}

function parseOr(text: string, fallback: unknown): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}

/**
 * The event sequence the API streams: input usage in message_start, text in word deltas, tool
 * input as partial JSON (starting with an empty delta, as the API does), the stop reason and
 * output tokens in message_delta. A scripted `streamError` is an `error` event, as the API
 * sends when it is overloaded mid-stream: first of all for a reply with no content, else
 * after the first content block has streamed.
 */
function sendMessagesStream(
  res: ServerResponse,
  message: Message,
  model: string,
  reply: ScriptedAnswer,
  headers: Record<string, string>,
): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
  const send = (data: { type: string; [key: string]: unknown }) =>
    res.write(`event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`);
  const fail = (error: { type: string; message: string }) => {
    send({ type: 'error', error });
    res.end();
  };
  if (reply.streamError && message.content.length === 0) {
    fail(reply.streamError);
    return;
  }
  const { output_tokens: outputTokens, ...inputUsage } = message.usage;
  send({
    type: 'message_start',
    message: {
      id: message.id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...inputUsage, output_tokens: 1 },
    },
  });
  send({ type: 'ping' });
  for (const [index, block] of message.content.entries()) {
    if (block.type === 'text') {
      send({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      for (const piece of block.text?.match(/\S+\s*|\s+/g) ?? []) {
        send({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
      }
    } else {
      send({
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
      });
      for (const piece of ['', ...(inputJson(block.input).match(/[\s\S]{1,12}/g) ?? [])]) {
        send({
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: piece },
        });
      }
    }
    if (reply.streamError) {
      fail(reply.streamError);
      return;
    }
    send({ type: 'content_block_stop', index });
  }
  send({
    type: 'message_delta',
    delta: { stop_reason: message.stopReason, stop_sequence: null },
    usage: { output_tokens: outputTokens },
  });
  send({ type: 'message_stop' });
  res.end();
}
