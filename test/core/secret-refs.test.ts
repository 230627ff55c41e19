/** Secret references: sealed by the scheduler, recognised by the worker, impossible to forge from data. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  findSecrets,
  nonceOf,
  seal,
  sealedNonce,
  secretReference,
  secretTable,
} from '../../src/core/secret-refs.ts';

/** What `${{ … }}` evaluation gives: the value once with placeholders (for the nonce), then with references. */
function evaluated(build: (secrets: Record<string, string>) => unknown): { value: unknown; nonce: string } {
  const nonce = nonceOf(build(secretTable(['TOKEN'])));
  return { value: build(secretTable(['TOKEN'], nonce)), nonce };
}

test('a sealed value survives storage that reorders keys, and names where each reference is', () => {
  const url = evaluated((s) => `https://api/x?key=${s.TOKEN}`);
  const headers = evaluated((s) => ({ Authorization: `Bearer ${s.TOKEN}` }));
  const input = seal(
    { url: url.value, headers: headers.value, note: 'hi' },
    new Set([url.nonce, headers.nonce]),
  );
  const nonce = sealedNonce(input);
  assert.ok(nonce);
  assert.deepEqual(
    findSecrets(input, new Set([nonce])).map((use) => use.path.join('.')),
    ['url', 'headers.Authorization'],
  );
  // PostgreSQL's jsonb, for one, gives keys back in its own order.
  const reordered = JSON.parse(JSON.stringify({ note: 'hi', headers: input.headers, url: input.url }));
  assert.equal(sealedNonce(reordered), nonce);
});

test('data cannot pass for a reference, even one copied from a genuine value', () => {
  const genuine = evaluated((s) => `Bearer ${s.TOKEN}`);
  const sealed = seal({ headers: { Authorization: genuine.value } }, new Set([genuine.nonce]));
  const copied = JSON.stringify(sealed).match(/<<secret:TOKEN:[0-9a-f]{16}>>/)?.[0];
  assert.ok(copied);
  // The same text arriving as data (a run input, an HTTP response) in another value.
  const forged = evaluated((s) => ({
    auth: `Bearer ${s.TOKEN}`,
    note: `${copied} ${secretReference('TOKEN', '0123456789abcdef')}`,
  }));
  const input = seal(forged.value, new Set([forged.nonce]));
  const nonce = sealedNonce(input);
  assert.ok(nonce);
  assert.deepEqual(
    findSecrets(input, new Set([nonce])).map((use) => use.path.join('.')),
    ['auth'],
    'only the reference the expression made is genuine',
  );
  assert.equal(sealedNonce({ note: copied }), undefined);
});
