/**
 * README claims about the health verdict at their exact boundaries (src/health/verdict.ts): a voter
 * with more than 5000 committed-but-not-applied entries warns, 5000 does not; 4 leader changes
 * within the last 15 minutes warn, a change older than 15 minutes no longer counts, 3 do not warn.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeVerdict, type VerdictInput } from '../../src/health/verdict.js';
import { DEFAULT_HEALTH_OPTIONS, type Probe } from '../../src/domain/types.js';
import { member, up, IDS } from '../fakes/fixtures.js';

const members3 = [member('m1'), member('m2'), member('m3')];
const MIN = 60_000;

function input(probes: Record<string, Probe>, extra: Partial<VerdictInput> = {}): VerdictInput {
  return { members: members3, probes, alarms: [], leaderChangeTimes: [], now: 60 * MIN, options: DEFAULT_HEALTH_OPTIONS, ...extra };
}

/** Three voters at raft index 20 000; m3 has applied `applied` of them. */
function withApplied(applied: number): Record<string, Probe> {
  return {
    [IDS.m1]: up({ memberId: IDS.m1, raftIndex: 20_000, raftAppliedIndex: 20_000 }),
    [IDS.m2]: up({ memberId: IDS.m2, raftIndex: 20_000, raftAppliedIndex: 20_000 }),
    [IDS.m3]: up({ memberId: IDS.m3, raftIndex: 20_000, raftAppliedIndex: applied }),
  };
}

test('committed minus applied: 5000 is healthy, 5001 warns with the count and why', () => {
  const at = computeVerdict(input(withApplied(15_000)));
  assert.equal(at.level, 'healthy', JSON.stringify(at.reasons));
  assert.ok(!at.reasons.some((r) => /not yet applied/.test(r.text)));
  const over = computeVerdict(input(withApplied(14_999)));
  assert.equal(over.level, 'degraded');
  assert.ok(
    over.reasons.some((r) => r.level === 'warn' && r.text === 'm3 has 5001 committed entries not yet applied' && /above 5000/.test(r.fix ?? '')),
    JSON.stringify(over.reasons),
  );
});

test('the backlog of a learner does not make the cluster unhealthy', () => {
  const members = [...members3, member('m4', { isLearner: true })];
  const probes = { ...withApplied(20_000), [IDS.m4]: up({ memberId: IDS.m4, isLearner: true, raftIndex: 20_000, raftAppliedIndex: 1_000 }) };
  const v = computeVerdict(input(probes, { members }));
  assert.equal(v.level, 'healthy', JSON.stringify(v.reasons));
});

test('leader changes: 4 within the last 15 min warn; one of them older than 15 min leaves 3, which do not', () => {
  const now = 60 * MIN;
  const healthy = withApplied(20_000);
  const inWindow = [now - 15 * MIN, now - 10 * MIN, now - 5 * MIN, now - 1000];
  const warned = computeVerdict(input(healthy, { now, leaderChangeTimes: inWindow }));
  assert.equal(warned.level, 'degraded');
  assert.ok(warned.reasons.some((r) => r.level === 'warn' && r.text === '4 leader changes in the last 15 min' && /disks .* network/.test(r.fix ?? '')), JSON.stringify(warned.reasons));

  const oneOld = [now - 15 * MIN - 1, now - 10 * MIN, now - 5 * MIN, now - 1000];
  const aged = computeVerdict(input(healthy, { now, leaderChangeTimes: oneOld }));
  assert.equal(aged.level, 'healthy', JSON.stringify(aged.reasons));
  assert.ok(!aged.reasons.some((r) => /leader changes/.test(r.text)));

  const three = computeVerdict(input(healthy, { now, leaderChangeTimes: inWindow.slice(1) }));
  assert.equal(three.level, 'healthy');
});

test('the window moves with time: the same 4 changes stop warning once the oldest is 15 min old', () => {
  const changes = [0, 1 * MIN, 2 * MIN, 3 * MIN];
  const healthy = withApplied(20_000);
  assert.equal(computeVerdict(input(healthy, { now: 15 * MIN, leaderChangeTimes: changes })).level, 'degraded');
  assert.equal(computeVerdict(input(healthy, { now: 15 * MIN + 1, leaderChangeTimes: changes })).level, 'healthy');
});
