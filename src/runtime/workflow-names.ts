/**
 * Workflow names resolved to stored definitions, and remembered so that \`start()\` by name
 * need not read the definition again. Never trusted blindly: the create commit carries the
 * hash as \`latestDefinition\`, the store refuses it when a newer definition was stored under
 * the name meanwhile (by any process), and the engine then resolves the name again.
 */
import { BatonError } from '../errors.ts';
import type { Store } from '../store/types.ts';
import type { WorkflowSummary } from './engine-types.ts';
import type { RunManager } from './run-manager.ts';

/** Beyond this many names, all are forgotten: a cache, not a registry. */
const MAX_NAMES = 1_000;

export class WorkflowNames {
  readonly #store: Store;
  readonly #runs: RunManager;
  readonly #byKey = new Map<string, WorkflowSummary>();

  constructor(store: Store, runs: RunManager) {
    this.#store = store;
    this.#runs = runs;
  }

  /** The newest definition stored under \`name\` (and \`version\`), compiled; WORKFLOW_NOT_FOUND when none is. */
  async resolve(name: string, version?: string): Promise<WorkflowSummary> {
    const stored = await this.#store.latestDefinition(name, version);
    if (!stored) {
      const known = (await this.#store.listDefinitions()).map((d) => d.name);
      throw new BatonError(
        'WORKFLOW_NOT_FOUND',
        `no workflow named "${name}"${version ? ` with version ${version}` : ''} is registered`,
        { details: { name, version, known: [...new Set(known)] } },
      );
    }
    this.#runs.compile(stored.definition, stored.hash);
    const summary = { name: stored.name, version: stored.version, hash: stored.hash };
    if (this.#byKey.size >= MAX_NAMES) this.#byKey.clear();
    this.#byKey.set(key(name, version), summary);
    return summary;
  }

  /** What \`name\` (and \`version\`) resolved to last, if this engine remembers. */
  remembered(name: string, version?: string): WorkflowSummary | undefined {
    return this.#byKey.get(key(name, version));
  }

  /** Forgets what \`name\` resolved to, with or without a version. */
  forget(name: string): void {
    for (const [k, summary] of this.#byKey) if (summary.name === name) this.#byKey.delete(k);
  }
}

function key(name: string, version: string | undefined): string {
  return `${name}\u0000${version ?? ''}`;
}
