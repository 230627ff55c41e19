/**
 * Reads workflow text with the YAML parser (JSON is YAML, so JSON files get positions too)
 * and keeps the syntax tree so every later issue can point at a line and column.
 */
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from 'yaml';
import type { Issue, IssuePath, Locator, Position } from './issues.ts';

export interface ParsedSource {
  /** The document as plain JavaScript (undefined when the text has syntax errors). */
  value: unknown;
  syntaxIssues: Issue[];
  locator: Locator;
  /** The source text of a scalar as written (quotes included): keeps `version: 1.0` as "1.0", not 1. */
  scalarSource(path: IssuePath): string | undefined;
}

export function parseSource(text: string, file: string | undefined): ParsedSource {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    version: '1.2',
    // Collection keys become strings and are then reported as unknown keys; no process warning needed.
    logLevel: 'error',
  });
  const toPosition = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const syntaxIssues: Issue[] = document.errors.map((error) => {
    const position = toPosition(error.pos[0]);
    const issue: Issue = { path: [], message: `YAML syntax error: ${firstLine(error.message)}`, ...position };
    if (file !== undefined) issue.file = file;
    return issue;
  });
  const locator: Locator = {
    locate(path, at) {
      const offset = locateOffset(document, path, at);
      return offset === undefined ? undefined : toPosition(offset);
    },
  };
  let value: unknown;
  if (syntaxIssues.length === 0) {
    try {
      value = document.toJS({ maxAliasCount: 1000 });
    } catch (error) {
      syntaxIssues.push({
        ...(file === undefined ? {} : { file }),
        path: [],
        message: `YAML error: ${error instanceof Error ? firstLine(error.message) : String(error)}`,
        line: 1,
        column: 1,
      });
    }
  }
  return {
    value,
    syntaxIssues,
    locator,
    scalarSource(path) {
      const node = resolveNode(document, path);
      if (!isScalar(node) || !node.range) return undefined;
      return text.slice(node.range[0], node.range[1]).trim();
    },
  };
}

function firstLine(message: string): string {
  return message.split('\n')[0].trim();
}

function deref(document: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(document) : node;
}

function childEntry(document: Document, node: unknown, segment: string | number) {
  const target = deref(document, node);
  if (isMap(target)) {
    for (const item of target.items) {
      if (!isPair(item)) continue;
      const key = isScalar(item.key) ? item.key.value : item.key;
      if (String(key) === String(segment))
        return { keyNode: item.key as Node | null, valueNode: item.value as Node | null };
    }
    return undefined;
  }
  if (isSeq(target) && typeof segment === 'number') {
    const item = target.items[segment];
    return item === undefined ? undefined : { keyNode: null, valueNode: item as Node | null };
  }
  return undefined;
}

function resolveNode(document: Document, path: IssuePath): unknown {
  let node: unknown = document.contents;
  for (const segment of path) {
    const entry = childEntry(document, node, segment);
    if (!entry) return undefined;
    node = entry.valueNode;
  }
  return deref(document, node);
}

/** Offset of the node at `path`, or of its nearest existing ancestor when the path goes past the document. */
function locateOffset(document: Document, path: IssuePath, at: 'key' | 'value'): number | undefined {
  let node: unknown = document.contents;
  let offset = rangeStart(node);
  for (let index = 0; index < path.length; index++) {
    const entry = childEntry(document, node, path[index]);
    if (!entry) return offset;
    const isLast = index === path.length - 1;
    const keyOffset = rangeStart(entry.keyNode);
    if (isLast && at === 'key' && keyOffset !== undefined) return keyOffset;
    node = entry.valueNode;
    // A key written with no value (`retry:`) has no value node worth pointing at; use the key.
    offset = rangeStart(node) ?? keyOffset ?? offset;
    if (isScalar(node) && node.value === null && keyOffset !== undefined) offset = keyOffset;
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range ? range[0] : undefined;
}
