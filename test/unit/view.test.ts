import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyRefreshes, emptyView, type Refresh } from '../../src/health/view.js';
import { leaderLine } from '../../src/format/members.js';
import { statusJson, statusText } from '../../src/cli/status.js';
import { DEFAULT_HEALTH_OPTIONS, type Member } from '../../src/domain/types.js';
import { member, up, down, IDS } from '../fakes/fixtures.js';

const opts = DEFAULT_HEALTH_OPTIONS;
const members3 = [member('m1'), member('m2'), member('m3')];
const list = (members: Member[], at = 1000): Refresh => ({ type: 'membership', at, result: { ok: true, clusterId: '7', members } });
const probe = (id: string, p = up(), at = 1000): Refresh => ({ type: 'probe', at, memberId: id, probe: p });

function healthyRound(at: number, leader = IDS.m1, term = 2): Refresh[] {
  return [list(members3, at), ...[IDS.m1, IDS.m2, IDS.m3].map((id) => probe(id, up({ leader, raftTerm: term }, at), at))];
}

test('the first round records the leader, without counting a change', () => {
  const v = applyRefreshes(emptyView(opts, 0), healthyRound(1000), opts);
  assert.equal(v.leader.id, IDS.m1);
  assert.equal(v.leader.changes, 0);
  assert.equal(v.verdict.level, 'healthy');
  assert.deepEqual(v.events.map((e) => e.kind), ['leader-changed']);
  assert.equal(v.events[0].text, 'leader is m1 (term 2)');
});

test('leader change, unreachable and back, join and leave, alarms produce events', () => {
  let v = applyRefreshes(emptyView(opts, 0), healthyRound(1000), opts);
  v = applyRefreshes(v, [probe(IDS.m1, down('connection refused', 2000), 2000), probe(IDS.m2, up({ leader: IDS.m2, raftTerm: 3 }), 2000), probe(IDS.m3, up({ leader: IDS.m2, raftTerm: 3 }), 2000)], opts);
  assert.equal(v.leader.id, IDS.m2);
  assert.equal(v.leader.changes, 1);
  assert.equal(v.downSince[IDS.m1], 2000);
  const kinds = v.events.map((e) => e.kind);
  assert.ok(kinds.includes('member-unreachable'));
  assert.equal(v.events.find((e) => e.kind === 'leader-changed' && e.at === 2000)?.text, 'leader changed: m1 -> m2 (term 3)');

  v = applyRefreshes(v, [probe(IDS.m1, up({ leader: IDS.m2, raftTerm: 3 }), 3000)], opts);
  assert.ok(v.events.some((e) => e.kind === 'member-back' && e.at === 3000));
  assert.equal(v.downSince[IDS.m1], undefined);

  v = applyRefreshes(v, [list([...members3, member('m4', { isLearner: true })], 4000)], opts);
  assert.ok(v.events.some((e) => e.kind === 'member-joined' && e.text === 'm4 joined as a learner'));
  v = applyRefreshes(v, [list([...members3, member('m4')], 5000)], opts);
  assert.ok(v.events.some((e) => e.kind === 'member-promoted'));
  v = applyRefreshes(v, [list(members3, 6000)], opts);
  assert.ok(v.events.some((e) => e.kind === 'member-left' && e.text === 'm4 left the cluster'));

  v = applyRefreshes(v, [{ type: 'alarms', at: 7000, result: { ok: true, alarms: [{ memberId: IDS.m3, alarm: 'NOSPACE' }] } }], opts);
  assert.ok(v.events.some((e) => e.kind === 'alarm-raised'));
  v = applyRefreshes(v, [{ type: 'alarms', at: 8000, result: { ok: true, alarms: [] } }], opts);
  assert.ok(v.events.some((e) => e.kind === 'alarm-cleared'));
});

test('when the member list fails, the last known membership stays and quorum loss is said', () => {
  let v = applyRefreshes(emptyView(opts, 0), healthyRound(1000), opts);
  v = applyRefreshes(
    v,
    [
      { type: 'membership', at: 2000, result: { ok: false, error: 'request timed out', kind: 'no-quorum' } },
      probe(IDS.m2, down('x', 2000), 2000),
      probe(IDS.m3, down('x', 2000), 2000),
    ],
    opts,
  );
  assert.equal(v.members.length, 3);
  assert.equal(v.verdict.level, 'critical');
  assert.ok(v.events.some((e) => e.kind === 'quorum-lost'));
  assert.ok(v.verdict.reasons.some((r) => /showing the last known membership/.test(r.text)));
});

test('history keeps the last samples for sparklines', () => {
  let v = applyRefreshes(emptyView(opts, 0), healthyRound(1000), opts);
  for (let i = 0; i < 70; i++) v = applyRefreshes(v, [probe(IDS.m1, up({ raftIndex: 100 + i }), 2000 + i)], opts);
  assert.equal(v.history[IDS.m1].raftIndex.length, 60);
  assert.equal(v.history[IDS.m1].raftIndex.at(-1), 169);
});

test('probes of members that left are dropped', () => {
  let v = applyRefreshes(emptyView(opts, 0), healthyRound(1000), opts);
  v = applyRefreshes(v, [list([member('m1'), member('m2')], 2000)], opts);
  assert.equal(v.probes[IDS.m3], undefined);
});

test('quorum lost: the view keeps no leader, says since when and who it was, and records the loss', () => {
  let v = applyRefreshes(emptyView(opts, 0), healthyRound(1000), opts);
  assert.equal(v.leader.id, IDS.m1);
  // m2 still names m1 (it has not noticed yet): without quorum that does not count.
  v = applyRefreshes(v, [probe(IDS.m1, down('x', 5000), 5000), probe(IDS.m2, up({ leader: IDS.m1 }, 5000), 5000), probe(IDS.m3, down('x', 5000), 5000)], opts);
  assert.equal(v.leader.id, undefined);
  assert.equal(v.leader.lostAt, 5000);
  assert.equal(v.leader.lastId, IDS.m1);
  assert.ok(v.events.some((e) => e.kind === 'leader-lost' && e.text === 'no leader (was m1): quorum lost'));
  assert.ok(v.events.some((e) => e.kind === 'quorum-lost'));
  assert.match(leaderLine(v, 8000), /^No leader since \d\d:\d\d:\d\d \(3\.0s\), was m1 \(8e9e05c52164694d\); quorum lost; leader changes seen: 0$/);
  // A later round does not move "since".
  v = applyRefreshes(v, [probe(IDS.m2, up({ leader: '0' }, 6000), 6000)], opts);
  assert.equal(v.leader.lostAt, 5000);
  // Back with a new leader: one change, and the event names the old one.
  v = applyRefreshes(v, [probe(IDS.m1, up({ leader: IDS.m2, raftTerm: 3 }, 7000), 7000), probe(IDS.m2, up({ leader: IDS.m2, raftTerm: 3 }, 7000), 7000), probe(IDS.m3, up({ leader: IDS.m2, raftTerm: 3 }, 7000), 7000)], opts);
  assert.equal(v.leader.id, IDS.m2);
  assert.equal(v.leader.changes, 1);
  assert.ok(v.events.some((e) => e.text === 'leader changed: m1 -> m2 (term 3)'));
  assert.match(leaderLine(v, 8000), /^Leader m2 \(/);
});

test('the first round, arriving member by member, records no quorum loss or return', () => {
  let v = applyRefreshes(emptyView(opts, 0), [list(members3, 1000)], opts);
  v = applyRefreshes(v, [probe(IDS.m1, up({}, 1010), 1010)], opts);
  v = applyRefreshes(v, [probe(IDS.m2, up({}, 1020), 1020), probe(IDS.m3, up({}, 1020), 1020)], opts);
  assert.deepEqual(v.events.map((e) => e.kind), ['leader-changed']);
});

test('members are listed by name, as in `status`; the cluster version is kept from the last read', () => {
  let v = applyRefreshes(emptyView(opts, 0), [list([member('m3'), member('m1'), member('m2')], 1000)], opts);
  assert.deepEqual(v.members.map((m) => m.name), ['m1', 'm2', 'm3']);
  v = applyRefreshes(v, [{ type: 'version', at: 1100, result: { ok: true, cluster: '3.5.0' } }], opts);
  assert.equal(v.clusterVersion, '3.5.0');
  v = applyRefreshes(v, [{ type: 'version', at: 1200, result: { ok: false, error: 'timeout', kind: 'timeout' } }], opts);
  assert.equal(v.clusterVersion, '3.5.0');
});

test('`status` lists members by name, as the console does (not by ID)', () => {
  const named = [member('m1', { name: 'gamma' }), member('m2', { name: 'beta' }), member('m3', { name: 'alpha' })];
  const v = applyRefreshes(emptyView(opts, 0), [list(named, 1000), ...[IDS.m1, IDS.m2, IDS.m3].map((id) => probe(id, up({}, 1000), 1000))], opts);
  const rows = statusText(v, opts, 1000)
    .split('\n')
    .filter((l) => /^(alpha|beta|gamma) /.test(l))
    .map((l) => l.split(' ')[0]);
  assert.deepEqual(rows, ['alpha', 'beta', 'gamma']);
  assert.deepEqual((statusJson(v, opts, 1000) as { members: Array<{ name: string }> }).members.map((m) => m.name), ['alpha', 'beta', 'gamma']);
});
