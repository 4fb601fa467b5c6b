/**
 * A snapshot restore cut off by SIGKILL before the restored cluster starts, then finished with
 * `etcd-tui undo RUN` from its run journal: simulated hosts (test/harness/hosts.ts) with real etcd
 * 3.5 and mTLS, the built binary run headless as a script would.
 *
 * The third host's `cp` hangs (the backup an env-file upload makes first): the run is then past the
 * stops, the uploads, the restores, the data swaps on every host and the first two env files, and
 * before the point of no return. Killed there, `etcd-tui undo RUN` must put every host back: the old
 * data dir in place (the restored one moved aside, never deleted), the old env file, etcd started
 * again; the same cluster answers with the key written before.
 */
import { after, before, describe, test } from '../harness/skip.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simHostsSkipReason, type SimHosts } from '../harness/hosts.js';
import { bootstrappedSimCluster, type SimCluster } from '../harness/sim-cluster.js';
import { type ClusterPki } from '../harness/certs.js';
import { runCli, showCli, startCli, type CliRunning } from '../harness/cli.js';
import { etcdBinaries, etcdSkipReason } from '../harness/binaries.js';
import { parseJsonExact } from '../harness/json.js';
import { waitFor, StopWaiting } from '../harness/wait.js';

const bins = etcdBinaries('3.5');
const skip = simHostsSkipReason() ?? (bins ? undefined : etcdSkipReason('3.5'));

interface StatusJson {
  Status: { header: { cluster_id: string | number; revision: string | number }; leader: string | number };
}

describe('a restore killed before the restored cluster starts, finished with etcd-tui undo RUN', { skip: skip ? `skipped: ${skip}` : false }, () => {
  let cluster: SimCluster | undefined;
  let sim: SimHosts;
  let pki: ClusterPki;
  let dir: string;
  let config: string;
  let audit: string;
  let running: CliRunning | undefined;
  const names = ['u1', 'u2', 'u3'];

  const cli = (args: string[], timeoutMs = 240_000) => runCli(['--config', config, '--audit-log', audit, ...args], { timeoutMs });
  const endpoints = () => sim.hosts.map((h) => `https://${h.address}:2379`);
  const etcdctl = (args: string[]) =>
    execFileSync(bins!.etcdctl, [`--endpoints=${endpoints().join(',')}`, `--cacert=${pki.ca}`, `--cert=${pki.admin}`, `--key=${pki.adminKey}`, '--command-timeout=10s', ...args], {
      encoding: 'utf8',
      env: { ...process.env, ETCDCTL_API: '3' },
      timeout: 30_000,
    });
  const clusterIds = () => parseJsonExact<StatusJson[]>(etcdctl(['endpoint', 'status', '-w', 'json'])).map((s) => BigInt(s.Status.header.cluster_id).toString(16));

  before(async () => {
    cluster = await bootstrappedSimCluster({ names, context: 'restoreundo', dirPrefix: 'etcd-tui-restore-undo-', etcd: { version: bins!.version, binarySource: bins!.etcd } });
    ({ sim, pki, dir, config, audit } = cluster);
  });

  after(async () => {
    running?.kill();
    await cluster?.stop();
  });

  test('kill -9 after the data swaps and two env files; undo puts every host back as it was', async () => {
    etcdctl(['put', '/marker', 'before-the-restore']);
    const oldIds = clusterIds();
    assert.equal(new Set(oldIds).size, 1);
    const envBefore = new Map<string, string>();
    for (const h of sim.hosts) envBefore.set(h.name, (await h.readFile('/etc/etcd/etcd.env')) ?? '');
    const snap = join(dir, 'snap.db');
    const saved = await cli(['snapshot', 'save', snap]);
    assert.equal(saved.code, 0, showCli(saved));
    etcdctl(['put', '/marker', 'after-the-snapshot']);

    // The third host's cp (the env file's backup) says where it is, then hangs.
    const stuck = sim.hosts[2];
    const w = await stuck.exec(['sh', '-c', 'printf "#!/bin/sh\\ntouch /tmp/cp-is-stuck\\nexec sleep 300\\n" > /usr/local/bin/cp && chmod 755 /usr/local/bin/cp']);
    assert.equal(w.code, 0, w.stderr);

    running = startCli(['--config', config, '--audit-log', audit, 'snapshot', 'restore', snap, '--yes'], { timeoutMs: 300_000 });
    const run = running;
    await waitFor(
      async () => {
        if (run.exited()) throw new StopWaiting(`the restore ended before it reached the env file of ${stuck.name}:\n${run.stdout()}`);
        return (await stuck.exec(['test', '-e', '/tmp/cp-is-stuck'])).code === 0;
      },
      { timeoutMs: 240_000, intervalMs: 250, what: `the restore to hang in the env-file backup on ${stuck.name}` },
    );
    const out = run.stdout();
    const id = /^run (\S+): journal in (\S+) \(if this run is cut off: etcd-tui undo \1\)$/m.exec(out);
    assert.ok(id, `the run ID is printed first:\n${out}`);
    assert.match(out, new RegExp(`Write /etc/etcd/etcd.env on ${names[1]}[^\\n]*\\n\\[\\d+/\\d+\\] ok`), 'the second env file was written');
    assert.doesNotMatch(out, /\[\d+\/\d+\] Point of no return/, 'killed before the point of no return');
    run.kill();
    const killed = await run.done;
    assert.equal(killed.code, -1, showCli(killed));

    // The journal knows the run is unfinished, with its undo steps as data.
    const journal = readFileSync(id[2], 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: string; spec?: { kind: string } });
    assert.ok(!journal.some((r) => r.t === 'end'), 'no end record: the run was cut off');
    const undos = journal.filter((r) => r.t === 'undo');
    assert.ok(undos.length > 0 && undos.every((u) => u.spec), `every undo step is journaled as data: ${JSON.stringify(undos)}`);
    assert.deepEqual([...new Set(undos.map((u) => u.spec!.kind))].sort(), ['data-dir-aside', 'put-back', 'remove-file', 'restore-file', 'service-start']);

    // The hosts as the kill left them: etcd stopped, the restored data in place.
    for (const h of sim.hosts.slice(0, 2)) assert.match((await h.readFile('/etc/etcd/etcd.env')) ?? '', /ETCD_INITIAL_CLUSTER_TOKEN=etcd-tui-restore-/);
    const rmCp = await stuck.exec(['rm', '-f', '/usr/local/bin/cp', '/tmp/cp-is-stuck']);
    assert.equal(rmCp.code, 0, rmCp.stderr);

    const runs = await cli(['runs']);
    assert.equal(runs.code, 0, showCli(runs));
    assert.match(runs.stdout, new RegExp(`${id[1]} .*cut off at step`));
    const undo = await cli(['undo', id[1], '--yes']);
    assert.equal(undo.code, 0, showCli(undo));
    for (const h of names) assert.match(undo.stdout, new RegExp(`undone: (.*; )?${h}: /var/lib/etcd\\.etcd-tui-before-restore-\\S+ is /var/lib/etcd again`));
    for (const h of names) assert.match(undo.stdout, new RegExp(`undone: ${h}: started etcd\\.service again`));
    assert.match(undo.stdout, /everything run \S+ changed was undone/);

    // The old cluster, with what it had; the old env files; the restored data moved aside, not deleted.
    const ids = await waitFor(
      () => {
        const now = clusterIds();
        return now.length === 3 ? now : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'every member of the old cluster to answer again' },
    );
    assert.deepEqual(ids, oldIds, 'the same cluster as before');
    assert.equal(etcdctl(['get', '/marker', '--print-value-only']).trim(), 'after-the-snapshot', 'nothing written before the restore is lost');
    for (const h of sim.hosts) {
      assert.equal((await h.readFile('/etc/etcd/etcd.env')) ?? '', envBefore.get(h.name), `${h.name}: the old env file is back`);
      const left = await h.exec(['sh', '-c', 'ls -d /var/lib/etcd.etcd-tui-*']);
      assert.doesNotMatch(left.stdout, /etcd-tui-before-restore-\d{8}T\d{6}Z$/m, `${h.name}: the old data dir is not left aside: ${left.stdout}`);
      assert.doesNotMatch(left.stdout, /etcd-tui-restore-\d{8}T\d{6}Z$/m, `${h.name}: no restore dir left in place: ${left.stdout}`);
      assert.match(left.stdout, /etcd-tui-failed-/, `${h.name}: the restored data is kept aside: ${left.stdout}`);
      const snaps = await h.exec(['sh', '-c', 'ls /var/lib/etcd-tui-restore-*.db 2>/dev/null; true']);
      assert.equal(snaps.stdout.trim(), '', `${h.name}: the uploaded snapshot is removed (the bastion has it)`);
    }
    const again = await cli(['runs']);
    assert.doesNotMatch(again.stdout, new RegExp(id[1]));
  });
});
