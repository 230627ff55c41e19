/**
 * Checks and normalises steps, recursively through the nested step lists of block kinds:
 * common fields, exactly one kind key, the kind's config and extra keys, ids, retry merging.
 */
import { z } from 'zod';
import type { KindRegistry } from '../kinds/registry.ts';
import type { SchemaKit, StepKind } from '../kinds/types.ts';
import { didYouMean, type IssuePath, type IssueSink, quoteList, suggest } from './issues.ts';
import { DEFAULT_RETRY, type RetryPolicy, type StepDefinition } from './model.ts';
import { COMMON_STEP_KEYS, commonStepFields, isUsableName, STEP_ID } from './schemas.ts';
import type { StepNode, StepScope } from './step-tree.ts';
import { parseWith } from './zod-issues.ts';

export interface StepDefaultsInput {
  retry: Partial<RetryPolicy>;
  timeout?: number;
}

/** Per-load state shared by every step. */
export class StepChecker {
  readonly registry: KindRegistry;
  readonly kit: SchemaKit;
  readonly sink: IssueSink;
  readonly defaults: StepDefaultsInput;
  /** First step registered under each id. */
  readonly ids = new Map<string, StepNode>();
  readonly nodes: StepNode[] = [];
  /** Every nested step list, for the cycle check. */
  readonly blockScopes: StepScope[] = [];
  readonly #common: z.ZodType;
  readonly #kindSchemas = new Map<string, z.ZodType>();
  readonly #extras = new Map<string, Record<string, z.ZodType>>();

  constructor(registry: KindRegistry, kit: SchemaKit, sink: IssueSink, defaults: StepDefaultsInput) {
    this.registry = registry;
    this.kit = kit;
    this.sink = sink;
    this.defaults = defaults;
    this.#common = z.object(commonStepFields(kit));
  }

  kindSchema(kind: StepKind<unknown>): z.ZodType {
    let schema = this.#kindSchemas.get(kind.key);
    if (!schema) {
      schema = kind.schema(this.kit);
      this.#kindSchemas.set(kind.key, schema);
    }
    return schema;
  }

  extrasOf(kind: StepKind<unknown>): Record<string, z.ZodType> {
    let extras = this.#extras.get(kind.key);
    if (!extras) {
      extras = kind.extras?.(this.kit) ?? {};
      this.#extras.set(kind.key, extras);
    }
    return extras;
  }

  parseList(raw: unknown[], path: IssuePath, scope: StepScope): StepDefinition[] {
    const definitions: StepDefinition[] = [];
    raw.forEach((item, index) => {
      const node = this.parseStep(item, [...path, index], scope);
      if (node?.registered) definitions.push(node.definition);
    });
    return definitions;
  }

  parseStep(raw: unknown, path: IssuePath, scope: StepScope): StepNode | undefined {
    if (blockDepth(scope) > MAX_BLOCK_DEPTH) {
      this.sink.add(path, `blocks are nested more than ${MAX_BLOCK_DEPTH} levels deep`);
      return undefined;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      this.sink.add(path, 'expected a step: a mapping with an id and one kind key such as task: or http:');
      return undefined;
    }
    const step = raw as Record<string, unknown>;
    const kindKey = this.#findKind(step, path);
    const kind = kindKey === undefined ? undefined : this.registry.get(kindKey);
    const extrasSchemas = kind ? this.extrasOf(kind) : {};
    this.#reportUnknownKeys(step, path, kindKey, extrasSchemas);

    const commonInput = Object.fromEntries(
      COMMON_STEP_KEYS.filter((key) => Object.hasOwn(step, key)).map((key) => [key, step[key]]),
    );
    const common = parseWith(this.#common, commonInput, path, this.sink);
    const fields = (common.ok ? common.value : {}) as Record<string, unknown>;
    const id = typeof step.id === 'string' ? step.id : undefined;

    const kindSchema = kind ? this.kindSchema(kind) : undefined;
    let config: unknown;
    let configOk = false;
    if (kind && kindSchema && kindKey !== undefined) {
      const parsed = parseWith(kindSchema, step[kindKey], [...path, kindKey], this.sink);
      configOk = parsed.ok;
      if (parsed.ok) config = parsed.value;
    }
    const extras: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(extrasSchemas)) {
      const parsed = parseWith(schema, step[key], [...path, key], this.sink);
      if (parsed.ok && parsed.value !== undefined) extras[key] = parsed.value;
    }

    const needsValue = step.needs;
    const explicitNeeds =
      typeof needsValue === 'string'
        ? [needsValue]
        : Array.isArray(needsValue)
          ? needsValue.filter((n): n is string => typeof n === 'string')
          : [];
    const definition: StepDefinition = {
      id: id ?? '',
      kind: kindKey ?? '',
      needs: [],
      explicitNeeds: [...explicitNeeds],
      retry: this.#mergeRetry(kind, fields.retry as Partial<RetryPolicy> | undefined),
      continueOnError: (fields.continueOnError as boolean | undefined) ?? false,
      config,
      extras,
      blocks: [],
    };
    if (typeof fields.name === 'string') definition.name = fields.name;
    if (typeof fields.description === 'string') definition.description = fields.description;
    if (typeof fields.if === 'string' || typeof fields.if === 'boolean') definition.if = String(fields.if);
    const timeout = (fields.timeout as number | undefined) ?? this.defaults.timeout;
    if (timeout !== undefined) definition.timeout = timeout;
    if (typeof fields.queue === 'string') definition.queue = fields.queue;
    if (typeof fields.priority === 'number') definition.priority = fields.priority;

    const node: StepNode = {
      definition,
      path,
      scope,
      order: this.nodes.length,
      kind,
      kindKey,
      kindSchema,
      extrasSchemas,
      raw: step,
      blockPaths: [],
      blockVariables: [],
      needSources: new Map(),
      registered: false,
    };
    this.nodes.push(node);
    if (id !== undefined && isUsableName(id, STEP_ID)) this.#register(node, id);
    if (kind && kindKey !== undefined)
      this.#parseBlocks(node, kind, kindKey, configOk ? config : step[kindKey], configOk);
    return node;
  }

  /** The step's one kind key; reports none or several. */
  #findKind(step: Record<string, unknown>, path: IssuePath): string | undefined {
    const kindKeys = Object.keys(step).filter(
      (key) => this.registry.has(key) && !COMMON_STEP_KEYS.includes(key),
    );
    if (kindKeys.length > 1) {
      this.sink.add(
        [...path, kindKeys[1]],
        `a step has exactly one kind key, but this one has ${quoteList(kindKeys)}; split it into separate steps`,
        { at: 'key' },
      );
    }
    if (kindKeys.length > 0) return kindKeys[0];
    const kinds = this.registry.keys();
    const lookalike = Object.keys(step).some(
      (key) => !COMMON_STEP_KEYS.includes(key) && suggest(key, kinds) !== undefined,
    );
    // A key that looks like a misspelt kind is reported by #reportUnknownKeys with its suggestion; saying
    // "no kind" as well would report one mistake twice.
    if (!lookalike) {
      const name = typeof step.id === 'string' ? `step "${step.id}"` : 'this step';
      this.sink.add(path, `${name} has no kind: add exactly one of ${quoteList(kinds)}`, {
        expected: `one of ${quoteList(kinds)}`,
      });
    }
    return undefined;
  }

  #reportUnknownKeys(
    step: Record<string, unknown>,
    path: IssuePath,
    kindKey: string | undefined,
    extras: Record<string, z.ZodType>,
  ): void {
    const allExtras = new Set(this.registry.all().flatMap((kind) => Object.keys(this.extrasOf(kind))));
    for (const key of Object.keys(step)) {
      if (COMMON_STEP_KEYS.includes(key) || this.registry.has(key) || Object.hasOwn(extras, key)) continue;
      // Without a kind we cannot tell whether another kind's extra key is wrong; the missing kind is reported.
      if (kindKey === undefined && allExtras.has(key)) continue;
      const candidates =
        kindKey === undefined
          ? [...this.registry.keys(), ...COMMON_STEP_KEYS, ...allExtras]
          : [...COMMON_STEP_KEYS, kindKey, ...Object.keys(extras)];
      const suggestion =
        suggest(key, kindKey === undefined ? this.registry.keys() : []) ?? suggest(key, candidates);
      const allowed = kindKey === undefined ? '' : ` (a "${kindKey}" step accepts ${quoteList(candidates)})`;
      this.sink.add(
        [...path, key],
        `unknown key "${key}"${didYouMean(suggestion)}${suggestion ? '' : allowed}`,
        {
          at: 'key',
          suggestion,
        },
      );
    }
  }

  #register(node: StepNode, id: string): void {
    const first = this.ids.get(id);
    if (first) {
      this.sink.add(
        [...node.path, 'id'],
        `duplicate step id "${id}" (first defined at ${this.sink.describeLocation([...first.path, 'id'])})`,
      );
      return;
    }
    this.ids.set(id, node);
    node.registered = true;
    node.scope.steps.push(node);
  }

  /**
   * Normalises the nested step lists of a block kind. When the config itself was invalid the kind's
   * `blocks` may still find the lists in the raw value; their steps are then checked too, so one
   * mistake in a block step's config does not hide the mistakes inside its blocks.
   */
  #parseBlocks(
    node: StepNode,
    kind: StepKind<unknown>,
    kindKey: string,
    config: unknown,
    configOk: boolean,
  ): void {
    if (!kind.blocks) return;
    let rawBlocks: ReturnType<NonNullable<StepKind['blocks']>>;
    try {
      rawBlocks = kind.blocks(config);
      node.blockVariables = kind.blockVariables?.(config) ?? [];
    } catch (error) {
      if (configOk)
        this.sink.add(
          [...node.path, kindKey],
          `step kind "${kindKey}" failed to list its blocks: ${String(error)}`,
        );
      return;
    }
    for (const block of rawBlocks) {
      const blockPath = [...node.path, kindKey, ...block.path];
      node.blockPaths.push(block.path);
      const scope: StepScope = { owner: node, blockKey: block.key, steps: [] };
      this.blockScopes.push(scope);
      if (!Array.isArray(block.steps)) continue;
      const steps = this.parseList(block.steps, blockPath, scope);
      node.definition.blocks.push({ key: block.key, steps });
    }
    // Nested steps live in `blocks`, normalised; keeping their raw copy in config would make
    // the hash depend on how they were written (`1m` vs `60000`).
    if (configOk)
      node.definition.config = withoutPaths(
        config,
        rawBlocks.map((block) => block.path),
      );
  }

  #mergeRetry(kind: StepKind<unknown> | undefined, own: Partial<RetryPolicy> | undefined): RetryPolicy {
    return mergeRetry(DEFAULT_RETRY, kind?.defaultRetry, this.defaults.retry, own);
  }
}

/** A copy of `value` with the values at `paths` removed (copying only along those paths). */
function withoutPaths(value: unknown, paths: (string | number)[][]): unknown {
  let result = value;
  for (const path of paths) if (path.length > 0) result = removeAt(result, path);
  return result;
}

function removeAt(value: unknown, path: (string | number)[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  const [head, ...rest] = path;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<
    string | number,
    unknown
  >;
  if (rest.length === 0) delete copy[head];
  else copy[head] = removeAt(copy[head], rest);
  return copy;
}

/** Far beyond any real workflow; keeps a hostile file from exhausting the stack. */
const MAX_BLOCK_DEPTH = 32;

function blockDepth(scope: StepScope): number {
  let depth = 0;
  for (let owner = scope.owner; owner; owner = owner.scope.owner) depth++;
  return depth;
}

export function mergeRetry(base: RetryPolicy, ...layers: (Partial<RetryPolicy> | undefined)[]): RetryPolicy {
  const merged: RetryPolicy = { ...base, nonRetryable: [...base.nonRetryable] };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [key, value] of Object.entries(layer)) {
      if (value !== undefined)
        (merged as unknown as Record<string, unknown>)[key] = Array.isArray(value) ? [...value] : value;
    }
  }
  return merged;
}
