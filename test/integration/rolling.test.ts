/**
 * Rolling runs over SSH against simulated hosts (real etcd, mTLS, own sshd and systemctl stand-in
 * per host), the built binary headless:
 *   1. restart-all: every member restarted one at a time, the leader last after a verified move;
 *   2. an upgrade whose binary cannot start (a truncated file) is rolled back on the member in flight
 *      (the old binary back, restarted), the run stops with the state said, the others untouched;
 *   3. upgrade 3.4.23 -> 3.5.16 with a writer running through it: every member on 3.5.16, the
 *      cluster version 3.5.0, the leader done last, no acknowledged write missing.
 */
import { after, before, describe, test } from '../harness/skip.js';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simHostsSkipReason, type SimHosts } from '../harness/hosts.js';
import { bootstrappedSimCluster, type SimCluster } from '../harness/sim-cluster.js';
import { type ClusterPki } from '../harness/certs.js';
import { runCli, showCli } from '../harness/cli.js';
import { etcdBinaries, etcdSkipReason } from '../harness/binaries.js';
import { parseJsonExact } from '../harness/json.js';

const bin35 = etcdBinaries('3.5');
const skip = simHostsSkipReason() ?? (bin35 ? undefined : etcdSkipReason('3.5'));

interface StatusJson {
  Endpoint: string;
  Status: { version: string; leader: string | number; header: { member_id: string | number } };
}

describe('rolling restart and rolling upgrade over SSH (simulated hosts, etcd 3.4.23 -> 3.5.16)', { skip: skip ? `skipped: ${skip}` : false }, () => {
  let cluster: SimCluster | undefined;
  let sim: SimHosts;
  let pki: ClusterPki;
  let dir: string;
  let config: string;
  let audit: string;
  const names = ['u1', 'u2', 'u3'];

  const cli = (args: string[], timeoutMs = 420_000) => runCli(['--config', config, '--audit-log', audit, ...args], { timeoutMs, cwd: dir });
  const endpoints = () => sim.hosts.map((h) => `https://${h.address}:2379`);
  const etcdctlArgs = (args: string[]) => [`--endpoints=${endpoints().join(',')}`, `--cacert=${pki.ca}`, `--cert=${pki.admin}`, `--key=${pki.adminKey}`, '--command-timeout=5s', ...args];
  const etcdctl = (args: string[]) => execFileSync('etcdctl', etcdctlArgs(args), { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000 });
  const statuses = () => parseJsonExact<StatusJson[]>(etcdctl(['endpoint', 'status', '-w', 'json']));
  const leaderName = () => {
    const st = statuses();
    const leader = String(st[0].Status.leader);
    const i = st.findIndex((s) => String(s.Status.header.member_id) === leader);
    return names[i];
  };

  before(async () => {
    cluster = await bootstrappedSimCluster({ names, context: 'rolling', dirPrefix: 'etcd-tui-rolling-' });
    ({ sim, pki, dir, config, audit } = cluster);
  });

  after(async () => {
    await cluster?.stop();
  });

  test('restart-all: followers first, the leader last after a verified move; healthy at the end', async () => {
    const leader = leaderName();
    const r = await cli(['restart-all', '--yes']);
    assert.equal(r.code, 0, showCli(r));
    const dones = [...r.stdout.matchAll(/ok: (u\d) done/g)].map((m) => m[1]);
    assert.equal(dones.length, 3, showCli(r));
    assert.equal(dones[2], leader, 'the leader is done last');
    assert.match(r.stdout, new RegExp(`Move leadership from ${leader} to ${dones[0]}`));
    const st = await cli(['status']);
    assert.equal(st.code, 0, showCli(st));
  });

  test('an upgrade whose binary cannot start is rolled back on the member in flight; the others are untouched', async () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    const truncated = join(bad, 'etcd');
    writeFileSync(truncated, readFileSync(bin35!.etcd).subarray(0, 1 << 20), { mode: 0o755 });
    const r = await cli(['upgrade', '--binary', truncated, '--etcd-version', '3.5.16', '--wait', '30s', '--yes']);
    assert.equal(r.code, 6, showCli(r));
    assert.match(r.stdout, /rollback: u\d: \/usr\/local\/bin\/etcd is the old binary again/);
    const state = /^STATE: (.*)$/m.exec(r.stdout)?.[1] ?? '';
    for (const n of names) assert.match(state, new RegExp(`${n} 3\\.4\\.23`), state);
    assert.match(state, /the cluster is healthy; the member in flight was rolled back/);
    assert.ok(statuses().every((s) => s.Status.version === '3.4.23'));
    const swapped = [...r.stdout.matchAll(/Put etcd 3\.5\.16 in place on (u\d) \(the old binary kept as a backup\) \.\.\.$/gm)].map((m) => m[1]);
    assert.equal(swapped.length, 1, 'only the first member was touched');
  });

  test('upgrade 3.4.23 -> 3.5.16 with a writer: every member on 3.5.16, cluster version 3.5.0, the leader last, no acknowledged write lost', async () => {
    const leader = leaderName();
    const acked: string[] = [];
    let failed = 0;
    let stop = false;
    // A writer: one key after another (each etcdctl put is one write), acknowledged writes recorded.
    const writer = (async () => {
      for (let i = 0; !stop && i < 5000; i++) {
        const key = `/w/${String(i).padStart(5, '0')}`;
        const ok = await new Promise<boolean>((resolve) => execFile('etcdctl', etcdctlArgs(['put', key, 'x']), { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 10_000 }, (e) => resolve(!e)));
        if (ok) acked.push(key);
        else failed++;
      }
    })();
    const tarDir = join(dir, 'new');
    mkdirSync(tarDir);
    copyFileSync(bin35!.etcd, join(tarDir, 'etcd'));
    let r;
    try {
      r = await cli(['upgrade', '--binary', join(tarDir, 'etcd'), '--yes']);
    } finally {
      stop = true;
      await writer;
    }
    assert.equal(r.code, 0, showCli(r));
    assert.match(r.stdout, /path: 3\.4\.23 -> 3\.5\.16 \(minor\)/);
    assert.match(r.stdout, /Save a verified snapshot from/);
    const dones = [...r.stdout.matchAll(/ok: (u\d) done/g)].map((m) => m[1]);
    assert.equal(dones[2], leader, 'the leader is done last');
    assert.match(r.stdout, /the cluster version is 3\.5/);
    assert.ok(statuses().every((s) => s.Status.version === '3.5.16'), JSON.stringify(statuses().map((s) => s.Status.version)));
    const have = new Set(etcdctl(['get', '/w/', '--prefix', '--keys-only']).split('\n').filter(Boolean));
    const missing = acked.filter((k) => !have.has(k));
    assert.deepEqual(missing, [], 'every acknowledged write is there');
    assert.ok(acked.length > 10, `the writer wrote during the run (${acked.length} acknowledged)`);
    process.stdout.write(`# writes during the upgrade: ${acked.length} acknowledged, ${failed} failed\n`);
  });
});
