/**
 * Turns a parsed workflow document (from YAML/JSON or the TypeScript builder) into the
 * normalised WorkflowDefinition, collecting every issue on the way and throwing them
 * together as one WORKFLOW_INVALID error.
 */
import { z } from 'zod';
import type { JsonValue } from '../errors.ts';
import type { KindRegistry } from '../kinds/registry.ts';
import { checkCycles, checkExplicitNeeds } from './graph.ts';
import { normalizeInputs } from './inputs.ts';
import {
  didYouMean,
  type IssuePath,
  IssueSink,
  type Locator,
  quoteList,
  suggest,
  workflowInvalid,
} from './issues.ts';
import { createSchemaKit } from './kit.ts';
import { DEFAULT_RETRY, type RetryPolicy, type WorkflowDefinition } from './model.ts';
import { checkOutputReferences, checkStepReferences } from './references.ts';
import { documentFields, SECTION_KEYS } from './schemas.ts';
import { checkSectionSecrets } from './secret-references.ts';
import { secretNames } from './secrets-section.ts';
import type { StepScope } from './step-tree.ts';
import { mergeRetry, StepChecker } from './steps.ts';
import { parseWith } from './zod-issues.ts';

export interface NormalizeContext {
  registry: KindRegistry;
  file?: string;
  locator?: Locator;
  scalarSource?: (path: IssuePath) => string | undefined;
}

/** While validating, nested step lists are kept raw; the loader checks them itself, step by step. */
const validationKit = createSchemaKit(z.array(z.unknown()).describe('A list of steps.'));

const TOP_LEVEL_KEYS = [
  'name',
  'version',
  'description',
  'inputs',
  'defaults',
  'concurrency',
  'limits',
  'timeout',
  'steps',
  'output',
  'metadata',
];

export function normalizeDocument(document: unknown, context: NormalizeContext): WorkflowDefinition {
  const sink = new IssueSink(context.file, context.locator);
  const definition = buildDefinition(document, context, sink);
  if (sink.count > 0 || !definition) throw workflowInvalid(sink.issues);
  return definition;
}

function buildDefinition(
  document: unknown,
  context: NormalizeContext,
  sink: IssueSink,
): WorkflowDefinition | undefined {
  if (document === null || document === undefined) {
    sink.add([], 'the workflow is empty; expected a mapping with at least `name:` and `steps:`');
    return undefined;
  }
  if (typeof document !== 'object' || Array.isArray(document)) {
    const got = Array.isArray(document) ? 'a list' : `a ${typeof document}`;
    sink.add([], `expected a mapping at the top of the workflow (name:, steps: …), got ${got}`);
    return undefined;
  }
  const raw = document as Record<string, unknown>;
  const known = [...TOP_LEVEL_KEYS, ...SECTION_KEYS];
  for (const key of Object.keys(raw)) {
    // `x-…` keys hold YAML anchors for reuse (`x-retry: &retry {…}`), as in Compose files; they are ignored.
    if (known.includes(key) || key.startsWith('x-')) continue;
    const suggestion = suggest(key, known);
    const allowed = suggestion ? '' : `; top-level keys are ${quoteList(known)}`;
    sink.add([key], `unknown key "${key}"${didYouMean(suggestion)}${allowed}`, { at: 'key', suggestion });
  }

  const fieldsInput = Object.fromEntries(
    TOP_LEVEL_KEYS.filter((key) => key !== 'steps' && key !== 'inputs' && Object.hasOwn(raw, key)).map(
      (key) => [key, raw[key]],
    ),
  );
  const parsed = parseWith(z.object(documentFields(validationKit)), fieldsInput, [], sink);
  const fields = (parsed.ok ? parsed.value : {}) as Partial<
    z.output<z.ZodObject<ReturnType<typeof documentFields>>>
  >;
  for (const key of SECTION_KEYS) {
    const schema = context.registry.sectionSchema(key);
    if (schema && raw[key] !== undefined) parseWith(schema, raw[key], [key], sink);
  }
  const inputs = normalizeInputs(raw.inputs, ['inputs'], sink);
  const defaultRetry = (fields.defaults?.retry ?? {}) as Partial<RetryPolicy>;
  const defaultTimeout = fields.defaults?.timeout;

  const rootScope: StepScope = { owner: undefined, blockKey: undefined, steps: [] };
  const checker = new StepChecker(context.registry, validationKit, sink, {
    retry: defaultRetry,
    timeout: defaultTimeout,
  });
  let steps: WorkflowDefinition['steps'] = [];
  if (!Object.hasOwn(raw, 'steps') || raw.steps === undefined)
    sink.add(['steps'], 'missing required key "steps"');
  else if (!Array.isArray(raw.steps)) sink.add(['steps'], 'expected a list of steps');
  else if (raw.steps.length === 0) sink.add(['steps'], 'a workflow needs at least one step');
  else steps = checker.parseList(raw.steps, ['steps'], rootScope);

  const scopes = [rootScope, ...checker.blockScopes];
  checkExplicitNeeds(checker.nodes, checker.ids, sink);
  const referenceContext = {
    sink,
    ids: checker.ids,
    inputNames: Object.keys(inputs),
    secretNames: secretNames(raw.secrets),
    rootScope,
    scalarSource: context.scalarSource,
  };
  checkStepReferences(checker.nodes, referenceContext);
  checkSectionSecrets(raw, referenceContext);
  if (raw.output !== undefined) checkOutputReferences(raw.output, referenceContext);
  checkCycles(scopes, sink);
  if (sink.count > 0) return undefined;

  const definition: WorkflowDefinition = {
    name: fields.name as string,
    version: versionOf(raw.version, context),
    inputs,
    defaults: { retry: mergeRetry(DEFAULT_RETRY, defaultRetry) },
    steps,
    sections: {},
  };
  if (fields.description !== undefined) definition.description = fields.description;
  if (defaultTimeout !== undefined) definition.defaults.timeout = defaultTimeout;
  if (fields.concurrency !== undefined) definition.concurrency = fields.concurrency;
  if (fields.limits?.concurrentSteps !== undefined)
    definition.limits = { concurrentSteps: fields.limits.concurrentSteps };
  if (fields.timeout !== undefined) definition.timeout = fields.timeout;
  if (fields.output !== undefined) definition.output = fields.output;
  if (fields.metadata !== undefined) definition.metadata = fields.metadata as Record<string, JsonValue>;
  for (const key of SECTION_KEYS) if (raw[key] !== undefined) definition.sections[key] = raw[key];
  return definition;
}

/** A number keeps the digits as written (`1.0` stays "1.0"); the default is "1". */
function versionOf(value: unknown, context: NormalizeContext): string {
  if (value === undefined || value === null) return '1';
  if (typeof value === 'number') {
    const written = context.scalarSource?.(['version']);
    return written !== undefined && /^[0-9][0-9._eE+-]*$/.test(written) ? written : String(value);
  }
  return String(value);
}
