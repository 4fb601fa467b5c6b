/**
 * Quorum-loss recovery from the best survivor over SSH against simulated hosts (real etcd 3.4 with
 * mTLS, own sshd and the systemctl stand-in per host), the built binary run headless:
 *   1. refused while quorum is present (one member of three down);
 *   2. two members' etcd stopped and their data destroyed: `recover quorum --yes` makes the survivor
 *      a one-member cluster, then both hosts join back as learners and are promoted: 3 voters again
 *      with every key the survivor had.
 */
import { after, before, describe, test } from '../harness/skip.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { simHostsSkipReason, type SimHosts } from '../harness/hosts.js';
import { bootstrappedSimCluster, type SimCluster } from '../harness/sim-cluster.js';
import { type ClusterPki } from '../harness/certs.js';
import { runCli, showCli } from '../harness/cli.js';
import { parseJsonExact } from '../harness/json.js';

const skip = simHostsSkipReason();

describe('recover quorum from the best survivor (simulated hosts, etcd 3.4)', { skip: skip ? `skipped: ${skip}` : false }, () => {
  let cluster: SimCluster | undefined;
  let sim: SimHosts;
  let pki: ClusterPki;
  let config: string;
  let audit: string;
  const names = ['q1', 'q2', 'q3'];

  const cli = (args: string[], timeoutMs = 300_000) => runCli(['--config', config, '--audit-log', audit, ...args], { timeoutMs });
  const ep = (name: string) => `https://${sim.hosts.find((h) => h.name === name)!.address}:2379`;
  const etcdctl = (args: string[], eps: string[]) =>
    execFileSync('etcdctl', [`--endpoints=${eps.join(',')}`, `--cacert=${pki.ca}`, `--cert=${pki.admin}`, `--key=${pki.adminKey}`, '--command-timeout=10s', ...args], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000 });

  before(async () => {
    cluster = await bootstrappedSimCluster({ names, context: 'recover', dirPrefix: 'etcd-tui-recover-' });
    ({ sim, pki, config, audit } = cluster);
  });

  after(async () => {
    await cluster?.stop();
  });

  test('refused while quorum is present; with two members destroyed, the survivor leads and both rejoin: 3 voters, every key', async () => {
    for (let i = 0; i < 30; i++) etcdctl(['put', `/keep/k${String(i).padStart(2, '0')}`, `v${i}`], names.map(ep));
    const [q1, q2, q3] = sim.hosts;
    // q3 down: quorum is still there, so recovery by force is refused.
    await q3.exec(['systemctl', 'stop', 'etcd.service']);
    const refused = await cli(['recover', 'quorum', '--yes']);
    assert.equal(refused.code, 5, showCli(refused));
    assert.match(refused.stdout, /quorum is present \(2 of 3 voters answer, quorum 2\)/);
    assert.equal(etcdctl(['get', '/keep/k00', '--print-value-only'], [ep('q1')]).trim(), 'v0', 'nothing changed');

    // q2 down too, and both lose their data for good.
    await q2.exec(['systemctl', 'stop', 'etcd.service']);
    for (const h of [q2, q3]) {
      const r = await h.exec(['rm', '-rf', '/var/lib/etcd']);
      assert.equal(r.code, 0, r.stderr);
    }
    const dry = await cli(['recover', 'quorum', '--dry-run']);
    assert.equal(dry.code, 0, showCli(dry));
    assert.match(dry.stdout, /the survivor with the highest raft index is q1/);
    assert.match(dry.stdout, /then q2, q3 would join back one at a time/);

    const r = await cli(['recover', 'quorum', '--yes']);
    assert.equal(r.code, 0, showCli(r));
    assert.match(r.stdout, /q1 leads a one-member cluster; joining q2, q3 back/);
    assert.match(r.stdout, /RECOVERED: 3 voters/);
    const members = parseJsonExact<{ members: Array<{ name: string; isLearner?: boolean }> }>(etcdctl(['member', 'list', '-w', 'json'], [ep('q1')])).members;
    assert.deepEqual(members.map((m) => m.name).sort(), names);
    assert.ok(members.every((m) => !m.isLearner), JSON.stringify(members));
    for (const n of names) {
      const keys = etcdctl(['get', '/keep/', '--prefix', '--keys-only', '--consistency=s'], [ep(n)]).split('\n').filter(Boolean);
      assert.equal(keys.length, 30, `${n} has every key the survivor had`);
    }
    assert.doesNotMatch((await q1.readFile('/etc/etcd/etcd.env')) ?? '', /ETCD_FORCE_NEW_CLUSTER/, 'the flag is gone from the survivor\'s env file');
    const st = await cli(['status']);
    assert.equal(st.code, 0, showCli(st));
  });
});
