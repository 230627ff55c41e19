import { z } from 'zod';
import { createSchemaKit, isExpressionSchema } from '../../src/language/kit.ts';
import { createBuiltinRegistry } from '../../src/kinds/builtin.ts';
import { schemasAt } from '../../src/language/zod-walk.ts';
const kit = createSchemaKit(z.array(z.looseObject({ id: z.string() })));
const reg = createBuiltinRegistry();
for (const kind of reg.all()) {
  const s = kind.schema(kit);
  try { const js = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }); console.log(kind.key, JSON.stringify(js).slice(0, 300)); } catch (e) { console.log(kind.key, 'JSONSCHEMA ERR', (e as Error).message); }
}
const sw = reg.get('switch').schema(kit);
console.log('when is expr', schemasAt(sw, ['cases', 0, 'when']).some(isExpressionSchema));
const lp = reg.get('loop').schema(kit);
console.log('until is expr', schemasAt(lp, ['until']).some(isExpressionSchema), schemasAt(lp, ['while']).some(isExpressionSchema));
console.log(reg.get('http').schema(kit).safeParse({ url: 'https://x.test', method: 'post', body: { a: 1 }, timeout: '5s' }));
console.log(JSON.stringify(reg.get('http').schema(kit).safeParse({ url: 'ftp://x', method: 'get', body: { a: 1 }, extra: 1 }).error?.issues));
console.log(reg.get('wait').schema(kit).safeParse('30s'), reg.get('wait').schema(kit).safeParse({ until: '2030-01-01T00:00:00Z' }));
console.log(JSON.stringify(reg.get('wait').schema(kit).safeParse({ for: '1s', until: 'x' }).error?.issues));
console.log(JSON.stringify(reg.get('parallel').schema(kit).safeParse([{ id: 'a' }])));
