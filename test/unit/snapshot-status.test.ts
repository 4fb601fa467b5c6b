// The pure snapshot reader (src/snapshot): bbolt files built in this test with
// a small writer, and three real snapshots checked in under
// test/fixtures/snapshots with what etcdutl 3.5.16 printed for them.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { BoltDB, fileSource, type PageSource } from '../../src/snapshot/bbolt.js';
import { crc32c, crc32cUpdate } from '../../src/snapshot/crc32c.js';
import { SnapshotError } from '../../src/snapshot/errors.js';
import {
  computeStatusAsync,
  formatSha256,
  formatStatusFields,
  formatStatusJson,
  formatStatusSimple,
  formatStatusTable,
  hasSha256Trailer,
  snapshotStatus,
  snapshotStatusOfBuffer,
  type SnapshotStatus,
} from '../../src/snapshot/status.js';
import { humanizeBytes } from '../../src/snapshot/units.js';
import { repoRoot } from '../harness/binaries.js';

// ---------------------------------------------------------------------------
// A bbolt writer for tests: lays out meta pages, leaf and branch pages,
// overflow, inline and nested buckets and (optionally) a freelist page.

type Bytes = Buffer | string;
interface Entry {
  key: Bytes;
  value?: Bytes;
  bucket?: BucketSpec;
}
interface BucketSpec {
  entries: Entry[];
  /** Store as an inline bucket (inside the parent's leaf value). */
  inline?: boolean;
  /** Keep the entries in the given order (to write keys out of order). */
  keepOrder?: boolean;
}
interface BuildOptions {
  pageSize?: number;
  /** Most entries per leaf page (default 64): small values give deep trees. */
  maxLeaf?: number;
  /** Most children per branch page (default 64). */
  maxBranch?: number;
  /** Write a freelist page (bbolt's default) instead of none (etcd's NoFreelistSync). */
  freelist?: boolean;
  /** Unused pages to add below the high-water mark (free pages). */
  freePages?: number;
  txid?: number;
  /** Append the 32-byte sha256 trailer (default true). */
  trailer?: boolean;
  /** Change the database bytes before the trailer is computed. */
  mutate?: (db: Buffer, layout: Layout) => void;
}
interface PageInfo {
  id: number;
  kind: 'leaf' | 'branch' | 'freelist' | 'free';
  /** Bucket path ('' for the root). */
  bucket: string;
  overflow: number;
}
interface Layout {
  pageSize: number;
  hwm: number;
  root: number;
  freelist?: number;
  pages: PageInfo[];
}

const b = (x: Bytes): Buffer => (typeof x === 'string' ? Buffer.from(x) : x);

function fnv1a64(data: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const c of data) h = ((h ^ BigInt(c)) * 0x100000001b3n) & 0xffff_ffff_ffff_ffffn;
  return h;
}

function leafBytes(id: number, items: { flags: number; key: Buffer; value: Buffer }[]): Buffer {
  const size = 16 + items.length * 16 + items.reduce((n, it) => n + it.key.length + it.value.length, 0);
  const buf = Buffer.alloc(size);
  buf.writeBigUInt64LE(BigInt(id), 0);
  buf.writeUInt16LE(0x02, 8);
  buf.writeUInt16LE(items.length, 10);
  let data = 16 + items.length * 16;
  items.forEach((it, i) => {
    const at = 16 + i * 16;
    buf.writeUInt32LE(it.flags, at);
    buf.writeUInt32LE(data - at, at + 4);
    buf.writeUInt32LE(it.key.length, at + 8);
    buf.writeUInt32LE(it.value.length, at + 12);
    it.key.copy(buf, data);
    it.value.copy(buf, data + it.key.length);
    data += it.key.length + it.value.length;
  });
  return buf;
}

function branchBytes(id: number, items: { key: Buffer; pgid: number }[]): Buffer {
  const size = 16 + items.length * 16 + items.reduce((n, it) => n + it.key.length, 0);
  const buf = Buffer.alloc(size);
  buf.writeBigUInt64LE(BigInt(id), 0);
  buf.writeUInt16LE(0x01, 8);
  buf.writeUInt16LE(items.length, 10);
  let data = 16 + items.length * 16;
  items.forEach((it, i) => {
    const at = 16 + i * 16;
    buf.writeUInt32LE(data - at, at);
    buf.writeUInt32LE(it.key.length, at + 4);
    buf.writeBigUInt64LE(BigInt(it.pgid), at + 8);
    it.key.copy(buf, data);
    data += it.key.length;
  });
  return buf;
}

function buildBolt(rootBuckets: Record<string, BucketSpec>, opts: BuildOptions = {}): { file: Buffer; db: Buffer; layout: Layout } {
  const ps = opts.pageSize ?? 4096;
  const maxLeaf = opts.maxLeaf ?? 64;
  const maxBranch = opts.maxBranch ?? 64;
  const pages = new Map<number, Buffer>();
  const infos: PageInfo[] = [];
  let next = 2;
  const freelistId = opts.freelist ? next++ : undefined;

  const place = (make: (id: number) => Buffer, kind: PageInfo['kind'], bucket: string): number => {
    const id = next;
    const raw = make(id);
    const n = Math.max(1, Math.ceil(raw.length / ps));
    const page = Buffer.alloc(n * ps);
    raw.copy(page);
    page.writeUInt32LE(n - 1, 12);
    pages.set(id, page);
    infos.push({ id, kind, bucket, overflow: n - 1 });
    next += n;
    return id;
  };

  const sorted = (spec: BucketSpec): Entry[] => (spec.keepOrder ? spec.entries : [...spec.entries].sort((x, y) => Buffer.compare(b(x.key), b(y.key))));

  const bucketValue = (spec: BucketSpec, name: string): Buffer => {
    const header = Buffer.alloc(16);
    if (spec.inline) return Buffer.concat([header, leafBytes(0, items(spec, name))]);
    header.writeBigUInt64LE(BigInt(writeTree(spec, name)), 0);
    return header;
  };

  function items(spec: BucketSpec, name: string): { flags: number; key: Buffer; value: Buffer }[] {
    return sorted(spec).map((e) =>
      e.bucket ? { flags: 1, key: b(e.key), value: bucketValue(e.bucket, name ? `${name}/${b(e.key).toString()}` : b(e.key).toString()) } : { flags: 0, key: b(e.key), value: b(e.value ?? '') },
    );
  }

  function writeTree(spec: BucketSpec, name: string): number {
    const all = items(spec, name);
    let level: { key: Buffer; pgid: number }[] = [];
    for (let i = 0; i < Math.max(all.length, 1); i += maxLeaf) {
      const chunk = all.slice(i, i + maxLeaf);
      level.push({ key: chunk[0]?.key ?? Buffer.alloc(0), pgid: place((id) => leafBytes(id, chunk), 'leaf', name) });
    }
    while (level.length > 1) {
      const up: { key: Buffer; pgid: number }[] = [];
      for (let i = 0; i < level.length; i += maxBranch) {
        const chunk = level.slice(i, i + maxBranch);
        up.push({ key: chunk[0].key, pgid: place((id) => branchBytes(id, chunk), 'branch', name) });
      }
      level = up;
    }
    return level[0].pgid;
  }

  const root = writeTree({ entries: Object.entries(rootBuckets).map(([key, bucket]) => ({ key, bucket })) }, '');
  const free: number[] = [];
  for (let i = 0; i < (opts.freePages ?? 0); i++) {
    const id = next++;
    pages.set(id, Buffer.alloc(ps, 0xab));
    infos.push({ id, kind: 'free', bucket: '', overflow: 0 });
    free.push(id);
  }
  if (freelistId !== undefined) {
    const fl = Buffer.alloc(ps);
    fl.writeBigUInt64LE(BigInt(freelistId), 0);
    fl.writeUInt16LE(0x10, 8);
    fl.writeUInt16LE(free.length, 10);
    free.forEach((id, i) => fl.writeBigUInt64LE(BigInt(id), 16 + i * 8));
    pages.set(freelistId, fl);
    infos.push({ id: freelistId, kind: 'freelist', bucket: '', overflow: 0 });
  }
  const hwm = next;
  const txid = BigInt(opts.txid ?? 10);
  for (const idx of [0, 1]) {
    const meta = Buffer.alloc(ps);
    meta.writeBigUInt64LE(BigInt(idx), 0);
    meta.writeUInt16LE(0x04, 8);
    meta.writeUInt32LE(0xed0cdaed, 16);
    meta.writeUInt32LE(2, 20);
    meta.writeUInt32LE(ps, 24);
    meta.writeBigUInt64LE(BigInt(root), 32);
    meta.writeBigUInt64LE(freelistId === undefined ? 0xffff_ffff_ffff_ffffn : BigInt(freelistId), 48);
    meta.writeBigUInt64LE(BigInt(hwm), 56);
    meta.writeBigUInt64LE(txid - BigInt(idx), 64);
    meta.writeBigUInt64LE(fnv1a64(meta.subarray(16, 72)), 72);
    pages.set(idx, meta);
  }
  const db = Buffer.alloc(hwm * ps);
  for (const [id, page] of pages) page.copy(db, id * ps);
  const layout: Layout = { pageSize: ps, hwm, root, freelist: freelistId, pages: infos };
  opts.mutate?.(db, layout);
  const file = opts.trailer === false ? db : Buffer.concat([db, crypto.createHash('sha256').update(db).digest()]);
  return { file, db, layout };
}

/** Re-signs meta page `idx` after a test changed its fields. */
function resignMeta(db: Buffer, idx: number, ps = 4096): void {
  const at = idx * ps;
  db.writeBigUInt64LE(fnv1a64(db.subarray(at + 16, at + 72)), at + 72);
}

// ---------------------------------------------------------------------------
// Reference values, computed independently of the code under test.

/** Bit-by-bit CRC-32C. */
function crc32cRef(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

/** etcd's revision key: main (8 bytes BE) '_' sub (8 bytes BE), 't' for a tombstone. */
function revKey(main: number, sub = 0, tombstone = false): Buffer {
  const k = Buffer.alloc(tombstone ? 18 : 17);
  k.writeBigUInt64BE(BigInt(main), 0);
  k[8] = 0x5f;
  k.writeBigUInt64BE(BigInt(sub), 9);
  if (tombstone) k[17] = 0x74;
  return k;
}

/** What etcdutl computes, from the spec (nested buckets hash their key only). */
function expected(rootBuckets: Record<string, BucketSpec>): { hash: number; totalKey: number; revision: number } {
  let crc = 0;
  let totalKey = 0;
  let revision = 0;
  for (const name of Object.keys(rootBuckets).sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))) {
    crc = crc32cRef(Buffer.from(name), crc);
    const entries = [...rootBuckets[name].entries].sort((x, y) => Buffer.compare(b(x.key), b(y.key)));
    for (const e of entries) {
      crc = crc32cRef(b(e.key), crc);
      if (!e.bucket) crc = crc32cRef(b(e.value ?? ''), crc);
      totalKey++;
      if (name === 'key') revision = Number(b(e.key).readBigUInt64BE(0));
    }
  }
  return { hash: crc, totalKey, revision };
}

/** An etcd-looking database: keys at revisions 2..n+1, a tombstone, meta and members buckets. */
function etcdLike(n: number, valueSize = 40): Record<string, BucketSpec> {
  const keyEntries: Entry[] = [];
  for (let i = 0; i < n; i++) keyEntries.push({ key: revKey(i + 2), value: Buffer.alloc(valueSize, i % 251) });
  keyEntries.push({ key: revKey(n + 2, 0, true), value: 'tombstone' });
  return {
    key: { entries: keyEntries },
    meta: { entries: [{ key: 'consistent_index', value: Buffer.from([0, 0, 0, 0, 0, 0, 0, 9]) }, { key: 'finishedCompactRev', value: revKey(1) }] },
    members: { entries: [{ key: '8e9e05c52164694d', value: '{"id":10276657743932975437,"peerURLs":["http://127.0.0.1:2380"]}' }] },
    lease: { entries: [] },
  };
}

function rejects(fn: () => unknown, kind: SnapshotError['kind'], pattern: RegExp): SnapshotError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SnapshotError, `expected a SnapshotError, got ${String(err)}`);
    assert.equal(err.kind, kind, `kind of: ${err.message}`);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), 'one-line message');
    return err;
  }
  assert.fail(`expected a ${kind} SnapshotError matching ${pattern}, but it succeeded`);
}

/** Parses a file page's leaf elements (test-side, to aim corruptions). */
function leafElements(db: Buffer, id: number, ps = 4096): { at: number; flags: number; pos: number; ksize: number; vsize: number }[] {
  const base = id * ps;
  const count = db.readUInt16LE(base + 10);
  const out = [];
  for (let i = 0; i < count; i++) {
    const at = base + 16 + i * 16;
    out.push({ at, flags: db.readUInt32LE(at), pos: db.readUInt32LE(at + 4), ksize: db.readUInt32LE(at + 8), vsize: db.readUInt32LE(at + 12) });
  }
  return out;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-snapshot-unit-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// ---------------------------------------------------------------------------

describe('crc32c and humanize', () => {
  test('CRC-32C matches the check value and a bit-by-bit reference, incrementally too', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    const data = crypto.randomBytes(10_007);
    assert.equal(crc32c(data), crc32cRef(data));
    let inc = 0;
    for (let i = 0; i < data.length; i += 13) inc = crc32cUpdate(inc, data.subarray(i, i + 13));
    assert.equal(inc, crc32cRef(data));
    assert.equal(crc32c(Buffer.alloc(0)), 0);
  });

  test('humanizeBytes prints like go-humanize Bytes (SI, a space, %.0f rounds half to even)', () => {
    const cases: [number, string][] = [
      [0, '0 B'],
      [9, '9 B'],
      [10, '10 B'],
      [999, '999 B'],
      [1000, '1.0 kB'],
      [1049, '1.0 kB'],
      [1050, '1.1 kB'],
      [9949, '9.9 kB'],
      [9950, '10 kB'],
      [12_500, '12 kB'], // val 12.5: Go's %.0f gives 12
      [13_500, '14 kB'],
      [20_480, '20 kB'],
      [57_344, '57 kB'],
      [77_824, '78 kB'],
      [3_200_000, '3.2 MB'],
      [12_451_840, '12 MB'], // 3040 pages of 4096: val 12.5 (checked against etcdutl 3.5.16)
      [1_000_000_000, '1.0 GB'],
      [2_147_483_648, '2.1 GB'],
    ];
    for (const [n, want] of cases) assert.equal(humanizeBytes(n), want, `humanizeBytes(${n})`);
  });

  test('the sha256 trailer is detected like etcd does (size % 512 == 32)', () => {
    assert.equal(hasSha256Trailer(20_512), true);
    assert.equal(hasSha256Trailer(20_480), false);
    assert.equal(hasSha256Trailer(32), true);
    assert.equal(hasSha256Trailer(20_511), false);
  });
});

// ---------------------------------------------------------------------------

const fixtureDir = path.join(repoRoot(), 'test', 'fixtures', 'snapshots');
interface FixtureExpect {
  json: string;
  simple: string;
  table: string;
  fields: string;
  sha256: string;
  fileSize: number;
}
const recorded = JSON.parse(fs.readFileSync(path.join(fixtureDir, 'expected.json'), 'utf8')) as { files: Record<string, FixtureExpect> };
const fixtures = Object.entries(recorded.files);

describe('real snapshots (recorded from etcdutl 3.5.16)', () => {
  for (const [name, want] of fixtures) {
    test(`${name}: same hash, revision, keys and size as etcdutl, in all its output shapes`, async () => {
      const file = path.join(fixtureDir, name);
      const s = await snapshotStatus(file);
      assert.equal(`${formatStatusJson(s)}\n`, want.json);
      assert.equal(`${formatStatusSimple(s)}\n`, want.simple);
      assert.equal(`${formatStatusTable(s)}\n`, want.table);
      assert.equal(`${formatStatusFields(s)}\n`, want.fields);
      assert.equal(s.fileSize, want.fileSize);
      assert.deepEqual(s.sha256, { present: true, ok: true, expected: want.sha256, actual: want.sha256 });
      assert.match(formatSha256(s), /^sha256: ok/);
      // The in-memory variant agrees, and so does a tiny page cache.
      assert.deepEqual(snapshotStatusOfBuffer(fs.readFileSync(file)), s);
      assert.deepEqual(await snapshotStatus(file, { cacheBytes: 4096 }), s);
      assert.deepEqual(snapshotStatusOfBuffer(fs.readFileSync(file), { cacheBytes: 0 }), s);
    });
  }

  test('reads pages on demand: each page at most once, never the whole file at once', () => {
    const file = path.join(fixtureDir, 'etcd-3.5.16-compacted.db');
    const src = fileSource(file);
    let calls = 0;
    let bytes = 0;
    let biggest = 0;
    const counting: PageSource = {
      size: src.size,
      read(target, position) {
        calls++;
        bytes += target.length;
        biggest = Math.max(biggest, target.length);
        return src.read(target, position);
      },
      close: () => src.close(),
    };
    const db = BoltDB.fromSource(counting);
    db.check();
    counting.close();
    // Reads are blocks of 32 pages (128 KiB) at most; each block once (the file is smaller than the cache).
    assert.ok(biggest <= 32 * 4096, `largest single read ${biggest} bytes`);
    assert.ok(bytes <= src.size + 4096 * 2, `read ${bytes} bytes of a ${src.size}-byte file in ${calls} reads`);
  });

  test('a sparse 4 GB database is walked by reading a handful of pages', () => {
    // Pages 0..3 as built, then a high-water mark of 1M pages: all but a few are free.
    const { db } = buildBolt(etcdLike(3), { trailer: false });
    const hwm = 1 << 20;
    for (const idx of [0, 1]) {
      db.writeBigUInt64LE(BigInt(hwm), idx * 4096 + 56);
      resignMeta(db, idx);
    }
    const file = path.join(tmp, 'sparse.db');
    fs.writeFileSync(file, db);
    fs.truncateSync(file, hwm * 4096);
    const src = fileSource(file);
    let bytes = 0;
    const db2 = BoltDB.fromSource({ size: src.size, read: (t, p) => ((bytes += t.length), src.read(t, p)), close: () => src.close() });
    db2.check();
    assert.equal(db2.size, 4 * 1024 ** 3);
    assert.ok(bytes <= 256 * 1024, `read ${bytes} bytes`);
    src.close();
    fs.rmSync(file);
  });

  for (const [name, want] of fixtures) {
    test(`${name}: every truncation is an error, except dropping exactly the trailer`, () => {
      const full = fs.readFileSync(path.join(fixtureDir, name));
      const dataSize = full.length - 32;
      const cuts = new Set([0, 1, 50, 4095, 4096, 4097, 8191, 8192, 12_288, Math.floor(dataSize / 2), dataSize - 4096, dataSize - 1, dataSize + 1, dataSize + 31]);
      for (let c = 8192; c < dataSize; c += 4096 * 3 + 517) cuts.add(c);
      for (const cut of cuts) {
        assert.throws(
          () => snapshotStatusOfBuffer(full.subarray(0, cut)),
          (err: unknown) => err instanceof SnapshotError && (err.kind === 'truncated' || (cut === 0 && err.kind === 'invalid')),
          `cut at ${cut} of ${full.length}`,
        );
      }
      // Without its trailer the file is a plain bbolt db (what a data dir holds): reported, but no sha256.
      const bare = snapshotStatusOfBuffer(full.subarray(0, dataSize));
      assert.equal(`${formatStatusJson(bare)}\n`, want.json);
      assert.deepEqual(bare.sha256, { present: false, ok: false });
      assert.match(formatSha256(bare), /no trailer/);
    });

    test(`${name}: no flipped byte is ever reported as a valid snapshot`, (t) => {
      const full = fs.readFileSync(path.join(fixtureDir, name));
      let structural = 0;
      let shaOnly = 0;
      for (let off = 0; off < full.length; off += 37) {
        const bad = Buffer.from(full);
        bad[off] ^= 1 << (off % 8);
        try {
          const s = snapshotStatusOfBuffer(bad);
          assert.equal(s.sha256.ok, false, `flip at ${off} passed the sha256 check`);
          shaOnly++;
        } catch (err) {
          assert.ok(err instanceof SnapshotError, `flip at ${off}: ${String(err)}`);
          assert.ok(!err.message.includes('\n'));
          structural++;
        }
      }
      assert.ok(structural > 0 && shaOnly > 0, `structural ${structural}, sha256 only ${shaOnly}`);
      t.diagnostic(`${structural + shaOnly} flips: ${structural} structural errors, ${shaOnly} caught by the sha256 only`);
    });
  }

  test('a bad meta page: an error by default, the other meta page (as bbolt does) with metaPolicy fallback', () => {
    const name = 'etcd-3.5.16-compacted.db';
    const full = fs.readFileSync(path.join(fixtureDir, name));
    for (const [idx, field] of [[0, 40], [1, 48], [0, 16]] as const) {
      const bad = Buffer.from(full);
      bad[idx * 4096 + 16 + field] ^= 1;
      rejects(() => snapshotStatusOfBuffer(bad), 'corrupt', new RegExp(`meta page ${idx} has (checksum mismatch|bad magic).*fall back to meta page ${1 - idx}`));
      const s = snapshotStatusOfBuffer(bad, { metaPolicy: 'fallback' });
      assert.equal(`${formatStatusJson(s)}\n`, recorded.files[name].json);
      assert.equal(s.sha256.ok, false);
    }
    // Both bad: nothing to fall back to.
    const both = Buffer.from(full);
    both[16 + 40] ^= 1;
    both[4096 + 16 + 40] ^= 1;
    rejects(() => snapshotStatusOfBuffer(both, { metaPolicy: 'fallback' }), 'corrupt', /meta page 0 has checksum mismatch .* and no valid meta page 1 was found/);
  });

  test('a damaged leaf of the key bucket is an error (etcdutl 3.5.16 panics on these)', () => {
    const name = 'etcd-3.5.16-compacted.db';
    const full = fs.readFileSync(path.join(fixtureDir, name));
    // Page 14 is a leaf of the key bucket, reached from branch page 17 (see the layout in the file).
    assert.equal(full.readUInt16LE(14 * 4096 + 8), 0x02);
    const flip = (off: number, x: number): Buffer => {
      const bad = Buffer.from(full);
      bad[off] ^= x;
      return bad;
    };
    rejects(() => snapshotStatusOfBuffer(flip(14 * 4096, 0x01)), 'corrupt', /page 14 .*identifies itself as page 15/);
    rejects(() => snapshotStatusOfBuffer(flip(14 * 4096 + 10, 0x40)), 'corrupt', /element \d+ of page 14 lies outside the page/);
    rejects(() => snapshotStatusOfBuffer(flip(14 * 4096 + 16 + 4, 0x10)), 'corrupt', /keys out of order.*page 14/);
    rejects(() => snapshotStatusOfBuffer(flip(14 * 4096 + 8, 0x02 | 0x10)), 'corrupt', /page 14 has flags 0x10 where a branch or leaf page is expected/);
  });
});

// ---------------------------------------------------------------------------

describe('bbolt files built here', () => {
  const statusOf = (spec: Record<string, BucketSpec>, opts: BuildOptions = {}): SnapshotStatus => snapshotStatusOfBuffer(buildBolt(spec, opts).file);

  test('an etcd-like database: hash, revision, keys and size as etcdutl computes them', () => {
    const spec = etcdLike(10);
    const { file, layout } = buildBolt(spec);
    const s = snapshotStatusOfBuffer(file);
    const want = expected(spec);
    assert.equal(s.hash, want.hash);
    // etcdutl 3.5.16 printed {"hash":712261228,"revision":12,"totalKey":14,"totalSize":28672} for this file.
    assert.equal(s.hash, 712_261_228);
    assert.equal(s.totalKey, 14);
    assert.equal(s.revision, 12); // the tombstone's main revision
    assert.equal(s.totalSize, layout.hwm * 4096);
    assert.equal(s.fileSize, layout.hwm * 4096 + 32);
    assert.equal(s.sha256.ok, true);
  });

  test('the numbers do not depend on the page layout (deep trees, other page sizes)', () => {
    const spec = etcdLike(500, 30);
    const flat = statusOf(spec);
    const deep = statusOf(spec, { maxLeaf: 3, maxBranch: 2 });
    const small = statusOf(spec, { pageSize: 1024, maxLeaf: 7, maxBranch: 5 });
    const want = expected(spec);
    // etcdutl 3.5.16 printed hash 3941206201, revision 502, 504 keys for the deep and the 1 KiB-page files.
    assert.equal(want.hash, 3_941_206_201);
    for (const s of [flat, deep, small]) {
      assert.deepEqual({ hash: s.hash, totalKey: s.totalKey, revision: s.revision }, want);
    }
    assert.ok(deep.totalSize > flat.totalSize);
  });

  test('nested buckets count once and hash their key only; inline and page buckets are both read', () => {
    const spec: Record<string, BucketSpec> = {
      key: { entries: [{ key: revKey(7), value: 'v' }] },
      outer: {
        entries: [
          { key: 'a', value: '1' },
          { key: 'inline', bucket: { inline: true, entries: [{ key: 'x', value: 'hidden' }] } },
          { key: 'paged', bucket: { entries: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(100) })) } },
          { key: 'z', value: '26' },
        ],
      },
    };
    const s = statusOf(spec, { maxLeaf: 8 });
    assert.deepEqual({ hash: s.hash, totalKey: s.totalKey, revision: s.revision }, expected(spec));
    // etcdutl 3.5.16 printed {"hash":108494503,"revision":7,"totalKey":5,"totalSize":53248} for this file.
    assert.deepEqual({ hash: s.hash, totalKey: s.totalKey, totalSize: s.totalSize }, { hash: 108_494_503, totalKey: 5, totalSize: 53_248 });
    // An inline bucket at the root.
    const inlineRoot = statusOf({ tiny: { inline: true, entries: [{ key: 'k', value: 'v' }] } });
    assert.deepEqual({ hash: inlineRoot.hash, totalKey: inlineRoot.totalKey }, { hash: expected({ tiny: { entries: [{ key: 'k', value: 'v' }] } }).hash, totalKey: 1 });
    // A broken nested bucket is found although etcdutl would not hash its contents.
    rejects(
      () =>
        statusOf(spec, {
          maxLeaf: 8,
          mutate: (db, layout) => {
            const leaf = layout.pages.find((p) => p.bucket === 'outer/paged' && p.kind === 'leaf');
            assert.ok(leaf);
            db[leaf.id * 4096 + 8] = 0x08;
          },
        }),
      'corrupt',
      /has flags 0x8 where a branch or leaf page is expected/,
    );
  });

  test('values on overflow pages', () => {
    const spec: Record<string, BucketSpec> = { key: { entries: [{ key: revKey(2), value: crypto.randomBytes(10_000) }, { key: revKey(3), value: 'small' }] } };
    const { file, layout } = buildBolt(spec);
    assert.ok(layout.pages.some((p) => p.overflow === 2));
    const s = snapshotStatusOfBuffer(file);
    assert.deepEqual({ hash: s.hash, totalKey: s.totalKey, revision: s.revision }, expected(spec));
    // An overflow count that runs past the high-water mark.
    rejects(
      () => statusOf(spec, { mutate: (db, l) => db.writeUInt32LE(50, l.pages.find((p) => p.overflow === 2)!.id * 4096 + 12) }),
      'corrupt',
      /claims 50 overflow pages, beyond the high-water mark/,
    );
  });

  test('large values share one read buffer in a status scan (transientValues): same numbers, same checks', () => {
    // 200 KB values: each leaf page runs over 128 KiB blocks of the reader. A nested bucket sits in
    // one such page, next to a large value, so its header must outlive the shared buffer.
    const big = (i: number) => crypto.randomBytes(200_000 + i);
    const spec: Record<string, BucketSpec> = {
      key: { entries: Array.from({ length: 6 }, (_, i) => ({ key: revKey(i + 2), value: big(i) })) },
      outer: {
        entries: [
          { key: 'a', value: big(9) },
          { key: 'b', bucket: { entries: Array.from({ length: 30 }, (_, i) => ({ key: `k${String(i).padStart(2, '0')}`, value: 'v'.repeat(300) })) } },
        ],
      },
    };
    const { db, layout } = buildBolt(spec, { trailer: false, maxLeaf: 2 });
    // Every such page runs over at least one 32-page block boundary.
    const largeLeaves = layout.pages.filter((p) => p.kind === 'leaf' && p.overflow >= 40).length;
    assert.ok(largeLeaves >= 4);
    const scanned = (transientValues: boolean) => {
      const bolt = BoltDB.fromBuffer(db, { transientValues });
      const buffers = new Set<ArrayBufferLike>();
      const values: string[] = [];
      bolt.scan({
        entry: (key, value) => {
          if (value && value.length >= 200_000) buffers.add(value.buffer);
          values.push(`${key.toString('hex')}=${value ? crypto.createHash('sha256').update(value).digest('hex') : 'bucket'}`);
        },
      });
      return { buffers: buffers.size, values };
    };
    const reused = scanned(true);
    const fresh = scanned(false);
    assert.deepEqual(reused.values, fresh.values);
    assert.equal(reused.buffers, 1, 'one shared buffer for all large values');
    assert.equal(fresh.buffers, largeLeaves, 'without it, one buffer per large page');
    const s = snapshotStatusOfBuffer(buildBolt(spec, { maxLeaf: 2 }).file);
    assert.deepEqual({ hash: s.hash, totalKey: s.totalKey, revision: s.revision }, expected(spec));
    // Key order is still checked across pages read into the shared buffer: the first key of one
    // large page made smaller than the last key of the page before it.
    rejects(
      () =>
        statusOf(spec, {
          maxLeaf: 2,
          mutate: (d, l) => {
            const leaves = l.pages.filter((p) => p.bucket === 'key' && p.kind === 'leaf');
            const second = leafElements(d, leaves[1].id)[0];
            d.writeBigUInt64BE(1n, second.at + second.pos);
          },
        }),
      'corrupt',
      /keys out of order/,
    );
  });

  test('a freelist on disk: free pages are fine; pages neither used nor free, or both, are errors', () => {
    const spec = etcdLike(20);
    const ok = statusOf(spec, { freelist: true, freePages: 3 });
    assert.equal(ok.hash, expected(spec).hash);
    assert.equal(ok.hash, 884_947_095); // etcdutl 3.5.16 on this file
    // Drop the last id from the freelist: that page is now unreachable and unfreed
    // (etcdutl 3.5.16: "snapshot file integrity check failed. 1 errors found. page 10: unreachable unfreed").
    rejects(
      () => statusOf(spec, { freelist: true, freePages: 3, mutate: (db, l) => db.writeUInt16LE(2, l.freelist! * 4096 + 10) }),
      'corrupt',
      /page \d+ is neither in use nor on the freelist/,
    );
    // The same id twice.
    rejects(
      () =>
        statusOf(spec, {
          freelist: true,
          freePages: 3,
          mutate: (db, l) => db.writeBigUInt64LE(db.readBigUInt64LE(l.freelist! * 4096 + 16), l.freelist! * 4096 + 24),
        }),
      'corrupt',
      /on the freelist twice/,
    );
    // A page in use listed as free.
    rejects(
      () => statusOf(spec, { freelist: true, freePages: 3, mutate: (db, l) => db.writeBigUInt64LE(BigInt(l.root), l.freelist! * 4096 + 16) }),
      'corrupt',
      /is in use .* but is also on the freelist/,
    );
    // Without a freelist (etcd), unused pages are simply free, like bbolt rebuilds them.
    assert.equal(statusOf(spec, { freePages: 3 }).hash, ok.hash);
  });

  test('structural corruption is reported with the page and what is wrong', () => {
    const spec = etcdLike(60, 20);
    const opts: BuildOptions = { maxLeaf: 8, maxBranch: 4 };
    const { layout } = buildBolt(spec, opts);
    const keyLeaves = layout.pages.filter((p) => p.bucket === 'key' && p.kind === 'leaf');
    const keyBranch = layout.pages.find((p) => p.bucket === 'key' && p.kind === 'branch');
    assert.ok(keyLeaves.length > 4 && keyBranch);
    const leaf = keyLeaves[2].id;
    const mutated = (mutate: (db: Buffer, l: Layout) => void) => () => statusOf(spec, { ...opts, mutate });

    const e1 = rejects(mutated((db) => db.writeBigUInt64LE(999n, leaf * 4096)), 'corrupt', new RegExp(`page ${leaf} \\(reached from branch page \\d+\\) identifies itself as page 999`));
    assert.equal(e1.page, leaf);
    rejects(mutated((db) => db.writeUInt16LE(0x04, leaf * 4096 + 8)), 'corrupt', new RegExp(`page ${leaf} has flags 0x4 where a branch or leaf page is expected`));
    rejects(mutated((db) => db.writeUInt32LE(5000, leaf * 4096 + 16 + 4)), 'corrupt', new RegExp(`key of element 0 of page ${leaf} lies outside the page`));
    rejects(mutated((db) => db.writeUInt32LE(5000, leaf * 4096 + 16 + 12)), 'corrupt', new RegExp(`value of element 0 of page ${leaf} lies outside the page`));
    rejects(mutated((db) => db.writeUInt16LE(400, leaf * 4096 + 10)), 'corrupt', new RegExp(`page ${leaf} claims 400 elements`));
    // Swap the keys of two elements of one leaf.
    rejects(
      mutated((db) => {
        const [e0, e1b] = leafElements(db, leaf);
        const k0 = Buffer.from(db.subarray(e0.at + e0.pos, e0.at + e0.pos + e0.ksize));
        db.copy(db, e0.at + e0.pos, e1b.at + e1b.pos, e1b.at + e1b.pos + e1b.ksize);
        k0.copy(db, e1b.at + e1b.pos);
      }),
      'corrupt',
      new RegExp(`keys out of order in page ${leaf}`),
    );
    // A key larger than the next branch key: out of order across pages.
    rejects(
      mutated((db) => {
        const last = leafElements(db, leaf).at(-1)!;
        db[last.at + last.pos] = 0x7f;
      }),
      'corrupt',
      /keys out of order: element \d+ .* is not below the next key of its parent/,
    );
    // Two branch elements pointing at the same page.
    rejects(
      mutated((db) => db.writeBigUInt64LE(db.readBigUInt64LE(keyBranch.id * 4096 + 16 + 8), keyBranch.id * 4096 + 32 + 8)),
      'corrupt',
      /page \d+ is reached twice/,
    );
    // A child beyond the high-water mark.
    rejects(mutated((db, l) => db.writeBigUInt64LE(BigInt(l.hwm + 5), keyBranch.id * 4096 + 16 + 8)), 'corrupt', /refers to page \d+, beyond the high-water mark/);
    // The meta's root beyond the high-water mark (re-signed, so the checksum is fine).
    rejects(
      mutated((db, l) => {
        for (const idx of [0, 1]) {
          db.writeBigUInt64LE(BigInt(l.hwm), idx * 4096 + 32);
          resignMeta(db, idx);
        }
      }),
      'corrupt',
      /gives root page \d+, outside pages 2\.\./,
    );
    // A high-water mark beyond the end of the file: truncated.
    rejects(
      mutated((db, l) => {
        for (const idx of [0, 1]) {
          db.writeBigUInt64LE(BigInt(l.hwm + 10), idx * 4096 + 56);
          resignMeta(db, idx);
        }
      }),
      'truncated',
      /snapshot is truncated: page \d+ lies beyond the end of the file \(size .* kB = \d+ bytes; the database needs \d+ pages/,
    );
    // A meta page whose checksum does not match, and one with a wrong page header.
    rejects(mutated((db) => (db[4096 + 60] ^= 1)), 'corrupt', /meta page 1 has checksum mismatch \(stored [0-9a-f]{16}, computed [0-9a-f]{16}\); bbolt would fall back to meta page 0/);
    rejects(mutated((db) => (db[8] = 0x02)), 'corrupt', /meta page 0 has a bad page header/);
  });

  test('not an etcd snapshot, or not bbolt at all', () => {
    rejects(() => snapshotStatusOfBuffer(Buffer.alloc(0)), 'invalid', /not a bbolt database: the file is empty/);
    rejects(() => snapshotStatusOfBuffer(crypto.randomBytes(8192)), 'invalid', /not a bbolt database/);
    rejects(() => snapshotStatusOfBuffer(Buffer.alloc(40)), 'truncated', /ends inside meta page 0/);
    // A plain key at the root (etcdutl: "cannot get hash of bucket").
    const plain = buildBolt({ key: { entries: [] } }, {
      mutate: (db, l) => {
        db.writeUInt32LE(0, l.root * 4096 + 16);
      },
    }).file;
    rejects(() => snapshotStatusOfBuffer(plain), 'invalid', /the root holds a plain key "key"/);
    // A "key" bucket key too short for a revision (etcdutl would panic).
    rejects(() => statusOf({ key: { entries: [{ key: 'short', value: 'v' }] } }), 'invalid', /"key" bucket holds a 5-byte key/);
    // Trailing bytes that are not a trailer.
    const { file } = buildBolt(etcdLike(2), { trailer: false });
    rejects(() => snapshotStatusOfBuffer(Buffer.concat([file, Buffer.alloc(100)])), 'truncated', /neither a whole number of 4096-byte pages nor that plus a 32-byte sha256/);
  });

  test('an empty database (only meta pages and an empty root) is valid: zero keys', () => {
    const s = statusOf({});
    assert.deepEqual({ hash: s.hash, totalKey: s.totalKey, revision: s.revision, totalSize: s.totalSize }, { hash: 0, totalKey: 0, revision: 0, totalSize: 3 * 4096 });
  });

  test('the async walk gives the event loop turns while it reads', async () => {
    const spec = etcdLike(600, 30);
    const { db } = buildBolt(spec, { trailer: false, maxLeaf: 1, maxBranch: 2 });
    const bolt = BoltDB.fromBuffer(db);
    assert.ok(bolt.pageCount > 1000);
    let turns = 0;
    let done = false;
    const spin = (): void => {
      if (done) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const s = await computeStatusAsync(bolt);
    done = true;
    assert.ok(turns >= 3, `${turns} turns`);
    assert.deepEqual({ hash: s.hash, totalKey: s.totalKey, revision: s.revision }, expected(spec));
  });

  test('BoltDB: buckets, forEach and get', () => {
    const { db } = buildBolt(etcdLike(5), { trailer: false, maxLeaf: 2 });
    const bolt = BoltDB.fromBuffer(db);
    assert.deepEqual(bolt.buckets().map(String), ['key', 'lease', 'members', 'meta']);
    const keys: Buffer[] = [];
    assert.equal(bolt.forEach('key', (k) => keys.push(k)), true);
    assert.equal(keys.length, 6);
    assert.equal(bolt.forEach('nope', () => undefined), false);
    assert.deepEqual(bolt.get('meta', 'consistent_index'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 9]));
    assert.equal(bolt.get('meta', 'absent'), undefined);
    assert.equal(bolt.pageSize, 4096);
    assert.equal(bolt.meta.index, 0);
    assert.equal(bolt.meta.freelist, null);
    bolt.close();
  });

  test('snapshotStatus on a file: streamed sha256 mismatch is reported, not thrown', async () => {
    const { file } = buildBolt(etcdLike(30));
    const good = path.join(tmp, 'good.db');
    fs.writeFileSync(good, file);
    const s = await snapshotStatus(good);
    assert.equal(s.sha256.ok, true);
    const bad = Buffer.from(file);
    bad[file.length - 1] ^= 0xff;
    const badFile = path.join(tmp, 'bad-trailer.db');
    fs.writeFileSync(badFile, bad);
    const t = await snapshotStatus(badFile);
    assert.equal(t.sha256.ok, false);
    assert.equal(t.sha256.present, true);
    assert.notEqual(t.sha256.expected, t.sha256.actual);
    assert.equal(t.hash, s.hash);
    assert.match(formatSha256(t), /MISMATCH/);
    await assert.rejects(snapshotStatus(path.join(tmp, 'absent.db')), (err: unknown) => err instanceof SnapshotError && err.kind === 'io');
    await assert.rejects(snapshotStatus(tmp), (err: unknown) => err instanceof SnapshotError && err.kind === 'io');
  });

  test('the JSON can carry etcdutl 3.6\'s version field', () => {
    const spec = etcdLike(1);
    spec.meta.entries.push({ key: 'storageVersion', value: '3.6.0' });
    const s = statusOf(spec);
    assert.equal(s.version, '3.6.0');
    assert.equal(JSON.parse(formatStatusJson(s, { withVersion: true })).version, '3.6.0');
    assert.equal(JSON.parse(formatStatusJson(s)).version, undefined);
    assert.match(formatStatusTable(s, { withVersion: true }), /\| VERSION \|\n.*\|\s+3\.6\.0 \|/s);
  });
});
