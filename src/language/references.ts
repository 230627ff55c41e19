/**
 * Compiles every expression of the workflow once at load time and checks what it refers
 * to: known roots and functions, declared inputs, and steps that exist and are visible
 * from where the expression is. A reference to a sibling step becomes an implicit need.
 */

import type { z } from 'zod';
import { BatonError } from '../errors.ts';
import { BUILTIN_FUNCTIONS, compileExpression, compileTemplate } from '../expr/index.ts';
import { didYouMean, type IssuePath, type IssueSink, suggest } from './issues.ts';
import { isExpressionSchema } from './kit.ts';
import { checkSecretNames, offsetInScalar } from './secret-references.ts';
import {
  addNeed,
  ancestry,
  describeScope,
  inheritedVariables,
  type StepNode,
  type StepScope,
} from './step-tree.ts';
import { schemasAt } from './zod-walk.ts';

export const BASE_ROOTS = ['inputs', 'steps', 'run', 'workflow', 'secrets'] as const;
/** Status functions the scheduler supplies when it evaluates `if`. */
export const STATUS_FUNCTIONS = ['always', 'success', 'failure', 'cancelled'] as const;
const FUNCTIONS = [...BUILTIN_FUNCTIONS, ...STATUS_FUNCTIONS];

export interface ReferenceContext {
  sink: IssueSink;
  ids: ReadonlyMap<string, StepNode>;
  inputNames: readonly string[];
  /** Names the `secrets:` section declares. */
  secretNames: readonly string[];
  rootScope: StepScope;
  /** Raw text of scalars, to point at the exact column of an expression error. */
  scalarSource?: (path: IssuePath) => string | undefined;
}

interface Site {
  path: IssuePath;
  text: string;
  mode: 'template' | 'expression';
  roots: string[];
}

/** Checks every expression of every step, adding implicit needs. */
export function checkStepReferences(nodes: readonly StepNode[], context: ReferenceContext): void {
  for (const node of nodes) {
    for (const site of stepSites(node)) checkSite(site, node, context);
  }
}

/** Checks the workflow `output`; it may read top-level steps only and adds no needs. */
export function checkOutputReferences(output: unknown, context: ReferenceContext): void {
  for (const site of templateSites(output, ['output'], undefined, [...BASE_ROOTS], []))
    checkSite(site, undefined, context);
}

function stepSites(node: StepNode): Site[] {
  const inherited = [...BASE_ROOTS, ...inheritedVariables(node)];
  const sites: Site[] = [];
  const condition = node.raw.if;
  if (typeof condition === 'string')
    sites.push({ path: [...node.path, 'if'], text: condition, mode: 'expression', roots: inherited });
  if (node.kindKey !== undefined && node.kindSchema) {
    // The kind's own config also sees its block variables (a loop's `while` reads `loop`, a map's `output` reads `item`).
    const roots = [...inherited, ...node.blockVariables];
    sites.push(
      ...templateSites(
        node.raw[node.kindKey],
        [...node.path, node.kindKey],
        node.kindSchema,
        roots,
        node.blockPaths,
      ),
    );
  }
  for (const [key, schema] of Object.entries(node.extrasSchemas)) {
    if (Object.hasOwn(node.raw, key))
      sites.push(...templateSites(node.raw[key], [...node.path, key], schema, inherited, []));
  }
  return sites;
}

/** Every string in `value` (outside nested step lists), as a template or, where the schema says so, an expression. */
function templateSites(
  value: unknown,
  path: IssuePath,
  schema: z.ZodType | undefined,
  roots: string[],
  excluded: IssuePath[],
): Site[] {
  const sites: Site[] = [];
  const visit = (current: unknown, relative: IssuePath) => {
    if (excluded.some((block) => startsWith(relative, block))) return;
    if (typeof current === 'string') {
      const isExpression = schema !== undefined && schemasAt(schema, relative).some(isExpressionSchema);
      sites.push({
        path: [...path, ...relative],
        text: current,
        mode: isExpression ? 'expression' : 'template',
        roots,
      });
    } else if (Array.isArray(current)) {
      current.forEach((item, index) => {
        visit(item, [...relative, index]);
      });
    } else if (typeof current === 'object' && current !== null) {
      for (const [key, item] of Object.entries(current)) visit(item, [...relative, key]);
    }
  };
  visit(value, []);
  return sites;
}

function startsWith(path: IssuePath, prefix: IssuePath): boolean {
  return prefix.length <= path.length && prefix.every((segment, index) => path[index] === segment);
}

function checkSite(site: Site, node: StepNode | undefined, context: ReferenceContext): void {
  let steps: readonly string[];
  try {
    const options = { roots: site.roots, functions: FUNCTIONS };
    const compiled =
      site.mode === 'expression'
        ? compileExpression(site.text, options)
        : compileTemplate(site.text, options);
    steps = compiled.references.steps;
    if (compiled.references.roots.includes('inputs')) checkInputNames(site, context);
    if (compiled.references.roots.includes('secrets'))
      checkSecretNames(site.path, site.text, site.mode, context);
  } catch (error) {
    // Anything the compiler throws is a problem with this expression, never a reason to abort the whole check.
    if (error instanceof BatonError) {
      context.sink.add(site.path, error.message, { columnOffset: columnInScalar(site, error, context) });
    } else {
      context.sink.add(
        site.path,
        `cannot compile expression: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return;
  }
  for (const id of steps) resolveStep(id, site, node, context);
}

/**
 * Expression errors carry the column inside the string; when the string is written on one line as a plain or
 * simply quoted scalar, that column maps onto the file, so the issue points at the offending character.
 */
function columnInScalar(site: Site, error: BatonError, context: ReferenceContext): number | undefined {
  return offsetInScalar(site.text, context.scalarSource?.(site.path), error.details.column);
}

const INPUT_MEMBER = /(?<![\w$.])inputs\s*(?:\.\s*([A-Za-z_$][\w$]*)|\[\s*(['"])([^'"\\]*)\2\s*\])/g;

/**
 * The expression module reports which roots an expression reads but not which members, so declared input
 * names are checked with a conservative scan of the expression text for `inputs.<name>` / `inputs['<name>']`.
 */
function checkInputNames(site: Site, context: ReferenceContext): void {
  const reported = new Set<string>();
  for (const text of expressionTexts(site)) {
    for (const match of text.matchAll(INPUT_MEMBER)) {
      const name = match[1] ?? match[3];
      if (name === undefined || context.inputNames.includes(name) || reported.has(name)) continue;
      reported.add(name);
      const suggestion = suggest(name, context.inputNames);
      const declared =
        context.inputNames.length === 0
          ? 'the workflow declares no inputs'
          : `declared inputs: ${context.inputNames.join(', ')}`;
      context.sink.add(
        site.path,
        `unknown input "${name}"${didYouMean(suggestion)}${suggestion ? '' : ` (${declared})`}`,
        {
          suggestion,
        },
      );
    }
  }
}

function expressionTexts(site: Site): string[] {
  if (!site.text.includes('${{')) return site.mode === 'expression' ? [site.text] : [];
  return [...site.text.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].map((match) => match[1]);
}

/**
 * A step is visible from inside step S when it is a sibling of S or of one of S's enclosing block steps.
 * The one of S-or-its-ancestors that is the target's sibling then depends on it. A block step's own config
 * may also read the steps directly in its blocks (a loop's `until`, a map's `output`).
 */
function resolveStep(id: string, site: Site, node: StepNode | undefined, context: ReferenceContext): void {
  const target = context.ids.get(id);
  if (!target) {
    const suggestion = suggest(id, context.ids.keys());
    context.sink.add(site.path, `unknown step "${id}" in steps.${id}${didYouMean(suggestion)}`, {
      suggestion,
    });
    return;
  }
  const chain = node ? ancestry(node) : [];
  for (const member of chain) {
    if (member.scope !== target.scope) continue;
    if (member === target) {
      const message =
        member === node
          ? `step "${id}" refers to its own output`
          : `step "${node?.definition.id}" is inside "${id}" and cannot read its output, which exists only once "${id}" has finished`;
      context.sink.add(site.path, message);
    } else {
      addNeed(member, id, site.path);
    }
    return;
  }
  if (!node && target.scope === context.rootScope) return;
  if (node && target.scope.owner === node && isInConfig(site, node)) return;
  const container = visibleContainer(target, node, context.rootScope);
  const hint =
    container && !(node && ancestry(node).includes(container))
      ? `; refer to steps.${container.definition.id}.output`
      : '';
  const where = container && hint ? `"${container.definition.id}"` : describeScope(target.scope);
  const suffix = hint ? '' : ', which is not visible from here';
  context.sink.add(site.path, `step "${id}" is inside ${where}${suffix}${hint}`);
}

function isInConfig(site: Site, node: StepNode): boolean {
  return node.kindKey !== undefined && startsWith(site.path, [...node.path, node.kindKey]);
}

/** The outermost block step around `target` that the referring place can see. */
function visibleContainer(
  target: StepNode,
  node: StepNode | undefined,
  rootScope: StepScope,
): StepNode | undefined {
  const scopes = new Set<StepScope>([
    rootScope,
    ...(node ? ancestry(node).map((member) => member.scope) : []),
  ]);
  for (let owner = target.scope.owner; owner; owner = owner.scope.owner) {
    if (scopes.has(owner.scope)) return owner;
  }
  return undefined;
}
