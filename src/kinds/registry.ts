import type { z } from 'zod';
import { BatonError } from '../errors.ts';
import type { StepKind } from './types.ts';

/** The set of step kinds a definition may use; the agent issue and plugins add to it. */
export class KindRegistry {
  readonly #kinds = new Map<string, StepKind<unknown>>();
  readonly #sections = new Map<string, z.ZodType>();

  /** Validates a top-level section (e.g. `agents:`) at load time, with positions, for the feature that owns it. */
  registerSection(name: string, schema: z.ZodType): this {
    this.#sections.set(name, schema);
    return this;
  }

  sectionSchema(name: string): z.ZodType | undefined {
    return this.#sections.get(name);
  }

  register<C>(kind: StepKind<C>): this {
    if (this.#kinds.has(kind.key)) {
      throw new BatonError(
        'KIND_ALREADY_REGISTERED',
        `A step kind named "${kind.key}" is already registered`,
      );
    }
    this.#kinds.set(kind.key, kind as StepKind<unknown>);
    return this;
  }

  get(key: string): StepKind<unknown> {
    const kind = this.#kinds.get(key);
    if (!kind)
      throw new BatonError('UNKNOWN_STEP_KIND', `Unknown step kind "${key}"`, { details: { kind: key } });
    return kind;
  }

  has(key: string): boolean {
    return this.#kinds.has(key);
  }

  keys(): string[] {
    return [...this.#kinds.keys()];
  }

  all(): StepKind<unknown>[] {
    return [...this.#kinds.values()];
  }
}
