/**
 * Dependency checks: every `needs` entry names an existing sibling, and the final needs
 * (explicit plus implied by references) have no cycle in any block.
 */
import { didYouMean, type IssuePath, type IssueSink, suggest } from './issues.ts';
import { addNeed, describeScope, type StepNode, type StepScope } from './step-tree.ts';

/** Checks `needs:` entries and records the valid ones as needs (before implicit ones, keeping the author's order). */
export function checkExplicitNeeds(
  nodes: readonly StepNode[],
  ids: ReadonlyMap<string, StepNode>,
  sink: IssueSink,
): void {
  for (const node of nodes) {
    const written = node.raw.needs;
    const entries: [string, IssuePath][] =
      typeof written === 'string'
        ? [[written, [...node.path, 'needs']]]
        : Array.isArray(written)
          ? written.flatMap((id, index): [string, IssuePath][] =>
              typeof id === 'string' ? [[id, [...node.path, 'needs', index]]] : [],
            )
          : [];
    for (const [id, path] of entries) {
      const target = ids.get(id);
      if (target === node || (id === node.definition.id && !target)) {
        sink.add(path, `step "${id}" cannot need itself`);
      } else if (!target) {
        const siblings = node.scope.steps.map((sibling) => sibling.definition.id);
        const suggestion = suggest(id, siblings) ?? suggest(id, ids.keys());
        sink.add(path, `unknown step "${id}" in needs${didYouMean(suggestion)}`, { suggestion });
      } else if (target.scope !== node.scope) {
        sink.add(
          path,
          `step "${id}" is in ${describeScope(target.scope)}, not in ${describeScope(node.scope)}; ` +
            'needs may only name steps of the same block',
        );
      } else {
        addNeed(node, id, path);
      }
    }
  }
}

/** Reports each dependency cycle once, as the path "a → b → c → a", at its first step. */
export function checkCycles(scopes: readonly StepScope[], sink: IssueSink): void {
  for (const scope of scopes) {
    const byId = new Map(scope.steps.map((node) => [node.definition.id, node]));
    for (const component of stronglyConnected(scope.steps, byId)) {
      if (component.length < 2) continue;
      const start = component.reduce((a, b) => (b.order < a.order ? b : a));
      const cycle = findCycle(start, new Set(component), byId);
      const next = cycle[1];
      const source = start.needSources.get(next.definition.id) ?? start.path;
      sink.add(source, `cycle: ${[...cycle.map((node) => node.definition.id)].join(' → ')}`);
    }
  }
}

function dependencies(node: StepNode, byId: ReadonlyMap<string, StepNode>): StepNode[] {
  return node.definition.needs.flatMap((id) => {
    const target = byId.get(id);
    return target ? [target] : [];
  });
}

/** Tarjan's algorithm, iterative so deep chains cannot overflow the stack. */
function stronglyConnected(nodes: readonly StepNode[], byId: ReadonlyMap<string, StepNode>): StepNode[][] {
  const index = new Map<StepNode, number>();
  const low = new Map<StepNode, number>();
  const onStack = new Set<StepNode>();
  const stack: StepNode[] = [];
  const components: StepNode[][] = [];
  let counter = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: { node: StepNode; next: number; edges: StepNode[] }[] = [];
    const enter = (node: StepNode) => {
      index.set(node, counter);
      low.set(node, counter);
      counter++;
      stack.push(node);
      onStack.add(node);
      work.push({ node, next: 0, edges: dependencies(node, byId) });
    };
    enter(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (frame.next < frame.edges.length) {
        const edge = frame.edges[frame.next++];
        if (!index.has(edge)) enter(edge);
        else if (onStack.has(edge)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(edge)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: StepNode[] = [];
        let member: StepNode;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        components.push(component);
      }
    }
  }
  return components;
}

/** A shortest cycle from `start` back to itself inside one strongly connected component (breadth first). */
function findCycle(
  start: StepNode,
  component: ReadonlySet<StepNode>,
  byId: ReadonlyMap<string, StepNode>,
): StepNode[] {
  const previous = new Map<StepNode, StepNode>();
  const queue: StepNode[] = [start];
  for (let head = 0; head < queue.length; head++) {
    const current = queue[head];
    for (const next of dependencies(current, byId)) {
      if (!component.has(next)) continue;
      if (next === start) {
        const path: StepNode[] = [current];
        for (let back = current; back !== start; ) {
          back = previous.get(back)!;
          path.unshift(back);
        }
        return [...path, start];
      }
      if (!previous.has(next) && next !== start) {
        previous.set(next, current);
        queue.push(next);
      }
    }
  }
  return [start, start];
}
