/**
 * Load-time schemas of the `agents:` and `tools:` top-level sections, so a misspelt role
 * field is reported with file:line:column before a run starts, not when the step runs.
 */
import { z } from 'zod';
import { sectionRoleSchema, toolSpecSchema } from './role.ts';

export const agentsSectionSchema = z.record(z.string(), sectionRoleSchema);

/** Tools are keyed by name; each spec is validated with its name filled in from the key. */
export const toolsSectionSchema = z.record(z.string(), z.unknown()).superRefine((tools, ctx) => {
  for (const [name, raw] of Object.entries(tools)) {
    const spec = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? raw : {};
    const parsed = toolSpecSchema.safeParse({ name, ...spec });
    if (parsed.success) continue;
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: [name, ...issue.path] } as never);
  }
});
