import type { ExprReferences } from './types.ts';

/** Collects what an expression reads, de-duplicated in order of first use. */
export class ReferenceCollector {
  readonly #roots = new Set<string>();
  readonly #steps = new Set<string>();
  readonly #functions = new Set<string>();

  addRoot(name: string): void {
    this.#roots.add(name);
  }

  addStep(id: string): void {
    this.#steps.add(id);
  }

  addFunction(name: string): void {
    this.#functions.add(name);
  }

  addAll(references: ExprReferences): void {
    for (const name of references.roots) this.#roots.add(name);
    for (const id of references.steps) this.#steps.add(id);
    for (const name of references.functions) this.#functions.add(name);
  }

  toReferences(): ExprReferences {
    if (this.#roots.size === 0 && this.#steps.size === 0 && this.#functions.size === 0) return NO_REFERENCES;
    return Object.freeze({
      roots: Object.freeze([...this.#roots]) as string[],
      steps: Object.freeze([...this.#steps]) as string[],
      functions: Object.freeze([...this.#functions]) as string[],
    });
  }
}

/** Shared by every static template and value. */
export const NO_REFERENCES: ExprReferences = Object.freeze({
  roots: Object.freeze([]) as unknown as string[],
  steps: Object.freeze([]) as unknown as string[],
  functions: Object.freeze([]) as unknown as string[],
});

export function mergeReferences(list: readonly ExprReferences[]): ExprReferences {
  const collector = new ReferenceCollector();
  for (const references of list) collector.addAll(references);
  return collector.toReferences();
}
