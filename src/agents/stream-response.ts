/**
 * Every model call streams, so a 200 answer must be an event stream. The AI SDK clients parse
 * whatever body comes back as server-sent events, so a 200 that is not a stream (a proxy's HTML
 * page, plain JSON from an endpoint that ignores `stream`, an empty body) would read as an
 * empty answer and pass as a success. The providers fetch through `checkedFetch`, which fails
 * such an answer with LLM_BAD_RESPONSE saying what came back. A server that streams events
 * under the wrong content type is let through: the body decides, not the label.
 */
import { badResponse, safeEndpoint } from './llm-errors.ts';

/** Enough of the body to tell events from a page, and to quote it. */
const PEEK_BYTES = 256;

export function checkedFetch(model: string, base: typeof fetch = globalThis.fetch): typeof fetch {
  return async (input, init) => {
    const response = await base(input, init);
    const contentType = response.headers.get('content-type') ?? '';
    if (!response.ok || /event-stream/i.test(contentType) || !isStreamingRequest(init?.body)) {
      return response;
    }
    const reader = response.body?.getReader();
    const head = reader ? await readHead(reader) : { bytes: new Uint8Array(), done: true };
    const text = new TextDecoder().decode(head.bytes).trim();
    if (/^(data|event|id|retry)?:/.test(text) && reader) {
      return new Response(replay(head.bytes, head.done, reader), {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    }
    void reader?.cancel().catch(() => undefined);
    const url = input instanceof Request ? input.url : String(input);
    const type = contentType.split(';')[0].trim() || 'no content type';
    throw badResponse(
      model,
      text === ''
        ? `HTTP ${response.status} with an empty body (${type}) instead of an event stream`
        : `HTTP ${response.status} with ${type} instead of an event stream: ${quote(text)}`,
      safeEndpoint(url),
    );
  };
}

/** Baton's requests are JSON with `stream: true`; anything else is not this module's business. */
function isStreamingRequest(body: unknown): boolean {
  if (typeof body !== 'string') return false;
  try {
    return (JSON.parse(body) as { stream?: unknown }).stream === true;
  } catch {
    return false;
  }
}

async function readHead(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Promise<{ bytes: Uint8Array; done: boolean }> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  while (length < PEEK_BYTES) {
    const { value, done } = await reader.read();
    if (done) return { bytes: concat(chunks, length), done: true };
    chunks.push(value);
    length += value.length;
  }
  return { bytes: concat(chunks, length), done: false };
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** The body again: the bytes already read, then the rest. */
function replay(
  head: Uint8Array,
  done: boolean,
  reader: ReadableStreamDefaultReader<Uint8Array>,
): ReadableStream<Uint8Array> {
  let sentHead = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!sentHead) {
        sentHead = true;
        if (head.length > 0) controller.enqueue(head);
        if (done) controller.close();
        return;
      }
      const { value, done: ended } = await reader.read();
      if (ended) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

function quote(text: string): string {
  const line = text.replace(/\s+/g, ' ');
  return `"${line.length > 80 ? `${line.slice(0, 80)}…` : line}"`;
}
