/**
 * JSON Schema (draft 2020-12) of the workflow file format, for `baton schema` and editors
 * (yaml-language-server): every top-level key, every step field and every registered kind
 * key with its config, with descriptions. Built from the same zod schemas that validate.
 */
import { z } from 'zod';
import type { KindRegistry } from '../kinds/registry.ts';
import { createSchemaKit } from './kit.ts';
import {
  commonStepFields,
  documentFields,
  inputSpecSchema,
  SECTION_DESCRIPTIONS,
  SECTION_KEYS,
} from './schemas.ts';

type JsonSchema = Record<string, unknown>;

export function workflowJsonSchema(registry: KindRegistry): object {
  let step: z.ZodType = z.never();
  const kit = createSchemaKit(
    z.array(z.lazy(() => step)).describe('A list of steps; each has an id and exactly one kind key.'),
  );
  const kinds = registry.all();
  const kindFields: Record<string, z.ZodType> = {};
  for (const kind of kinds) kindFields[kind.key] = kind.schema(kit).describe(kind.description).optional();

  // Several kinds may declare the same extra key (task, script and workflow all take `input`).
  const extrasByKey = new Map<string, { kind: string; schema: z.ZodType }[]>();
  for (const kind of kinds) {
    for (const [key, schema] of Object.entries(kind.extras?.(kit) ?? {})) {
      const list = extrasByKey.get(key) ?? [];
      list.push({ kind: kind.key, schema });
      extrasByKey.set(key, list);
    }
  }
  const extraFields: Record<string, z.ZodType> = {};
  for (const [key, list] of extrasByKey) {
    const schemas = list.map((entry) => entry.schema);
    const schema = schemas.length === 1 ? schemas[0] : z.union(schemas as unknown as [z.ZodType, z.ZodType]);
    const description =
      list.length === 1
        ? describedBy(list[0].schema)
        : list.map((entry) => `${entry.kind}: ${describedBy(entry.schema)}`).join(' | ');
    extraFields[key] = schema.describe(description).optional();
  }

  const stepSchema = z
    .strictObject({ ...commonStepFields(kit), ...kindFields, ...extraFields })
    .describe(
      `A step: an id, common fields, and exactly one kind key (${kinds.map((kind) => kind.key).join(', ')}).`,
    );
  step = stepSchema;

  const sections = Object.fromEntries(
    SECTION_KEYS.map((key) => [
      key,
      (registry.sectionSchema(key) ?? z.unknown()).describe(SECTION_DESCRIPTIONS[key]).optional(),
    ]),
  );
  const documentSchema = z
    .strictObject({
      ...documentFields(kit),
      inputs: z
        .record(z.string(), inputSpecSchema)
        .describe('Inputs a run is started with, by name.')
        .optional(),
      steps: z
        .array(z.lazy(() => step))
        .min(1)
        .describe('The steps of the workflow; they run as a DAG ordered by `needs`.'),
      ...sections,
    })
    .describe('A Baton workflow definition.');

  const schema = z.toJSONSchema(documentSchema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    override(context) {
      if (context.zodSchema !== stepSchema) return;
      const json = context.jsonSchema as JsonSchema;
      json.title = 'Step';
      json.oneOf = kinds.map((kind) => ({ required: [kind.key] }));
    },
  }) as JsonSchema;
  const result = renameDefinitions(collapseDuplicateAlternatives(schema) as JsonSchema);
  return { ...result, patternProperties: { '^x-': {} }, title: 'Baton workflow' };
}

function describedBy(schema: z.ZodType): string {
  return schema.description ?? 'Extra step key';
}

/** `anyOf` alternatives that differ only in their description are one alternative. */
function collapseDuplicateAlternatives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(collapseDuplicateAlternatives);
  if (typeof value !== 'object' || value === null) return value;
  const result: JsonSchema = {};
  for (const [key, item] of Object.entries(value)) result[key] = collapseDuplicateAlternatives(item);
  if (Array.isArray(result.anyOf)) {
    const seen = new Map<string, unknown>();
    for (const alternative of result.anyOf) {
      const { description: _ignored, ...rest } = alternative as JsonSchema;
      const signature = JSON.stringify(rest);
      if (!seen.has(signature)) seen.set(signature, rest);
    }
    if (seen.size === 1) {
      const { anyOf: _anyOf, ...others } = result;
      return { ...(seen.values().next().value as JsonSchema), ...others };
    }
    result.anyOf = [...seen.values()];
  }
  return result;
}

/**
 * zod names recursive definitions `__schema0`…, and every `z.json()` copy gets its own. Merge definitions that
 * are the same apart from their own name, and give the survivors readable names (`step`, `json`).
 */
function renameDefinitions(schema: JsonSchema): JsonSchema {
  const definitions = schema.$defs as Record<string, JsonSchema> | undefined;
  if (!definitions) return schema;
  const reference = (name: string) => `"#/$defs/${name}"`;
  const groups = new Map<string, string[]>();
  for (const [name, definition] of Object.entries(definitions)) {
    const signature = JSON.stringify(definition).replaceAll(reference(name), reference('<self>'));
    groups.set(signature, [...(groups.get(signature) ?? []), name]);
  }
  const rename = new Map<string, string>();
  const kept: Record<string, JsonSchema> = {};
  let other = 0;
  for (const [signature, names] of groups) {
    const definition = definitions[names[0]];
    const isJson = signature.includes('"type":"null"') && signature.includes('"type":"boolean"');
    const target = definition.title === 'Step' ? 'step' : isJson ? 'json' : `schema${++other}`;
    for (const name of names) rename.set(name, target);
    kept[target] = definition;
  }
  let text = JSON.stringify({ ...schema, $defs: kept });
  for (const [from, to] of rename) text = text.replaceAll(reference(from), reference(to));
  return JSON.parse(text) as JsonSchema;
}
