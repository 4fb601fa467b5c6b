/**
 * `etcd-tui snapshot save` and `snapshot status` as scripts run them (the built binary), against real
 * etcd: the same file as `etcdctl snapshot save` of the same revision, a restore that serves the same
 * keys (etcdctl restore on 3.4, etcdutl restore on 3.5), auth, a stream that breaks (member killed,
 * member paused past the deadline), an existing file refused, and status equal to etcdutl's.
 */
import { after, before, describe, test } from '../harness/skip.js'; // counts every test of a skipped describe
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import { runEtcdctl, startCluster, type EndpointStatusJson, type TestCluster } from '../harness/cluster.js';
import { etcdBinaries, etcdSkipReason, type EtcdBinaries } from '../harness/binaries.js';
import { runCli, showCli as show, startCli } from '../harness/cli.js';
import { freePorts } from '../harness/ports.js';
import { signalTracked, trackProcess, untrackProcess } from '../harness/registry.js';
import { parseJsonExact } from '../harness/json.js';
import { waitFor } from '../harness/wait.js';
import { snapshotStatus } from '../../src/snapshot/status.js';
import { EtcdGateway } from '../../src/cluster/etcd-gateway.js';
import { saveSnapshot, SnapshotSaveError, type SnapshotSidecar } from '../../src/run/snapshot-save.js';

const etcdutl = etcdBinaries('3.5')?.etcdutl;
const PASSWORD = 'Snap-7c1e-pw';

/** The built binary to its end, killed after timeoutMs (see ../harness/cli.ts). */
const run = (args: string[], timeoutMs = 60_000) => runCli(args, { timeoutMs });

function lastAudit(file: string): { command: string; outcome: string; arguments: Record<string, unknown>; error?: string; steps?: Array<{ state: string }> } {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim());
  return JSON.parse(lines[lines.length - 1]);
}

function client(cluster: TestCluster, auth = false): Etcd3 {
  return new Etcd3({
    hosts: cluster.endpoints,
    faultHandling: { host: () => noop, global: noop },
    defaultCallOptions: () => ({ deadline: Date.now() + 30_000 }),
    ...(auth ? { auth: { username: 'root', password: PASSWORD } } : {}),
  });
}

/** Keys with deletions and overwrites; returns every key and value as text. */
async function writeKeys(cluster: TestCluster, prefix: string, count: number): Promise<void> {
  const c = client(cluster);
  try {
    for (let i = 0; i < count; i += 250) {
      await Promise.all(Array.from({ length: Math.min(250, count - i) }, (_, j) => c.put(`${prefix}${String(i + j).padStart(5, '0')}`).value(`v${i + j}-${'x'.repeat((i + j) % 100)}`)));
    }
    await c.delete().prefix(`${prefix}001`);
    await c.put(`${prefix}00000`).value('overwritten');
  } finally {
    c.close();
  }
}

/** Every key and value (sorted by key), through etcdctl at one endpoint. */
async function allKeys(etcdctl: string, endpoint: string, extra: string[] = []): Promise<string> {
  const r = await runEtcdctl(etcdctl, [`--endpoints=${endpoint}`, 'get', '', '--prefix', ...extra], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

function statusNumbers(s: { hash: number; revision: number; totalKey: number; totalSize: number }) {
  return { hash: s.hash, revision: s.revision, totalKey: s.totalKey, totalSize: s.totalSize };
}

/**
 * Restores `file` into a new data dir (restore3 = etcdctl on 3.4, etcdutl on 3.5), starts one etcd on
 * it, and returns what it serves: all keys, and its revision. The process is stopped by pid.
 */
async function restoreAndServe(bins: EtcdBinaries, file: string, dir: string): Promise<{ keys: string; revision: number }> {
  const [peer, clientPort] = await freePorts(2);
  const peerURL = `http://127.0.0.1:${peer}`;
  const clientURL = `http://127.0.0.1:${clientPort}`;
  const dataDir = path.join(dir, `restored-${bins.family}`);
  const tool = bins.family === '3.4' ? bins.etcdctl : (bins.etcdutl as string);
  const restore = await runEtcdctl(tool, ['snapshot', 'restore', file, '--data-dir', dataDir, '--name', 'x', '--initial-cluster', `x=${peerURL}`, '--initial-advertise-peer-urls', peerURL], { timeoutMs: 60_000 });
  assert.equal(restore.code, 0, `${path.basename(tool)} snapshot restore: ${restore.stderr}`);
  const log = fs.openSync(path.join(dir, `restored-${bins.family}.log`), 'a');
  let proc: ChildProcess | undefined;
  try {
    proc = spawn(bins.etcd, ['--name', 'x', '--data-dir', dataDir, '--listen-client-urls', clientURL, '--advertise-client-urls', clientURL, '--listen-peer-urls', peerURL, '--initial-advertise-peer-urls', peerURL, '--initial-cluster', `x=${peerURL}`], {
      stdio: ['ignore', log, log],
    });
    const pid = proc.pid as number;
    trackProcess({ kind: 'etcd', pid });
    const st = await waitFor(
      async () => {
        const r = await runEtcdctl(bins.etcdctl, [`--endpoints=${clientURL}`, 'endpoint', 'status', '-w', 'json', '--command-timeout=1s'], { timeoutMs: 5_000 });
        if (r.code !== 0) throw new Error(r.stderr.trim().split('\n').at(-1));
        const s = parseJsonExact<EndpointStatusJson[]>(r.stdout)[0];
        return s.Status.leader !== '0' ? s : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'the restored etcd to answer with a leader' },
    );
    return { keys: await allKeys(bins.etcdctl, clientURL), revision: Number(st.Status.header.revision) };
  } finally {
    fs.closeSync(log);
    if (proc?.pid) {
      const pid = proc.pid;
      const exited = new Promise<void>((resolve) => (proc?.exitCode !== null ? resolve() : proc?.once('exit', () => resolve())));
      signalTracked(pid, 'SIGKILL');
      await exited;
      untrackProcess(pid);
    }
  }
}

/** etcd-tui snapshot status against etcdutl -w table and -w json (3.5's etcdutl reads 3.4 snapshots too). */
async function compareStatusWithEtcdutl(file: string): Promise<void> {
  const table = await run(['snapshot', 'status', file, '--context', 'no-such-context']);
  assert.equal(table.code, 0, show(table));
  const json = await run(['snapshot', 'status', file, '--json', '--context', 'no-such-context']);
  assert.equal(json.code, 0, show(json));
  const doc = JSON.parse(json.stdout) as { sha256: { present: boolean; ok: boolean; expected: string } };
  assert.deepEqual({ present: doc.sha256.present, ok: doc.sha256.ok }, { present: true, ok: true });
  assert.equal(doc.sha256.expected, fs.readFileSync(file).subarray(-32).toString('hex'));
  assert.match(table.stdout, /\nsha256: ok \([0-9a-f]{64}\)\n$/);
  assert.ok(etcdutl, 'etcdutl (etcd 3.5) is needed for this comparison: the test should have been skipped');
  const theirTable = await runEtcdctl(etcdutl, ['snapshot', 'status', file, '-w', 'table']);
  assert.equal(theirTable.code, 0, theirTable.stderr);
  assert.equal(table.stdout, `${theirTable.stdout}sha256: ok (${doc.sha256.expected})\n`);
  const theirJson = await runEtcdctl(etcdutl, ['snapshot', 'status', file, '-w', 'json']);
  assert.equal(theirJson.code, 0, theirJson.stderr);
  // etcdutl's four fields, in its order, then the trailer check.
  assert.ok(json.stdout.startsWith(theirJson.stdout.trim().slice(0, -1) + ','), `${json.stdout} vs ${theirJson.stdout}`);
}

// ---------------------------------------------------------------------------------------------

describe('snapshot save and status against etcd 3.4 (3 members; then auth on)', { skip: etcdSkipReason('3.4'), timeout: 120_000 }, () => {
  let cluster: TestCluster;
  let dir: string;
  let audit: string;
  let saved: string;
  let keysAtSave: string;

  before(async () => {
    cluster = await startCluster({ members: 3, version: '3.4' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-snapsave-it-'));
    audit = path.join(dir, 'audit.jsonl');
  });
  after(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The snapshot the first test saves; a test run alone saves it itself (so any one test runs alone). */
  async function ensureSaved(): Promise<string> {
    if (saved && fs.existsSync(saved)) return saved;
    await writeKeys(cluster, '/snap/', 2000);
    const file = path.join(dir, 'tui.db');
    const leader = cluster.member(await cluster.leaderName());
    const r = await run(['snapshot', 'save', file, '--from', leader.name, '--endpoints', cluster.endpoints.join(','), '--audit-log', audit]);
    assert.equal(r.code, 0, show(r));
    keysAtSave = await allKeys(cluster.binaries.etcdctl, leader.clientURL);
    saved = file;
    return saved;
  }

  test('save from the leader: same size and status as etcdctl snapshot save of the same revision, mode 0600, sidecar', async (t) => {
    await writeKeys(cluster, '/snap/', 2000);
    // Values larger than a page: leaves with overflow pages, hashed while they stream (the sidecar's
    // status comes from those digests; it must equal a full read of the file and etcdctl's file).
    for (let i = 0; i < 6; i++) {
      const put = await cluster.etcdctl(['put', `/snap-large/${i}`, String(i).repeat(20_000 + i * 3001)]);
      assert.equal(put.code, 0, put.stderr);
    }
    saved = path.join(dir, 'tui.db');
    const theirs = path.join(dir, 'etcdctl.db');
    const leader = cluster.member(await cluster.leaderName());
    const r = await run(['snapshot', 'save', saved, '--endpoints', cluster.endpoints.join(','), '--audit-log', audit]);
    // Back to back, no write between: the same revision.
    const e = await cluster.etcdctl(['--endpoints', leader.clientURL, 'snapshot', 'save', theirs], { timeoutMs: 60_000 });
    keysAtSave = await allKeys(cluster.binaries.etcdctl, leader.clientURL);
    assert.equal(r.code, 0, show(r));
    assert.equal(e.code, 0, e.stderr);
    t.diagnostic(r.stdout.split('\n').filter((l) => /^\[1\/1\] ok|^SUCCEEDED/.test(l)).join(' | '));
    assert.match(r.stdout, /^PLAN: Save a snapshot of m\d to .*tui\.db$/m);
    assert.match(r.stdout, /^\[1\/1\] ok: .* sha256 ok, revision \d+, \d+ keys, hash [0-9a-f]+$/m);
    assert.match(r.stdout, /^\[1\/1\] ok: .*read-back \S+, [1-9]\d* large (leaf|leaves) hashed in the stream\)/m);
    assert.match(r.stdout, /^SUCCEEDED in /m);

    const [ours, etcdctls] = [fs.statSync(saved), fs.statSync(theirs)];
    assert.equal(ours.size, etcdctls.size);
    assert.equal(ours.mode & 0o777, 0o600);
    const [a, b] = [await snapshotStatus(saved), await snapshotStatus(theirs)];
    assert.deepEqual(statusNumbers(a), statusNumbers(b));
    assert.ok(a.sha256.ok && b.sha256.ok);
    t.diagnostic(`${ours.size} bytes, revision ${a.revision}, ${a.totalKey} keys; byte-identical to etcdctl's: ${fs.readFileSync(saved).equals(fs.readFileSync(theirs))}`);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('tui.db')).sort(), ['tui.db', 'tui.db.json']);

    const sidecar = JSON.parse(fs.readFileSync(`${saved}.json`, 'utf8')) as SnapshotSidecar;
    const st = await cluster.endpointStatus(leader.name);
    assert.equal(fs.statSync(`${saved}.json`).mode & 0o777, 0o600);
    assert.equal(sidecar.clusterId, st.Status.header.cluster_id);
    assert.equal(sidecar.memberId, st.Status.header.member_id);
    assert.equal(sidecar.memberIdHex, BigInt(st.Status.header.member_id).toString(16));
    assert.equal(sidecar.memberName, leader.name);
    assert.equal(sidecar.endpoint, leader.clientURL);
    assert.equal(sidecar.etcdVersion, cluster.binaries.version);
    assert.equal(sidecar.revision, Number(st.Status.header.revision));
    assert.equal(sidecar.size, ours.size);
    assert.equal(sidecar.sha256, fs.readFileSync(saved).subarray(-32).toString('hex'));
    assert.deepEqual(statusNumbers(sidecar.status), statusNumbers(a));
    const rec = lastAudit(audit);
    assert.deepEqual([rec.command, rec.outcome, rec.arguments.file, rec.arguments.from], ['snapshot-save', 'succeeded', saved, leader.name]);
  });

  test('snapshot status equals etcdutl -w table / -w json (needs no settings); damaged copies are reported, non-zero exit', { skip: etcdutl ? undefined : `etcdutl is missing: ${etcdSkipReason('3.5') ?? 'etcd 3.5 has no etcdutl'}` }, async (t) => {
    await ensureSaved();
    await compareStatusWithEtcdutl(saved);
    const bytes = fs.readFileSync(saved);
    const truncated = path.join(dir, 'truncated.db');
    fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const tr = await run(['snapshot', 'status', truncated]);
    assert.equal(tr.code, 3, show(tr));
    assert.match(tr.stderr, /truncated.*\(not a valid snapshot\)/);
    assert.equal(tr.stdout, '');
    const trJson = await run(['snapshot', 'status', truncated, '--json']);
    assert.equal(trJson.code, 3, show(trJson));
    assert.equal((JSON.parse(trJson.stdout) as { valid: boolean; error: { kind: string } }).error.kind, 'truncated');
    // The last key's value changed in place: bbolt cannot tell, the sha256 can.
    const flipped = Buffer.from(bytes);
    const at = bytes.lastIndexOf(Buffer.from('v1999-'));
    assert.ok(at > 0);
    flipped[at + 1] ^= 1;
    const flippedFile = path.join(dir, 'flipped.db');
    fs.writeFileSync(flippedFile, flipped);
    const fl = await run(['snapshot', 'status', flippedFile]);
    assert.equal(fl.code, 2, show(fl));
    assert.match(fl.stdout, /sha256: MISMATCH/);
    const bare = path.join(dir, 'no-trailer.db');
    fs.writeFileSync(bare, bytes.subarray(0, bytes.length - 32));
    const nt = await run(['snapshot', 'status', bare]);
    assert.equal(nt.code, 1, show(nt));
    assert.match(nt.stdout, /sha256: no trailer/);
    const missing = await run(['snapshot', 'status', path.join(dir, 'nope.db')]);
    assert.equal(missing.code, 4, show(missing));
    t.diagnostic(`truncated: ${tr.stderr.trim()}`);
  });

  test('the snapshot restores with etcdctl snapshot restore (3.4) and the restored node serves the same keys', async () => {
    await ensureSaved();
    const restored = await restoreAndServe(cluster.binaries, saved, dir);
    assert.equal(restored.keys, keysAtSave);
    assert.equal(restored.revision, (await snapshotStatus(saved)).revision);
  });

  test('an existing FILE is refused (exit 5) and left untouched; --dry-run saves nothing', async () => {
    await ensureSaved();
    const before = fs.readFileSync(saved);
    const mtime = fs.statSync(saved).mtimeMs;
    const r = await run(['snapshot', 'save', saved, '--endpoints', cluster.endpoints[0], '--audit-log', audit]);
    assert.equal(r.code, 5, show(r));
    assert.match(r.stdout, /^REFUSED: .*tui\.db, .*tui\.db\.json exist: a snapshot is never overwritten/m);
    assert.ok(fs.readFileSync(saved).equals(before));
    assert.equal(fs.statSync(saved).mtimeMs, mtime);
    assert.equal(lastAudit(audit).outcome, 'refused');
    const dry = await run(['snapshot', 'save', path.join(dir, 'dry.db'), '--dry-run', '--from', 'm2', '--endpoints', cluster.endpoints[0], '--audit-log', audit]);
    assert.equal(dry.code, 0, show(dry));
    assert.match(dry.stdout, /\$ etcdctl --endpoints=http:\/\/127\.0\.0\.1:\d+ snapshot save .*dry\.db\n.*\ndry run: nothing was saved/);
    assert.ok(!fs.existsSync(path.join(dir, 'dry.db')));
  });

  test('with etcd auth on: --user root saves (stdout is the sidecar with --json); without credentials it fails and leaves nothing', async () => {
    for (const args of [['user', 'add', `root:${PASSWORD}`], ['user', 'grant-role', 'root', 'root'], ['auth', 'enable']]) {
      const r = await cluster.etcdctl(args);
      assert.equal(r.code, 0, `etcdctl ${args.join(' ')}: ${r.stderr}`);
    }
    const file = path.join(dir, 'auth.db');
    const r = await run(['snapshot', 'save', file, '--from', 'm3', '--json', '--endpoints', cluster.endpoints.join(','), '--user', 'root', '--password', PASSWORD, '--audit-log', audit]);
    assert.equal(r.code, 0, show(r));
    const sidecar = JSON.parse(r.stdout) as SnapshotSidecar;
    assert.equal(sidecar.memberName, 'm3');
    assert.match(r.stderr, /^SUCCEEDED in /m);
    assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD) && !fs.readFileSync(audit, 'utf8').includes(PASSWORD));
    const st = await snapshotStatus(file);
    assert.ok(st.sha256.ok);
    assert.equal(st.hash, sidecar.status.hash);

    const denied = path.join(dir, 'denied.db');
    const d = await run(['snapshot', 'save', denied, '--endpoints', cluster.endpoints.join(','), '--audit-log', audit]);
    assert.equal(d.code, 6, show(d));
    assert.match(d.stdout, /FAILED: the snapshot stream broke after 0 B: not authenticated/);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('denied')), []);
    assert.equal(lastAudit(audit).outcome, 'failed');
  });
});

describe('snapshot save against etcd 3.5 (1 member): etcdutl restore, a paused member past the deadline, a member killed mid-stream', { skip: etcdSkipReason('3.5'), timeout: 120_000 }, () => {
  let cluster: TestCluster;
  let dir: string;
  let audit: string;

  before(async () => {
    cluster = await startCluster({ members: 1, version: '3.5' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-snapsave35-'));
    audit = path.join(dir, 'audit.jsonl');
  });
  after(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('save, compare with etcdctl 3.5 and etcdutl status, restore with etcdutl: the same keys', { skip: etcdutl ? undefined : `etcdutl is missing: ${etcdSkipReason('3.5') ?? 'etcd 3.5 has no etcdutl'}` }, async () => {
    await writeKeys(cluster, '/v35/', 1500);
    const file = path.join(dir, 'tui.db');
    const theirs = path.join(dir, 'etcdctl.db');
    const r = await run(['snapshot', 'save', file, '--endpoints', cluster.endpoints[0], '--audit-log', audit]);
    const e = await cluster.etcdctl(['snapshot', 'save', theirs], { timeoutMs: 60_000 });
    const keys = await allKeys(cluster.binaries.etcdctl, cluster.endpoints[0]);
    assert.equal(r.code, 0, show(r));
    assert.equal(e.code, 0, e.stderr);
    assert.equal(fs.statSync(file).size, fs.statSync(theirs).size);
    assert.deepEqual(statusNumbers(await snapshotStatus(file)), statusNumbers(await snapshotStatus(theirs)));
    await compareStatusWithEtcdutl(file);
    const restored = await restoreAndServe(cluster.binaries, file, dir);
    assert.equal(restored.keys, keys);
  });

  /** ~160 MB, so that a stream lasts well beyond the moment the member is stopped; written once (by whichever test runs first). */
  let big: Promise<void> | undefined;
  function ensureBigData(): Promise<void> {
    big ??= (async () => {
      const c = client(cluster);
      try {
        const value = Buffer.alloc(256 * 1024, 1);
        let next = 0;
        const worker = async () => {
          while (next < 640) {
            const i = next++;
            await c.put(`/big/${String(i).padStart(4, '0')}`).value(value);
          }
        };
        await Promise.all(Array.from({ length: 8 }, worker));
      } finally {
        c.close();
      }
    })();
    return big;
  }

  test('a member paused mid-stream: the deadline ends the stream, no FILE and no FILE.part remain', async (t) => {
    await ensureBigData();
    const url = cluster.endpoints[0];
    const gateway = new EtcdGateway({ contextName: 't', endpoints: [url], tls: {}, dialTimeoutMs: 2000, commandTimeoutMs: 5000, refreshMs: 1000, readOnly: false }, { statusMs: 2000, commandMs: 5000, longMs: 60_000 });
    const file = path.join(dir, 'paused.db');
    let pausedAt = 0;
    try {
      const stream = await gateway.snapshot(url, 3_000);
      const error = await saveSnapshot({
        stream,
        file,
        progressIntervalMs: 0,
        onProgress: (bytes) => {
          if (pausedAt === 0) {
            pausedAt = bytes;
            void cluster.pause('m1');
          }
        },
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof SnapshotSaveError, String(error));
      assert.equal(error.kind, 'stream');
      assert.match(error.message, /within the deadline/);
      t.diagnostic(error.message);
    } finally {
      gateway.close();
      if (cluster.member('m1').state === 'paused') await cluster.resume('m1');
    }
    assert.ok(pausedAt > 0);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('paused')), []);
  });

  test('the member killed mid-stream: exit 6, a clear error, no FILE, FILE.part or FILE.json', async (t) => {
    await ensureBigData();
    const file = path.join(dir, 'killed.db');
    const p = startCli(['snapshot', 'save', file, '--endpoints', cluster.endpoints[0], '--audit-log', audit, '--dial-timeout', '1s'], { timeoutMs: 60_000 });
    const part = `${file}.part`;
    await waitFor(() => fs.existsSync(part) && fs.statSync(part).size > 0, { timeoutMs: 20_000, intervalMs: 5, what: 'the first bytes in FILE.part' });
    const at = fs.statSync(part).size;
    await cluster.kill('m1', 'SIGKILL');
    const r = await p.done;
    t.diagnostic(`killed at ${at} bytes in .part; ${r.stdout.split('\n').find((l) => /FAILED:/.test(l))}`);
    assert.equal(r.code, 6, show(r));
    assert.match(r.stdout, /^\[1\/1\] FAILED: the snapshot stream broke after .*: .*the partial file was removed$/m);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('killed')), []);
    const rec = lastAudit(audit);
    assert.deepEqual([rec.command, rec.outcome, rec.steps?.[0].state], ['snapshot-save', 'failed', 'failed']);
  });
});
