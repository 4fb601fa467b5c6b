/**
 * The console's data path against real etcd clusters: the gateway, poller and view agree with
 * etcdctl; leader loss, hung members, membership changes and mTLS behave as an operator expects.
 */
import { after, before, describe, test } from '../harness/skip.js'; // counts every test of a skipped describe
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { startCluster, type TestCluster, type EndpointStatusJson } from '../harness/cluster.js';
import { etcdSkipReason } from '../harness/binaries.js';
import { waitFor } from '../harness/wait.js';
import { EtcdGateway } from '../../src/cluster/etcd-gateway.js';
import { collectStatus } from '../../src/cli/status.js';
import { deadlinesFor } from '../../src/cli/deadlines.js';
import { DEFAULT_HEALTH_OPTIONS } from '../../src/domain/types.js';
import { ClusterError } from '../../src/domain/errors.js';
import { leaderAgreement } from '../../src/health/verdict.js';
import { settingsFor, startLive, idsByName, type Live } from './live.js';

async function compareWithEtcdctl(cluster: TestCluster): Promise<void> {
  const settings = settingsFor(cluster);
  const gateway = new EtcdGateway(settings, deadlinesFor(settings));
  try {
    const view = await collectStatus(gateway, DEFAULT_HEALTH_OPTIONS);
    const statuses = await cluster.etcdctlJson<EndpointStatusJson[]>(['endpoint', 'status', '--cluster']);
    const list = await cluster.etcdctlJson<{ members: Array<{ ID: string; name: string; clientURLs: string[] }> }>(['member', 'list']);
    assert.deepEqual(
      view.members.map((m) => [m.id, m.name]).sort(),
      list.members.map((m) => [m.ID, m.name]).sort(),
      'IDs and names match etcdctl member list',
    );
    const agreement = leaderAgreement(view.members, view.probes);
    for (const s of statuses) {
      const id = s.Status.header.member_id;
      const probe = view.probes[id];
      assert.ok(probe?.ok, `member ${id} answered`);
      assert.equal(probe.status.leader, s.Status.leader, 'leader as etcdctl sees it');
      assert.equal(agreement.leaderId, s.Status.leader);
      assert.equal(probe.status.raftTerm, s.Status.raftTerm ?? s.Status.header.raft_term, 'raft term');
      assert.ok(Math.abs(probe.status.raftIndex - (s.Status.raftIndex ?? 0)) <= 10, 'raft index close');
      assert.equal(probe.status.version, s.Status.version);
    }
    assert.equal(view.verdict.level, 'healthy', view.verdict.summary);
    assert.equal(view.verdict.summary, 'healthy: 3 voters, 3 healthy, tolerates 1 failure');
  } finally {
    gateway.close();
  }
}

describe('etcd 3.4: a 3-member cluster', () => {
  // Each test has its own cluster and console data path: any one of them runs alone.
  async function setup(t: TestContext): Promise<{ cluster: TestCluster; live: Live }> {
    const cluster = await startCluster({ members: 3, version: '3.4' });
    const live = startLive(settingsFor(cluster));
    t.after(async () => {
      live.stop();
      await cluster.stop();
    });
    await waitFor(() => live.store.getState().view.verdict.level === 'healthy', { what: 'healthy view', timeoutMs: 15_000 });
    return { cluster, live };
  }

  test('the view matches etcdctl endpoint status --cluster and member list', async (t) => {
    const cluster = await startCluster({ members: 3, version: '3.4' });
    t.after(() => cluster.stop());
    await compareWithEtcdctl(cluster);
  });

  test('a SIGSTOPped member is unreachable within its deadline while the others keep updating', async (t) => {
    const { cluster, live } = await setup(t);
    const { store } = live;
    const leader = await cluster.leaderName();
    const victim = cluster.members.find((m) => m.name !== leader)!.name;
    const others = cluster.members.filter((m) => m.name !== victim).map((m) => m.name);
    const ids = idsByName(store);
    await cluster.pause(victim);
    const pausedAt = Date.now();
    try {
      // Marked by its deadline (a timeout, not a refused connection); the bound is generous for a
      // shared machine: the deadline itself (about 1 s) is checked by the probe's kind.
      await waitFor(() => store.getState().view.probes[ids.get(victim)!]?.ok === false, { what: `${victim} marked unreachable`, timeoutMs: 15_000 });
      t.diagnostic(`${victim} marked unreachable ${Date.now() - pausedAt} ms after SIGSTOP`);
      const probe = store.getState().view.probes[ids.get(victim)!];
      assert.ok(probe && !probe.ok && probe.kind === 'timeout', `hung member times out: ${JSON.stringify(probe)}`);
      // The others keep answering while it hangs: four fresh probes of each.
      const seen = new Map<string, Set<number>>(others.map((n) => [n, new Set()]));
      await waitFor(
        () => {
          for (const n of others) {
            const p = store.getState().latest.probes[ids.get(n)!];
            if (p?.ok) seen.get(n)!.add(p.at);
          }
          return [...seen.values()].every((s) => s.size >= 4);
        },
        { what: 'four fresh rounds from the answering members while one hangs', timeoutMs: 20_000, intervalMs: 20 },
      );
      assert.equal(store.getState().view.verdict.level, 'degraded');
      assert.ok(store.getState().view.events.some((e) => e.kind === 'member-unreachable' && e.memberId === ids.get(victim)));
    } finally {
      await cluster.resume(victim);
    }
    await waitFor(() => store.getState().view.probes[ids.get(victim)!]?.ok === true, { what: `${victim} back`, timeoutMs: 10_000 });
    assert.ok(store.getState().view.events.some((e) => e.kind === 'member-back'));
  });

  test('a member added while the console runs joins the view', async (t) => {
    const { cluster, live } = await setup(t);
    const { store } = live;
    // etcd refuses membership changes until every member has been connected for 5 s (strict
    // reconfig check), e.g. right after the previous test resumed one: retry until it accepts.
    const { member, id } = await waitFor(
      async () => {
        try {
          return await cluster.addMember({ name: 'm4', learner: true });
        } catch (error) {
          if (/unhealthy cluster/.test(String(error))) return undefined;
          throw error;
        }
      },
      { what: 'member add accepted', timeoutMs: 15_000, intervalMs: 500 },
    );
    await waitFor(() => store.getState().view.probes[id]?.ok === true, { what: 'the new learner probed', timeoutMs: 10_000 });
    const m = store.getState().view.members.find((x) => x.id === id);
    assert.equal(m?.name, member.name);
    assert.equal(m?.isLearner, true);
    assert.ok(store.getState().view.events.some((e) => e.kind === 'member-joined' && e.memberId === id));
    assert.equal(store.getState().view.verdict.level, 'healthy', 'a learner catching up is not unhealthy');
    // Remove it again with etcdctl; the view follows.
    const r = await cluster.etcdctl(['member', 'remove', BigInt(id).toString(16)]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(() => !store.getState().view.members.some((x) => x.id === id), { what: 'the removed member gone', timeoutMs: 10_000 });
    assert.ok(store.getState().view.events.some((e) => e.kind === 'member-left' && e.memberId === id));
    await cluster.waitExit('m4', 15_000).catch(() => cluster.kill('m4'));
  });

  test('after killing the leader the new leader and the dead member show', async (t) => {
    const { cluster, live } = await setup(t);
    const { store } = live;
    const ids = idsByName(store);
    const oldLeader = await cluster.leaderName();
    await waitFor(() => store.getState().view.leader.id === ids.get(oldLeader), { what: 'view agrees on the leader', timeoutMs: 5000 });
    const changesBefore = store.getState().view.leader.changes;
    await cluster.kill(oldLeader);
    await waitFor(
      () => {
        const v = store.getState().view;
        return v.leader.id && v.leader.id !== ids.get(oldLeader) && v.probes[ids.get(oldLeader)!]?.ok === false;
      },
      { what: 'a new leader and the old one unreachable', timeoutMs: 15_000 },
    );
    const v = store.getState().view;
    const newLeader = await cluster.leaderName();
    assert.equal(v.leader.id, ids.get(newLeader));
    assert.equal(v.leader.changes, changesBefore + 1);
    assert.equal(v.verdict.level, 'degraded');
    assert.ok(v.verdict.reasons.some((r) => r.text.startsWith(`${oldLeader} unreachable`)));
    assert.ok(v.events.some((e) => e.kind === 'leader-changed' && e.text.startsWith(`leader changed: ${oldLeader} -> ${newLeader}`)));
  });

  test('with quorum lost the last membership stays and the verdict says so', async (t) => {
    const { cluster, live } = await setup(t);
    const { store } = live;
    await cluster.kill('m1');
    await cluster.kill('m2');
    await waitFor(() => !store.getState().view.verdict.quorum.hasQuorum, { what: 'quorum lost in the view', timeoutMs: 10_000 });
    const v = store.getState().view;
    assert.equal(v.members.length, 3, 'last known membership kept');
    assert.equal(v.verdict.level, 'critical');
    assert.match(v.verdict.summary, /QUORUM LOST/);
    assert.ok(v.events.some((e) => e.kind === 'quorum-lost'));
  });
});

describe('etcd 3.4 with mutual TLS', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster({ members: 3, version: '3.4', tls: true });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('connects with the CA, client certificate and key', async () => {
    await compareWithEtcdctl(cluster);
  });

  test('a wrong CA gives a clear TLS error', async () => {
    const settings = settingsFor(cluster, { tls: { cacert: cluster.tls!.otherCaCert, cert: cluster.tls!.clientCert, key: cluster.tls!.clientKey } });
    const gateway = new EtcdGateway(settings, deadlinesFor(settings));
    try {
      await assert.rejects(gateway.memberList(), (e: unknown) => e instanceof ClusterError && e.kind === 'tls' && /TLS failed/.test(e.message) && /--cacert/.test(e.message));
    } finally {
      gateway.close();
    }
  });

  test('a missing client certificate gives a clear error', async () => {
    const settings = settingsFor(cluster, { tls: { cacert: cluster.tls!.caCert } });
    const gateway = new EtcdGateway(settings, deadlinesFor(settings));
    try {
      await assert.rejects(gateway.memberList(), (e: unknown) => {
        assert.ok(e instanceof ClusterError);
        assert.ok(['tls', 'unreachable'].includes(e.kind), `${e.kind}: ${e.message}`);
        assert.match(e.message, /TLS|certificate|no connection/i);
        return true;
      });
    } finally {
      gateway.close();
    }
  });
});

describe('etcd 3.5: a 3-member cluster', { skip: etcdSkipReason('3.5') }, () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster({ members: 3, version: '3.5' });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('the view matches etcdctl endpoint status --cluster and member list', async () => {
    await compareWithEtcdctl(cluster);
  });
});
