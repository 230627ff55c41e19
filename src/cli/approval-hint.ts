/** The commands printed for a pending approval, ready to copy into another terminal. */
import type { StepState } from '../core/state.ts';
import { batonCommand, type GlobalOptions } from './context.ts';
import { shellQuote } from './format.ts';

export function approvalCommand(
  options: GlobalOptions,
  verb: 'approve' | 'reject',
  runId: string,
  path: string,
): string {
  return `${batonCommand(options)} ${verb} ${runId} --step ${shellQuote(path)} --comment "…"`;
}

export function approvalHint(options: GlobalOptions, runId: string, path: string): string {
  return (
    `waiting for approval on "${path}": ${approvalCommand(options, 'approve', runId, path)}\n` +
    `  or reject it with: ${approvalCommand(options, 'reject', runId, path)}`
  );
}

/** Approvals the run waits for now, in the order they were requested. */
export function pendingApprovalSteps(steps: Iterable<StepState>): StepState[] {
  return [...steps].filter((step) => step.status === 'waiting' && step.approval && !step.approval.decision);
}
