/**
 * Secrets as a CLI user meets them: `baton run` reads `${{ secrets.NAME }}` from the worker's
 * environment, the request carries it, and nothing the CLI prints afterwards shows it.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { parseJson, runIdFrom, Workspace } from './helpers.ts';

const TOKEN = 'env-token-5e1d92aa7c';
const ws = new Workspace();
let server: Server;
let port = 0;
const authorizations: (string | undefined)[] = [];

before(async () => {
  server = createServer((request, response) => {
    authorizations.push(request.headers.authorization);
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ authorization: request.headers.authorization }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  ws.cleanup();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('baton run sends the secret from the environment; runs show never prints it', async () => {
  ws.write(
    'secret.yaml',
    [
      'name: secret-call',
      'secrets: { API_TOKEN: Token of the test API }',
      'steps:',
      '  - id: call',
      '    http:',
      `      url: http://127.0.0.1:${port}/whoami`,
      '      headers: { Authorization: "Bearer ${{ secrets.API_TOKEN }}" }',
      'output: ${{ steps.call.output.body }}',
    ].join('\n'),
  );
  const env = { API_TOKEN: TOKEN };
  const run = await ws.run(['--allow-host', '127.0.0.1', 'run', 'secret.yaml'], env);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(authorizations, [`Bearer ${TOKEN}`]);
  assert.deepEqual(parseJson(run.stdout), { authorization: 'Bearer ***' });
  assert.ok(!run.stderr.includes(TOKEN));

  const list = await ws.run(['runs', 'list'], env);
  const runId = runIdFrom(list.stdout);
  const show = await ws.run(['runs', 'show', runId, '--history'], env);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /Bearer \*\*\*/);
  const json = await ws.run(['--json', 'runs', 'show', runId, '--history'], env);
  assert.equal(json.code, 0, json.stderr);
  assert.match(json.stdout, /<<secret:API_TOKEN:[0-9a-f]{16}>>/, 'history holds the reference');
  for (const output of [show, json]) assert.ok(!`${output.stdout}${output.stderr}`.includes(TOKEN));
});
