import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createBuiltinRegistry } from '../../src/kinds/builtin.ts';
import { workflowJsonSchema } from '../../src/language/index.ts';

test('the committed baton.schema.json matches the format (regenerate: npm run baton -- schema -o baton.schema.json)', () => {
  const committed = JSON.parse(
    readFileSync(join(import.meta.dirname, '..', '..', 'baton.schema.json'), 'utf8'),
  );
  assert.deepEqual(committed, JSON.parse(JSON.stringify(workflowJsonSchema(createBuiltinRegistry()))));
});
