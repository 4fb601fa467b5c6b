/**
 * The pure snapshot reader (src/snapshot) against etcdutl itself: snapshots of
 * real etcd clusters (saved with `etcdctl snapshot save`) must give the same
 * hash, revision, total keys and total size as `etcdutl snapshot status`, and
 * broken copies must fail in both.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type TestContext } from 'node:test';
import { after, before, describe, test } from '../harness/skip.js'; // counts every test of a skipped describe
import { noop } from 'cockatiel';
import { Etcd3, Range, type IOptions } from 'etcd3';
import { BoltDB, BRANCH_PAGE_FLAG, ELEMENT_SIZE, LEAF_PAGE_FLAG, PAGE_HEADER_SIZE } from '../../src/snapshot/bbolt.js';
import { SnapshotError } from '../../src/snapshot/errors.js';
import { formatStatusJson, formatStatusSimple, formatStatusTable, snapshotStatus, type SnapshotStatus } from '../../src/snapshot/status.js';
import { etcdBinaries, etcdSkipReason } from '../harness/binaries.js';
import { runEtcdctl, startCluster, type TestCluster } from '../harness/cluster.js';
import { waitFor } from '../harness/wait.js';

const etcdutlPath = etcdBinaries('3.5')?.etcdutl;
const skip35 = etcdSkipReason('3.5') ?? (etcdutlPath ? undefined : 'the etcd 3.5 binaries have no etcdutl');

interface EtcdutlJson {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}

function client(cluster: TestCluster): Etcd3 {
  const opts: IOptions = {
    hosts: cluster.endpoints,
    faultHandling: { host: () => noop, global: noop },
    defaultCallOptions: () => ({ deadline: Date.now() + 20_000 }),
  };
  return new Etcd3(opts);
}

async function etcdutl(args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  assert.ok(etcdutlPath);
  const t0 = performance.now();
  const r = await runEtcdctl(etcdutlPath, args, { timeoutMs: 60_000 });
  return { ...r, ms: performance.now() - t0 };
}

async function save(cluster: TestCluster, file: string): Promise<void> {
  const r = await cluster.etcdctl(['snapshot', 'save', file], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `snapshot save failed: ${r.stderr}`);
  assert.ok(fs.statSync(file).size % 512 === 32, 'etcdctl writes a sha256 trailer');
}

/** Compares snapshotStatus() with etcdutl in json, table and simple form; returns both. */
async function compare(t: TestContext, file: string): Promise<{ ours: SnapshotStatus; theirs: EtcdutlJson }> {
  const t0 = performance.now();
  const ours = await snapshotStatus(file);
  const oursMs = performance.now() - t0;
  const json = await etcdutl(['snapshot', 'status', file, '-w', 'json']);
  assert.equal(json.code, 0, `etcdutl failed: ${json.stderr}`);
  const theirs = JSON.parse(json.stdout) as EtcdutlJson;
  assert.deepEqual(
    { hash: ours.hash, revision: ours.revision, totalKey: ours.totalKey, totalSize: ours.totalSize },
    { hash: theirs.hash, revision: theirs.revision, totalKey: theirs.totalKey, totalSize: theirs.totalSize },
  );
  assert.equal(formatStatusJson(ours), json.stdout.trim());
  const table = await etcdutl(['snapshot', 'status', file, '-w', 'table']);
  assert.equal(`${formatStatusTable(ours)}\n`, table.stdout);
  const simple = await etcdutl(['snapshot', 'status', file, '-w', 'simple']);
  assert.equal(`${formatStatusSimple(ours)}\n`, simple.stdout);
  assert.equal(ours.sha256.present, true);
  assert.equal(ours.sha256.ok, true, `sha256: ${JSON.stringify(ours.sha256)}`);
  assert.equal(ours.fileSize, fs.statSync(file).size);
  t.diagnostic(
    `${path.basename(file)}: ${json.stdout.trim()} (${ours.fileSize} bytes); snapshotStatus ${oursMs.toFixed(0)} ms, etcdutl -w json ${json.ms.toFixed(0)} ms`,
  );
  return { ours, theirs };
}

/** The last leaf page of the root bucket `bucket`, found by following the rightmost branch elements. */
function lastLeafOf(file: string, bucket: string): number {
  const db = BoltDB.openFile(file, { dataSize: fs.statSync(file).size - 32 });
  try {
    const rootPage = db.page(db.meta.root);
    assert.ok(rootPage.flags & LEAF_PAGE_FLAG, 'the root bucket fits in one leaf');
    let id = 0;
    for (let i = 0; i < rootPage.count; i++) {
      const at = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
      const pos = rootPage.buf.readUInt32LE(at + 4);
      const ksize = rootPage.buf.readUInt32LE(at + 8);
      if (rootPage.buf.subarray(at + pos, at + pos + ksize).toString() === bucket) id = Number(rootPage.buf.readBigUInt64LE(at + pos + ksize));
    }
    assert.ok(id > 0, `bucket ${bucket} is on the root page and not inline`);
    for (;;) {
      const p = db.page(id);
      if (!(p.flags & BRANCH_PAGE_FLAG)) return id;
      id = Number(p.buf.readBigUInt64LE(PAGE_HEADER_SIZE + (p.count - 1) * ELEMENT_SIZE + 8));
    }
  } finally {
    db.close();
  }
}

describe('snapshot status of etcd 3.5 snapshots, compared with etcdutl', { skip: skip35 }, () => {
  let cluster: TestCluster;
  let dir: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-snapshot-it-'));
    cluster = await startCluster({ members: 1, version: '3.5' });
  });
  after(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a small snapshot', async (t) => {
    for (const [k, v] of [['a', '1'], ['b', '2'], ['/registry/x', 'y'.repeat(300)]]) {
      const r = await cluster.etcdctl(['put', k, v]);
      assert.equal(r.code, 0, r.stderr);
    }
    const file = path.join(dir, 'small.db');
    await save(cluster, file);
    const { ours } = await compare(t, file);
    assert.ok(ours.revision >= 4);
  });

  test('a snapshot of 100 000 keys', { timeout: 120_000 }, async (t) => {
    const c = client(cluster);
    const t0 = performance.now();
    try {
      // 90 000 keys in transactions of 100 puts (one revision, sub revisions 0..99), 16 at a time,
      // then 10 000 single puts (one revision each) in parallel chunks of 500.
      const value = (i: number) => Buffer.from(`value-${i}-${'x'.repeat(i % 64)}`);
      const txns: number[] = [];
      for (let i = 0; i < 90_000; i += 100) txns.push(i);
      for (let i = 0; i < txns.length; i += 16) {
        await Promise.all(
          txns.slice(i, i + 16).map((start) =>
            c.kv.txn({
              success: Array.from({ length: 100 }, (_, j) => ({
                request_put: { key: Buffer.from(`/load/txn/${String(start + j).padStart(6, '0')}`), value: value(start + j) },
              })),
            }),
          ),
        );
      }
      for (let i = 0; i < 10_000; i += 500) {
        await Promise.all(Array.from({ length: 500 }, (_, j) => c.put(`/load/single/${String(i + j).padStart(6, '0')}`).value(value(i + j))));
      }
      const count = await c.getAll().prefix('/load/').count();
      assert.equal(count, 100_000);
    } finally {
      c.close();
    }
    t.diagnostic(`wrote 100 000 keys in ${(performance.now() - t0).toFixed(0)} ms`);
    const file = path.join(dir, 'big.db');
    await save(cluster, file);
    const { ours } = await compare(t, file);
    assert.ok(ours.totalKey > 100_000, `totalKey ${ours.totalKey}`);
  });

  test('a snapshot after deletions, overwrites, leases, users and a compaction (before and after defrag)', { timeout: 120_000 }, async (t) => {
    const c = client(cluster);
    try {
      for (let i = 0; i < 2_000; i += 250) {
        await Promise.all(Array.from({ length: 250 }, (_, j) => c.put(`/del/${String(i + j).padStart(5, '0')}`).value(`v${i + j}`)));
      }
      await Promise.all(Array.from({ length: 300 }, (_, j) => c.put(`/del/${String(j * 3).padStart(5, '0')}`).value(`overwritten ${j}`)));
      await c.delete().range(new Range('/del/00500', '/del/01200'));
      await c.delete().key('/del/01999');
      // The 100 000 keys of the previous test go too: one range delete, 100 000 tombstones.
      await c.delete().prefix('/load/');
      const lease = c.lease(600, { autoKeepAlive: false });
      await lease.put('/leased/key').value('with a lease');
      await c.put('/del/after-delete').value('tail');
    } finally {
      c.close();
    }
    for (const args of [
      ['user', 'add', 'alice', '--new-user-password=secret'],
      ['role', 'add', 'reader'],
      ['role', 'grant-permission', 'reader', 'read', '/del/', '--prefix=true'],
      ['user', 'grant-role', 'alice', 'reader'],
    ]) {
      const r = await cluster.etcdctl(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    }
    const deleted = path.join(dir, 'deleted.db');
    await save(cluster, deleted);
    const d = await compare(t, deleted);

    // Compact at the current revision: the overwritten values, the deleted keys and their tombstones go.
    const compact = await cluster.etcdctl(['compact', String(d.ours.revision), '--physical'], { timeoutMs: 60_000 });
    assert.equal(compact.code, 0, compact.stderr);
    // --physical returns once the compaction is applied; the snapshot commits the backend first.
    // Bounded wait all the same, until a snapshot no longer holds the compacted revisions.
    const compacted = path.join(dir, 'compacted.db');
    await waitFor(
      async () => {
        await save(cluster, compacted);
        return (await snapshotStatus(compacted)).totalKey < d.ours.totalKey - 100_000;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'a snapshot without the compacted revisions' },
    );
    const a = await compare(t, compacted);
    assert.ok(a.ours.totalSize >= d.ours.totalSize * 0.9, 'compaction frees pages but does not shrink the file');

    const defrag = await cluster.etcdctl(['defrag'], { timeoutMs: 60_000 });
    assert.equal(defrag.code, 0, defrag.stderr);
    const defragmented = path.join(dir, 'defragmented.db');
    await save(cluster, defragmented);
    const b = await compare(t, defragmented);
    // Defragmentation changes the layout and the size, not the contents.
    assert.equal(b.ours.hash, a.ours.hash);
    assert.equal(b.ours.totalKey, a.ours.totalKey);
    assert.equal(b.ours.revision, a.ours.revision);
    assert.ok(b.ours.totalSize < a.ours.totalSize / 2, `defragmented ${b.ours.totalSize} vs ${a.ours.totalSize}`);
  });

  test('a truncated copy and a byte-flipped copy fail in snapshotStatus and in etcdutl', async (t) => {
    const src = path.join(dir, 'big.db');
    assert.ok(fs.existsSync(src), 'needs the 100 000-key snapshot');
    const full = fs.readFileSync(src);
    const cases: { name: string; bytes: Buffer; pattern: RegExp }[] = [];
    cases.push({ name: 'truncated-half.db', bytes: full.subarray(0, Math.floor(full.length / 2)), pattern: /snapshot is truncated: page \d+ lies beyond the end of the file/ });
    cases.push({ name: 'truncated-to-meta.db', bytes: full.subarray(0, 6000), pattern: /snapshot is truncated/ });
    // The page header of the last leaf of the "key" bucket now names another page.
    const leaf = lastLeafOf(src, 'key');
    const opened = BoltDB.fromBuffer(full, { dataSize: full.length - 32 });
    const ps = opened.pageSize;
    opened.close();
    const flipped = Buffer.from(full);
    flipped[leaf * ps] ^= 0x01;
    cases.push({ name: 'flipped-page-id.db', bytes: flipped, pattern: new RegExp(`page ${leaf} .*identifies itself as page ${leaf ^ 1}`) });
    // Its element count now runs past the end of the page.
    const counted = Buffer.from(full);
    counted.writeUInt16LE(4000, leaf * ps + 10);
    cases.push({ name: 'bad-count.db', bytes: counted, pattern: new RegExp(`page ${leaf} claims 4000 elements`) });
    for (const c of cases) {
      const file = path.join(dir, c.name);
      fs.writeFileSync(file, c.bytes);
      await assert.rejects(snapshotStatus(file), (err: unknown) => {
        assert.ok(err instanceof SnapshotError, String(err));
        assert.match(err.message, c.pattern);
        t.diagnostic(`${c.name}: ${err.message}`);
        return true;
      });
      const r = await etcdutl(['snapshot', 'status', file, '-w', 'json']);
      assert.notEqual(r.code, 0, `etcdutl accepted ${c.name}: ${r.stdout}`);
      t.diagnostic(`${c.name}: etcdutl exit ${r.code}: ${(r.stderr.split('\n').find((l) => l.trim()) ?? '').slice(0, 160)}`);
    }
  });
});

const skip34 = etcdSkipReason('3.4') ?? skip35;

describe('snapshot status of etcd 3.4 snapshots', { skip: skip34 }, () => {
  let cluster: TestCluster;
  let dir: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-snapshot-it34-'));
    cluster = await startCluster({ members: 1, version: '3.4' });
  });
  after(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('same numbers as etcdutl 3.5 and etcdctl 3.4 snapshot status', async (t) => {
    const c = client(cluster);
    try {
      for (let i = 0; i < 3_000; i += 500) {
        await Promise.all(Array.from({ length: 500 }, (_, j) => c.put(`/v34/${i + j}`).value('z'.repeat((i + j) % 200))));
      }
      await c.put('/v34/big').value('B'.repeat(20_000));
      await c.delete().prefix('/v34/1');
    } finally {
      c.close();
    }
    const file = path.join(dir, 'v34.db');
    await save(cluster, file);
    const { ours } = await compare(t, file);
    const old = await cluster.etcdctl(['snapshot', 'status', file, '-w', 'json']);
    assert.equal(old.code, 0, old.stderr);
    assert.equal(formatStatusJson(ours), old.stdout.trim());
  });
});
