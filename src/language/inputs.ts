/**
 * Workflow inputs: normalising the `inputs:` section and checking the inputs a run is
 * started with (defaults applied, every problem reported at once).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { BatonError, type JsonValue } from '../errors.ts';
import {
  didYouMean,
  formatIssues,
  type Issue,
  type IssuePath,
  type IssueSink,
  quoteList,
  suggest,
} from './issues.ts';
import type { InputSpec, InputType, WorkflowDefinition } from './model.ts';
import {
  INPUT_NAME,
  INPUT_SCHEMA_KEYWORDS,
  INPUT_TYPES,
  inputSpecObjectSchema,
  isUsableName,
} from './schemas.ts';
import { parseWith } from './zod-issues.ts';

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);

const validators = new WeakMap<InputSpec, ValidateFunction>();

/** The JSON Schema a value of this input must satisfy. */
export function inputJsonSchema(spec: InputSpec): Record<string, JsonValue> {
  const schema: Record<string, JsonValue> = { ...(spec.schema ?? {}) };
  if (spec.type !== 'any') schema.type = spec.type;
  if (spec.enum) schema.enum = spec.enum;
  return schema;
}

function validatorFor(spec: InputSpec): ValidateFunction {
  let validate = validators.get(spec);
  if (!validate) {
    validate = ajv.compile(inputJsonSchema(spec));
    validators.set(spec, validate);
  }
  return validate;
}

export function normalizeInputs(raw: unknown, path: IssuePath, sink: IssueSink): Record<string, InputSpec> {
  const inputs: Record<string, InputSpec> = {};
  if (raw === undefined || raw === null) return inputs;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    sink.add(path, 'expected a mapping of input names to input specifications');
    return inputs;
  }
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const specPath = [...path, name];
    if (!isUsableName(name, INPUT_NAME)) {
      sink.add(
        specPath,
        `invalid input name "${name}": use letters, digits, "_" and "-", starting with a letter or "_" (and not a reserved name)`,
        {
          at: 'key',
        },
      );
      continue;
    }
    const spec = normalizeInputSpec(value, specPath, sink);
    if (spec) inputs[name] = spec;
  }
  return inputs;
}

function normalizeInputSpec(value: unknown, path: IssuePath, sink: IssueSink): InputSpec | undefined {
  if (value === null) return { type: 'any', required: true };
  if (typeof value === 'string') {
    if ((INPUT_TYPES as readonly string[]).includes(value))
      return { type: value as InputType, required: true };
    const suggestion = suggest(value, INPUT_TYPES);
    sink.add(
      path,
      `unknown input type "${value}"${didYouMean(suggestion)}; expected one of ${quoteList(INPUT_TYPES)}`,
      {
        suggestion,
        expected: `one of ${quoteList(INPUT_TYPES)}`,
      },
    );
    return undefined;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    sink.add(path, `expected a type name (${INPUT_TYPES.join(', ')}) or a mapping such as { type: string }`);
    return undefined;
  }
  const parsed = parseWith(inputSpecObjectSchema, value, path, sink);
  if (!parsed.ok) return undefined;
  const raw = parsed.value;
  const spec: InputSpec = {
    type: raw.type ?? 'any',
    required: typeof raw.required === 'boolean' ? raw.required : raw.default === undefined,
  };
  if (raw.description !== undefined) spec.description = raw.description;
  if (raw.enum !== undefined) spec.enum = raw.enum as JsonValue[];
  const schema: Record<string, JsonValue> = {};
  for (const keyword of INPUT_SCHEMA_KEYWORDS) {
    const keywordValue = (raw as Record<string, unknown>)[keyword];
    if (keyword === 'required' && typeof keywordValue === 'boolean') continue;
    if (keywordValue !== undefined) schema[keyword] = keywordValue as JsonValue;
  }
  if (Object.keys(schema).length > 0) spec.schema = schema;
  let validate: ValidateFunction;
  try {
    validate = validatorFor(spec);
  } catch (error) {
    sink.add(path, `invalid input schema: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
  if (spec.enum) {
    spec.enum.forEach((option, index) => {
      const problems = checkValue(validatorFor({ ...spec, enum: undefined }), option, []);
      if (problems.length > 0) sink.add([...path, 'enum', index], `enum value ${problems[0].message}`);
    });
  }
  if (raw.default !== undefined) {
    const problems = checkValue(validate, raw.default, []);
    for (const problem of problems)
      sink.add([...path, 'default', ...problem.path], `default ${problem.message}`);
    spec.default = raw.default as JsonValue;
  }
  return spec;
}

/** Problems of `value` against a compiled input schema, worded for people. */
function checkValue(validate: ValidateFunction, value: unknown, path: IssuePath): Issue[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).map((error) => ({
    path: [...path, ...pointerToPath(error.instancePath)],
    message: describeAjvError(error, value),
  }));
}

function pointerToPath(pointer: string): IssuePath {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function describeAjvError(error: ErrorObject, root: unknown): string {
  const value = valueAt(root, pointerToPath(error.instancePath));
  switch (error.keyword) {
    case 'type':
      return `must be ${articled(String(error.params.type))}, got ${describeJson(value)}`;
    case 'enum': {
      const allowed = (error.params.allowedValues as unknown[]) ?? [];
      const suggestion =
        typeof value === 'string'
          ? suggest(
              value,
              allowed.filter((v): v is string => typeof v === 'string'),
            )
          : undefined;
      return `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}, got ${describeJson(value)}${didYouMean(suggestion)}`;
    }
    default:
      return error.message ?? 'is invalid';
  }
}

function valueAt(root: unknown, path: IssuePath): unknown {
  let current = root;
  for (const segment of path) current = (current as Record<string | number, unknown> | undefined)?.[segment];
  return current;
}

function articled(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' && Number.isInteger(value)) return `the integer ${value}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Checks the inputs a run is started with against the definition: applies defaults, and reports every
 * missing, mistyped or unknown input at once (BatonError INVALID_INPUT with details.issues).
 */
export function validateRunInputs(
  definition: WorkflowDefinition,
  inputs: Record<string, unknown>,
): Record<string, JsonValue> {
  const issues: Issue[] = [];
  const result: Record<string, JsonValue> = {};
  const declared = Object.keys(definition.inputs);
  const given = inputs ?? {};
  for (const [name, spec] of Object.entries(definition.inputs)) {
    const value = Object.hasOwn(given, name) ? given[name] : undefined;
    if (value === undefined) {
      if (spec.default !== undefined) result[name] = structuredClone(spec.default);
      else if (spec.required) {
        const description = spec.description ? ` (${spec.description})` : '';
        issues.push({
          path: ['inputs', name],
          message: `missing required input "${name}" of type ${spec.type}${description}`,
        });
      }
      continue;
    }
    const problems = checkValue(validatorFor(spec), value, ['inputs', name]);
    if (problems.length > 0) issues.push(...problems);
    else result[name] = value as JsonValue;
  }
  for (const name of Object.keys(given)) {
    if (Object.hasOwn(definition.inputs, name) || given[name] === undefined) continue;
    const suggestion = suggest(name, declared);
    const known =
      declared.length > 0 ? `; declared inputs: ${declared.join(', ')}` : '; the workflow declares no inputs';
    issues.push({
      path: ['inputs', name],
      message: `unknown input "${name}"${didYouMean(suggestion)}${suggestion ? '' : known}`,
      ...(suggestion ? { suggestion } : {}),
    });
  }
  if (issues.length > 0) {
    throw new BatonError(
      'INVALID_INPUT',
      `Invalid inputs for workflow "${definition.name}":\n${formatIssues(issues)}`,
      {
        details: { workflow: definition.name, issues },
      },
    );
  }
  return result;
}
