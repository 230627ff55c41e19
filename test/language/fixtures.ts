/** Small step kinds for the language tests, independent of the real kinds' evolving schemas. */
import assert from 'node:assert/strict';
import { z } from 'zod';
import { BatonError } from '../../src/errors.ts';
import { KindRegistry } from '../../src/kinds/registry.ts';
import type { RawBlock, SchemaKit, StepKind } from '../../src/kinds/types.ts';
import { type Issue, loadWorkflowText } from '../../src/language/index.ts';

const complete = () => ({ type: 'complete' as const, output: null });

const taskKind: StepKind<string> = {
  key: 'task',
  description: 'Runs a registered handler.',
  defaultRetry: { attempts: 3, delay: 500 },
  schema: () => z.string().min(1),
  extras: (kit: SchemaKit) => ({ input: kit.template.optional() }),
  start: complete,
};

interface HttpConfig {
  url: string;
  method?: string;
  timeout?: number;
}
const httpKind: StepKind<HttpConfig> = {
  key: 'http',
  description: 'Calls a URL.',
  schema: (kit) =>
    z.strictObject({
      url: kit.templateString,
      method: z.enum(['GET', 'POST']).optional(),
      timeout: kit.duration.optional(),
    }),
  start: complete,
};

interface LoopConfig {
  steps: unknown[];
  until?: string | boolean;
  output?: unknown;
}
/** A block kind with one block and a block variable, like the real loop. */
const loopKind: StepKind<LoopConfig> = {
  key: 'loop',
  description: 'Repeats its steps.',
  schema: (kit) =>
    z.strictObject({
      steps: kit.stepList,
      until: kit.expression.optional(),
      output: kit.template.optional(),
    }) as unknown as z.ZodType<LoopConfig>,
  blocks: (config): RawBlock[] => [{ key: 'body', steps: config.steps, path: ['steps'] }],
  blockVariables: () => ['loop'],
  start: complete,
};

interface EachConfig {
  items: unknown;
  do: unknown[];
  else?: unknown[];
}
/** A block kind with two blocks. */
const eachKind: StepKind<EachConfig> = {
  key: 'each',
  description: 'Runs its steps per item.',
  schema: (kit) =>
    z.strictObject({
      items: kit.template,
      do: kit.stepList,
      else: kit.stepList.optional(),
    }) as unknown as z.ZodType<EachConfig>,
  blocks: (config): RawBlock[] => [
    { key: 'do', steps: config.do, path: ['do'] },
    ...(config.else ? [{ key: 'else', steps: config.else, path: ['else'] }] : []),
  ],
  blockVariables: () => ['item', 'index'],
  start: complete,
};

export function testRegistry(): KindRegistry {
  return new KindRegistry()
    .register(taskKind)
    .register(httpKind)
    .register(loopKind as StepKind<unknown>)
    .register(eachKind as StepKind<unknown>);
}

export const registry = testRegistry();

/** Loads text that must be invalid and returns its issues (failing the test if it loads). */
export function issuesOf(text: string, file = 'workflow.yaml', kinds = registry): Issue[] {
  try {
    loadWorkflowText(text, { file, registry: kinds });
  } catch (error) {
    assert.ok(error instanceof BatonError, `expected a BatonError, got ${String(error)}`);
    assert.equal(error.code, 'WORKFLOW_INVALID');
    return error.details.issues as Issue[];
  }
  assert.fail('expected the workflow to be invalid');
}

/** `line:column path: message` of each issue, compact enough to assert a whole report at once. */
export function summarize(issues: Issue[]): string[] {
  return issues.map((issue) => `${issue.line}:${issue.column} ${pathText(issue)}: ${issue.message}`);
}

function pathText(issue: Issue): string {
  return issue.path
    .map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${segment}`))
    .join('')
    .replace(/^\./, '');
}

/** Builds YAML from lines, so tests can say which line each mistake is on. */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}
