// Unit tests of the parts that need no host: schemas, outputs, errors.
// Run: node --test guest-sdk-js/test/   (plain Node 20, no dependencies)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { s, jsonSchemaOf } from '../src/schema.js';
import { toWitOutput, text, json } from '../src/output.js';
import { InvalidInput, Failed, Denied, SkillError, toWitError } from '../src/errors.js';

test('objects require non-optional properties and refuse unknown ones', () => {
  const schema = s.object({ a: s.string('A.'), b: s.integer().optional(), c: s.boolean().default(true) });
  assert.deepEqual(schema.json, {
    type: 'object',
    properties: { a: { type: 'string', description: 'A.' }, b: { type: 'integer' }, c: { type: 'boolean', default: true } },
    required: ['a'],
    additionalProperties: false,
  });
});

test('defaults are filled in recursively, given values are kept', () => {
  const schema = s.object({
    n: s.integer().default(5),
    inner: s.object({ tags: s.array(s.string()).default([]) }).default({ tags: ['x'] }),
    list: s.array(s.object({ on: s.boolean().default(false) })).optional(),
  });
  assert.deepEqual(schema.applyDefaults({}), { n: 5, inner: { tags: ['x'] } });
  assert.deepEqual(schema.applyDefaults({ n: 1, inner: {}, list: [{}, { on: true }] }), {
    n: 1,
    inner: { tags: [] },
    list: [{ on: false }, { on: true }],
  });
});

test('a default is copied, never shared between calls', () => {
  const schema = s.object({ tags: s.array(s.string()).default([]) });
  schema.applyDefaults({}).tags.push('mutated');
  assert.deepEqual(schema.applyDefaults({}).tags, []);
});

test('no input means an empty object; a raw schema passes through', () => {
  assert.deepEqual(jsonSchemaOf(undefined), { type: 'object', properties: {}, additionalProperties: false });
  const raw = { type: 'object', properties: { q: { type: 'string' } } };
  assert.equal(jsonSchemaOf(raw), raw);
  assert.throws(() => jsonSchemaOf('nope'), TypeError);
});

test('strings are text, everything else JSON', () => {
  assert.deepEqual(toWitOutput('hi'), { tag: 'text', val: 'hi' });
  assert.deepEqual(toWitOutput({ a: 1 }), { tag: 'json', val: '{"a":1}' });
  assert.deepEqual(toWitOutput(undefined), { tag: 'json', val: 'null' });
  assert.deepEqual(toWitOutput(json('hi')), { tag: 'json', val: '"hi"' });
  assert.deepEqual(toWitOutput(text(42)), { tag: 'text', val: '42' });
});

test('a value JSON cannot encode is a failure of the ability', () => {
  assert.throws(() => toWitOutput({ big: 1n }), (e) => e.tag === 'failed' && e.val.startsWith('JSON: '));
});

test('errors work with and without `new` and map to the WIT variants', () => {
  for (const [E, tag] of [[InvalidInput, 'invalid-input'], [Failed, 'failed'], [Denied, 'denied']]) {
    for (const e of [E('m'), new E('m')]) {
      assert.ok(e instanceof E && e instanceof SkillError && e instanceof Error);
      assert.deepEqual(toWitError(e), { tag, val: 'm' });
    }
  }
  assert.equal(String(Failed('x')), 'Failed: x');
  assert.deepEqual(toWitError(new TypeError('boom')), { tag: 'failed', val: 'boom' });
  assert.deepEqual(toWitError({ payload: 'from a host import' }), { tag: 'failed', val: 'from a host import' });
  assert.deepEqual(toWitError({ tag: 'denied', val: 'raw' }), { tag: 'denied', val: 'raw' });
  assert.deepEqual(toWitError('text'), { tag: 'failed', val: 'text' });
});

test('a synchronous ability answers without a promise, an async one with one, errors map either way', async () => {
  const { ability, abilities } = await import('../src/registry.js');
  ability({ name: 'sync-ok', description: 'Sync.' }, ({ n }) => ({ twice: n * 2 }));
  ability({ name: 'sync-fails', description: 'Sync, fails.' }, () => {
    throw InvalidInput('n must be even');
  });
  ability({ name: 'async-ok', description: 'Async.' }, async () => 'done');
  ability({ name: 'async-fails', description: 'Async, fails.' }, async () => {
    throw Failed('upstream said no');
  });
  assert.deepEqual(abilities.invoke('sync-ok', '{"n": 2}'), { tag: 'json', val: '{"twice":4}' });
  assert.throws(() => abilities.invoke('sync-fails', '{}'), { tag: 'invalid-input', val: 'n must be even' });
  const pending = abilities.invoke('async-ok', '{}');
  assert.ok(pending instanceof Promise);
  assert.deepEqual(await pending, { tag: 'text', val: 'done' });
  await assert.rejects(abilities.invoke('async-fails', '{}'), { tag: 'failed', val: 'upstream said no' });
  assert.throws(() => abilities.invoke('missing', '{}'), { tag: 'invalid-input' });
  assert.throws(() => abilities.invoke('sync-ok', 'not json'), { tag: 'invalid-input' });
});
