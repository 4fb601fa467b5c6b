/** The flags of the visibility commands: status --metrics, keyspace --prefix/--depth. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../../src/cli/args.js';

test('status --metrics, keyspace --prefix P --depth N; a bad depth is a usage error', () => {
  assert.equal(parseArgs(['status', '--metrics']).flags.metrics, true);
  const k = parseArgs(['keyspace', '--prefix', '/registry/', '--depth', '3', '--json']);
  assert.deepEqual([k.command, k.flags.prefix, k.flags.depth, k.flags.json], [['keyspace'], '/registry/', 3, true]);
  assert.throws(() => parseArgs(['keyspace', '--depth', '0']), /--depth: "0" must be at least 1/);
  assert.throws(() => parseArgs(['keyspace', '--prefix']), /--prefix: needs a value/);
  assert.deepEqual(parseArgs(['check', 'consistency', '--wait', '30s']).flags.waitMs, 30_000);
});
