/**
 * What a worker gives the step kinds it executes (ExecuteServices): task handlers, the HTTP
 * and sandbox limits with their defaults, the agent services, and workflows as agent tools.
 */
import type { AgentServices } from '../agents/services.ts';
import type { JsonValue } from '../errors.ts';
import { raceAbort } from '../kinds/abort.ts';
import type { ExecuteServices, TaskHandler } from '../kinds/types.ts';

export interface ExecuteServiceOptions {
  allowHosts?: string[];
  httpTimeoutMs?: number;
  sandbox?: { timeoutMs?: number; memoryBytes?: number };
}

/** Starts a run by workflow name and resolves with its output. */
export type StartAndWait = (
  name: string,
  input: Record<string, unknown>,
  options: { idempotencyKey: string; version?: string },
) => Promise<JsonValue>;

export function executeServices(
  options: ExecuteServiceOptions,
  handlers: ReadonlyMap<string, TaskHandler>,
  agents: AgentServices,
  startAndWait: StartAndWait,
): ExecuteServices {
  return {
    handlers,
    http: {
      allowHosts: options.allowHosts ?? envList('BATON_HTTP_ALLOW'),
      fetchTimeoutMs: options.httpTimeoutMs ?? 30_000,
    },
    sandbox: {
      timeoutMs: options.sandbox?.timeoutMs ?? 5_000,
      memoryBytes: options.sandbox?.memoryBytes ?? 32 * 1024 * 1024,
    },
    agents,
    // Workflows as agent tools: the key makes a re-executed call find the run it started before.
    runWorkflow: (
      name: string,
      input: Record<string, unknown>,
      call: { idempotencyKey: string; version?: string; signal?: AbortSignal },
    ) => {
      const result = startAndWait(name, input, {
        idempotencyKey: call.idempotencyKey,
        version: call.version,
      });
      return call.signal ? raceAbort(result, call.signal, `workflow ${name}`) : result;
    },
  };
}

function envList(name: string): string[] {
  return (process.env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
