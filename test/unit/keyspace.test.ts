/** Keyspace triage, pure part: prefixes (Kubernetes aware), tallies, top lists, range arithmetic. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyspaceTally, keyAfter, prefixOf, prefixRangeEnd, topPrefixes } from '../../src/plans/keyspace.js';

const k8s = { depth: 2, kubernetes: true };

test('Kubernetes keys group by resource and namespace; cluster-scoped resources and API groups understood', () => {
  assert.equal(prefixOf('/registry/pods/default/web-1', k8s), '/registry/pods/default');
  assert.equal(prefixOf('/registry/namespaces/kube-system', k8s), '/registry/namespaces');
  assert.equal(prefixOf('/registry/nodes/node-1', k8s), '/registry/nodes');
  assert.equal(prefixOf('/registry/apiextensions.k8s.io/customresourcedefinitions/widgets.example.com', k8s), '/registry/apiextensions.k8s.io/customresourcedefinitions');
  assert.equal(prefixOf('/registry/example.com/widgets/prod/w1', k8s), '/registry/example.com/widgets/prod');
  assert.equal(prefixOf('/registry/ranges/serviceips', k8s), '/registry/ranges');
  assert.equal(prefixOf('/registry/health', k8s), '/registry');
});

test('other keys: the first N path segments, never the key itself', () => {
  assert.equal(prefixOf('/app/config/a/b', { depth: 2, kubernetes: true }), '/app/config');
  assert.equal(prefixOf('/app/config/a/b', { depth: 3, kubernetes: true }), '/app/config/a');
  assert.equal(prefixOf('/app/x', { depth: 3, kubernetes: true }), '/app');
  assert.equal(prefixOf('plainkey', { depth: 2, kubernetes: true }), 'plainkey');
  assert.equal(prefixOf('a/b/c', { depth: 1, kubernetes: false }), 'a');
  assert.equal(prefixOf('/registry/pods/default/web-1', { depth: 2, kubernetes: false }), '/registry/pods');
});

test('tally and top lists by keys and by bytes', () => {
  const t = new KeyspaceTally(k8s);
  for (let i = 0; i < 10; i++) t.add(`/registry/events/default/e${i}`, 100);
  t.add('/registry/secrets/prod/big', 50_000);
  assert.equal(t.keys, 11);
  assert.equal(t.bytes, 51_000);
  const top = topPrefixes(t.all(), 1);
  assert.deepEqual(top.byKeys.map((p) => [p.prefix, p.keys, p.bytes]), [['/registry/events/default', 10, 1000]]);
  assert.deepEqual(top.byBytes.map((p) => [p.prefix, p.keys, p.bytes]), [['/registry/secrets/prod', 1, 50_000]]);
});

test('range ends: prefix + 1, 0xff carried, everything for the empty prefix; the next page starts after the last key', () => {
  assert.deepEqual(prefixRangeEnd(Buffer.from('/registry/')), Buffer.from('/registry0'));
  assert.deepEqual(prefixRangeEnd(Buffer.from([0x61, 0xff])), Buffer.from([0x62]));
  assert.deepEqual(prefixRangeEnd(Buffer.alloc(0)), Buffer.from([0]));
  assert.deepEqual(keyAfter(Buffer.from('a')), Buffer.from([0x61, 0]));
});
