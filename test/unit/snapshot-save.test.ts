/**
 * Snapshot save without a server: the streaming sha256 with its 32-byte tail window (chunks of odd
 * sizes, the trailer split across chunks), saveSnapshot() on synthetic streams (success, mismatch,
 * broken stream, abort, stall, a full file system, existing files) and the snapshot-save planner.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { existingSnapshotFiles, saveSnapshot, SnapshotSaveError, TrailerHasher, type SaveErrorKind, type SnapshotSidecar } from '../../src/run/snapshot-save.js';
import { planSnapshotSave, snapshotTimeoutMs, type SnapshotSaveInput } from '../../src/plans/snapshot.js';
import { applyRefreshes, emptyView, type ClusterView, type Refresh } from '../../src/health/view.js';
import { DEFAULT_HEALTH_OPTIONS, type Alarm, type Member, type Probe } from '../../src/domain/types.js';
import { savedDetail } from '../../src/run/snapshot-actions.js';
import { repoRoot } from '../harness/binaries.js';
import { down, IDS, member, up } from '../fakes/fixtures.js';

const FIXTURE = path.join(repoRoot(), 'test', 'fixtures', 'snapshots', 'etcd-3.5.16-small.db');
const FIXTURE_STATUS = { hash: 550779007, revision: 4, totalKey: 9, totalSize: 20480 };

function withTrailer(data: Buffer): Buffer {
  return Buffer.concat([data, crypto.createHash('sha256').update(data).digest()]);
}

/** Split `buf` into chunks whose sizes cycle through `sizes`. */
function chunks(buf: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < buf.length; i++) {
    const n = sizes[i % sizes.length];
    out.push(buf.subarray(at, at + n));
    at += n;
  }
  return out;
}

function tmpDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-snapsave-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A stream of these chunks; then, if given, it fails or hangs instead of ending. */
function source(parts: Buffer[], end: 'end' | Error | 'hang' = 'end'): Readable {
  let i = 0;
  return new Readable({
    read() {
      if (i < parts.length) {
        // Asynchronously, as a network stream delivers.
        const part = parts[i++];
        setImmediate(() => this.push(part));
      } else if (i++ === parts.length) {
        if (end === 'end') this.push(null);
        else if (end instanceof Error) setImmediate(() => this.destroy(end));
      }
    },
  });
}

async function rejectsWith(p: Promise<unknown>, kind: SaveErrorKind, message?: RegExp): Promise<SnapshotSaveError> {
  let caught: unknown;
  try {
    await p;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof SnapshotSaveError, `expected a SnapshotSaveError (${kind}), got ${String(caught)}`);
  assert.equal(caught.kind, kind, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

describe('TrailerHasher: sha256 of all but the last 32 bytes, while streaming', () => {
  const data = crypto.randomBytes(100_003);
  const whole = withTrailer(data);
  const want = crypto.createHash('sha256').update(data).digest('hex');

  for (const sizes of [[1], [7, 31, 32, 33], [32], [33], [4096 + 3, 5], [whole.length], [whole.length - 31, 31], [whole.length - 16, 16], [whole.length - 32, 1, 31]]) {
    test(`chunks of ${sizes.join(', ')} bytes`, () => {
      const h = new TrailerHasher();
      for (const c of chunks(whole, sizes)) h.update(c);
      const r = h.finish();
      assert.equal(r.ok, true);
      assert.equal(r.actual, want);
      assert.equal(r.expected, want);
      assert.equal(r.dataSize, data.length);
      assert.equal(h.total, whole.length);
    });
  }

  test('the trailer split over single bytes at the end, and empty chunks', () => {
    const h = new TrailerHasher();
    h.update(whole.subarray(0, whole.length - 40));
    h.update(Buffer.alloc(0));
    for (let i = whole.length - 40; i < whole.length; i++) h.update(whole.subarray(i, i + 1));
    assert.equal(h.finish().ok, true);
  });

  test('a flipped byte in the data or in the trailer is a mismatch', () => {
    for (const at of [0, data.length - 1, data.length, whole.length - 1]) {
      const bad = Buffer.from(whole);
      bad[at] ^= 0x40;
      const h = new TrailerHasher();
      for (const c of chunks(bad, [1000, 17])) h.update(c);
      assert.equal(h.finish().ok, false, `flip at ${at}`);
    }
  });

  test('an empty database: exactly 32 bytes, the sha256 of nothing', () => {
    const h = new TrailerHasher();
    h.update(withTrailer(Buffer.alloc(0)));
    assert.deepEqual({ ok: h.finish().ok, dataSize: 0 }, { ok: true, dataSize: 0 });
  });

  test('fewer than 32 bytes: no trailer, an error', () => {
    const h = new TrailerHasher();
    h.update(Buffer.alloc(31));
    assert.throws(() => h.finish(), (e: unknown) => e instanceof SnapshotSaveError && e.kind === 'short' && /ended after 31 bytes/.test(e.message));
  });

  test('the window keeps 32 bytes, not the chunks it saw', () => {
    const h = new TrailerHasher();
    const big = Buffer.alloc(1 << 20);
    h.update(big);
    const tail = (h as unknown as { tail: Buffer }).tail;
    assert.equal(tail.length, 32);
    assert.notEqual(tail.buffer, big.buffer);
  });
});

describe('saveSnapshot on synthetic streams', () => {
  const snapshot = fs.readFileSync(FIXTURE);

  test('odd chunks: the same bytes, mode 0600, verified, sidecar written, no .part left', async (t) => {
    const dir = tmpDir(t);
    const file = path.join(dir, 'snap.db');
    const progress: number[] = [];
    let verified = false;
    const saved = await saveSnapshot({
      stream: source(chunks(snapshot, [1, 33, 4093, 31, 8191])),
      file,
      expectedSize: snapshot.length - 32,
      progressIntervalMs: 0,
      onProgress: (bytes, rate) => {
        assert.ok(rate >= 0);
        progress.push(bytes);
      },
      onVerify: () => (verified = true),
      source: { clusterId: '14841639068965178418', memberId: IDS.m1, memberName: 'm1', endpoint: 'http://127.0.0.1:2379', etcdVersion: '3.5.16' },
    });
    assert.ok(fs.readFileSync(file).equals(snapshot));
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(`${file}.json`).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['snap.db', 'snap.db.json']);
    assert.ok(verified);
    assert.equal(progress.at(-1), snapshot.length);
    assert.ok(progress.every((b, i) => i === 0 || b >= progress[i - 1]));
    assert.equal(saved.size, snapshot.length);
    assert.equal(saved.sha256, '9664ba1e0e561ffb4932a05e6cbf33d62e352b001e124346b4e4106feb714664');
    const { hash, revision, totalKey, totalSize } = saved.status;
    assert.deepEqual({ hash, revision, totalKey, totalSize }, FIXTURE_STATUS);
    const sidecar = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8')) as SnapshotSidecar;
    assert.deepEqual(sidecar, saved.sidecar);
    assert.equal(sidecar.file, 'snap.db');
    assert.equal(sidecar.clusterId, '14841639068965178418');
    assert.equal(sidecar.clusterIdHex, 'cdf818194e3a8c32');
    assert.equal(sidecar.memberId, IDS.m1);
    assert.equal(sidecar.memberIdHex, '8e9e05c52164694d');
    assert.equal(sidecar.memberName, 'm1');
    assert.equal(sidecar.etcdVersion, '3.5.16');
    assert.equal(sidecar.revision, 4);
    assert.equal(sidecar.size, 20512);
    assert.equal(sidecar.sha256, saved.sha256);
    assert.deepEqual(sidecar.status, { ...FIXTURE_STATUS, hashHex: '20d4387f' });
    assert.ok(!Number.isNaN(Date.parse(sidecar.time)) && !Number.isNaN(Date.parse(sidecar.startedAt)));
  });

  test('synced to disk in steps while streaming: the same bytes, verified, no .part left', async (t) => {
    const dir = tmpDir(t);
    const file = path.join(dir, 'snap.db');
    // A sync every 4 KiB: many start while later chunks are written, the last one beside the read-back.
    const saved = await saveSnapshot({ stream: source(chunks(snapshot, [1000, 4093, 31, 8191])), file, syncEveryBytes: 4096 });
    assert.ok(fs.readFileSync(file).equals(snapshot));
    assert.deepEqual(fs.readdirSync(dir), ['snap.db']);
    const { hash, revision, totalKey, totalSize } = saved.status;
    assert.deepEqual({ hash, revision, totalKey, totalSize }, FIXTURE_STATUS);
    // A stream that breaks after some syncs: the partial file goes, whatever sync was running.
    const broken = path.join(dir, 'broken.db');
    await rejectsWith(saveSnapshot({ stream: source(chunks(snapshot.subarray(0, 12_000), [4093]), new Error('connection reset')), file: broken, syncEveryBytes: 4096 }), 'stream');
    assert.deepEqual(fs.readdirSync(dir), ['snap.db']);
  });

  test('a sha256 mismatch: nothing is kept', async (t) => {
    const dir = tmpDir(t);
    const bad = Buffer.from(snapshot);
    bad[5000] ^= 1;
    await rejectsWith(saveSnapshot({ stream: source(chunks(bad, [3000])), file: path.join(dir, 'snap.db') }), 'sha256', /sha256 mismatch: the trailer says 9664ba1e.*not kept/);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  test('a correct trailer over bytes that are no database: the read-back refuses it', async (t) => {
    const dir = tmpDir(t);
    const junk = withTrailer(Buffer.alloc(8192, 7));
    await rejectsWith(saveSnapshot({ stream: source([junk]), file: path.join(dir, 'snap.db') }), 'verify', /does not read back as a valid database/);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  test('a truncated stream that ends cleanly: the trailer is data, a mismatch', async (t) => {
    const dir = tmpDir(t);
    await rejectsWith(saveSnapshot({ stream: source([snapshot.subarray(0, 12_000)]), file: path.join(dir, 'snap.db') }), 'sha256');
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  test('a stream that breaks in the middle: the partial file is removed', async (t) => {
    const dir = tmpDir(t);
    const e = await rejectsWith(
      saveSnapshot({ stream: source(chunks(snapshot, [4096]).slice(0, 3), new Error('no connection at http://127.0.0.1:2379: Connection dropped')), file: path.join(dir, 'snap.db') }),
      'stream',
      /broke after 12 kB: no connection at .*partial file was removed/,
    );
    assert.ok(e.cause);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  test('a stream that failed before saveSnapshot listened: no crash, a clear error', async (t) => {
    const dir = tmpDir(t);
    const s = new Readable({ read() {} });
    s.destroy(new Error('not authenticated'));
    await rejectsWith(saveSnapshot({ stream: s, file: path.join(dir, 'snap.db') }), 'stream', /not authenticated/);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  test('abort while streaming: aborted, the partial file is removed, the stream destroyed', async (t) => {
    const dir = tmpDir(t);
    const controller = new AbortController();
    const s = source(chunks(snapshot, [4096]).slice(0, 2), 'hang');
    let seen = 0;
    const p = saveSnapshot({
      stream: s,
      file: path.join(dir, 'snap.db'),
      signal: controller.signal,
      progressIntervalMs: 0,
      onProgress: (bytes) => {
        seen = bytes;
        if (bytes >= 8192) controller.abort();
      },
    });
    await rejectsWith(p, 'aborted', /aborted after 8\.2 kB/);
    assert.equal(seen, 8192);
    assert.ok(s.destroyed);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  test('already aborted: nothing is created', async (t) => {
    const dir = tmpDir(t);
    const controller = new AbortController();
    controller.abort();
    await rejectsWith(saveSnapshot({ stream: source([snapshot]), file: path.join(dir, 'snap.db'), signal: controller.signal }), 'aborted');
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  test('a stream that stops sending: stalled after stallMs, the partial file is removed', async (t) => {
    const dir = tmpDir(t);
    const s = source([snapshot.subarray(0, 1000)], 'hang');
    await rejectsWith(saveSnapshot({ stream: s, file: path.join(dir, 'snap.db'), stallMs: 150 }), 'stalled', /no data for 150ms after 1\.0 kB/);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  test('an existing FILE, FILE.json or FILE.part is refused and left untouched', async (t) => {
    const dir = tmpDir(t);
    const file = path.join(dir, 'snap.db');
    for (const [name, msg] of [
      ['snap.db', /snap\.db exists: a snapshot is never overwritten/],
      ['snap.db.json', /snap\.db\.json exists/],
      ['snap.db.part', /snap\.db\.part exists \(left by an interrupted save/],
    ] as const) {
      const existing = path.join(dir, name);
      fs.writeFileSync(existing, 'precious');
      assert.deepEqual(await existingSnapshotFiles(file), [existing]);
      const s = source([snapshot]);
      await rejectsWith(saveSnapshot({ stream: s, file }), 'exists', msg);
      assert.equal(fs.readFileSync(existing, 'utf8'), 'precious');
      assert.deepEqual(fs.readdirSync(dir), [name]);
      assert.ok(s.destroyed, 'the stream is cancelled');
      fs.rmSync(existing);
    }
  });

  test('a write that fails (file size limit, as a full disk): the partial file is removed', { skip: fs.existsSync('/usr/bin/prlimit') ? undefined : 'no prlimit' }, (t) => {
    const dir = tmpDir(t);
    // In a child with RLIMIT_FSIZE of 64 KiB (SIGXFSZ ignored, so write fails with EFBIG).
    const script = path.join(dir, 'child.mjs');
    const mod = pathToFileURL(path.join(repoRoot(), 'dist', 'src', 'run', 'snapshot-save.js')).href;
    fs.writeFileSync(
      script,
      `import { Readable } from 'node:stream';
      import { saveSnapshot } from ${JSON.stringify(mod)};
      process.on('SIGXFSZ', () => {});
      const big = Readable.from((function* () { for (let i = 0; i < 64; i++) yield Buffer.alloc(16384, i); })());
      saveSnapshot({ stream: big, file: ${JSON.stringify(path.join(dir, 'snap.db'))} }).then(
        () => console.log('saved'),
        (e) => console.log(e.kind + ': ' + e.message),
      );`,
    );
    const r = spawnSync('/usr/bin/prlimit', ['--fsize=65536', process.execPath, script], { encoding: 'utf8', timeout: 20_000 });
    assert.match(r.stdout, /^io: writing .*snap\.db\.part failed after .*: .*(EFBIG|too large).*the partial file was removed/m, `${r.stdout}\n${r.stderr}`);
    assert.deepEqual(fs.readdirSync(dir), ['child.mjs']);
  });
});

describe('planSnapshotSave', () => {
  const opts = DEFAULT_HEALTH_OPTIONS;
  function viewOf(members: Member[], probes: Record<string, Probe>, alarms: Alarm[] = []): ClusterView {
    const batch: Refresh[] = [
      { type: 'membership', at: 1000, result: { ok: true, clusterId: '7', members } },
      ...Object.entries(probes).map(([id, probe]): Refresh => ({ type: 'probe', at: 1000, memberId: id, probe })),
      { type: 'alarms', at: 1000, result: { ok: true, alarms } },
    ];
    return applyRefreshes(emptyView(opts, 0), batch, opts);
  }
  const three = [member('m1'), member('m2'), member('m3')];
  const probes = (version = '3.4.23') => ({
    [IDS.m1]: up({ memberId: IDS.m1, version, dbSize: 3 * 1024 ** 3, revision: 77 }),
    [IDS.m2]: up({ memberId: IDS.m2, version }),
    [IDS.m3]: up({ memberId: IDS.m3, version }),
  });
  const input: SnapshotSaveInput = { file: '/backup/etcd.db', existing: [], withAuth: false };

  test('the leader by default: preview, one step with the etcdctl equivalent, a deadline sized to the DB', () => {
    const r = planSnapshotSave(viewOf(three, probes()), input);
    assert.ok(r.ok);
    const plan = r.plan;
    assert.equal(plan.flow, 'snapshot-save');
    assert.equal(plan.steps.length, 1);
    assert.deepEqual(plan.steps[0].action, { kind: 'snapshot-save', memberId: IDS.m1, name: 'm1', file: '/backup/etcd.db', timeoutMs: 240_000 });
    assert.equal(plan.steps[0].command, 'etcdctl --endpoints=http://127.0.0.1:2389 snapshot save /backup/etcd.db');
    assert.match(plan.preview[0], /^from m1 \(8e9e05c52164694d\), the leader, at http:\/\/127\.0\.0\.1:2389: etcd 3\.4\.23, DB 3\.2 GB .*revision 77$/);
    assert.ok(plan.preview.some((l) => /the cluster is not changed/.test(l)));
    assert.equal(plan.confirmPhrase, undefined);
    assert.deepEqual(plan.args, { file: '/backup/etcd.db', from: 'm1', id: IDS.m1 });
    assert.deepEqual(plan.warnings, []);
  });

  test('--from a follower by name or ID; a file name with spaces is quoted in the command', () => {
    const r = planSnapshotSave(viewOf(three, probes()), { ...input, from: '91bc3c398fb3c146', file: "/b/it's here.db" });
    assert.ok(r.ok);
    assert.equal(r.plan.steps[0].action.kind === 'snapshot-save' && r.plan.steps[0].action.memberId, IDS.m2);
    assert.match(r.plan.preview[0], /a follower/);
    assert.equal(r.plan.steps[0].command, "etcdctl --endpoints=http://127.0.0.1:2399 snapshot save '/b/it'\\''s here.db'");
  });

  test('refusals: existing files, unknown or unreachable member, no leader, no member list, CORRUPT alarm', () => {
    const refuse = (view: ClusterView, extra: Partial<SnapshotSaveInput>, re: RegExp) => {
      const r = planSnapshotSave(view, { ...input, ...extra });
      assert.ok(!r.ok, `expected a refusal matching ${re}`);
      assert.match(r.refusal, re);
    };
    const healthy = viewOf(three, probes());
    refuse(healthy, { existing: ['/backup/etcd.db'] }, /^\/backup\/etcd\.db exists: a snapshot is never overwritten/);
    refuse(healthy, { existing: ['/backup/etcd.db.part', '/backup/etcd.db.json'] }, /etcd\.db\.part, .*etcd\.db\.json exist:/);
    refuse(healthy, { from: 'm9' }, /unknown member "m9"/);
    refuse(viewOf(three, { ...probes(), [IDS.m3]: down() }), { from: 'm3' }, /m3 is unreachable: connection refused; choose another member with --from/);
    refuse(viewOf(three, { [IDS.m1]: down(), [IDS.m2]: up({ leader: '0', memberId: IDS.m2 }), [IDS.m3]: up({ leader: '0', memberId: IDS.m3 }) }), {}, /no leader .*--from ID\|NAME/);
    refuse(applyRefreshes(emptyView(opts, 0), [{ type: 'membership', at: 1, result: { ok: false, error: 'no quorum', kind: 'no-quorum' } }], opts), {}, /no member list \(no quorum\): without quorum, save from one member directly with etcdctl --endpoints=URL snapshot save FILE/);
    refuse(viewOf(three, probes(), [{ memberId: IDS.m1, alarm: 'CORRUPT' }]), {}, /m1 has a CORRUPT alarm/);
    // Without an alarm list: the alarm as a member's Status reports it.
    const corruptSeen = { ...probes(), [IDS.m3]: up({ memberId: IDS.m3, errors: [`memberID:${IDS.m2} alarm:CORRUPT `] }) };
    refuse(viewOf(three, corruptSeen), { from: 'm2' }, /m2 has a CORRUPT alarm/);
    assert.ok(planSnapshotSave(viewOf(three, corruptSeen), input).ok, 'another member\'s alarm does not stop a save from m1');
    refuse(viewOf([...three, member('m4', { clientURLs: [], name: '' })], probes()), { from: '4503599627370497' }, /has never started/);
    const nospace = planSnapshotSave(viewOf(three, probes(), [{ memberId: IDS.m1, alarm: 'NOSPACE' }]), input);
    assert.ok(nospace.ok, 'NOSPACE does not stop a snapshot (it is a read)');
  });

  test('a learner: refused on 3.4 and with auth; allowed with a warning on 3.5 without auth', () => {
    const members = [...three, member('m4', { isLearner: true })];
    const withLearner = (version: string) => viewOf(members, { ...probes(version), [IDS.m4]: up({ memberId: IDS.m4, isLearner: true, version, raftAppliedIndex: 90 }) });
    const on34 = planSnapshotSave(withLearner('3.4.23'), { ...input, from: 'm4' });
    assert.ok(!on34.ok && /learner on etcd 3\.4\.23: etcd 3\.4 refuses Snapshot on a learner/.test(on34.refusal));
    const auth = planSnapshotSave(withLearner('3.5.16'), { ...input, from: 'm4', withAuth: true });
    assert.ok(!auth.ok && /refuses authentication/.test(auth.refusal));
    const ok = planSnapshotSave(withLearner('3.5.16'), { ...input, from: 'm4' });
    assert.ok(ok.ok);
    assert.match(ok.plan.warnings[0], /m4 is a learner: its data may trail the leader's \(applied index 90\)/);
  });

  test('deadline: 60 s plus 60 s per GiB', () => {
    assert.equal(snapshotTimeoutMs(0), 60_000);
    assert.equal(snapshotTimeoutMs(1024 ** 3), 120_000);
    assert.equal(snapshotTimeoutMs(8 * 1024 ** 3), 540_000);
  });
});

describe('the result line of a save', () => {
  const saved = { size: 344_219_680, durationMs: 1200, bytesPerSecond: 286_849_733, streamMs: 1150, verifyMs: 14, status: { revision: 1281, totalKey: 1284, hash: 0x3c906fe8 } };

  test('says how many large leaves were hashed in the stream, in the singular for one, and nothing for none', () => {
    assert.match(savedDetail({ ...saved, status: { ...saved.status, digestedLeaves: 639 } }), /read-back 14ms, 639 large leaves hashed in the stream\), sha256 ok, revision 1281, 1284 keys, hash 3c906fe8$/);
    assert.match(savedDetail({ ...saved, status: { ...saved.status, digestedLeaves: 1 } }), /read-back 14ms, 1 large leaf hashed in the stream\)/);
    assert.doesNotMatch(savedDetail({ ...saved, status: { ...saved.status, digestedLeaves: 0 } }), /large/);
    assert.match(savedDetail(saved), /^344 MB in 1\.2s \(287 MB\/s; stream 1\.1s at 299 MB\/s, read-back 14ms\), sha256 ok/);
  });
});
