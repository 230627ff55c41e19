import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { createBuiltinRegistry } from '../../src/kinds/builtin.ts';
import type { StepKind } from '../../src/kinds/types.ts';
import { kit } from './harness.ts';

const COMMON_KEYS = new Set([
  'id',
  'name',
  'description',
  'needs',
  'if',
  'retry',
  'timeout',
  'continueOnError',
]);
const registry = createBuiltinRegistry();
const docs = readFileSync(new URL('../../docs/step-kinds.md', import.meta.url), 'utf8');
/** Each YAML example is a list of steps, or a document with `steps:`. */
const examples = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => {
  const document = parse(match[1]) as Record<string, unknown>[] | { steps: Record<string, unknown>[] };
  return Array.isArray(document) ? document : document.steps;
});

/** Checks one step and, through the kind's blocks, its nested steps; returns problems found. */
function checkStep(raw: Record<string, unknown>, where: string): string[] {
  const kindKeys = Object.keys(raw).filter((key) => registry.has(key));
  if (kindKeys.length !== 1) return [`${where}: expected one kind key, got ${kindKeys.join(', ') || 'none'}`];
  const kind = registry.get(kindKeys[0]) as StepKind<unknown>;
  const problems: string[] = [];
  const extras = kind.extras?.(kit) ?? {};
  for (const key of Object.keys(raw)) {
    if (key !== kind.key && !COMMON_KEYS.has(key) && !(key in extras))
      problems.push(`${where}: unknown key ${key}`);
  }
  const parsed = kind.schema(kit).safeParse(raw[kind.key]);
  if (!parsed.success) return [...problems, `${where}: ${parsed.error.message}`];
  for (const block of kind.blocks?.(parsed.data) ?? []) {
    block.steps.forEach((step, i) => {
      problems.push(...checkStep(step as Record<string, unknown>, `${where}/${block.key}[${i}]`));
    });
  }
  return problems;
}

describe('docs/step-kinds.md examples', () => {
  it('has examples for every built-in kind', () => {
    const used = new Set(examples.flatMap((steps) => steps.flatMap((step) => Object.keys(step))));
    for (const key of registry.keys()) assert.ok(used.has(key), `no example uses "${key}"`);
  });

  it('validates against the kinds’ schemas', () => {
    const problems = examples.flatMap((steps, i) =>
      steps.flatMap((step) => checkStep(step, `example ${i + 1} step ${String(step.id)}`)),
    );
    assert.deepEqual(problems, []);
  });
});
