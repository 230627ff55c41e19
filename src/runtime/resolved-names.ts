/**
 * Which stored definition a workflow name (and version) resolved to, so that `start()` by
 * name need not read the definition again. Never trusted blindly: the create commit carries
 * the hash as `latestDefinition`, the store refuses it when a newer definition was stored
 * under the name meanwhile (by any process), and the engine then resolves the name again.
 */
import type { LatestDefinition } from '../store/types.ts';
import type { WorkflowSummary } from './engine-types.ts';

/** Beyond this many names, all are forgotten: a cache, not a registry. */
const MAX_NAMES = 1_000;

export class ResolvedNames {
  readonly #byKey = new Map<string, WorkflowSummary>();

  get(name: string, version?: string): WorkflowSummary | undefined {
    return this.#byKey.get(key(name, version));
  }

  remember(name: string, version: string | undefined, summary: WorkflowSummary): void {
    if (this.#byKey.size >= MAX_NAMES) this.#byKey.clear();
    this.#byKey.set(key(name, version), summary);
  }

  /** Forgets what \`name\` resolved to, with or without a version. */
  forget(name: string): void {
    for (const [k, summary] of this.#byKey) if (summary.name === name) this.#byKey.delete(k);
  }

  /** The check the create commit makes for a name resolved from here. */
  static latest(name: string, version: string | undefined, summary: WorkflowSummary): LatestDefinition {
    return version === undefined ? { name, hash: summary.hash } : { name, version, hash: summary.hash };
  }
}

function key(name: string, version: string | undefined): string {
  return `${name}\u0000${version ?? ''}`;
}
