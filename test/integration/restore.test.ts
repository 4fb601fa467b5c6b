/**
 * Snapshot restore over SSH against simulated hosts (test/harness/hosts.ts: own network, mount and
 * pid namespaces, own sshd, the systemctl stand-in) with real etcd and mTLS, the built binary run
 * headless as a script would: on etcd 3.5 (etcdutl, uploaded next to the binary) and 3.4 (etcdctl).
 *
 *   1. a restore that would leave an old member alive outside the restored set is refused (exit 5);
 *   2. keys written, a snapshot saved, more keys written, then `snapshot restore --yes`: one leader, a
 *      new cluster ID, the snapshot's keys present and the later ones gone, HashKV equal, the old data
 *      dirs kept aside, (3.5) the revision bumped;
 *   3. (3.5) a host whose restore fails puts every host back: the cluster as it was, running.
 */
import { after, before, describe, test } from '../harness/skip.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { startSimHosts, simHostsSkipReason, type SimHosts } from '../harness/hosts.js';
import { makeClusterPki, type ClusterPki } from '../harness/certs.js';
import { runCli, showCli } from '../harness/cli.js';
import { etcdBinaries, etcdSkipReason, type EtcdVersion } from '../harness/binaries.js';
import { parseJsonExact } from '../harness/json.js';

const simSkip = simHostsSkipReason();

interface StatusJson {
  Endpoint: string;
  Status: { header: { cluster_id: string | number; revision: string | number }; leader: string | number };
}

for (const version of ['3.5', '3.4'] as EtcdVersion[]) {
  const bins = etcdBinaries(version);
  const skip = simSkip ?? (bins ? undefined : etcdSkipReason(version));

  describe(`snapshot restore over SSH on etcd ${version} (simulated hosts)`, { skip: skip ? `skipped: ${skip}` : false }, () => {
    let sim: SimHosts;
    let pki: ClusterPki;
    let dir: string;
    let config: string;
    let audit: string;
    const names = version === '3.5' ? ['s1', 's2', 's3'] : ['t1', 't2', 't3'];

    const cli = (args: string[], timeoutMs = 240_000) => runCli(['--config', config, '--audit-log', audit, ...args], { timeoutMs });
    const endpoints = () => sim.hosts.map((h) => `https://${h.address}:2379`);
    const etcdctl = (args: string[], eps = endpoints()) =>
      execFileSync(bins!.etcdctl, [`--endpoints=${eps.join(',')}`, `--cacert=${pki.ca}`, `--cert=${pki.admin}`, `--key=${pki.adminKey}`, '--command-timeout=10s', ...args], {
        encoding: 'utf8',
        env: { ...process.env, ETCDCTL_API: '3' },
        timeout: 30_000,
      });
    const statuses = () => parseJsonExact<StatusJson[]>(etcdctl(['endpoint', 'status', '-w', 'json'])).map((s) => ({ cluster: BigInt(s.Status.header.cluster_id).toString(16), leader: String(s.Status.leader), revision: Number(s.Status.header.revision) }));
    const keys = (prefix: string) => etcdctl(['get', prefix, '--prefix', '--keys-only']).split('\n').filter(Boolean).sort();

    before(async () => {
      sim = await startSimHosts(3, { names, standinSettleMs: 1000 });
      dir = mkdtempSync(join(tmpdir(), `etcd-tui-restore${version.replace('.', '')}-`));
      pki = makeClusterPki(join(dir, 'pki'), sim.hosts.map((h) => ({ name: h.name, ip: h.address })));
      writeFileSync(join(dir, 'known_hosts'), sim.hosts.map((h) => h.knownHostsLine()).join('\n') + '\n', { mode: 0o600 });
      config = join(dir, 'contexts.yaml');
      audit = join(dir, 'audit.jsonl');
      const context = {
        name: `restore${version.replace('.', '')}`,
        ssh: { identityFile: sim.clientKey, knownHosts: join(dir, 'known_hosts'), agent: false },
        // etcdutl / etcdctl are not on the hosts: the restore uploads them from beside binarySource.
        etcd: { version: bins!.version, binarySource: bins!.etcd, caDir: pki.dir, heartbeatInterval: 100, electionTimeout: 1000, quota: '256MiB' },
        hosts: sim.hosts.map((h) => ({ name: h.name, address: h.address })),
      };
      writeFileSync(config, YAML.stringify({ current: context.name, contexts: [context] }));
      const boot = await cli(['bootstrap', 'cluster', '--yes']);
      assert.equal(boot.code, 0, showCli(boot));
    });

    after(async () => {
      await sim?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('keys before the snapshot come back, later ones are gone; a new cluster ID, one leader, HashKV equal, old data kept aside', async () => {
      for (let i = 0; i < 20; i++) etcdctl(['put', `/before/k${String(i).padStart(2, '0')}`, `v${i}`]);
      const snap = join(dir, 'snap.db');
      const saved = await cli(['snapshot', 'save', snap]);
      assert.equal(saved.code, 0, showCli(saved));
      for (let i = 0; i < 10; i++) etcdctl(['put', `/after/k${i}`, `v${i}`]);
      const old = statuses();
      assert.equal(new Set(old.map((s) => s.cluster)).size, 1);
      const oldCluster = old[0].cluster;
      const snapRevision = JSON.parse((await cli(['snapshot', 'status', snap, '--json'])).stdout) as { revision: number };

      // 1. Restoring two of three hosts while the third still runs would end in two clusters: refused.
      const partial = await cli(['snapshot', 'restore', snap, names[0], names[1], '--yes']);
      assert.equal(partial.code, 5, showCli(partial));
      assert.match(partial.stdout, new RegExp(`${names[2]} \\([0-9a-f]+, https://[0-9.]+:2380\\) is not restored and still answers: .*two clusters`));
      assert.deepEqual(statuses().map((s) => s.cluster), old.map((s) => s.cluster), 'nothing changed');

      // The plan, without changing anything.
      const dry = await cli(['snapshot', 'restore', snap, '--dry-run']);
      assert.equal(dry.code, 0, showCli(dry));
      assert.match(dry.stdout, new RegExp(`snapshot: .*snap\\.db, .*revision ${snapRevision.revision}, \\d+ keys`));
      assert.match(dry.stdout, version === '3.5' ? /\$ ssh root@[0-9.]+ \/usr\/local\/bin\/etcdutl snapshot restore/ : /\$ ssh root@[0-9.]+ \/usr\/local\/bin\/etcdctl snapshot restore/);
      assert.match(dry.stdout, /Point of no return/);

      const bump = version === '3.5' ? ['--bump-revision', '1000'] : [];
      const r = await cli(['snapshot', 'restore', snap, '--yes', ...bump]);
      assert.equal(r.code, 0, showCli(r));
      assert.match(r.stdout, /SUCCEEDED/);
      const now = statuses();
      assert.equal(now.length, 3);
      assert.equal(new Set(now.map((s) => s.cluster)).size, 1, 'one cluster ID');
      assert.notEqual(now[0].cluster, oldCluster, 'a new cluster ID');
      assert.equal(new Set(now.map((s) => s.leader)).size, 1, 'one leader');
      assert.deepEqual(keys('/before/'), Array.from({ length: 20 }, (_, i) => `/before/k${String(i).padStart(2, '0')}`));
      assert.deepEqual(keys('/after/'), [], 'what was written after the snapshot is gone');
      if (version === '3.5') assert.ok(now.every((s) => s.revision >= snapRevision.revision + 1000), `revision bumped: ${JSON.stringify(now)}`);
      const hashes = (JSON.parse(etcdctl(['endpoint', 'hashkv', '-w', 'json'])) as Array<{ HashKV: { hash: number } }>).map((h) => h.HashKV.hash);
      assert.equal(new Set(hashes).size, 1, `HashKV equal: ${hashes.join(', ')}`);
      for (const h of sim.hosts) {
        const aside = await h.exec(['sh', '-c', 'ls -d /var/lib/etcd.etcd-tui-before-restore-*/member']);
        assert.equal(aside.code, 0, `${h.name}: the old data dir is kept aside: ${aside.stderr}`);
        assert.equal((await h.exec(['stat', '-c', '%a', '/var/lib/etcd'])).stdout.trim(), '700');
        assert.match((await h.readFile('/etc/etcd/etcd.env')) ?? '', /ETCD_INITIAL_CLUSTER_STATE=new/);
      }
      const st = await cli(['status']);
      assert.equal(st.code, 0, showCli(st));
    });

    if (version === '3.5') {
      test('a host whose restore fails puts every host back: the cluster as it was, running, nothing lost', async () => {
        const before = statuses();
        const cluster = before[0].cluster;
        etcdctl(['put', '/marker', 'still-here']);
        const snap = join(dir, 'snap2.db');
        const saved = await cli(['snapshot', 'save', snap]);
        assert.equal(saved.code, 0, showCli(saved));
        // The second host's etcdutl fails as a full disk would make it.
        const bad = sim.hosts[1];
        const w = await bad.exec(['sh', '-c', 'printf "#!/bin/sh\\necho \\"Error: write /var/lib/x: no space left on device\\" >&2\\nexit 1\\n" > /usr/local/bin/etcdutl && chmod 755 /usr/local/bin/etcdutl']);
        assert.equal(w.code, 0, w.stderr);
        const r = await cli(['snapshot', 'restore', snap, '--yes']);
        assert.equal(r.code, 6, showCli(r));
        assert.match(r.stdout, new RegExp(`${bad.name}: the restore failed \\(exit 1\\): .*no space left on device`));
        assert.match(r.stdout, /every host is back as it was/);
        for (const h of sim.hosts) assert.match(r.stdout, new RegExp(`undone: ${h.name}: started etcd\\.service again`));
        const after = statuses();
        assert.equal(after.length, 3);
        assert.ok(after.every((s) => s.cluster === cluster), 'the same cluster');
        assert.equal(etcdctl(['get', '/marker', '--print-value-only']).trim(), 'still-here');
        for (const h of sim.hosts) {
          const leftovers = await h.exec(['sh', '-c', 'ls -d /var/lib/etcd.etcd-tui-restore-* 2>/dev/null | grep -v etcd-tui-failed; true']);
          assert.equal(leftovers.stdout.trim(), '', `${h.name}: no restore dir left in place (moved aside as -failed)`);
        }
      });
    }
  });
}
