/**
 * One model turn against one model, streamed: no automatic tool execution or multi-step
 * loop inside the SDK, so the durable loop can checkpoint every turn, and no SDK retries
 * (maxRetries 0): retries belong to the step's policy and outages to the fallback chain
 * (model-call.ts, the only caller). The result is plain JSON — text, tool calls, the
 * assistant messages to replay, usage and cost — ready to be recorded.
 */
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { jsonSchema, type ModelMessage, Output, streamText, type Tool } from 'ai';
import type { JsonValue } from '../errors.ts';
import { stepAborted } from '../kinds/abort.ts';
import type { Usage } from '../kinds/types.ts';
import { badResponse, llmError } from './llm-errors.ts';
import type { AgentTool } from './tools/types.ts';
import { type PricingContext, usageOfCall } from './usage.ts';

export interface TurnRequest {
  system?: string;
  messages: ModelMessage[];
  tools: readonly AgentTool[];
  outputSchema?: Record<string, unknown>;
  temperature?: number;
  maxTokens?: number;
  signal: AbortSignal;
  pricing: PricingContext;
  onText(delta: string): void;
  where: string;
}

export interface RecordedToolCall {
  id: string;
  name: string;
  args: JsonValue;
}

/** A model's answer to one turn, as recorded (model-call.ts adds how it was obtained). */
export interface TurnAnswer {
  /** The model that answered (`provider:model-id`). */
  model: string;
  text: string;
  toolCalls: RecordedToolCall[];
  finishReason: string;
  /** Messages the turn adds to the conversation (the assistant message, and SDK errors for malformed calls). */
  messages: JsonValue[];
  usage: Usage;
}

export async function streamTurn(
  request: TurnRequest,
  model: string,
  resolved: () => LanguageModelV3 | Promise<LanguageModelV3>,
): Promise<TurnAnswer> {
  const tools: Record<string, Tool> = {};
  for (const tool of request.tools) {
    tools[tool.name] = { description: tool.description, inputSchema: jsonSchema(tool.inputSchema) } as Tool;
  }
  let result: ReturnType<typeof streamText>;
  try {
    result = streamText({
      model: await resolved(),
      system: request.system,
      messages: request.messages,
      tools: request.tools.length > 0 ? tools : undefined,
      output: request.outputSchema ? Output.object({ schema: jsonSchema(request.outputSchema) }) : undefined,
      // Baton validates structured output itself (and repairs once), so strict provider-side schemas are off.
      providerOptions: { openai: { strictJsonSchema: false } },
      temperature: request.temperature,
      maxOutputTokens: request.maxTokens,
      maxRetries: 0,
      abortSignal: request.signal,
      onError: () => undefined,
    });
  } catch (error) {
    throw llmError(error, model);
  }
  try {
    for await (const part of result.fullStream) {
      if (part.type === 'text-delta') request.onText(part.text);
      else if (part.type === 'error') throw part.error;
    }
    if (request.signal.aborted) throw stepAborted(request.signal, request.where);
    const [response, usage, finishReason, rawFinishReason, toolCalls, text] = await Promise.all([
      result.response,
      result.usage,
      result.finishReason,
      result.rawFinishReason,
      result.toolCalls,
      result.text,
    ]);
    if (finishReason === 'other' && rawFinishReason === undefined) {
      throw unfinished(model, text !== '' || toolCalls.length > 0, response.headers);
    }
    return {
      model,
      text,
      toolCalls: toolCalls
        .filter((toolCall) => !('invalid' in toolCall && toolCall.invalid))
        .map((toolCall) => ({
          id: toolCall.toolCallId,
          name: toolCall.toolName,
          args: (toolCall.input ?? {}) as JsonValue,
        })),
      finishReason,
      messages: JSON.parse(JSON.stringify(response.messages)) as JsonValue[],
      usage: usageOfCall(model, usage, request.pricing),
    };
  } catch (error) {
    if (request.signal.aborted) throw stepAborted(request.signal, request.where);
    throw llmError(error, model);
  }
}

/**
 * The provider never said why it stopped: every API ends an answer with a finish reason (even an
 * empty one), so the stream was empty — an event stream with no events — or cut short.
 */
function unfinished(model: string, partial: boolean, headers: Record<string, string> | undefined) {
  const type = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
  return badResponse(
    model,
    (partial ? 'the stream was cut short, without a finish reason' : 'the stream ended without an answer') +
      (type ? `, content type ${type}` : ''),
  );
}
