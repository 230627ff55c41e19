// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Baton ${{ }} templates, not JS templates
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BatonError, type JsonValue } from '../../src/errors.ts';
import { httpKind } from '../../src/kinds/http.ts';
import { executeContext } from './execute-harness.ts';
import { startContext } from './harness.ts';

let server: http.Server;
let base: string;
let port: number;
/** TCP connections the test server accepted: a refused request must not add one. */
let connections = 0;

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const route = url.pathname;
    if (route === '/echo') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'X-Trace': 'abc' });
      res.end(
        JSON.stringify({
          method: req.method,
          query: Object.fromEntries(url.searchParams),
          search: url.search,
          headers: req.headers,
          body,
        }),
      );
    } else if (route === '/text') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('{"looks":"like json"}');
    } else if (route === '/bad-json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('not json');
    } else if (route.startsWith('/status/')) {
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      const retryAfter = url.searchParams.get('retryAfter');
      if (retryAfter) headers['retry-after'] = retryAfter;
      res.writeHead(Number(route.slice(8)), headers);
      res.end(`failure body ${'x'.repeat(2000)}`);
    } else if (route === '/slow') {
      const timer = setTimeout(() => res.end('late'), 3000);
      res.on('close', () => clearTimeout(timer));
    } else if (route === '/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.alloc(Number(url.searchParams.get('n')), 97));
    } else if (route === '/redirect') {
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/' });
      res.end();
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('no such route');
    }
  });
}

before(async () => {
  server = http.createServer(handle);
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

interface CallOptions {
  allowHosts?: string[];
  signal?: AbortSignal;
  inputs?: Record<string, JsonValue>;
}

/** Parses the config, runs start (templates) and execute, as scheduler and worker would. */
async function call(
  config: Record<string, unknown>,
  options: CallOptions = {},
): Promise<Record<string, JsonValue>> {
  const start = httpKind.start(startContext(httpKind, config, { inputs: options.inputs }));
  assert.equal(start.type, 'task');
  if (start.type !== 'task') throw new Error('unreachable');
  const ctx = executeContext({
    kind: 'http',
    config,
    input: start.input,
    allowHosts: options.allowHosts ?? ['127.0.0.1'],
    signal: options.signal,
  });
  return (await httpKind.execute!(ctx)) as Record<string, JsonValue>;
}

async function failure(config: Record<string, unknown>, options?: CallOptions): Promise<BatonError> {
  try {
    await call(config, options);
  } catch (error) {
    assert.ok(error instanceof BatonError, `expected a BatonError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the request to fail');
}

describe('http kind execute', () => {
  it('parses JSON responses and lower-cases headers', async () => {
    const output = await call({ url: `${base}/echo` });
    assert.equal(output.status, 200);
    assert.equal((output.headers as Record<string, string>)['x-trace'], 'abc');
    assert.equal((output.body as Record<string, JsonValue>).method, 'GET');
  });

  it('returns text for non-JSON content types, and honours responseType', async () => {
    assert.equal((await call({ url: `${base}/text` })).body, '{"looks":"like json"}');
    assert.deepEqual((await call({ url: `${base}/text`, responseType: 'json' })).body, {
      looks: 'like json',
    });
    assert.equal(typeof (await call({ url: `${base}/echo`, responseType: 'text' })).body, 'string');
    assert.equal((await call({ url: `${base}/bad-json` })).body, 'not json');
    assert.equal(
      (await failure({ url: `${base}/bad-json`, responseType: 'json' })).code,
      'HTTP_RESPONSE_INVALID',
    );
  });

  it('sends templated query, headers and a JSON body with the Idempotency-Key', async () => {
    const output = await call(
      {
        url: `${base}/echo?fixed=1`,
        method: 'post',
        query: { q: '${{ inputs.topic }}', tag: ['a', 'b'], skip: null },
        headers: { Authorization: 'Bearer ${{ inputs.token }}', 'X-Count': '${{ inputs.n }}' },
        body: { topic: '${{ inputs.topic }}', n: '${{ inputs.n }}' },
      },
      { inputs: { topic: 'cats & dogs', token: 't0k', n: 2 } },
    );
    const echoed = output.body as {
      method: string;
      search: string;
      headers: Record<string, string>;
      body: string;
    };
    assert.equal(echoed.method, 'POST');
    assert.equal(echoed.search, '?fixed=1&q=cats+%26+dogs&tag=a&tag=b');
    assert.equal(echoed.headers.authorization, 'Bearer t0k');
    assert.equal(echoed.headers['x-count'], '2');
    assert.equal(echoed.headers['content-type'], 'application/json');
    assert.equal(echoed.headers['idempotency-key'], 'run-1:subject:0');
    assert.deepEqual(JSON.parse(echoed.body), { topic: 'cats & dogs', n: 2 });
  });

  it('sends strings as they are, keeps a user content-type and a user Idempotency-Key', async () => {
    const output = await call({
      url: `${base}/echo`,
      method: 'PUT',
      headers: { 'Content-Type': 'text/csv', 'Idempotency-Key': 'mine' },
      body: 'a,b\n1,2',
    });
    const echoed = output.body as { headers: Record<string, string>; body: string };
    assert.equal(echoed.body, 'a,b\n1,2');
    assert.equal(echoed.headers['content-type'], 'text/csv');
    assert.equal(echoed.headers['idempotency-key'], 'mine');
  });

  it('does not send an Idempotency-Key when disabled', async () => {
    const output = await call({ url: `${base}/echo`, idempotencyKey: false });
    assert.equal((output.body as { headers: Record<string, string> }).headers['idempotency-key'], undefined);
  });

  it('maps 429 with Retry-After to a retryable HTTP_STATUS with retryAfterMs', async () => {
    const error = await failure({ url: `${base}/status/429?retryAfter=7` });
    assert.equal(error.code, 'HTTP_STATUS');
    assert.equal(error.retryable, true);
    assert.equal(error.details.status, 429);
    assert.equal(error.details.retryAfterMs, 7000);
    assert.ok((error.details.body as string).length <= 500);
    assert.match(error.details.body as string, /^failure body/);

    const dated = await failure({
      url: `${base}/status/503?retryAfter=${encodeURIComponent(new Date(Date.now() + 60_000).toUTCString())}`,
    });
    assert.equal(dated.retryable, true);
    assert.ok(
      (dated.details.retryAfterMs as number) > 50_000 && (dated.details.retryAfterMs as number) <= 60_000,
    );
  });

  it('maps 503 to retryable, 404 to not retryable, and allowStatus to success', async () => {
    const unavailable = await failure({ url: `${base}/status/503` });
    assert.equal(unavailable.retryable, true);
    assert.equal(unavailable.details.retryAfterMs, undefined);
    const missing = await failure({ url: `${base}/nowhere` });
    assert.equal(missing.code, 'HTTP_STATUS');
    assert.equal(missing.retryable, false);
    assert.equal(missing.details.status, 404);
    assert.match(missing.message, /GET http:\/\/127\.0\.0\.1:\d+\/nowhere responded 404/);
    const allowed = await call({ url: `${base}/nowhere`, allowStatus: [404] });
    assert.deepEqual([allowed.status, allowed.body], [404, 'no such route']);
  });

  it('times out with HTTP_TIMEOUT (retryable)', async () => {
    const started = Date.now();
    const error = await failure({ url: `${base}/slow`, timeout: '200ms' });
    assert.equal(error.code, 'HTTP_TIMEOUT');
    assert.equal(error.retryable, true);
    assert.ok(Date.now() - started < 2000);
  });

  it('aborts promptly with STEP_ABORTED when the step signal fires', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('run cancelled')), 100);
    const error = await failure({ url: `${base}/slow` }, { signal: controller.signal });
    assert.equal(error.code, 'STEP_ABORTED');
    assert.equal(error.retryable, true);
  });

  it('refuses responses larger than maxResponseBytes', async () => {
    const ok = await call({ url: `${base}/big?n=1000`, maxResponseBytes: 1000 });
    assert.equal((ok.body as string).length, 1000);
    const error = await failure({ url: `${base}/big?n=200000`, maxResponseBytes: 1000 });
    assert.equal(error.code, 'HTTP_RESPONSE_TOO_LARGE');
    assert.equal(error.retryable, false);
  });

  it('maps a refused connection to a retryable HTTP_NETWORK', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure({ url: `http://127.0.0.1:${closedPort}/` });
    assert.equal(error.code, 'HTTP_NETWORK');
    assert.equal(error.retryable, true);
    assert.equal(error.details.code, 'ECONNREFUSED');
  });

  it('rejects non-http schemes and malformed URLs with HTTP_INVALID_URL', async () => {
    const start = httpKind.start(
      startContext(httpKind, { url: '${{ inputs.u }}' }, { inputs: { u: 'file:///etc/passwd' } }),
    );
    if (start.type !== 'task') return assert.fail('expected task');
    const ctx = executeContext({ kind: 'http', config: {}, input: start.input });
    await assert.rejects(httpKind.execute!(ctx), { code: 'HTTP_INVALID_URL', retryable: false });
    const bad = executeContext({ kind: 'http', config: {}, input: { url: 'not a url' } });
    await assert.rejects(httpKind.execute!(bad), { code: 'HTTP_INVALID_URL' });
  });
});

describe('http kind address guard', () => {
  const blockedCases: [string, string][] = [
    ['127.0.0.1 when not allow-listed', 'http://127.0.0.1:0/echo'],
    ['localhost (resolved by DNS)', 'http://localhost:0/echo'],
    ['[::1]', 'http://[::1]:0/echo'],
    ['10.0.0.1', 'http://10.0.0.1/echo'],
    ['169.254.169.254 (cloud metadata)', 'http://169.254.169.254/latest/meta-data'],
    ['IPv4-mapped IPv6 loopback', 'http://[::ffff:127.0.0.1]:0/echo'],
  ];
  for (const [name, url] of blockedCases) {
    it(`refuses ${name} with HTTP_ADDRESS_BLOCKED before connecting`, async () => {
      // Loopback targets point at the live test server: only the guard stands between them.
      const target = url.replace(':0/', `:${port}/`);
      const started = Date.now();
      const before = connections;
      const error = await failure({ url: target }, { allowHosts: [] });
      assert.equal(connections, before, 'no connection reached the server');
      assert.equal(error.code, 'HTTP_ADDRESS_BLOCKED');
      assert.equal(error.retryable, false);
      assert.match(error.message, /allowHosts \(CLI: --allow-host, or BATON_HTTP_ALLOW\)/);
      assert.ok(Date.now() - started < 1000, 'refused without waiting for a connection');
    });
  }

  it('names the resolved address and the host in the message', async () => {
    const error = await failure({ url: `http://localhost:${port}/echo` }, { allowHosts: [] });
    assert.match(error.message, /(127\.0\.0\.1|::1) \(resolved from "localhost"\) is a loopback address/);
  });

  it('allows hosts by name, IP and CIDR', async () => {
    for (const allowHosts of [['localhost'], ['127.0.0.0/8', '::1/128'], ['127.0.0.1', '::1']]) {
      const output = await call({ url: `http://localhost:${port}/echo` }, { allowHosts });
      assert.equal(output.status, 200, JSON.stringify(allowHosts));
    }
  });

  it('checks redirect targets too', async () => {
    const to = encodeURIComponent(`http://[::1]:${port}/echo`);
    const error = await failure({ url: `${base}/redirect?to=${to}` }, { allowHosts: ['127.0.0.1'] });
    assert.equal(error.code, 'HTTP_ADDRESS_BLOCKED');
    const followed = await call({ url: `${base}/redirect?to=${encodeURIComponent('/echo')}` });
    assert.equal(followed.status, 200);
  });
});
