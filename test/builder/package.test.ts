import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

test('the package ships compiled JavaScript through an exports map (Node does not strip types in node_modules)', () => {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));
  assert.deepEqual(pkg.exports['.'], { types: './dist/index.d.ts', default: './dist/index.js' });
  assert.ok(pkg.files.includes('dist'));
  assert.equal(pkg.scripts.prepack, 'npm run build');
  assert.match(pkg.scripts.build, /tsconfig\.build\.json/);
});
