import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeVerdict, leaderAgreement, type VerdictInput } from '../../src/health/verdict.js';
import { DEFAULT_HEALTH_OPTIONS, type Probe } from '../../src/domain/types.js';
import { member, up, down, IDS } from '../fakes/fixtures.js';

const members3 = [member('m1'), member('m2'), member('m3')];

function input(probes: Record<string, Probe>, extra: Partial<VerdictInput> = {}): VerdictInput {
  return { members: members3, probes, alarms: [], leaderChangeTimes: [], now: 10_000, options: DEFAULT_HEALTH_OPTIONS, ...extra };
}

const healthy = { [IDS.m1]: up({ memberId: IDS.m1 }), [IDS.m2]: up({ memberId: IDS.m2 }), [IDS.m3]: up({ memberId: IDS.m3 }) };

test('a healthy 3-member cluster is healthy and tolerates 1 failure', () => {
  const v = computeVerdict(input(healthy));
  assert.equal(v.level, 'healthy');
  assert.equal(v.summary, 'healthy: 3 voters, 3 healthy, tolerates 1 failure');
  assert.ok(v.reasons.some((r) => r.text.startsWith('one leader: m1')));
});

test('one member down: degraded, tolerance 0', () => {
  const v = computeVerdict(input({ ...healthy, [IDS.m3]: down() }));
  assert.equal(v.level, 'degraded');
  assert.equal(v.quorum.tolerance, 0);
  assert.ok(v.reasons.some((r) => r.level === 'warn' && r.text.startsWith('m3 unreachable')));
});

test('quorum lost is critical', () => {
  const v = computeVerdict(input({ [IDS.m1]: up(), [IDS.m2]: down(), [IDS.m3]: down() }));
  assert.equal(v.level, 'critical');
  assert.match(v.summary, /QUORUM LOST/);
});

test('a member in a minority that still sees the old leader is flagged', () => {
  const v = computeVerdict(
    input({
      [IDS.m1]: up({ leader: IDS.m2, raftTerm: 3 }),
      [IDS.m2]: up({ leader: IDS.m2, raftTerm: 3 }),
      [IDS.m3]: up({ leader: IDS.m1, raftTerm: 2 }),
    }),
  );
  assert.equal(v.level, 'degraded');
  assert.ok(v.reasons.some((r) => /disagree on the leader: most see m2; m3 sees m1/.test(r.text)));
  assert.ok(v.reasons.some((r) => /raft term differs/.test(r.text)));
});

test('leader agreement: ties go to the higher term', () => {
  const a = leaderAgreement([member('m1'), member('m2')], { [IDS.m1]: up({ leader: IDS.m1, raftTerm: 2 }), [IDS.m2]: up({ leader: IDS.m2, raftTerm: 5 }) });
  assert.equal(a.leaderId, IDS.m2);
  assert.deepEqual(a.dissenters, [IDS.m1]);
});

test('no leader anywhere is critical', () => {
  const v = computeVerdict(input({ [IDS.m1]: up({ leader: '0' }), [IDS.m2]: up({ leader: '0' }), [IDS.m3]: up({ leader: '0' }) }));
  assert.equal(v.level, 'critical');
  assert.ok(v.reasons.some((r) => r.text.startsWith('no leader')));
});

test('index gap above the threshold warns', () => {
  const v = computeVerdict(input({ ...healthy, [IDS.m3]: up({ raftIndex: 10, raftAppliedIndex: 10 }) }));
  assert.equal(v.level, 'degraded');
  assert.ok(v.reasons.some((r) => r.text === 'm3 trails the leader by 90 entries (threshold 50)'));
});

test('a learner behind is catching up, not unhealthy', () => {
  const members = [...members3, member('m4', { isLearner: true })];
  const v = computeVerdict(input({ ...healthy, [IDS.m4]: up({ isLearner: true, raftIndex: 50, raftAppliedIndex: 40 }) }, { members }));
  assert.equal(v.level, 'healthy');
  assert.ok(v.reasons.some((r) => r.level === 'info' && r.text === 'learner m4 catching up: 40%'));
});

test('alarms are critical', () => {
  const v = computeVerdict(input(healthy, { alarms: [{ memberId: IDS.m2, alarm: 'NOSPACE' }] }));
  assert.equal(v.level, 'critical');
  assert.match(v.summary, /alarm NOSPACE on m2/);
});

test('DB above 80% of the quota warns, above 95% is critical', () => {
  const options = { ...DEFAULT_HEALTH_OPTIONS, quotaBytes: 100_000 };
  assert.equal(computeVerdict(input({ ...healthy, [IDS.m2]: up({ dbSize: 85_000 }) }, { options })).level, 'degraded');
  assert.equal(computeVerdict(input({ ...healthy, [IDS.m2]: up({ dbSize: 96_000 }) }, { options })).level, 'critical');
});

test('frequent leader changes warn', () => {
  const v = computeVerdict(input(healthy, { leaderChangeTimes: [1000, 2000, 3000, 4000] }));
  assert.equal(v.level, 'degraded');
  assert.ok(v.reasons.some((r) => /4 leader changes/.test(r.text)));
});

test('no member list yet is unknown', () => {
  const v = computeVerdict(input({}, { members: [], membershipError: 'connection refused' }));
  assert.equal(v.level, 'unknown');
});
