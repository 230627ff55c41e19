import { startLlmServer } from '../helpers/llm-server.ts';
import { testEngine } from '../helpers/engine.ts';
import { z } from 'zod';
const server = await startLlmServer([
  { toolCalls: [{ name: 'nope', args: { a: 2 } }, { name: 'add', args: { a: 'x', b: 3 } }, { name: 'add', args: '{bad json' }] },
  { text: 'ok' },
]);
const t = await testEngine({ agents: { env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.baseURL } } });
t.engine.registerTool('add', { description: 'adds', parameters: z.object({ a: z.number(), b: z.number() }), execute: ({ a, b }) => ({ sum: a + b }) });
const name = await t.define(`
name: a1
agents:
  calc: { model: openai:gpt-4o-mini, instructions: You add numbers., tools: [add] }
steps:
  - id: ask
    agent: calc
    prompt: What is 2 + 3?
output: \${{ steps.ask.output }}
`);
const h = await t.engine.start(name);
try { console.log(JSON.stringify(await h.result(), null, 1)); } catch (e) { console.log('ERR', e); }
console.log(JSON.stringify(server.requests[1]?.body.messages, null, 1));
console.log(JSON.stringify((await t.engine.history(h.id)).filter(e=>e.type==='StepProgress'), null, 1).slice(0,4000));
await t.close(); await server.close();
