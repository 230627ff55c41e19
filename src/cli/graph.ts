/**
 * A workflow as a Mermaid `flowchart TD`: one node per step (`id<br/>kind`), an edge per
 * dependency (solid when written in `needs:`, dotted when implied by a `steps.x`
 * reference), and block steps (map, loop, parallel, switch cases) as subgraphs holding
 * their nested steps. Edges may point at a subgraph, so a block step keeps its edges.
 */
import type { StepDefinition, WorkflowDefinition } from '../language/index.ts';

interface Emitter {
  lines: string[];
  edges: string[];
  used: Set<string>;
}

export function workflowToMermaid(definition: WorkflowDefinition): string {
  const out: Emitter = { lines: [], edges: [], used: new Set() };
  out.lines.push(`%% ${definition.name}@${definition.version}`, 'flowchart TD');
  emitSteps(definition.steps, [], 1, out);
  return [...out.lines, ...out.edges].join('\n') + '\n';
}

function emitSteps(
  steps: readonly StepDefinition[],
  prefix: readonly string[],
  depth: number,
  out: Emitter,
): void {
  const pad = '  '.repeat(depth);
  const ids = new Map<string, string>();
  for (const step of steps) ids.set(step.id, nodeId([...prefix, step.id], out.used));
  for (const step of steps) {
    const id = ids.get(step.id)!;
    const label = `${escapeLabel(step.id)}<br/>${escapeLabel(step.kind)}`;
    if (step.blocks.length === 0) {
      out.lines.push(`${pad}${id}["${label}"]`);
    } else {
      out.lines.push(`${pad}subgraph ${id}["${label}"]`);
      if (
        step.blocks.length === 1 &&
        !step.blocks[0].key.startsWith('case:') &&
        step.blocks[0].key !== 'default'
      ) {
        emitSteps(step.blocks[0].steps, [...prefix, step.id], depth + 1, out);
      } else {
        for (const block of step.blocks) {
          const blockPath = [...prefix, step.id, block.key];
          const blockId = nodeId(blockPath, out.used);
          out.lines.push(`${pad}  subgraph ${blockId}["${escapeLabel(blockLabel(step, block.key))}"]`);
          emitSteps(block.steps, blockPath, depth + 2, out);
          out.lines.push(`${pad}  end`);
        }
      }
      out.lines.push(`${pad}end`);
    }
  }
  for (const step of steps) {
    for (const need of step.needs) {
      const from = ids.get(need);
      if (!from) continue;
      const arrow = step.explicitNeeds.includes(need) ? '-->' : '-.->';
      out.edges.push(`  ${from} ${arrow} ${ids.get(step.id)}`);
    }
  }
}

/** `case 0: ${{ inputs.tier == "gold" }}`, the case's name when it has one, or `default`. */
function blockLabel(step: StepDefinition, key: string): string {
  const match = /^case:(\d+)$/.exec(key);
  if (!match) return key;
  const index = Number(match[1]);
  const cases = (step.config as { cases?: { name?: string; when?: unknown }[] } | null)?.cases;
  const entry = cases?.[index];
  if (entry?.name) return `case ${entry.name}`;
  return entry?.when !== undefined ? `case ${index}: ${String(entry.when)}` : `case ${index}`;
}

/** Mermaid ids: letters, digits and `_`, prefixed so no id is a keyword (`end`, `graph`…). */
function nodeId(path: readonly string[], used: Set<string>): string {
  const base = `n_${path.map((part) => part.replace(/[^A-Za-z0-9_]/g, '_')).join('__')}`;
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}_${n}`;
  used.add(id);
  return id;
}

function escapeLabel(text: string): string {
  return text.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;').replace(/\n/g, ' ');
}
