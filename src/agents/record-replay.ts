/**
 * Record/replay of real LLM exchanges, for tests that should run offline against answers a
 * real provider once gave. `BATON_LLM_RECORD=<file>` records each successful exchange
 * (digest of the request → the response) into a JSON file; `BATON_LLM_REPLAY=<file>` serves
 * them back without a provider or an API key, and fails a request the file does not hold.
 * The digest covers the model, prompt, tools, output format and sampling settings.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3Middleware,
  LanguageModelV3StreamPart,
} from '@ai-sdk/provider';
import { BatonError } from '../errors.ts';

interface Exchange {
  model: string;
  stream?: unknown[];
  generate?: unknown;
}

interface Recording {
  version: 1;
  exchanges: Record<string, Exchange>;
}

const recordings = new Map<string, Recording>();

export function requestDigest(model: string, options: LanguageModelV3CallOptions): string {
  const relevant = {
    model,
    prompt: options.prompt,
    tools: options.tools,
    toolChoice: options.toolChoice,
    responseFormat: options.responseFormat,
    temperature: options.temperature,
    maxOutputTokens: options.maxOutputTokens,
    topP: options.topP,
    topK: options.topK,
    seed: options.seed,
    stopSequences: options.stopSequences,
  };
  return createHash('sha256').update(canonicalJson(relevant)).digest('hex').slice(0, 32);
}

/** Wraps a real model so that every successful exchange is written to `file`. */
export function recordingMiddleware(file: string, model: string): LanguageModelV3Middleware {
  return {
    specificationVersion: 'v3',
    async wrapGenerate({ doGenerate, params }) {
      const result = await doGenerate();
      const { request: _request, response, ...kept } = result;
      save(file, requestDigest(model, params), {
        model,
        generate: encode({ ...kept, response: responseMeta(response) }),
      });
      return result;
    },
    async wrapStream({ doStream, params }) {
      const result = await doStream();
      const parts: LanguageModelV3StreamPart[] = [];
      let failed = false;
      const digest = requestDigest(model, params);
      const tap = new TransformStream<LanguageModelV3StreamPart, LanguageModelV3StreamPart>({
        transform(part, controller) {
          if (part.type === 'error') failed = true;
          if (part.type !== 'raw') parts.push(part);
          controller.enqueue(part);
        },
        flush() {
          if (!failed) save(file, digest, { model, stream: encode(parts) as unknown[] });
        },
      });
      return { ...result, stream: result.stream.pipeThrough(tap) };
    },
  };
}

/** A model that answers only from the recording in `file`. */
export function replayModel(file: string, model: string): LanguageModelV3 {
  const separator = model.indexOf(':');
  const lookup = (options: LanguageModelV3CallOptions): Exchange => {
    const digest = requestDigest(model, options);
    const exchange = load(file).exchanges[digest];
    if (!exchange) {
      throw new BatonError(
        'LLM_REPLAY_MISSING',
        `BATON_LLM_REPLAY=${file} holds no recorded answer for this ${model} request (digest ${digest}); ` +
          'the prompt, tools or settings changed since it was recorded: record again with BATON_LLM_RECORD',
        { details: { file, digest, model } },
      );
    }
    return exchange;
  };
  return {
    specificationVersion: 'v3',
    provider: `replay:${model.slice(0, separator)}`,
    modelId: model.slice(separator + 1),
    supportedUrls: {},
    async doGenerate(options) {
      const exchange = lookup(options);
      if (exchange.generate) return decode(exchange.generate) as LanguageModelV3GenerateResult;
      return generateFromParts(decode(exchange.stream) as LanguageModelV3StreamPart[]);
    },
    async doStream(options) {
      const exchange = lookup(options);
      const parts = exchange.stream
        ? (decode(exchange.stream) as LanguageModelV3StreamPart[])
        : partsFromGenerate(decode(exchange.generate) as LanguageModelV3GenerateResult);
      return {
        stream: new ReadableStream({
          start(controller) {
            for (const part of parts) controller.enqueue(part);
            controller.close();
          },
        }),
      };
    },
  };
}

function responseMeta(response: LanguageModelV3GenerateResult['response']) {
  if (!response) return undefined;
  return { id: response.id, modelId: response.modelId, timestamp: response.timestamp };
}

function generateFromParts(parts: LanguageModelV3StreamPart[]): LanguageModelV3GenerateResult {
  const content: LanguageModelV3GenerateResult['content'] = [];
  const texts = new Map<string, { type: 'text'; text: string }>();
  let finish: Extract<LanguageModelV3StreamPart, { type: 'finish' }> | undefined;
  for (const part of parts) {
    if (part.type === 'text-start') {
      const text = { type: 'text' as const, text: '' };
      texts.set(part.id, text);
      content.push(text);
    } else if (part.type === 'text-delta') {
      const text = texts.get(part.id);
      if (text) text.text += part.delta;
    } else if (part.type === 'tool-call') content.push(part);
    else if (part.type === 'finish') finish = part;
  }
  return {
    content,
    finishReason: finish?.finishReason ?? { unified: 'stop', raw: undefined },
    usage: finish?.usage ?? {
      inputTokens: { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: 0, text: 0, reasoning: 0 },
    },
    warnings: [],
  };
}

function partsFromGenerate(result: LanguageModelV3GenerateResult): LanguageModelV3StreamPart[] {
  const parts: LanguageModelV3StreamPart[] = [{ type: 'stream-start', warnings: [] }];
  result.content.forEach((part, index) => {
    if (part.type === 'text') {
      parts.push({ type: 'text-start', id: `t${index}` });
      parts.push({ type: 'text-delta', id: `t${index}`, delta: part.text });
      parts.push({ type: 'text-end', id: `t${index}` });
    } else if (part.type === 'tool-call') parts.push(part);
  });
  parts.push({ type: 'finish', usage: result.usage, finishReason: result.finishReason });
  return parts;
}

function load(file: string): Recording {
  let recording = recordings.get(file);
  if (!recording) {
    try {
      recording = JSON.parse(readFileSync(file, 'utf8')) as Recording;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new BatonError(
          'LLM_REPLAY_INVALID',
          `cannot read LLM recording ${file}: ${(error as Error).message}`,
        );
      }
      recording = { version: 1, exchanges: {} };
    }
    recordings.set(file, recording);
  }
  return recording;
}

function save(file: string, digest: string, exchange: Exchange): void {
  const recording = load(file);
  recording.exchanges[digest] = exchange;
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(recording, null, 2)}\n`);
  renameSync(temporary, file);
}

/** JSON with Dates kept as { $date } so replayed response metadata has real Dates again. */
function encode(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, function (this: Record<string, unknown>, key, replaced) {
      const original = this[key];
      return original instanceof Date ? { $date: original.toISOString() } : replaced;
    }),
  );
}

function decode(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (_key, item) =>
    item && typeof item === 'object' && typeof item.$date === 'string' && Object.keys(item).length === 1
      ? new Date(item.$date)
      : item,
  );
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item) => {
    if (item && typeof item === 'object' && !Array.isArray(item)) {
      return Object.fromEntries(
        Object.entries(item as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
      );
    }
    return item;
  });
}
