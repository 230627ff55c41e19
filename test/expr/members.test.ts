import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileExpression } from '../../src/expr/index.ts';
import { evaluate } from './helpers.ts';

const scope = {
  inputs: { topic: 'ai', count: 3, 'with-dash': 'd', 1: 'one' },
  steps: { fetch: { output: { docs: [{ title: 'A' }, { title: 'B' }], empty: null } } },
  list: ['x', 'y', 'z'],
};

describe('member access', () => {
  it('reads own properties with dot and bracket notation', () => {
    assert.equal(evaluate('inputs.topic', scope), 'ai');
    assert.equal(evaluate("inputs['topic']", scope), 'ai');
    assert.equal(evaluate("inputs['with-dash']", scope), 'd');
    assert.equal(evaluate('inputs[1]', scope), 'one');
    assert.equal(evaluate("inputs['to' + 'pic']", scope), 'ai');
    assert.equal(evaluate('steps.fetch.output.docs[1].title', scope), 'B');
    assert.equal(evaluate("steps['fetch'].output['docs'][0]['title']", scope), 'A');
    assert.equal(evaluate('list[inputs.count - 1]', scope), 'z');
  });

  it('reads array indices and length, and string length only', () => {
    assert.equal(evaluate('list.length', scope), 3);
    assert.equal(evaluate("list['1']", scope), 'y');
    assert.equal(evaluate('inputs.topic.length', scope), 2);
    assert.equal(evaluate('list[-1]', scope), undefined);
    assert.equal(evaluate('list[1.5]', scope), undefined);
    assert.equal(evaluate("list['01']", scope), undefined);
    assert.equal(evaluate('list[3]', scope), undefined);
    assert.equal(evaluate('inputs.topic[0]', scope), undefined);
    assert.equal(evaluate('inputs.count.length', scope), undefined);
    assert.equal(evaluate('list.map', scope), undefined);
  });

  it('yields undefined through null and undefined instead of throwing', () => {
    assert.equal(evaluate('steps.fetch.output.empty.deep.deeper', scope), undefined);
    assert.equal(evaluate('steps.missing.output.docs[0].title', scope), undefined);
    assert.equal(evaluate('nothing[0]', scope), undefined);
    assert.equal(evaluate('a?.b?.[0]', scope), undefined);
    assert.equal(evaluate('inputs?.topic', scope), 'ai');
  });

  it('resolves identifiers from own properties of the scope only', () => {
    const inherited = Object.create({ secret: 1 });
    inherited.visible = 2;
    assert.equal(evaluate('visible', inherited), 2);
    assert.equal(evaluate('secret', inherited), undefined);
    assert.equal(evaluate('unknown', scope), undefined);
    assert.equal(evaluate('toString', {}), undefined);
    assert.equal(evaluate('hasOwnProperty', {}), undefined);
    assert.equal(evaluate('x', Object.assign(Object.create(null), { x: 5 })), 5);
  });

  it('does not read properties of non-plain objects', () => {
    class Box {
      value = 1;
    }
    assert.equal(evaluate('box.value', { box: new Box() }), undefined);
    assert.equal(evaluate('map.size', { map: new Map([[1, 2]]) }), undefined);
    assert.equal(evaluate('date.getTime', { date: new Date() }), undefined);
    assert.equal(evaluate('plain.value', { plain: { value: 1 } }), 1);
  });

  it('reuses one compiled expression across scopes', () => {
    const compiled = compileExpression('item.price * item.qty');
    assert.equal(compiled.evaluate({ item: { price: 2, qty: 3 } }), 6);
    assert.equal(compiled.evaluate({ item: { price: 5, qty: 1 } }), 5);
  });

  it('reads long static paths', () => {
    const deep = { a: { b: { c: { d: { e: { f: 'end' } } } } } };
    assert.equal(evaluate('a.b.c.d.e.f', deep), 'end');
    assert.equal(evaluate('a.b.x.d.e.f', deep), undefined);
  });
});
