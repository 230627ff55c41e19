/** The workflow language: YAML/JSON and builder documents → normalised, validated definitions. */
export { hashDefinition } from './hash.ts';
export { validateRunInputs } from './inputs.ts';
export { formatIssues, type Issue } from './issues.ts';
export { workflowJsonSchema } from './json-schema.ts';
export { loadWorkflowFile, loadWorkflowText, normalizeWorkflow } from './load.ts';
export * from './model.ts';
