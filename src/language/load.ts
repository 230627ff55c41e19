/**
 * Entry points of the workflow language: load a YAML/JSON file or text, or normalise a
 * plain object built in TypeScript. All of them return the normalised definition or throw
 * one WORKFLOW_INVALID BatonError listing every problem found.
 */
import { readFile } from 'node:fs/promises';
import { BatonError } from '../errors.ts';
import type { KindRegistry } from '../kinds/registry.ts';
import { type Issue, type IssuePath, workflowInvalid } from './issues.ts';
import type { DefinitionSource, WorkflowDefinition } from './model.ts';
import { normalizeDocument } from './normalize.ts';
import { parseSource } from './source.ts';

export function loadWorkflowText(
  text: string,
  options: { file?: string; registry: KindRegistry },
): WorkflowDefinition {
  const source = parseSource(text.replace(/^\uFEFF/, ''), options.file);
  if (source.syntaxIssues.length > 0) throw workflowInvalid(source.syntaxIssues);
  return normalizeDocument(source.value, {
    registry: options.registry,
    file: options.file,
    // An empty document has no node to point at; its problem is at the start of the file.
    locator: { locate: (path, at) => source.locator.locate(path, at) ?? { line: 1, column: 1 } },
    scalarSource: source.scalarSource,
  });
}

export async function loadWorkflowFile(
  file: string,
  options: { registry: KindRegistry },
): Promise<WorkflowDefinition> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new BatonError('FILE_NOT_FOUND', `Workflow file not found: ${file}`, {
        details: { file },
        cause: error,
      });
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new BatonError('FILE_UNREADABLE', `Cannot read workflow file ${file}: ${reason}`, {
      details: { file, reason: code ?? reason },
      cause: error,
    });
  }
  return loadWorkflowText(text, { file, registry: options.registry });
}

/** The same checks on a plain object (the TypeScript builder's output); issues carry paths, not positions. */
export function normalizeWorkflow(
  document: unknown,
  options: { registry: KindRegistry; source?: DefinitionSource },
): WorkflowDefinition {
  const issues: Issue[] = [];
  const plain = withoutUndefined(document, [], new Set(), issues);
  if (issues.length > 0)
    throw workflowInvalid(issues.map((issue) => ({ ...issue, file: options.source?.file })));
  return normalizeDocument(plain, { registry: options.registry, file: options.source?.file });
}

/** Builders leave optional properties `undefined`; they mean "absent", as in a file. */
function withoutUndefined(value: unknown, path: IssuePath, ancestors: Set<object>, issues: Issue[]): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.has(value)) {
    issues.push({ path, message: 'circular reference: a workflow definition must be a tree of JSON values' });
    return null;
  }
  ancestors.add(value);
  let result: unknown;
  if (Array.isArray(value)) {
    result = value.map((item, index) => withoutUndefined(item, [...path, index], ancestors, issues));
  } else if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) copy[key] = withoutUndefined(item, [...path, key], ancestors, issues);
    }
    result = copy;
  } else {
    result = value;
  }
  ancestors.delete(value);
  return result;
}
