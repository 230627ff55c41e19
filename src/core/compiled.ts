/**
 * A definition prepared for scheduling: an index of every step (including nested ones),
 * and every template compiled once. The scheduler asks this object for compiled
 * templates instead of compiling strings on the hot path.
 */

import {
  type CompiledExpression,
  type CompiledValue,
  compileExpression,
  compileValue,
} from '../expr/index.ts';
import type { KindRegistry } from '../kinds/registry.ts';
import type { StepKind } from '../kinds/types.ts';
import type { StepDefinition, WorkflowDefinition } from '../language/model.ts';
import { secretNames } from '../language/secrets-section.ts';
import type { WorkflowRef } from './events.ts';
import { secretTable } from './secret-refs.ts';

export interface StepEntry {
  step: StepDefinition;
  kind: StepKind<unknown>;
  /** The block step that owns this step's list, absent at top level. */
  owner?: { stepId: string; blockKey: string };
  /** Position among its siblings. */
  index: number;
}

export class CompiledWorkflow {
  readonly definition: WorkflowDefinition;
  readonly ref: WorkflowRef;
  readonly registry: KindRegistry;
  readonly entries = new Map<string, StepEntry>();
  /** Sibling step lists by owner key: '' for top level, `<stepId>:<blockKey>` for blocks. */
  readonly lists = new Map<string, StepDefinition[]>();
  /** Names the `secrets:` section declares. */
  readonly secretNames: readonly string[];
  /** The `secrets` variable of expressions: each declared name mapped to its placeholder (secret-refs.ts). */
  readonly secretPlaceholders: Readonly<Record<string, string>>;
  /** Per list, which sibling ids depend on each id (reverse of `needs`). */
  readonly #values = new WeakMap<object, CompiledValue>();
  readonly #strings = new Map<string, CompiledValue>();
  readonly #conditions = new Map<string, CompiledExpression>();

  constructor(definition: WorkflowDefinition, ref: WorkflowRef, registry: KindRegistry) {
    this.definition = definition;
    this.ref = ref;
    this.registry = registry;
    this.secretNames = secretNames(definition.sections.secrets);
    this.secretPlaceholders = Object.freeze(secretTable(this.secretNames));
    this.#index(definition.steps, undefined);
  }

  #index(steps: StepDefinition[], owner: StepEntry['owner']): void {
    this.lists.set(owner ? `${owner.stepId}:${owner.blockKey}` : '', steps);
    steps.forEach((step, index) => {
      this.entries.set(step.id, { step, kind: this.registry.get(step.kind), owner, index });
      for (const block of step.blocks) this.#index(block.steps, { stepId: step.id, blockKey: block.key });
    });
  }

  entry(stepId: string): StepEntry {
    const entry = this.entries.get(stepId);
    if (!entry) throw new Error(`step "${stepId}" is not part of workflow ${this.ref.name}`);
    return entry;
  }

  blockSteps(stepId: string, blockKey: string): StepDefinition[] {
    return this.lists.get(`${stepId}:${blockKey}`) ?? [];
  }

  /** Compiles (once) any template tree: a string, an object or an array. */
  value(value: unknown): CompiledValue {
    if (typeof value === 'string') {
      let compiled = this.#strings.get(value);
      if (!compiled) {
        compiled = compileValue(value);
        this.#strings.set(value, compiled);
      }
      return compiled;
    }
    if (value !== null && typeof value === 'object') {
      let compiled = this.#values.get(value);
      if (!compiled) {
        compiled = compileValue(value);
        this.#values.set(value, compiled);
      }
      return compiled;
    }
    return compileValue(value);
  }

  /** The compiled `if:` of a step, or undefined when the step has none. */
  condition(step: StepDefinition): CompiledExpression | undefined {
    if (step.if === undefined) return undefined;
    let compiled = this.#conditions.get(step.id);
    if (!compiled) {
      compiled = compileExpression(String(step.if));
      this.#conditions.set(step.id, compiled);
    }
    return compiled;
  }
}
