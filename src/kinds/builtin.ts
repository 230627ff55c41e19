/** The step kinds every engine knows. Later features (plan…) register theirs beside these. */

import { budgetSectionSchema } from '../agents/budget.ts';
import { agentsSectionSchema, toolsSectionSchema } from '../agents/sections.ts';
import { secretsSectionSchema } from '../language/secrets-section.ts';
import { agentKind } from './agent.ts';
import { approvalKind } from './approval.ts';
import { failKind } from './fail.ts';
import { httpKind } from './http.ts';
import { loopKind } from './loop.ts';
import { mapKind } from './map.ts';
import { parallelKind } from './parallel.ts';
import { planKind } from './plan.ts';
import { KindRegistry } from './registry.ts';
import { scriptKind } from './script.ts';
import { setKind } from './set.ts';
import { switchKind } from './switch.ts';
import { taskKind } from './task.ts';
import { waitKind } from './wait.ts';
import { workflowKind } from './workflow.ts';

export const BUILTIN_KINDS = [
  taskKind,
  scriptKind,
  setKind,
  failKind,
  httpKind,
  switchKind,
  loopKind,
  mapKind,
  parallelKind,
  waitKind,
  approvalKind,
  workflowKind,
  agentKind,
  planKind,
] as const;

export function createBuiltinRegistry(): KindRegistry {
  const registry = new KindRegistry();
  for (const kind of BUILTIN_KINDS) registry.register(kind as Parameters<KindRegistry['register']>[0]);
  registry
    .registerSection('agents', agentsSectionSchema)
    .registerSection('tools', toolsSectionSchema)
    .registerSection('budget', budgetSectionSchema)
    .registerSection('secrets', secretsSectionSchema);
  return registry;
}
