/**
 * The script a `mock:` model follows: canned replies (text, JSON, tool calls) for offline
 * dry runs, examples and tests. A script is a list of replies; see `selectReply` for how
 * a turn picks its reply.
 */
import { z } from 'zod';

const toolCallSchema = z
  .strictObject({
    name: z.string().min(1).describe('Tool to call.'),
    args: z.record(z.string(), z.unknown()).default({}).describe('Arguments of the call.'),
    id: z.string().optional().describe('Tool call id (default: mock-call-<turn>-<n>).'),
  })
  .describe('A tool call the mock model makes.');

export const mockReplySchema = z
  .strictObject({
    when: z
      .string()
      .optional()
      .describe('Use this reply only when the prompt (first user message) contains this text.'),
    text: z
      .string()
      .optional()
      .describe(
        'Reply text; {{prompt}} is replaced by the prompt, {{toolResults}} by the last tool results.',
      ),
    json: z.unknown().optional().describe('Reply with this value as JSON text (for structured output).'),
    toolCalls: z.array(toolCallSchema).optional().describe('Tool calls to make in this turn.'),
    usage: z
      .strictObject({ input: z.int().min(0).optional(), output: z.int().min(0).optional() })
      .optional()
      .describe('Token counts to report (default: about one token per 4 characters).'),
  })
  .describe('One canned reply of a mock model.');

export const mockScriptSchema = z
  .union([z.array(mockReplySchema), z.strictObject({ replies: z.array(mockReplySchema) })])
  .describe('Replies of a mock model, in turn order (see docs/agents.md).');

export type MockReply = z.infer<typeof mockReplySchema>;
export type MockScript = z.infer<typeof mockScriptSchema>;

export function repliesOf(script: MockScript): MockReply[] {
  return Array.isArray(script) ? script : script.replies;
}

/**
 * The reply for turn `turn` (0-based) of a conversation that started with `prompt`: the
 * replies whose `when` the prompt contains (or that have no `when`), in order, the last one
 * repeating. Depending only on the conversation keeps parallel agents sharing a script apart.
 */
export function selectReply(
  replies: readonly MockReply[],
  prompt: string,
  turn: number,
): MockReply | undefined {
  const matching = replies.filter((reply) => reply.when === undefined || prompt.includes(reply.when));
  if (matching.length === 0) return undefined;
  return matching[Math.min(turn, matching.length - 1)];
}
