// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * `approval: { message, … }` pauses the step until a person approves or rejects it
 * (API, CLI or web UI). The scheduler records the request and the decision; the step's
 * output is `{ approved, decision, comment, by, at }`.
 */
import { z } from 'zod';
import type { JsonValue } from '../errors.ts';
import { asJson, evaluateOptional } from './shared.ts';
import type { ApprovalRequest, SchemaKit, StepKind } from './types.ts';

export interface ApprovalConfig {
  message: string;
  payload?: unknown;
  reviewers?: string[];
  /** Milliseconds. */
  timeout?: number;
  onTimeout: 'approve' | 'reject' | 'fail';
  onReject: 'continue' | 'fail';
}

export const approvalKind: StepKind<ApprovalConfig> = {
  key: 'approval',
  description: 'Waits for a human decision (approve / reject) with an optional timeout policy.',

  schema(kit: SchemaKit) {
    return z
      .strictObject({
        message: kit.templateString.describe('What the reviewer is asked; may hold ${{ }} templates.'),
        payload: kit.template
          .optional()
          .describe('Data shown to the reviewer with the request; may hold templates.'),
        reviewers: z
          .array(kit.templateString)
          .optional()
          .describe('Users or groups allowed to decide; empty means anyone with the approver role.'),
        timeout: kit.duration
          .optional()
          .describe('How long to wait for a decision, e.g. "24h"; unlimited when absent.'),
        onTimeout: z
          .enum(['approve', 'reject', 'fail'])
          .default('fail')
          .describe('What happens when the timeout passes: approve, reject, or fail the step (default).'),
        onReject: z
          .enum(['continue', 'fail'])
          .default('continue')
          .describe('After a rejection: continue with `approved: false` (default) or fail the step.'),
      })
      .describe('A human approval gate.');
  },

  start(ctx) {
    const { config, now } = ctx;
    const message = ctx.evaluate(config.message);
    const request: ApprovalRequest = {
      message: typeof message === 'string' ? message : JSON.stringify(asJson(message)),
      reviewers: evaluateReviewers(ctx.evaluate(config.reviewers ?? [])),
      onTimeout: config.onTimeout ?? 'fail',
      onReject: config.onReject ?? 'continue',
    };
    const payload = evaluateOptional(ctx, config.payload);
    if (payload !== undefined) request.payload = payload as JsonValue;
    if (config.timeout !== undefined) request.timeoutAt = now + config.timeout;
    return { type: 'approval', request };
  },
};

/** A reviewer template may evaluate to one name or a list of names (e.g. `${{ inputs.owners }}`). */
function evaluateReviewers(value: unknown): string[] {
  const list = Array.isArray(value) ? value.flat() : [value];
  const names = list.filter((name) => name !== null && name !== undefined && name !== '').map(String);
  return [...new Set(names)];
}
