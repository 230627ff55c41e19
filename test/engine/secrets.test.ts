// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
/**
 * `${{ secrets.NAME }}` end to end: the request carries the value, history and step rows carry
 * only a reference, recorded responses and errors are redacted, and a reference that reaches a
 * place where it cannot be resolved fails the step instead of passing a marker on.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { RunEvent } from '../../src/core/events.ts';
import type { BatonError } from '../../src/errors.ts';
import { type TestEngine, testEngine } from '../helpers/engine.ts';

const TOKEN = 'tok-3b9f27c1d04e-vault';
const vault: Record<string, string> = { API_TOKEN: TOKEN };

interface Seen {
  url: string;
  authorization?: string;
  body: string;
}

let server: Server;
let base = '';
const seen: Seen[] = [];
let t: TestEngine;

function read(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

before(async () => {
  server = createServer(async (request, response) => {
    const entry = {
      url: request.url ?? '',
      authorization: request.headers.authorization,
      body: await read(request),
    };
    seen.push(entry);
    response.setHeader('content-type', 'application/json');
    // Like many APIs, this one echoes what it got: recorded responses and errors must not keep it.
    if (entry.url.startsWith('/missing')) response.statusCode = 404;
    response.end(JSON.stringify({ got: entry }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A different value in the environment: the engine's provider must win.
  process.env.API_TOKEN = 'from-the-environment';
  t = await testEngine({ secrets: { get: async (name) => vault[name] } });
});

after(async () => {
  delete process.env.API_TOKEN;
  await t.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function workflow(name: string, steps: string[], secrets = '[API_TOKEN]'): string {
  return [
    `name: ${name}`,
    `secrets: ${secrets}`,
    'inputs: { note: { type: string, default: "" } }',
    'steps:',
    ...steps,
  ].join('\n');
}

async function failureOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  let cause: { code: string; message: string } | undefined;
  await assert.rejects(promise, (error: BatonError) => {
    cause = error.details.error as typeof cause;
    return true;
  });
  return cause!;
}

describe('secrets in http steps', () => {
  test('the server gets the secret; history, step rows and the recorded response do not', async () => {
    const name = await t.define(
      workflow('bearer', [
        '  - id: call',
        '    http:',
        `      url: "${base}/items?user=\${{ inputs.note }}"`,
        '      headers: { Authorization: "Bearer ${{ secrets.API_TOKEN }}" }',
      ]),
    );
    const handle = await t.engine.start(name, { note: 'ann' });
    await handle.result();
    const output = (await t.engine.getRun(handle.id)).steps[0].output as unknown as { body: { got: Seen } };
    assert.equal(seen.at(-1)?.authorization, `Bearer ${TOKEN}`, 'the custom provider, not the environment');
    assert.equal(output.body.got.authorization, 'Bearer ***', 'the echoed token is redacted from the output');

    const history = await t.engine.store.loadEvents(handle.id);
    const steps = await t.engine.store.getSteps(handle.id);
    const run = await t.engine.getRun(handle.id);
    for (const [what, value] of Object.entries({ history, steps, run })) {
      assert.ok(!JSON.stringify(value).includes(TOKEN), `${what} must not contain the secret`);
    }
    const scheduled = history.find((event) => event.type === 'StepScheduled') as Extract<
      RunEvent,
      { type: 'StepScheduled' }
    >;
    const headers = (scheduled.input as { headers: Record<string, string> }).headers;
    assert.match(headers.Authorization, /^Bearer <<secret:API_TOKEN:[0-9a-f]{16}>>$/);
  });

  test('a secret in the URL is redacted from the error that echoes it', async () => {
    const name = await t.define(
      workflow('echoed-url', [
        '  - id: call',
        '    http: { url: "' + base + '/missing/${{ secrets.API_TOKEN }}" }',
      ]),
    );
    const handle = await t.engine.start(name);
    const error = await failureOf(handle.result());
    assert.equal(seen.at(-1)?.url, `/missing/${TOKEN}`);
    assert.equal(error.code, 'HTTP_STATUS');
    assert.match(error.message, /\/missing\/\*\*\* responded 404/);
    const history = JSON.stringify(await t.engine.history(handle.id));
    assert.ok(!history.includes(TOKEN), 'neither the message nor the echoed body keeps the secret');
    assert.ok(history.includes('/missing/***'));
  });

  test('a missing secret fails the step once, naming it', async () => {
    const name = await t.define(
      workflow(
        'missing',
        [
          '  - id: call',
          '    http: { url: "' + base + '/x", headers: { X-Key: "${{ secrets.NOT_IN_VAULT }}" } }',
        ],
        '[API_TOKEN, NOT_IN_VAULT]',
      ),
    );
    const before = seen.length;
    const handle = await t.engine.start(name);
    const error = await failureOf(handle.result());
    assert.equal(error.code, 'SECRET_MISSING');
    assert.match(error.message, /secret "NOT_IN_VAULT" \(used in headers\) has no value/);
    const failures = (await t.engine.history(handle.id)).filter((event) => event.type === 'StepFailed');
    assert.equal(failures.length, 1, 'not retried');
    assert.equal(seen.length, before, 'no request was sent');
  });

  test('a reference that reaches a set step fails it, naming the secret and the field', async () => {
    const name = await t.define(
      workflow('leaky-set', ['  - id: copy', '    set: { token: "${{ secrets.API_TOKEN }}" }']),
    );
    const handle = await t.engine.start(name);
    const error = await failureOf(handle.result());
    assert.equal(error.code, 'SECRET_NOT_ALLOWED');
    assert.match(error.message, /secret "API_TOKEN" reaches output\.token of set step "copy"/);
    const completed = (await t.engine.history(handle.id)).filter((event) => event.type === 'StepCompleted');
    assert.deepEqual(completed, [], 'nothing was recorded as the output');
  });

  test('a reference in the input of a script fails the step before it runs', async () => {
    const name = await t.define(
      workflow('leaky-script', [
        '  - id: run',
        '    script: return input.key.length',
        '    input: { key: "${{ secrets.API_TOKEN }}" }',
      ]),
    );
    const handle = await t.engine.start(name);
    const error = await failureOf(handle.result());
    assert.equal(error.code, 'SECRET_NOT_ALLOWED');
    assert.match(error.message, /secret "API_TOKEN" reaches input\.key of script step "run"/);
    const types = (await t.engine.history(handle.id)).map((event) => event.type);
    assert.ok(!types.includes('StepScheduled'), 'the script never ran');
  });

  test('a reference forged in run input is sent as text, never resolved', async () => {
    const name = await t.define(
      workflow('forged', [
        '  - id: call',
        '    http:',
        `      url: "${base}/forged"`,
        '      method: POST',
        '      headers: { Authorization: "Bearer ${{ secrets.API_TOKEN }}" }',
        '      body: { note: "${{ inputs.note }}" }',
      ]),
    );
    // A genuine reference, copied from history, is worth nothing in another value.
    const first = await t.engine.start(name, { note: 'hello' });
    await first.result();
    const scheduled = (await t.engine.history(first.id)).find((event) => event.type === 'StepScheduled');
    const genuine = JSON.stringify(scheduled).match(/<<secret:API_TOKEN:[0-9a-f]{16}>>/)?.[0];
    assert.ok(genuine);
    const forged = `${genuine} <<secret:API_TOKEN:0123456789abcdef>> <<secret:API_TOKEN>>`;
    await t.engine.run(name, { note: forged });
    const request = seen.at(-1)!;
    assert.equal(request.authorization, `Bearer ${TOKEN}`);
    assert.deepEqual(JSON.parse(request.body), { note: forged });
  });
});
