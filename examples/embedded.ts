/**
 * Embedding Baton in a TypeScript program: task handlers, an http step against a local
 * server, the typed builder, and the live event stream. Runs offline:
 *   node examples/embedded.ts            (Node ≥ 22.18; `npx node` uses the pinned one)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatonError, createEngine, expr, workflow } from '../src/index.ts';

// A stand-in for a real inventory API, on loopback only.
let calls = 0;
const server = createServer((req, res) => {
  calls++;
  if (calls === 1) {
    res.writeHead(503).end('warming up'); // the http step retries this
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({ sku: req.url?.split('/').pop(), inStock: 7, key: req.headers['idempotency-key'] }),
  );
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const engine = await createEngine({ store: 'memory', allowHosts: ['127.0.0.1'] });

engine.registerTask('reserve', async (input: { sku: string; qty: number }, ctx) => {
  // ctx.idempotencyKey is stable across retries and crash re-executions of this step.
  if (input.qty > 5) throw new BatonError('TOO_MANY', `cannot reserve ${input.qty}`, { retryable: false });
  return { reservation: `res-${input.sku}-${ctx.idempotencyKey.length}`, qty: input.qty };
});

const order = workflow('order', { version: '1.0.0' })
  .input('sku', 'string')
  .input('qty', { type: 'integer', default: 1 })
  .http('stock', { url: `${base}/stock/${expr('inputs.sku')}` }, { retry: { attempts: 3, delay: '100ms' } })
  .task('reserve', 'reserve', {
    needs: ['stock'],
    if: expr('steps.stock.output.body.inStock >= inputs.qty'),
    input: { sku: expr('inputs.sku'), qty: expr('inputs.qty') },
  })
  .output({ stock: expr('steps.stock.output.body'), reservation: expr('steps.reserve.output') })
  .build();

engine.subscribe((event) => {
  if (event.type === 'history' && 'path' in event.event)
    console.log(`  ${event.event.type} ${event.event.path}`);
});
engine.startWorker();

const handle = await engine.start(order, { sku: 'book-42', qty: 2 });
console.log('run', handle.id);
console.log(JSON.stringify(await handle.result(), null, 2));

await engine.close();
server.close();
