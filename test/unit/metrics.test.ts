/**
 * Prometheus parsing and p99 from bucket deltas, on two scrapes recorded from a real etcd 3.4.23
 * (test/fixtures/metrics: 30 puts, first scrape, 100 more puts, second scrape), against figures
 * computed by hand from the bucket lines of those files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { histogram, memberFigures, metricReasons, parsePrometheus, quantileBetween, usedMetric } from '../../src/health/metrics.js';
import { repoRoot } from '../harness/binaries.js';

const dir = path.join(repoRoot(), 'test', 'fixtures', 'metrics');
const a = { at: 0, samples: parsePrometheus(fs.readFileSync(path.join(dir, 'etcd-3.4.23-scrape-a.txt'), 'utf8')) };
const b = { at: 60_000, samples: parsePrometheus(fs.readFileSync(path.join(dir, 'etcd-3.4.23-scrape-b.txt'), 'utf8')) };
const close = (actual: number | undefined, expected: number, what: string) => assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `${what}: ${actual} != ${expected}`);

test('the parser reads names, labels, +Inf and exponents', () => {
  const s = parsePrometheus('# HELP x y\nfoo{a="1",b="x\\"y"} 2.5e+01\nbar 3 1700000000000\nh_bucket{le="+Inf"} 7\n');
  assert.deepEqual(s, [
    { name: 'foo', labels: { a: '1', b: 'x"y' }, value: 25 },
    { name: 'bar', labels: {}, value: 3 },
    { name: 'h_bucket', labels: { le: '+Inf' }, value: 7 },
  ]);
  const wal = histogram(b.samples, 'etcd_disk_wal_fsync_duration_seconds');
  assert.equal(wal?.count, 137);
  assert.equal(wal?.buckets.length, 15);
  assert.equal(wal?.buckets[14].le, Infinity);
});

test('WAL fsync quantiles from the deltas between the two scrapes, by hand', () => {
  const prev = histogram(a.samples, 'etcd_disk_wal_fsync_duration_seconds');
  const curr = histogram(b.samples, 'etcd_disk_wal_fsync_duration_seconds');
  // Deltas (b - a), cumulative: <=1ms 53, <=2ms 70, <=4ms 79, <=8ms 93, <=16ms 97, <=32ms 99, <=64ms 100; total 100.
  // p99: rank 99 is reached in the (16, 32] bucket (97 -> 99): 0.016 + 0.016 * (99 - 97) / (99 - 97) = 0.032 s.
  close(quantileBetween(prev, curr, 0.99), 0.032, 'p99');
  // p90: rank 90 in (4, 8] (79 -> 93): 0.004 + 0.004 * 11 / 14.
  close(quantileBetween(prev, curr, 0.9), 0.004 + (0.004 * 11) / 14, 'p90');
  // p50: rank 50 in [0, 1] (0 -> 53): 0.001 * 50 / 53.
  close(quantileBetween(prev, curr, 0.5), (0.001 * 50) / 53, 'p50');
  // From the totals since start (what we must not do), p99 would be 0.016 + 0.016 * 2.63 / 3 = 30.03 ms.
  close(quantileBetween(undefined, curr, 0.99), 0.016 + (0.016 * (0.99 * 137 - 133)) / 3, 'p99 of totals');
});

test('backend commit p99 from deltas is 28.16 ms (the totals would say 104 ms); health lines name the member and the figure', () => {
  const f = memberFigures(a, b);
  // Deltas: <=1ms 7, <=2ms 10, <=4ms 14, <=8ms 19, <=16ms 23, <=32ms 24; rank 0.99 * 24 = 23.76 in (16, 32]: 16 + 16 * 0.76 ms.
  close(f.backendCommitP99Ms, 16 + 16 * 0.76, 'backend commit p99 ms');
  close(f.walFsyncP99Ms, 32, 'wal fsync p99 ms');
  assert.equal(f.proposalsFailedPerMin, 0);
  assert.equal(f.leaderChangesTotal, 1);
  assert.equal(f.openFds, 19);
  assert.equal(f.rssBytes, 29192192);
  const reasons = metricReasons('m2', f);
  assert.deepEqual(reasons.map((r) => [r.level, r.text]), [
    ['warn', 'm2: WAL fsync p99 32 ms (> 10 ms): slow disk; leader changes follow'],
    ['warn', "m2: backend commit p99 28 ms (> 25 ms): slow disk or a large DB; check the disk's latency and defragment"],
  ]);
});

test('no observation between the scrapes, or a counter that went back (restart): no figure', () => {
  const h = { buckets: [{ le: 0.001, count: 5 }, { le: Infinity, count: 5 }], count: 5, sum: 0 };
  assert.equal(quantileBetween(h, h, 0.99), undefined);
  assert.equal(quantileBetween({ ...h, buckets: [{ le: 0.001, count: 9 }, { le: Infinity, count: 9 }] }, h, 0.99), undefined);
  const critical = metricReasons('m1', { at: 0, walFsyncP99Ms: 800, peerRttP99Ms: { abc: 300 } }, (hex) => (hex === 'abc' ? 'm3' : hex));
  assert.equal(critical[0].level, 'crit');
  assert.match(critical[0].text, /^m1: WAL fsync p99 800 ms \(> 500 ms\)/);
  assert.match(critical[1].text, /^m1: peer round trip to m3 p99 300 ms \(> 150 ms\)/);
});

test('the scraper keeps only the families the figures use', () => {
  const kept = parsePrometheus('go_goroutines 40\ngrpc_server_started_total{grpc_method="Range"} 3\netcd_server_has_leader 1\nprocess_open_fds 19\n', usedMetric);
  assert.deepEqual(kept.map((s) => s.name), ['etcd_server_has_leader', 'process_open_fds']);
});
