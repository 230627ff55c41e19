/** Messages between the host (src/sandbox/pool.ts) and a sandbox worker thread (worker-main.ts). */
import type { SerializedError } from '../errors.ts';
import type { ResolvedScriptLimits } from './limits.ts';

export type SyntaxCheckResult = { ok: true } | { ok: false; message: string; line?: number; column?: number };

export interface RunRequest {
  type: 'run';
  id: number;
  code: string;
  /** Globals as one JSON object text, serialised on the host so cycles fail before any VM work. */
  globalsJson: string;
  limits: ResolvedScriptLimits;
}

export interface SyntaxRequest {
  type: 'syntax';
  id: number;
  code: string;
}

export type WorkerRequest = RunRequest | SyntaxRequest;

export interface RunSuccess {
  kind: 'run';
  resultJson: string;
  logs: string[];
  durationMs: number;
}

export interface SyntaxSuccess {
  kind: 'syntax';
  syntax: SyntaxCheckResult;
}

interface DoneReply {
  type: 'done';
  id: number;
  /** Set when the worker's WASM module may be damaged; the host retires the worker. */
  recycle?: boolean;
}

export type WorkerReply =
  | { type: 'ready' }
  | (DoneReply & { ok: true; result: RunSuccess | SyntaxSuccess })
  | (DoneReply & { ok: false; error: SerializedError });

/** Index in the shared Int32Array where the host writes the id of the job to abort. */
export const ABORT_SLOT = 0;
