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
