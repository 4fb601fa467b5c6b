import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hexId, parseMemberId, memberLabel } from '../../src/format/ids.js';
import { formatBytes, formatDuration, sparkline } from '../../src/format/units.js';

test('hexId prints etcdctl hex without padding and without precision loss', () => {
  assert.equal(hexId('10276657743932975437'), '8e9e05c52164694d');
  assert.equal(hexId('4503599627370497'), '10000000000001');
  assert.equal(hexId('255'), 'ff');
});

test('parseMemberId accepts decimal, hex and 0x hex', () => {
  assert.equal(parseMemberId('8e9e05c52164694d'), '10276657743932975437');
  assert.equal(parseMemberId('0x8e9e05c52164694d'), '10276657743932975437');
  assert.equal(parseMemberId('10276657743932975437'), '10276657743932975437');
  assert.equal(parseMemberId('m1'), undefined);
});

test('memberLabel names unstarted members by hex ID', () => {
  assert.equal(memberLabel({ id: '255', name: '' }), '(unstarted ff)');
  assert.equal(memberLabel({ id: '255', name: 'm1' }), 'm1');
  assert.equal(memberLabel(undefined, '255'), 'ff');
});

test('formatters', () => {
  // Decimal units, as etcdctl prints them (go-humanize): kB = 1000.
  assert.equal(formatBytes(1536), '1.5 kB');
  assert.equal(formatBytes(2 * 1024 ** 3), '2.1 GB');
  assert.equal(formatDuration(45), '45ms');
  assert.equal(formatDuration(1500), '1.5s');
  assert.equal(formatDuration(125000), '2m5s');
  assert.equal(sparkline([1, 2, 3]).length, 3);
  assert.equal(sparkline([5, 5]), '▁▁');
});
