/**
 * Running the tool calls of one turn. Calls that need a human are decided first, one by
 * one (each undecided one suspends the step durably); then every call runs concurrently,
 * each result recorded as `tool:<turn>:<toolCallId>`. A tool's failure or bad arguments go
 * back to the model as an error result, so it can correct itself; configuration mistakes
 * (an unknown registered tool, an unreachable MCP server) fail the step instead.
 */
import type { ToolResultPart } from 'ai';
import { BatonError, type JsonValue } from '../errors.ts';
import { raceAbort } from '../kinds/abort.ts';
import { JsonConversionError, toJsonValue } from '../kinds/json-value.ts';
import type { StepApprovalDecision } from '../kinds/types.ts';
import { parseDuration } from '../util/duration.ts';
import type { AgentSession } from './loop.ts';
import type { RecordedToolCall } from './model-stream.ts';
import type { ApprovalSpec } from './role.ts';
import { approvalFor } from './tools/toolbox.ts';
import type { ToolContext } from './tools/types.ts';

/** A tool call's recorded outcome. */
type ToolOutcome = { output: JsonValue } | { error: string; code?: string };

const APPROVAL_ARGS_EXCERPT = 500;

export async function runToolCalls(
  session: AgentSession,
  turn: number,
  calls: readonly RecordedToolCall[],
): Promise<ToolResultPart[]> {
  const decisions = new Map<string, StepApprovalDecision>();
  for (const call of calls) {
    const approval = approvalFor(call.name, session.request, session.agents);
    if (approval) decisions.set(call.id, await requestApproval(session, call, approval));
  }
  return Promise.all(calls.map((call) => runToolCall(session, turn, call, decisions.get(call.id))));
}

function requestApproval(
  session: AgentSession,
  call: RecordedToolCall,
  approval: ApprovalSpec,
): Promise<StepApprovalDecision> {
  const args = JSON.stringify(call.args);
  const shown = args.length > APPROVAL_ARGS_EXCERPT ? `${args.slice(0, APPROVAL_ARGS_EXCERPT)}…` : args;
  const options = typeof approval === 'object' ? approval : {};
  return session.ctx.requestApproval(`tool:${call.id}`, {
    message: `Agent wants to call ${call.name} with ${shown}`,
    payload: call.args,
    reviewers: options.reviewers,
    timeoutMs: options.timeout === undefined ? undefined : parseDuration(options.timeout),
    onTimeout: 'reject',
  });
}

async function runToolCall(
  session: AgentSession,
  turn: number,
  call: RecordedToolCall,
  decision: StepApprovalDecision | undefined,
): Promise<ToolResultPart> {
  const { ctx } = session;
  if (decision && !decision.approved) {
    const who = decision.timedOut ? 'timeout' : (decision.by ?? 'a reviewer');
    const text = `rejected by ${who}: ${decision.comment ?? 'no comment'}`;
    ctx.publish('agent.tool-result', {
      turn,
      toolCallId: call.id,
      name: call.name,
      rejected: true,
      result: text,
    });
    return resultPart(call, { error: text });
  }
  // An approver may edit the arguments: the payload of the decision replaces them.
  const args = isObject(decision?.payload) ? decision.payload : call.args;
  ctx.publish('agent.tool-call', { turn, toolCallId: call.id, name: call.name, args });
  const outcome = (await ctx.memo(`tool:${turn}:${call.id}`, () =>
    execute(session, call, args),
  )) as ToolOutcome;
  ctx.publish('agent.tool-result', { turn, toolCallId: call.id, name: call.name, ...outcome });
  return resultPart(call, outcome);
}

async function execute(
  session: AgentSession,
  call: RecordedToolCall,
  rawArgs: JsonValue,
): Promise<JsonValue> {
  const { ctx } = session;
  const tool = (await session.tools()).get(call.name);
  if (!tool) {
    const known = [...(await session.tools()).keys()].join(', ') || 'none';
    return {
      error: `there is no tool named "${call.name}"; available tools: ${known}`,
      code: 'TOOL_UNKNOWN',
    };
  }
  const parsed = tool.parse(rawArgs);
  if (!parsed.ok) {
    return {
      error: `invalid arguments for ${call.name}: ${parsed.errors.join('; ')}`,
      code: 'TOOL_ARGS_INVALID',
    };
  }
  const toolContext: ToolContext = {
    runId: ctx.runId,
    stepId: ctx.stepId,
    path: ctx.path,
    attempt: ctx.attempt,
    toolCallId: call.id,
    idempotencyKey: `${ctx.idempotencyKey}:${call.id}`,
    signal: ctx.signal,
    log: ctx.log,
  };
  let result: unknown;
  try {
    // A tool that ignores its signal is abandoned when the step times out or is cancelled.
    result = await raceAbort(
      tool.execute(parsed.args, toolContext),
      ctx.signal,
      `tool ${call.name} of ${session.where}`,
    );
  } catch (error) {
    // The step is being stopped (timeout, cancel, lost lease): nothing to tell the model.
    if (ctx.signal.aborted) throw error;
    const code = error instanceof BatonError ? error.code : 'TOOL_FAILED';
    return { error: `${call.name} failed: ${(error as Error)?.message ?? String(error)}`, code };
  }
  try {
    return { output: toJsonValue(result) };
  } catch (error) {
    if (!(error instanceof JsonConversionError)) throw error;
    return {
      error: `${call.name} returned a value that is not JSON: ${error.message}`,
      code: 'TOOL_OUTPUT_INVALID',
    };
  }
}

function resultPart(call: RecordedToolCall, outcome: ToolOutcome): ToolResultPart {
  const output: ToolResultPart['output'] =
    'error' in outcome
      ? { type: 'error-text', value: outcome.error }
      : typeof outcome.output === 'string'
        ? { type: 'text', value: outcome.output }
        : { type: 'json', value: outcome.output };
  return { type: 'tool-result', toolCallId: call.id, toolName: call.name, output };
}

function isObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
