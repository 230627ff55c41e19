/**
 * The `mock:` provider: a real AI SDK language model that answers from a script instead of
 * a network service, for offline dry runs, examples and tests. It is a mock and says so in
 * its provider name (`baton-mock`); it costs nothing.
 *
 *   mock:echo          replies with the last user message (the prompt)
 *   mock:script        replies from the role's `mock:` script
 *   mock:<file.json>   replies from a script file (path relative to the worker's directory)
 */
import { readFileSync } from 'node:fs';
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3GenerateResult,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
  LanguageModelV3Usage,
} from '@ai-sdk/provider';
import { BatonError } from '../errors.ts';
import { type MockReply, mockScriptSchema, repliesOf, selectReply } from './mock-script.ts';

export function createMockModel(modelId: string, inlineScript: unknown): LanguageModelV3 {
  const replies = modelId === 'echo' ? undefined : loadReplies(modelId, inlineScript);
  const respond = (options: LanguageModelV3CallOptions): LanguageModelV3GenerateResult => {
    const conversation = readConversation(options.prompt);
    const reply: MockReply | undefined = replies
      ? selectReply(replies, conversation.prompt, conversation.turn)
      : { text: conversation.lastUserText };
    if (!reply) {
      throw new BatonError(
        'MOCK_NO_REPLY',
        `mock:${modelId} has no reply for this prompt: every reply has a "when" the prompt does not contain ` +
          `(prompt starts ${JSON.stringify(conversation.prompt.slice(0, 60))})`,
      );
    }
    return generated(reply, conversation, options);
  };
  return {
    specificationVersion: 'v3',
    provider: 'baton-mock',
    modelId,
    supportedUrls: {},
    async doGenerate(options) {
      return respond(options);
    },
    async doStream(options) {
      const result = respond(options);
      return { stream: streamOf(result, modelId) };
    },
  };
}

function loadReplies(modelId: string, inlineScript: unknown): MockReply[] {
  if (modelId === 'script') {
    if (inlineScript === undefined) {
      throw new BatonError(
        'LLM_NOT_CONFIGURED',
        'model mock:script needs a `mock:` list of replies in its role (see docs/agents.md, "Mock models")',
      );
    }
    return parseScript(inlineScript, 'the role\'s "mock" script');
  }
  let text: string;
  try {
    text = readFileSync(modelId, 'utf8');
  } catch (error) {
    throw new BatonError(
      'LLM_NOT_CONFIGURED',
      `model mock:${modelId}: cannot read the mock script file ${modelId} (${(error as Error).message}); ` +
        'use mock:echo, mock:script with a role `mock:` list, or mock:<path to a JSON file of replies>',
    );
  }
  try {
    return parseScript(JSON.parse(text), `mock script ${modelId}`);
  } catch (error) {
    if (error instanceof BatonError) throw error;
    throw new BatonError(
      'LLM_NOT_CONFIGURED',
      `mock script ${modelId} is not JSON: ${(error as Error).message}`,
    );
  }
}

function parseScript(value: unknown, where: string): MockReply[] {
  const parsed = mockScriptSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new BatonError('LLM_NOT_CONFIGURED', `${where} is invalid: ${problems}`);
  }
  return repliesOf(parsed.data);
}

interface Conversation {
  /** Text of the first user message: the step's prompt. */
  prompt: string;
  lastUserText: string;
  /** Model calls made before this one (assistant messages so far). */
  turn: number;
  /** Outputs of the tool results in the last tool message. */
  toolResults: unknown[];
  promptChars: number;
}

function readConversation(prompt: LanguageModelV3Prompt): Conversation {
  const users: string[] = [];
  let turn = 0;
  let toolResults: unknown[] = [];
  let promptChars = 0;
  for (const message of prompt) {
    if (message.role === 'system') {
      promptChars += message.content.length;
      continue;
    }
    if (message.role === 'assistant') turn++;
    if (message.role === 'user') {
      const text = message.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
      users.push(text);
      promptChars += text.length;
    }
    if (message.role === 'tool') {
      toolResults = message.content.flatMap((part) =>
        part.type === 'tool-result' ? [(part.output as { value?: unknown }).value ?? null] : [],
      );
      promptChars += JSON.stringify(toolResults).length;
    }
  }
  return {
    prompt: users[0] ?? '',
    lastUserText: users[users.length - 1] ?? '',
    turn,
    toolResults,
    promptChars,
  };
}

function generated(
  reply: MockReply,
  conversation: Conversation,
  options: LanguageModelV3CallOptions,
): LanguageModelV3GenerateResult {
  const content: LanguageModelV3Content[] = [];
  const text =
    reply.json !== undefined
      ? JSON.stringify(reply.json)
      : reply.text
          ?.replaceAll('{{prompt}}', conversation.prompt)
          .replaceAll('{{toolResults}}', JSON.stringify(conversation.toolResults));
  if (text !== undefined && text !== '') content.push({ type: 'text', text });
  const offered = new Set((options.tools ?? []).map((tool) => tool.name));
  (reply.toolCalls ?? []).forEach((call, index) => {
    if (!offered.has(call.name)) {
      throw new BatonError(
        'MOCK_NO_REPLY',
        `the mock script calls tool "${call.name}", which this agent does not have (it has: ${[...offered].join(', ') || 'none'})`,
      );
    }
    content.push({
      type: 'tool-call',
      toolCallId: call.id ?? `mock-call-${conversation.turn + 1}-${index + 1}`,
      toolName: call.name,
      input: JSON.stringify(call.args),
    });
  });
  const outputChars = content.reduce(
    (sum, part) =>
      sum + (part.type === 'text' ? part.text.length : part.type === 'tool-call' ? part.input.length : 0),
    0,
  );
  const hasToolCalls = content.some((part) => part.type === 'tool-call');
  return {
    content,
    finishReason: {
      unified: hasToolCalls ? 'tool-calls' : 'stop',
      raw: hasToolCalls ? 'tool_calls' : 'stop',
    },
    usage: usage(
      reply.usage?.input ?? Math.ceil(conversation.promptChars / 4),
      reply.usage?.output ?? Math.ceil(outputChars / 4),
    ),
    warnings: [],
  };
}

function usage(input: number, output: number): LanguageModelV3Usage {
  return {
    inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: output, text: output, reasoning: 0 },
  };
}

/** Streams a generated result the way providers do: text in word-sized deltas, then tool calls, then finish. */
function streamOf(
  result: LanguageModelV3GenerateResult,
  modelId: string,
): ReadableStream<LanguageModelV3StreamPart> {
  const parts: LanguageModelV3StreamPart[] = [
    { type: 'stream-start', warnings: [] },
    { type: 'response-metadata', id: `mock-${Date.now()}`, modelId, timestamp: new Date() },
  ];
  result.content.forEach((part, index) => {
    if (part.type === 'text') {
      const id = `text-${index}`;
      parts.push({ type: 'text-start', id });
      for (const delta of part.text.match(/\S+\s*|\s+/g) ?? []) parts.push({ type: 'text-delta', id, delta });
      parts.push({ type: 'text-end', id });
    } else {
      parts.push(part as LanguageModelV3StreamPart);
    }
  });
  parts.push({ type: 'finish', usage: result.usage, finishReason: result.finishReason });
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(part);
      controller.close();
    },
  });
}
