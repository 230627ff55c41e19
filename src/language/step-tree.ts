/**
 * The working tree the loader builds while checking steps: each step with its position,
 * its kind, the block (scope) it lives in and the block step that owns that block.
 * Dependencies and references are resolved on this tree before the definition is returned.
 */
import type { z } from 'zod';
import type { StepKind } from '../kinds/types.ts';
import type { IssuePath } from './issues.ts';
import type { StepDefinition } from './model.ts';

export interface StepScope {
  /** The block step owning this list; undefined for the workflow's top-level steps. */
  owner: StepNode | undefined;
  blockKey: string | undefined;
  steps: StepNode[];
}

export interface StepNode {
  definition: StepDefinition;
  /** Path of the step's mapping in the document. */
  path: IssuePath;
  scope: StepScope;
  /** Document order, to report cycles from their first step. */
  order: number;
  kind: StepKind<unknown> | undefined;
  kindKey: string | undefined;
  kindSchema: z.ZodType | undefined;
  extrasSchemas: Record<string, z.ZodType>;
  raw: Record<string, unknown>;
  /** Paths (inside the kind config) of nested step lists, left out of expression checks. */
  blockPaths: IssuePath[];
  /** Expression roots this step's blocks add (item, index, loop…). */
  blockVariables: string[];
  /** Where each dependency came from: the `needs` entry or the first reference that implied it. */
  needSources: Map<string, IssuePath>;
  /** False for a step whose id duplicates another: kept for its own checks, left out of the graph. */
  registered: boolean;
}

export function describeScope(scope: StepScope): string {
  if (!scope.owner) return 'the top level of the workflow';
  return `the "${scope.blockKey}" block of step "${scope.owner.definition.id}"`;
}

/** The step and its enclosing block steps, innermost first. */
export function ancestry(node: StepNode): StepNode[] {
  const chain: StepNode[] = [];
  for (let current: StepNode | undefined = node; current; current = current.scope.owner) chain.push(current);
  return chain;
}

/** Expression roots visible to a step from the blocks that enclose it. */
export function inheritedVariables(node: StepNode): string[] {
  const names: string[] = [];
  for (let owner = node.scope.owner; owner; owner = owner.scope.owner) names.push(...owner.blockVariables);
  return names;
}

export function addNeed(node: StepNode, id: string, source: IssuePath): void {
  if (!node.definition.needs.includes(id)) node.definition.needs.push(id);
  if (!node.needSources.has(id)) node.needSources.set(id, source);
}
