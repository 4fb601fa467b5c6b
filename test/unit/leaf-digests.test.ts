/**
 * Large leaves hashed while a snapshot streams (src/snapshot/leaf-digests.ts): fed the fixture
 * snapshots in chunks of every size (and chunks reused after each push, as the raw stream reuses
 * them), the read-back with the digests gives what etcdutl 3.5.16 printed, and takes the large
 * leaves from the digests; a digest that does not describe the page on disk is not used.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { LeafDigestCollector, type LeafDigest } from '../../src/snapshot/leaf-digests.js';
import { snapshotStatus } from '../../src/snapshot/status.js';
import { repoRoot } from '../harness/binaries.js';

const DIR = path.join(repoRoot(), 'test', 'fixtures', 'snapshots');
const expected = (JSON.parse(fs.readFileSync(path.join(DIR, 'expected.json'), 'utf8')) as { files: Record<string, { json: string }> }).files;

function collect(bytes: Buffer, chunk: number): Map<number, LeafDigest> {
  const c = new LeafDigestCollector();
  for (let at = 0; at < bytes.length; at += chunk) {
    // A copy that is overwritten after the push: the collector must keep nothing of it.
    const piece = Buffer.from(bytes.subarray(at, at + chunk));
    c.push(piece);
    piece.fill(0xaa);
  }
  return c.digests;
}

function numbers(s: { hash: number; revision: number; totalKey: number; totalSize: number }): string {
  return JSON.stringify({ hash: s.hash, revision: s.revision, totalKey: s.totalKey, totalSize: s.totalSize }) + '\n';
}

for (const name of Object.keys(expected)) {
  test(`${name}: the read-back with digests taken in chunks of 1 byte to the whole file equals etcdutl's status`, async () => {
    const file = path.join(DIR, name);
    const bytes = fs.readFileSync(file);
    const plain = await snapshotStatus(file);
    assert.equal(numbers(plain), expected[name].json);
    let used = -1;
    for (const chunk of [1, 7, 16, 100, 4096, 4097, 65_536, bytes.length]) {
      const digests = collect(bytes, chunk);
      const s = await snapshotStatus(file, { leafDigests: digests, knownSha256: plain.sha256.actual });
      assert.equal(numbers(s), expected[name].json, `chunks of ${chunk}`);
      assert.equal(s.digestedLeaves, digests.size, `every digest is used (chunks of ${chunk})`);
      if (used >= 0) assert.equal(digests.size, used, `the same leaves whatever the chunk size (${chunk})`);
      used = digests.size;
    }
    // Only the file with large values has leaves with overflow pages.
    if (name.includes('overflow')) assert.ok(used > 0, 'the overflow fixture has large leaves');
  });
}

test('a digest that does not describe the page on disk is not used: the page is read, the status is the same', async () => {
  const name = 'etcd-3.4.23-overflow.db';
  const file = path.join(DIR, name);
  const digests = collect(fs.readFileSync(file), 4096);
  assert.equal(digests.size, 1);
  const [[id, d]] = [...digests];
  const wrongs: Array<[string, Map<number, LeafDigest>]> = [
    ['values end one byte early', new Map([[id, { ...d, end: d.end - 1 }]])],
    ['one element more', new Map([[id, { ...d, count: d.count + 1 }]])],
    ['one overflow page less', new Map([[id, { ...d, overflow: d.overflow - 1 }]])],
    ['keys start elsewhere', new Map([[id, { ...d, start: d.start + 16 }]])],
    ['a page that is no large leaf', new Map([[2, { ...d }], [id + 1, { ...d }]])],
  ];
  for (const [what, wrong] of wrongs) {
    const s = await snapshotStatus(file, { leafDigests: wrong });
    assert.equal(numbers(s), expected[name].json, what);
    assert.equal(s.digestedLeaves, 0, what);
  }
  // The right one is used.
  assert.equal((await snapshotStatus(file, { leafDigests: digests })).digestedLeaves, 1);
});

test('bytes that are no bbolt file give no digests and change nothing', async () => {
  const c = new LeafDigestCollector();
  c.push(Buffer.alloc(1 << 16, 0x5a));
  assert.equal(c.digests.size, 0);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-leaf-'));
  try {
    // A truncated copy: the collector took digests of what it saw; the read-back still reports the truncation.
    const bytes = fs.readFileSync(path.join(DIR, 'etcd-3.4.23-overflow.db'));
    const cut = path.join(dir, 'cut.db');
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 32 - 4096));
    await assert.rejects(snapshotStatus(cut, { leafDigests: collect(bytes, 4096) }), /truncated|beyond/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
