import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes } from '../../src/format/units.js';
import { humanizeBytes } from '../../src/snapshot/units.js';
import { parseSize } from '../../src/cli/args.js';

test('sizes are decimal, as etcdctl prints them (kB = 1000, GB = 10^9)', () => {
  assert.equal(formatBytes(9), '9 B');
  assert.equal(formatBytes(20_480), '20 kB');
  assert.equal(formatBytes(7_400_000), '7.4 MB');
  assert.equal(formatBytes(12_451_840), '12 MB');
  assert.equal(formatBytes(2 ** 31), '2.1 GB');
  assert.equal(formatBytes(undefined), '-');
});

test('the console and `snapshot status` format a snapshot size the same way', () => {
  for (const n of [0, 9, 999, 1000, 20_480, 7_100_000, 7_400_000, 7_755_000, 12_451_840, 1e9, 2 ** 30]) {
    assert.equal(formatBytes(n), humanizeBytes(n), String(n));
  }
});

test('a size typed as GB means 10^9 and as GiB 2^30, and each reads back as what it is', () => {
  assert.equal(parseSize('8GB', '--quota-bytes'), 8e9);
  assert.equal(parseSize('8GiB', '--quota-bytes'), 8 * 2 ** 30);
  assert.equal(formatBytes(parseSize('8GB', '--quota-bytes')), '8.0 GB');
  assert.equal(formatBytes(parseSize('8GiB', '--quota-bytes')), '8.6 GB');
});
