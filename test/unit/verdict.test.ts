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

const fixOf = (v: ReturnType<typeof computeVerdict>, pattern: RegExp) => v.reasons.find((r) => pattern.test(r.text))?.fix ?? '';

test('every failing check says the next step and its key', () => {
  const oneDown = computeVerdict(input({ ...healthy, [IDS.m3]: down() }));
  assert.match(fixOf(oneDown, /^m3 unreachable/), /restart etcd on its host.*R to replace it/);
  const nospace = computeVerdict(input(healthy, { alarms: [{ memberId: IDS.m2, alarm: 'NOSPACE' }] }));
  assert.match(fixOf(nospace, /alarm NOSPACE/), /^A: compact, defragment every member, disarm NOSPACE$/);
  const corrupt = computeVerdict(input(healthy, { alarms: [{ memberId: IDS.m2, alarm: 'CORRUPT' }] }));
  assert.match(fixOf(corrupt, /alarm CORRUPT on m2/), /^R to replace the member/);
  const options = { ...DEFAULT_HEALTH_OPTIONS, quotaBytes: 100_000 };
  const near = computeVerdict(input({ ...healthy, [IDS.m2]: up({ dbSize: 85_000 }) }, { options }));
  assert.match(fixOf(near, /^m2 DB/), /^C to compact the history, then D to defragment$/);
  const flapping = computeVerdict(input(healthy, { leaderChangeTimes: [1000, 2000, 3000, 4000] }));
  assert.match(fixOf(flapping, /leader changes/), /disks \(fsync latency\) and the network/);
  const lost = computeVerdict(input({ [IDS.m1]: up(), [IDS.m2]: down(), [IDS.m3]: down() }));
  const guide = fixOf(lost, /QUORUM LOST/);
  assert.match(guide, /restart the DOWN voters on their hosts \(no data lost\)/);
  assert.match(guide, /most advanced survivor .*loses the writes only the lost members had/);
  assert.match(guide, /restore the last snapshot .*loses every write since it/);
  assert.match(guide, /Q to recover from the most advanced survivor .* O to restore the last snapshot/);
  // Replace needs quorum: without it, a DOWN member's step is the restart alone.
  assert.doesNotMatch(fixOf(lost, /^m2 unreachable/), /R to replace/);
  // Passed checks carry no step; the summary (used by `status` and the gates) ends with it.
  assert.ok(computeVerdict(input(healthy)).reasons.every((r) => r.fix === undefined));
  assert.match(nospace.summary, /^critical: alarm NOSPACE on m2: .* -> A: compact/);
});

test('quorum lost: the checks that need a leader are unknown, not passed, even when a survivor still names one', () => {
  const v = computeVerdict(input({ [IDS.m1]: up({ leader: IDS.m1 }), [IDS.m2]: down(), [IDS.m3]: down() }));
  assert.equal(v.level, 'critical');
  const leader = v.reasons.find((r) => /one leader/.test(r.text));
  assert.equal(leader?.level, 'unknown');
  const index = v.reasons.find((r) => /raft index within 50/.test(r.text));
  assert.equal(index?.level, 'unknown');
  assert.ok(!v.reasons.some((r) => r.level === 'ok' && /leader/.test(r.text)));
});

test('mixed server versions are degraded, with the cluster version', () => {
  const v = computeVerdict(input({ ...healthy, [IDS.m1]: up({ version: '3.5.16' }) }, { clusterVersion: '3.4.0' }));
  assert.equal(v.level, 'degraded');
  const r = v.reasons.find((x) => x.text.startsWith('mixed versions'));
  assert.equal(r?.text, 'mixed versions: m1 3.5.16; m2, m3 3.4.23 (cluster version 3.4.0)');
  assert.match(r?.fix ?? '', /rolling upgrade one member at a time/);
  const same = computeVerdict(input(healthy, { clusterVersion: '3.4.0' }));
  assert.equal(same.level, 'healthy');
  assert.ok(same.reasons.some((x) => x.level === 'ok' && x.text === 'every answering member runs etcd 3.4.23 (cluster version 3.4.0)'));
});

test('a raised NOSPACE is not "NOSPACE soon"; an alarm of a member not in the list names it in hex', () => {
  const options = { ...DEFAULT_HEALTH_OPTIONS, quotaBytes: 100_000, quotaAssumed: false };
  const v = computeVerdict(input({ ...healthy, [IDS.m2]: up({ dbSize: 99_000 }) }, { options, alarms: [{ memberId: IDS.m2, alarm: 'NOSPACE' }] }));
  assert.ok(!v.reasons.some((r) => /NOSPACE soon/.test(r.text)), v.reasons.map((r) => r.text).join('\n'));
  const soon = computeVerdict(input({ ...healthy, [IDS.m2]: up({ dbSize: 99_000 }) }, { options }));
  assert.ok(soon.reasons.some((r) => /NOSPACE soon/.test(r.text)));
  const stranger = computeVerdict(input(healthy, { alarms: [{ memberId: IDS.m4, alarm: 'NOSPACE' }] }));
  assert.match(stranger.summary, /alarm NOSPACE on 10000000000001:/);
  assert.doesNotMatch(stranger.summary, new RegExp(IDS.m4));
});

test('a quota that was not given is said to be assumed; a given one is not', () => {
  const assumed = computeVerdict(input(healthy));
  assert.ok(assumed.reasons.some((r) => r.text === "DB below 80% of the 2.1 GB quota (assumed: etcd's default; give --quota-bytes) on every member"));
  const given = computeVerdict(input(healthy, { options: { ...DEFAULT_HEALTH_OPTIONS, quotaBytes: 8e9, quotaAssumed: false } }));
  assert.ok(given.reasons.some((r) => r.text === 'DB below 80% of the 8.0 GB quota on every member'));
  // A quota that merely differs from the default (as the CLI commands pass it) counts as given.
  const passed = computeVerdict(input(healthy, { options: { ...DEFAULT_HEALTH_OPTIONS, quotaBytes: 8e9 } }));
  assert.ok(passed.reasons.some((r) => r.text === 'DB below 80% of the 8.0 GB quota on every member'));
});

test('alarms the members echo in their status are said once, by name, never with a decimal ID', () => {
  const echo = `memberID:${IDS.m2} alarm:NOSPACE `; // etcd prints the protobuf text form, with a trailing space
  const probes = { [IDS.m1]: up({ errors: [echo] }), [IDS.m2]: up({ errors: [echo] }), [IDS.m3]: up({ errors: [echo] }) };
  const listed = computeVerdict(input(probes, { alarms: [{ memberId: IDS.m2, alarm: 'NOSPACE' }] }));
  assert.equal(listed.reasons.filter((r) => /NOSPACE/.test(r.text)).length, 1);
  assert.ok(!listed.reasons.some((r) => r.text.includes(IDS.m2)));
  const unlisted = computeVerdict(input(probes, { alarmsError: 'deadline exceeded' }));
  const said = unlisted.reasons.filter((r) => /NOSPACE/.test(r.text));
  assert.deepEqual(said.map((r) => [r.level, r.text]), [['crit', "alarm NOSPACE on m2 (from the members' status)"]]);
  assert.match(said[0].fix ?? '', /^A: /);
});
