/** Renders one run for `baton runs show`: header, steps, pending approvals, optional history. */
import type { StepRow } from '../../core/projection.ts';
import type { Engine } from '../../runtime/engine.ts';
import { approvalCommand } from '../approval-hint.ts';
import { type GlobalOptions, printJson } from '../context.ts';
import { errorText, eventPath, eventSummary } from '../event-text.ts';
import {
  colourStatus,
  formatAgo,
  formatDateTime,
  formatDuration,
  formatTime,
  prettyJson,
  type Style,
  styleFor,
  table,
  truncate,
} from '../format.ts';
import { treeOrder } from '../step-order.ts';
import { usageCell, usageLine } from '../usage-text.ts';

export async function showRun(
  engine: Engine,
  globals: GlobalOptions,
  runId: string,
  withHistory: boolean,
): Promise<void> {
  const run = await engine.getRun(runId);
  const approvals = await engine.pendingApprovals({ runId });
  const history = withHistory ? await engine.history(runId) : undefined;
  if (globals.json) {
    const { steps, ...header } = run;
    return printJson({
      run: header,
      steps,
      pendingApprovals: approvals.map((a) => a.step),
      ...(history ? { history } : {}),
    });
  }
  const style = styleFor(process.stdout);
  const now = Date.now();
  const out: string[] = [];
  const field = (name: string, value: string) =>
    out.push(`${style.dim(name.padEnd(10))}${indentRest(value, 10)}`);
  out.push(style.bold(`Run ${run.id}`));
  field(
    'workflow',
    `${run.workflowName}@${run.workflowVersion} ${style.dim(`(${run.workflowHash.slice(0, 12)})`)}`,
  );
  field('status', colourStatus(run.status, run.status, style));
  field('created', `${formatDateTime(run.createdAt)} ${style.dim(`(${formatAgo(run.createdAt, now)})`)}`);
  field('updated', formatDateTime(run.updatedAt));
  if (run.finishedAt !== undefined) field('finished', formatDateTime(run.finishedAt));
  field('duration', formatDuration((run.finishedAt ?? now) - run.createdAt));
  if (run.parentRunId) field('parent', run.parentRunId);
  if (run.idempotencyKey) field('key', run.idempotencyKey);
  if (run.tenant) field('tenant', run.tenant);
  if (run.usage) field('usage', usageLine(run.usage));
  field('input', prettyJson(run.input));
  if (run.output !== undefined) field('output', prettyJson(run.output));
  if (run.error) field('error', style.red(errorText(run.error)));
  out.push('', style.bold('Steps'));
  out.push(run.steps.length === 0 ? style.dim('  (none yet)') : indent(stepsTable(run.steps, style, now)));
  if (approvals.length > 0) {
    out.push('', style.bold('Pending approvals'));
    for (const { step } of approvals) {
      const request = approvalRequest(step);
      out.push(`  ${step.path}: ${request?.message ?? ''}`);
      if (request?.reviewers?.length) out.push(`    reviewers: ${request.reviewers.join(', ')}`);
      out.push(`    ${approvalCommand(globals, 'approve', run.id, step.path)}`);
      out.push(`    ${approvalCommand(globals, 'reject', run.id, step.path)}`);
    }
  }
  if (history) {
    out.push('', style.bold('History'));
    const rows = history.map((event) => [
      String(event.seq),
      formatTime(event.at, true),
      event.type,
      eventPath(event),
      eventSummary(event),
    ]);
    out.push(indent(table(['SEQ', 'TIME', 'TYPE', 'PATH', 'SUMMARY'], rows, style)));
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

function stepsTable(steps: readonly StepRow[], style: Style, now: number): string {
  const ordered = treeOrder(steps, (step) => step.startedAt);
  // LLM usage gets a column only when some step metered any.
  const metered = steps.some((step) => step.usage);
  const rows = ordered.map((step) => [
    step.path,
    colourStatus(step.status, step.status, style),
    String(step.attempt),
    formatDuration((step.finishedAt ?? now) - step.startedAt),
    ...(metered ? [usageCell(step.usage)] : []),
    truncate(stepNote(step), 100),
  ]);
  const header = ['PATH', 'STATUS', 'ATTEMPT', 'DURATION', ...(metered ? ['USAGE'] : []), 'DETAIL'];
  return table(header, rows, style);
}

function stepNote(step: StepRow): string {
  if (step.error && (step.status === 'failed' || step.status === 'cancelled')) return errorText(step.error);
  if (step.status === 'waiting') {
    if (step.waitingFor === 'approval') return 'waiting for approval';
    if (step.waitingFor === 'child') return `child run ${String(step.detail?.childRunId ?? '')}`;
    if (typeof step.detail?.fireAt === 'number') return `until ${formatDateTime(step.detail.fireAt)}`;
  }
  if (step.status === 'skipped' && typeof step.detail?.skipReason === 'string') return step.detail.skipReason;
  return '';
}

function approvalRequest(step: StepRow): { message?: string; reviewers?: string[] } | undefined {
  const approval = step.detail?.approval as
    | { request?: { message?: string; reviewers?: string[] } }
    | undefined;
  return approval?.request;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

function indentRest(text: string, width: number): string {
  return text.split('\n').join(`\n${' '.repeat(width)}`);
}
