/**
 * The one place an agent calls a model: one turn, streamed, with no automatic tool
 * execution or multi-step loop inside the SDK, so the durable loop can checkpoint every
 * turn. Retries are left to the step's retry policy (maxRetries 0). The result is plain
 * JSON — text, tool calls, the assistant messages to replay, usage and cost — ready to be
 * recorded. Budgets (reserve an estimate before, reconcile after), the response cache and
 * fallback chains belong here when they come.
 */
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { jsonSchema, type ModelMessage, Output, streamText, type Tool } from 'ai';
import type { JsonValue } from '../errors.ts';
import { stepAborted } from '../kinds/abort.ts';
import type { Usage } from '../kinds/types.ts';
import { llmError } from './llm-errors.ts';
import type { AgentTool } from './tools/types.ts';
import { type PricingContext, usageOfCall } from './usage.ts';

export interface ModelCall {
  /** `provider:model-id`, for pricing and messages. */
  model: string;
  /** Builds the provider model; called only when the call is really made (not on replay). */
  resolve(): LanguageModelV3;
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

/** One model turn as recorded in history (`turn:<n>`). */
export interface TurnRecord {
  model: string;
  text: string;
  toolCalls: RecordedToolCall[];
  finishReason: string;
  /** Messages the turn adds to the conversation (the assistant message, and SDK errors for malformed calls). */
  messages: JsonValue[];
  usage: Usage;
}

export async function callModel(call: ModelCall): Promise<TurnRecord> {
  const tools: Record<string, Tool> = {};
  for (const tool of call.tools) {
    tools[tool.name] = { description: tool.description, inputSchema: jsonSchema(tool.inputSchema) } as Tool;
  }
  let result: ReturnType<typeof streamText>;
  try {
    result = streamText({
      model: call.resolve(),
      system: call.system,
      messages: call.messages,
      tools: call.tools.length > 0 ? tools : undefined,
      output: call.outputSchema ? Output.object({ schema: jsonSchema(call.outputSchema) }) : undefined,
      // Baton validates structured output itself (and repairs once), so strict provider-side schemas are off.
      providerOptions: { openai: { strictJsonSchema: false } },
      temperature: call.temperature,
      maxOutputTokens: call.maxTokens,
      maxRetries: 0,
      abortSignal: call.signal,
      onError: () => undefined,
    });
  } catch (error) {
    throw llmError(error, call.model);
  }
  try {
    for await (const part of result.fullStream) {
      if (part.type === 'text-delta') call.onText(part.text);
      else if (part.type === 'error') throw part.error;
    }
    if (call.signal.aborted) throw stepAborted(call.signal, call.where);
    const [response, usage, finishReason, toolCalls, text] = await Promise.all([
      result.response,
      result.usage,
      result.finishReason,
      result.toolCalls,
      result.text,
    ]);
    return {
      model: call.model,
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
      usage: usageOfCall(call.model, usage, call.pricing),
    };
  } catch (error) {
    if (call.signal.aborted) throw stepAborted(call.signal, call.where);
    throw llmError(error, call.model);
  }
}
