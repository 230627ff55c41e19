import { loadWorkflowText, formatIssues } from '../../src/language/index.ts';
import { createBuiltinRegistry } from '../../src/kinds/builtin.ts';
const registry = createBuiltinRegistry();
for (const text of [
`name: x
steps:
  - id: a
    agent: { model: openai:gpt-4o-mini, tools: [{ name: t, http: { url: "https://x.test/\${{ args.q }}" } }] }
    prompt: hi`,
`name: y
steps:
  - id: a
    agent: { model: gpt4, temprature: 2 }
    output: { schema: { type: objekt } }
    maxTurns: 0`,
`name: z
steps:
  - id: a
    agent: researcher`,
]) {
  try { const d = loadWorkflowText(text, { registry }); console.log('OK', JSON.stringify(d.steps[0].config)); } catch (e) { console.log(String((e as Error).message)); }
}
