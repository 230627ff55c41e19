/**
 * What a worker does with each kind of task. Step tasks run the step kind's `execute`
 * under a timeout and the lease's abort signal, then record the result through the
 * pure core; the other tasks (timers, deadlines, child runs) are pure transitions.
 */
import type { Logger } from 'pino';
import { childRunIdFor } from '../core/outcome-events.ts';
import {
  approvalProgressKey,
  approvalTimedOut,
  childFinished,
  fireTimer,
  recordProgress,
  recordStepResult,
  type StepResult,
  suspendStep,
  timeOutRun,
} from '../core/signals.ts';
import { BatonError, type JsonValue, serializeError } from '../errors.ts';
import type {
  ApprovalRequest,
  ExecuteContext,
  ExecuteServices,
  MemoOptions,
  StepApprovalDecision,
  StepApprovalRequest,
} from '../kinds/types.ts';
import type { ClaimedTask, ClaimOptions, Store } from '../store/types.ts';
import { reserveForStep } from './budget-reservations.ts';
import { lease } from './lease-heartbeat.ts';
import type { RunManager } from './run-manager.ts';
import type { SecretsSource } from './secrets.ts';
import { ExecutionSecrets } from './step-secrets.ts';

export interface TaskRunnerDeps {
  runs: RunManager;
  store: Store;
  services: ExecuteServices;
  /** Where the values of `${{ secrets.NAME }}` (and LLM keys read through it) come from. */
  secrets: SecretsSource;
  log: Logger;
  publish(runId: string, path: string, type: string, data: JsonValue): void;
  startChild(parentRunId: string, path: string): Promise<void>;
  recordRejection(task: ClaimedTask, reason: string): Promise<void>;
}

export function createTaskRunner(deps: TaskRunnerDeps) {
  const { runs, log } = deps;

  /** Records a lost lease; returns the tasks the commit leased to this worker, if any. */
  async function settle(
    task: ClaimedTask,
    result: Awaited<ReturnType<RunManager['mutate']>>,
  ): Promise<ClaimedTask[] | undefined> {
    if (!result.ok) {
      await deps.recordRejection(task, 'lease lost before the result was committed');
      return undefined;
    }
    return result.claimed;
  }

  async function runStep(
    task: ClaimedTask,
    signal: AbortSignal,
    handOff?: ClaimOptions,
  ): Promise<ClaimedTask[] | undefined> {
    let { wf, state } = await runs.read(task.runId);
    const due = () => {
      const found = state.steps.get(task.path);
      return found?.status === 'scheduled' && found.attempt === task.attempt && !state.outcome
        ? found
        : undefined;
    };
    // A cached state may predate what another process appended: look again before dropping the task.
    if (!due()) ({ wf, state } = await runs.readFresh(task.runId));
    const step = due();
    if (!step) {
      return settle(task, await runs.mutate(task.runId, () => undefined, { complete: lease(task) }));
    }
    const entry = wf.entry(step.id);
    const definition = entry.step;
    const controller = new AbortController();
    const onLeaseAbort = () => controller.abort(signal.reason);
    signal.addEventListener('abort', onLeaseAbort, { once: true });
    let timedOut = false;
    const timer =
      definition.timeout === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            controller.abort(
              new BatonError('STEP_TIMEOUT', `step "${step.id}" timed out after ${definition.timeout}ms`, {
                retryable: true,
              }),
            );
          }, definition.timeout);
    const progress = { ...step.progress };
    // Whatever the step records, publishes or logs is redacted of the secrets it revealed.
    const secrets = new ExecutionSecrets(deps.secrets, wf.secretNames, step.input ?? null);
    const ctx: ExecuteContext = {
      requestApproval: async (key, request) => {
        const recorded = progress[approvalProgressKey(key)];
        if (recorded !== undefined) return recorded as unknown as StepApprovalDecision;
        throw new SuspendStep(key, request);
      },
      reserveBudget: (request) => reserveForStep(runs, deps.store, task, wf.definition.name, request),
      runId: task.runId,
      stepId: step.id,
      path: task.path,
      attempt: task.attempt,
      idempotencyKey: `${task.runId}:${task.path}`,
      input: step.input ?? null,
      config: definition.config,
      step: definition,
      signal: controller.signal,
      services: deps.services,
      secrets,
      publish: (type, data) => deps.publish(task.runId, task.path, type, secrets.redact(data)),
      log: (message, fields) =>
        log.info(
          secrets.redact({ runId: task.runId, step: task.path, attempt: task.attempt, ...fields }),
          secrets.redact(message),
        ),
      memo: async <T extends JsonValue>(
        key: string,
        fn: () => Promise<T>,
        options?: MemoOptions<T>,
      ): Promise<T> => {
        if (Object.hasOwn(progress, key)) return progress[key] as T;
        const value = secrets.redact(await fn());
        const usage = options?.usage?.(value);
        const recorded = await runs.mutate(
          task.runId,
          (_wf, s, now) => recordProgress(s, task.path, task.attempt, key, value, now, usage),
          {
            verify: lease(task),
          },
        );
        if (!recorded.ok)
          throw new BatonError('STEP_LEASE_LOST', 'the step lost its lease; another worker owns it now', {
            retryable: true,
          });
        progress[key] = value;
        return value;
      },
    };
    let result: StepResult;
    try {
      if (!entry.kind.execute)
        throw new BatonError('KIND_NOT_EXECUTABLE', `step kind "${entry.kind.key}" has no execute`);
      const output = await entry.kind.execute(ctx);
      result = { ok: true, output: secrets.redact(output ?? null) };
    } catch (error) {
      if (error instanceof SuspendStep && !signal.aborted) {
        if (timer) clearTimeout(timer);
        signal.removeEventListener('abort', onLeaseAbort);
        const { key } = error;
        const request = secrets.redact(error.request);
        const approval: ApprovalRequest = {
          message: request.message,
          payload: request.payload,
          reviewers: request.reviewers ?? [],
          timeoutAt: request.timeoutMs === undefined ? undefined : runs.clock.now() + request.timeoutMs,
          onTimeout: request.onTimeout ?? 'reject',
          onReject: 'continue',
        };
        await settle(
          task,
          await runs.mutate(
            task.runId,
            (_w, s, now) => suspendStep(s, task.path, task.attempt, key, approval, now),
            {
              complete: lease(task),
            },
          ),
        );
        return;
      }
      if (timedOut) {
        result = {
          ok: false,
          error: {
            code: 'STEP_TIMEOUT',
            message: `step "${step.id}" timed out after ${definition.timeout}ms`,
            retryable: true,
          },
        };
      } else {
        result = { ok: false, error: secrets.redact(serializeError(error)) };
      }
    } finally {
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', onLeaseAbort);
    }
    if (signal.aborted) {
      // The lease is gone (run cancelled, lease expired, shutdown): the result must not be recorded.
      log.debug({ taskId: task.id }, 'dropping the result of an aborted task');
      return undefined;
    }
    return settle(
      task,
      await runs.mutate(
        task.runId,
        (w, s, now) => recordStepResult(w, s, task.path, task.attempt, result, now),
        {
          complete: lease(task),
          claim: handOff,
          record: (w, s, now) => recordStepResult(w, s, task.path, task.attempt, result, now, 'record'),
        },
      ),
    );
  }

  return async function runTask(
    task: ClaimedTask,
    signal: AbortSignal,
    handOff?: ClaimOptions,
  ): Promise<ClaimedTask[] | undefined> {
    if (task.history) {
      await runs.adopt(task.runId, task.history, task.historyAfter);
      task.history = undefined;
    }
    const complete = { complete: lease(task), claim: handOff };
    switch (task.kind) {
      case 'step':
        return runStep(task, signal, handOff);
      case 'timer':
        return settle(
          task,
          await runs.mutate(task.runId, (wf, s, now) => fireTimer(wf, s, task.path, now), complete),
        );
      case 'approval-timeout':
        return settle(
          task,
          await runs.mutate(task.runId, (wf, s, now) => approvalTimedOut(wf, s, task.path, now), complete),
        );
      case 'run-timeout':
        return settle(task, await runs.mutate(task.runId, (wf, s, now) => timeOutRun(wf, s, now), complete));
      case 'child-start':
        await deps.startChild(task.runId, task.path);
        return settle(task, await runs.mutate(task.runId, () => undefined, complete));
      case 'child-done': {
        const child = await deps.store.getRun(childRunIdFor(task.runId, task.path));
        if (!child)
          throw new BatonError('RUN_NOT_FOUND', `child run of ${task.runId} at ${task.path} not found`);
        const outcome =
          child.status === 'completed'
            ? ({ status: 'completed', output: child.output ?? null } as const)
            : ({
                status: child.status === 'cancelled' ? 'cancelled' : 'failed',
                error: child.error,
              } as const);
        if (child.status !== 'completed' && child.status !== 'failed' && child.status !== 'cancelled') {
          return settle(task, await runs.mutate(task.runId, () => undefined, complete));
        }
        return settle(
          task,
          await runs.mutate(
            task.runId,
            (wf, s, now) => childFinished(wf, s, task.path, outcome, now),
            complete,
          ),
        );
      }
    }
  };
}

/** Thrown by `requestApproval` to stop the step until a human decides. */
class SuspendStep extends Error {
  readonly key: string;
  readonly request: StepApprovalRequest;
  constructor(key: string, request: StepApprovalRequest) {
    super(`step suspended for approval "${key}"`);
    this.key = key;
    this.request = request;
  }
}
