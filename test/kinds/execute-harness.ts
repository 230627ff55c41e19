/** A worker-side ExecuteContext for calling a kind's `execute` directly. */
import type { JsonValue } from '../../src/errors.ts';
import type { ExecuteContext, ExecuteServices, TaskHandler } from '../../src/kinds/types.ts';
import { DEFAULT_RETRY } from '../../src/language/model.ts';

export interface ExecuteOptions {
  kind: string;
  config: unknown;
  input?: JsonValue;
  handlers?: Record<string, TaskHandler>;
  allowHosts?: string[];
  fetchTimeoutMs?: number;
  sandbox?: ExecuteServices['sandbox'];
  signal?: AbortSignal;
}

export interface RecordingContext extends ExecuteContext {
  logs: { message: string; fields?: Record<string, unknown> }[];
}

export function executeContext(options: ExecuteOptions): RecordingContext {
  const logs: RecordingContext['logs'] = [];
  const memos = new Map<string, JsonValue>();
  return {
    runId: 'run-1',
    requestApproval: async () => {
      throw new Error('requestApproval is not available in this harness');
    },
    reserveBudget: async () => {
      throw new Error('reserveBudget is not available in this harness');
    },
    stepId: 'subject',
    path: 'subject',
    attempt: 2,
    idempotencyKey: 'run-1:subject:0',
    input: options.input ?? null,
    config: options.config,
    step: {
      id: 'subject',
      kind: options.kind,
      needs: [],
      explicitNeeds: [],
      retry: DEFAULT_RETRY,
      continueOnError: false,
      config: options.config,
      extras: {},
      blocks: [],
    },
    signal: options.signal ?? new AbortController().signal,
    async memo<T extends JsonValue>(key: string, fn: () => Promise<T>): Promise<T> {
      if (!memos.has(key)) memos.set(key, await fn());
      return memos.get(key) as T;
    },
    publish() {},
    log(message, fields) {
      logs.push({ message, fields });
    },
    services: {
      handlers: new Map(Object.entries(options.handlers ?? {})),
      http: { allowHosts: options.allowHosts ?? [], fetchTimeoutMs: options.fetchTimeoutMs ?? 5000 },
      sandbox: options.sandbox ?? { timeoutMs: 2000, memoryBytes: 32 * 1024 * 1024 },
    },
    logs,
  };
}
