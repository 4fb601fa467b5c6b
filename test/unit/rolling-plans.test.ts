import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyRefreshes, emptyView, type Refresh, type ClusterView } from '../../src/health/view.js';
import { DEFAULT_HEALTH_OPTIONS, type Member, type Probe } from '../../src/domain/types.js';
import { moveLeaderTarget, rollingGate, rollingOrder } from '../../src/plans/rolling.js';
import { member, up, down, IDS } from '../fakes/fixtures.js';

function viewOf(members: Member[], probes: Record<string, Probe>): ClusterView {
  const batch: Refresh[] = [{ type: 'membership', at: 1000, result: { ok: true, clusterId: '7', members } }, ...Object.entries(probes).map(([id, probe]): Refresh => ({ type: 'probe', at: 1000, memberId: id, probe }))];
  return applyRefreshes(emptyView(DEFAULT_HEALTH_OPTIONS, 1000), batch, DEFAULT_HEALTH_OPTIONS);
}

// m1 leads (fixtures: every status names IDS.m1 as leader).
const withLearner = [member('m1'), member('m3'), member('m2'), member('m4', { isLearner: true })];
const healthy = viewOf(withLearner, { [IDS.m1]: up({ memberId: IDS.m1 }), [IDS.m2]: up({ memberId: IDS.m2 }), [IDS.m3]: up({ memberId: IDS.m3 }), [IDS.m4]: up({ memberId: IDS.m4, isLearner: true }) });

test('rolling order: followers by name, then learners, the leader last with a move first', () => {
  const r = rollingOrder(healthy);
  assert.ok(!('refusal' in r));
  assert.deepEqual(r.order.map((m) => m.name), ['m2', 'm3', 'm4', 'm1']);
  assert.equal(r.leader?.name, 'm1');
  assert.ok(r.notes.some((n) => /leadership moves to a member already done \(m2 or m3\)/.test(n)));
  const some = rollingOrder(healthy, ['m1', 'm3']);
  assert.ok(!('refusal' in some) && some.order.map((m) => m.name).join() === 'm3,m1');
  const bad = rollingOrder(healthy, ['m9']);
  assert.ok('refusal' in bad && /unknown member\(s\) m9/.test(bad.refusal));
});

test('leadership moves to the first done voter that answers and is caught up, never to a learner', () => {
  assert.equal(moveLeaderTarget(healthy, [IDS.m4, IDS.m2, IDS.m3], 50)?.name, 'm2');
  const m2Down = viewOf(withLearner, { [IDS.m1]: up(), [IDS.m2]: down(), [IDS.m3]: up(), [IDS.m4]: up({ isLearner: true }) });
  assert.equal(moveLeaderTarget(m2Down, [IDS.m2, IDS.m3], 50)?.name, 'm3');
  const behind = viewOf(withLearner, { [IDS.m1]: up({ raftIndex: 1000 }), [IDS.m2]: up({ raftIndex: 100 }), [IDS.m3]: up({ raftIndex: 1000 }), [IDS.m4]: up({ isLearner: true }) });
  assert.equal(moveLeaderTarget(behind, [IDS.m2], 50), undefined);
});

test('the gate: healthy cluster passes; a member down, lagging apply or a restart below quorum stops it', () => {
  assert.equal(rollingGate(healthy, IDS.m2, { gapThreshold: 50 }), undefined);
  assert.equal(rollingGate(healthy, IDS.m4, { gapThreshold: 50 }), undefined, 'a learner restart costs no quorum');
  const three = [member('m1'), member('m2'), member('m3')];
  const oneDown = viewOf(three, { [IDS.m1]: up(), [IDS.m2]: up(), [IDS.m3]: down() });
  assert.match(rollingGate(oneDown, IDS.m2, { gapThreshold: 50 }) ?? '', /not healthy/);
  const lagging = viewOf(three, { [IDS.m1]: up(), [IDS.m2]: up({ raftIndex: 100, raftAppliedIndex: 20 }), [IDS.m3]: up() });
  assert.match(rollingGate(lagging, IDS.m3, { gapThreshold: 50 }) ?? '', /m2 has 80 committed entries not applied yet/);
  const two = [member('m1'), member('m2')];
  const small = viewOf(two, { [IDS.m1]: up(), [IDS.m2]: up() });
  assert.match(rollingGate(small, IDS.m2, { gapThreshold: 50 }) ?? '', /tolerates 0 failures|below quorum 2/);
});

test('planRolling: per member gate, swap, restart, back, done; the leader last after a move to a done member; a snapshot and the cluster version for a minor upgrade', async () => {
  const { planRolling } = await import('../../src/plans/rolling.js');
  const three = [member('m1'), member('m2'), member('m3')];
  const v = viewOf(three, { [IDS.m1]: up({ memberId: IDS.m1 }), [IDS.m2]: up({ memberId: IDS.m2 }), [IDS.m3]: up({ memberId: IDS.m3 }) });
  const hosts = three.map((m) => ({
    name: m.name,
    ssh: { address: '10.9.0.1', port: 22, user: 'root', identityFiles: [], agent: false, knownHosts: '/dev/null', sudo: false, connectTimeoutMs: 1000 },
    etcdAddress: '10.9.0.1',
    clientPort: 2379,
    peerPort: 2380,
    dataDir: '/var/lib/etcd',
    certDir: '/etc/etcd/pki',
    binaryPath: '/usr/local/bin/etcd',
    envFile: '/etc/etcd/etcd.env',
    unitName: 'etcd',
    unitDir: '/etc/systemd/system',
    envOverrides: {},
  }));
  const timeouts = { gateMs: 1, restartMs: 1, backMs: 1, moveLeaderMs: 1, snapshotMs: 1 };
  const r = planRolling(v, { hosts, change: { kind: 'upgrade', source: { kind: 'local', path: '/srv/etcd' }, version: '3.5.16', snapshotFile: '/b/s.db' }, gapThreshold: 50, timeouts });
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.plan.steps.map((s) => s.id), [
    'snapshot',
    'gate-m2', 'swap-m2', 'restart-m2', 'back-m2', 'done-m2',
    'gate-m3', 'swap-m3', 'restart-m3', 'back-m3', 'done-m3',
    'move-m1', 'gate-m1', 'swap-m1', 'restart-m1', 'back-m1', 'done-m1',
    'cluster-version',
  ]);
  const move = r.plan.steps.find((s) => s.id === 'move-m1')?.action;
  assert.ok(move?.kind === 'move-leader' && move.toId === IDS.m2);
  const restart = planRolling(v, { hosts, change: { kind: 'restart' }, gapThreshold: 50, timeouts });
  assert.ok(restart.ok && !restart.plan.steps.some((s) => s.id.startsWith('swap-') || s.id === 'snapshot' || s.id === 'cluster-version'));
  const notHost = planRolling(v, { hosts: hosts.slice(0, 2), change: { kind: 'restart' }, gapThreshold: 50, timeouts });
  assert.ok(!notHost.ok && /m3 is not a host of this context/.test(notHost.refusal));
  const oneDown = viewOf(three, { [IDS.m1]: up(), [IDS.m2]: up(), [IDS.m3]: down() });
  const gated = planRolling(oneDown, { hosts, change: { kind: 'restart' }, gapThreshold: 50, timeouts });
  assert.ok(!gated.ok && /not ready for a rolling run/.test(gated.refusal));
});

test('the gate lets a rolling upgrade through a cluster that is mixed on purpose', () => {
  const three = [member('m1'), member('m2'), member('m3')];
  const mixed = viewOf(three, { [IDS.m1]: up({ memberId: IDS.m1, version: '3.5.16' }), [IDS.m2]: up({ memberId: IDS.m2 }), [IDS.m3]: up({ memberId: IDS.m3 }) });
  assert.notEqual(mixed.verdict.level, 'healthy', 'the verdict says mixed versions');
  assert.equal(rollingGate(mixed, IDS.m2, { gapThreshold: 50 }), undefined);
});
