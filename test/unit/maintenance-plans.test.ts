import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyRefreshes, emptyView, type Refresh, type ClusterView } from '../../src/health/view.js';
import { DEFAULT_HEALTH_OPTIONS, type Alarm, type Member, type Probe } from '../../src/domain/types.js';
import type { Plan, PlanResult } from '../../src/domain/plan.js';
import { DEFAULT_DEFRAG_RULE, evaluateRule, explainRule, parseRule, ruleErrorText, ruleVariables } from '../../src/plans/defrag-rule.js';
import { currentRevision, defragTimeoutMs, maintenanceBlocker, planCompact, planDefrag, planRecoverNospace, type DefragInput } from '../../src/plans/maintenance.js';
import { runSummary } from '../../src/cli/maintenance.js';
import { member, up, down, IDS } from '../fakes/fixtures.js';

const MB = 1e6;
const MiB = 2 ** 20;
const GiB = 2 ** 30;

function viewOf(members: Member[], probes: Record<string, Probe>, alarms: Alarm[] = []): ClusterView {
  const batch: Refresh[] = [
    { type: 'membership', at: 1000, result: { ok: true, clusterId: '7', members } },
    ...Object.entries(probes).map(([id, probe]): Refresh => ({ type: 'probe', at: 1000, memberId: id, probe })),
    { type: 'alarms', at: 1000, result: { ok: true, alarms } },
  ];
  return applyRefreshes(emptyView(DEFAULT_HEALTH_OPTIONS, 0), batch, DEFAULT_HEALTH_OPTIONS);
}

/** A member's probe with sizes; m1 leads (the fixture's default leader). */
function sized(size: number, inUse: number, extra: Parameters<typeof up>[0] = {}): Probe {
  return up({ dbSize: size, dbSizeInUse: inUse, revision: 5000, ...extra });
}

const three = [member('m1'), member('m2'), member('m3')];
const fragmented = viewOf(three, { [IDS.m1]: sized(400 * MB, 100 * MB), [IDS.m2]: sized(300 * MB, 100 * MB), [IDS.m3]: sized(250 * MB, 100 * MB) });

const base: DefragInput = { moveLeader: false, quotaBytes: 2 * GiB, gapThreshold: 50, timeouts: { commandMs: 5000, moveLeaderMs: 10_000 } };

function planOf(r: PlanResult): Plan {
  assert.ok(r.ok, r.ok ? '' : r.refusal);
  return r.plan;
}

function refusalOf(r: PlanResult): string {
  assert.ok(!r.ok, 'expected a refusal');
  return r.refusal;
}

const kinds = (p: Plan) => p.steps.map((s) => (s.action.kind === 'defrag-member' ? `defrag:${s.action.name}` : s.action.kind === 'move-leader' ? `move:${s.action.toName}` : s.action.kind));

describe('the defrag rule language', () => {
  const v = (size: number, inUse: number, quota = 2 * GiB) => ruleVariables(size, inUse, quota);

  test('the default rule: free >= 100 MB or mostly free', () => {
    const r = parseRule(DEFAULT_DEFRAG_RULE);
    assert.ok(r.ok);
    assert.equal(evaluateRule(r.rule, v(500 * MB, 350 * MB)), true); // 150 MB free
    assert.equal(evaluateRule(r.rule, v(50 * MB, 20 * MB)), true); // 40 % in use
    assert.equal(evaluateRule(r.rule, v(50 * MB, 40 * MB)), false); // 10 MB free, 80 % in use
  });

  test('units, precedence, parentheses, unary minus, ! and the aliases of etcd-defrag', () => {
    const cases: Array<[string, number, number, boolean]> = [
      ['free >= 1GiB', GiB + 10, 10, true],
      ['free >= 1GiB', GiB + 10, 11, false],
      ['free > 1GB', 1e9 + 2, 1, true],
      ['size - inUse == free', 10, 3, true],
      ['inUse * 2 < size', 10, 4, true],
      ['inUse * 2 < size', 10, 5, false],
      ['1 + 2 * 3 == 7', 1, 1, true],
      ['(1 + 2) * 3 == 9', 1, 1, true],
      ['-free < 0', 10, 3, true],
      ['!(free < 5)', 10, 3, true],
      ['!(free < 5)', 10, 6, false],
      ['quota > 50%', GiB + 1, 0, true],
      ['quota > 50%', GiB - 1, 0, false],
      ['size > 1KiB && size < 2KB', 1500, 0, true],
      ['size > 1KiB && size < 2KB', 1000, 0, false],
      ['free > 0 || size > 0 && inUse > size', 10, 10, false], // && binds tighter than ||
      ['dbSize - dbSizeInUse > 200*1024*1024 || dbQuotaUsage > 0.8', 300 * MiB, 50 * MiB, true],
      ['dbQuota == 2GiB', 1, 1, true],
      ['inUse / size < 0.5', 0, 0, false], // 0/0: NaN, every comparison false
      ['1.5e3 == 1500', 1, 1, true],
      ['.5 == 0.5', 1, 1, true],
    ];
    for (const [src, size, inUse, want] of cases) {
      const r = parseRule(src);
      assert.ok(r.ok, `${src}: ${r.ok ? '' : r.error}`);
      assert.equal(evaluateRule(r.rule, v(size, inUse)), want, src);
    }
  });

  test('a mistake is reported with the column it points at', () => {
    const cases: Array<[string, number, RegExp]> = [
      ['fre >= 1', 1, /unknown name "fre" \(names: size, inUse, free, quota, quotaBytes\)/],
      ['free >= 100XB', 12, /unknown unit "XB"/],
      ['free >= ', 9, /ends too early/],
      ['free = 1', 6, /unexpected "=" \(compare with ==\)/],
      ['free > 1 & size > 1', 10, /and is &&/],
      ['free > 1 | size > 1', 10, /or is \|\|/],
      ['(free > 1', 10, /missing "\)"/],
      ['free', 1, /must be a comparison/],
      ['free > 1 size', 10, /after a complete expression/],
      ['free && size > 1', 1, /"&&" needs a comparison on its left/],
      ['(free > 1) + 2 > 1', 1, /"\+" needs numbers, not a comparison/],
      ['1 < free < 3', 10, /comparisons do not chain/],
      ['free > 1 $', 10, /unexpected "\$"/],
      ['', 1, /empty/],
    ];
    for (const [src, column, re] of cases) {
      const r = parseRule(src);
      assert.ok(!r.ok, `${src} parsed`);
      assert.match(r.error, re, src);
      assert.equal(r.column, column, `${src}: ${r.error}`);
    }
    const bad = parseRule('free >= 100XB');
    assert.ok(!bad.ok);
    assert.equal(ruleErrorText('free >= 100XB', bad), 'the rule "free >= 100XB" does not parse: unknown unit "XB" (units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB, %), at column 12:\n    free >= 100XB\n               ^');
  });

  test('explain: the comparisons that decide, with the values', () => {
    const r = parseRule(DEFAULT_DEFRAG_RULE);
    assert.ok(r.ok);
    assert.equal(explainRule(r.rule, v(50 * MB, 45 * MB)), 'free (5.0 MB) < 100MB and inUse/size (0.9) >= 0.55');
    assert.equal(explainRule(r.rule, v(500 * MB, 100 * MB)), 'free (400 MB) >= 100MB');
    const and = parseRule('size > 1 && !(free < 5)');
    assert.ok(and.ok);
    assert.equal(explainRule(and.rule, v(10, 8)), 'free (2 B) < 5');
    assert.equal(explainRule(and.rule, v(10, 1)), 'size (10 B) > 1 and free (9 B) >= 5');
  });
});

describe('planDefrag', () => {
  test('followers first, the leader last; sizes, timeouts and the etcdctl commands', () => {
    const p = planOf(planDefrag(fragmented, { ...base, all: true }));
    assert.deepEqual(kinds(p), ['defrag:m2', 'defrag:m3', 'defrag:m1']);
    assert.deepEqual(p.steps.map((s) => s.title), ['Defragment m2 (member 1 of 3, follower)', 'Defragment m3 (member 2 of 3, follower)', 'Defragment m1 (member 3 of 3, leader)']);
    assert.equal(p.steps[0].command, `etcdctl --endpoints=${three[1].clientURLs[0]} --command-timeout=90s defrag`);
    const a = p.steps[2].action;
    assert.ok(a.kind === 'defrag-member');
    assert.equal(a.timeoutMs, defragTimeoutMs(400 * MB, 5000));
    assert.equal(a.gapThreshold, 50);
    assert.equal(a.expectAlarms, undefined);
    assert.ok(p.preview.some((l) => /^m1\s+leader\s+400 MB\s+100 MB\s+300 MB\s+19%\s+yes, 3 of 3$/.test(l)), p.preview.join('\n'));
    assert.ok(p.preview.some((l) => /the leader m1 goes last/.test(l)));
    assert.deepEqual(p.args.order, ['m2', 'm3', 'm1']);
  });

  test('the timeout is sized to the DB: 60 s + 30 s per started GiB, at least the command timeout', () => {
    assert.equal(defragTimeoutMs(0, 5000), 60_000);
    assert.equal(defragTimeoutMs(1, 5000), 90_000);
    assert.equal(defragTimeoutMs(GiB, 5000), 90_000);
    assert.equal(defragTimeoutMs(4 * GiB, 5000), 180_000);
    assert.equal(defragTimeoutMs(4 * GiB + 1, 5000), 210_000);
    assert.equal(defragTimeoutMs(0, 120_000), 120_000);
  });

  test('the rule chooses; the preview says why a member does not qualify', () => {
    const v = viewOf(three, { [IDS.m1]: sized(400 * MB, 100 * MB), [IDS.m2]: sized(50 * MB, 45 * MB), [IDS.m3]: sized(250 * MB, 100 * MB) });
    const p = planOf(planDefrag(v, base));
    assert.deepEqual(kinds(p), ['defrag:m3', 'defrag:m1']);
    const m2 = p.preview.find((l) => l.startsWith('m2 '));
    assert.match(m2 ?? '', /no: free \(5\.0 MB\) < 100MB and inUse\/size \(0\.9\) >= 0\.55$/);
    assert.ok(p.preview.includes(`rule: ${DEFAULT_DEFRAG_RULE} (the default)`));
    assert.equal(p.title, 'Rolling defrag of 2 members (m3, m1)');
  });

  test('nothing qualifies: refused, pointing to --all', () => {
    const v = viewOf(three, { [IDS.m1]: sized(50 * MB, 45 * MB), [IDS.m2]: sized(50 * MB, 45 * MB), [IDS.m3]: sized(50 * MB, 45 * MB) });
    assert.match(refusalOf(planDefrag(v, base)), /^nothing to defragment: no voter matches the rule "free >= 100MB \|\| inUse\/size < 0\.55" \(m1: free \(5\.0 MB\) < 100MB .*\); use --all to defragment every voter anyway$/);
    assert.match(refusalOf(planDefrag(v, { ...base, compactRetain: 100 })), /before the compaction frees space: compact first \(etcd-tui compact --retain 100\)/);
    assert.equal(planDefrag(v, { ...base, all: true }).ok, true);
  });

  test('a learner is skipped with the reason; it is not a step', () => {
    const v = viewOf([...three, member('m4', { isLearner: true })], {
      [IDS.m1]: sized(400 * MB, 100 * MB),
      [IDS.m2]: sized(300 * MB, 100 * MB),
      [IDS.m3]: sized(300 * MB, 100 * MB),
      [IDS.m4]: sized(300 * MB, 100 * MB, { isLearner: true }),
    });
    const p = planOf(planDefrag(v, { ...base, all: true }));
    assert.deepEqual(kinds(p), ['defrag:m2', 'defrag:m3', 'defrag:m1']);
    const row = p.preview.find((l) => l.startsWith('m4 '));
    assert.match(row ?? '', /learner .*skipped: a learner cannot be defragmented online \(etcd answers "rpc not supported for learner"\)/);
    assert.deepEqual((p.args.skipped as Array<{ member: string }>).map((s) => s.member), ['m4']);
  });

  test('--move-leader: leadership moves to a defragmented follower right before the leader\'s turn', () => {
    const p = planOf(planDefrag(fragmented, { ...base, all: true, moveLeader: true }));
    assert.deepEqual(kinds(p), ['defrag:m2', 'defrag:m3', 'move:m2', 'defrag:m1']);
    const move = p.steps[2];
    assert.deepEqual(move.action, { kind: 'move-leader', fromId: IDS.m1, toId: IDS.m2, toName: 'm2', timeoutMs: 10_000 });
    assert.equal(move.command, `etcdctl --endpoints=${three[0].clientURLs[0]} move-leader ${BigInt(IDS.m2).toString(16)}`);
    assert.equal(p.steps[3].title, 'Defragment m1 (member 3 of 3, leader until the move above)');
  });

  test('--move-leader: a follower that lags is not a target; none defragmented before the leader: a warning, no move', () => {
    const lagging = viewOf(three, { [IDS.m1]: sized(400 * MB, 100 * MB, { raftIndex: 1000 }), [IDS.m2]: sized(300 * MB, 100 * MB, { raftIndex: 10 }), [IDS.m3]: sized(250 * MB, 100 * MB, { raftIndex: 1000 }) });
    // m2 trails by 990 entries: the cluster is degraded, so the plan is refused outright.
    assert.match(refusalOf(planDefrag(lagging, { ...base, all: true, moveLeader: true })), /not healthy: m2 trails the leader by 990 entries/);
    const onlyLeader = viewOf(three, { [IDS.m1]: sized(400 * MB, 100 * MB), [IDS.m2]: sized(50 * MB, 45 * MB), [IDS.m3]: sized(50 * MB, 45 * MB) });
    const p = planOf(planDefrag(onlyLeader, { ...base, moveLeader: true }));
    assert.deepEqual(kinds(p), ['defrag:m1']);
    assert.match(p.warnings.join('\n'), /--move-leader: no healthy voter is defragmented before the leader m1 in this run/);
  });

  test('refusals: no quorum, a member down, NOSPACE armed, a bad rule, --rule with --all', () => {
    const noQuorum = viewOf(three, { [IDS.m1]: sized(400 * MB, 1), [IDS.m2]: down(), [IDS.m3]: down() });
    assert.match(refusalOf(planDefrag(noQuorum, { ...base, all: true })), /^no quorum: 1 of 3 voters answer \(needs 2\)/);
    const oneDown = viewOf(three, { [IDS.m1]: sized(400 * MB, 1), [IDS.m2]: sized(400 * MB, 1), [IDS.m3]: down() });
    assert.match(refusalOf(planDefrag(oneDown, { ...base, all: true })), /^the cluster is not healthy: 3 voters, 2 healthy, tolerates 0 failures; m3 unreachable: connection refused; a rolling defrag blocks one member at a time/);
    const nospace = viewOf(three, { [IDS.m1]: sized(400 * MB, 1), [IDS.m2]: sized(400 * MB, 1), [IDS.m3]: sized(400 * MB, 1) }, [{ memberId: IDS.m1, alarm: 'NOSPACE' }]);
    assert.match(refusalOf(planDefrag(nospace, { ...base, all: true })), /NOSPACE alarm is armed \(m1\): recover with `etcd-tui alarm recover-nospace`/);
    assert.match(refusalOf(planDefrag(fragmented, { ...base, rule: 'free >> 1' })), /does not parse: expected a number, a name or "\(" but found ">", at column 7:\n {4}free >> 1\n {10}\^/);
    assert.match(refusalOf(planDefrag(fragmented, { ...base, rule: 'free > 1', all: true })), /--rule EXPR or --all, not both/);
  });

  test('a DB near the quota does not block a defrag (it is what a defrag is for)', () => {
    const full = viewOf(three, { [IDS.m1]: sized(1.99 * GiB, GiB), [IDS.m2]: sized(1.99 * GiB, GiB), [IDS.m3]: sized(1.99 * GiB, GiB) });
    assert.equal(full.verdict.level, 'critical');
    assert.equal(maintenanceBlocker(full, { gapThreshold: 50 }), undefined);
    assert.equal(planOf(planDefrag(full, base)).steps.length, 3);
  });

  test('--compact-retain: the compaction comes first and the preview says what it costs watchers', () => {
    const p = planOf(planDefrag(fragmented, { ...base, all: true, compactRetain: 1000 }));
    assert.deepEqual(kinds(p), ['compact', 'defrag:m2', 'defrag:m3', 'defrag:m1']);
    assert.deepEqual(p.steps[0].action, { kind: 'compact', retain: 1000 });
    assert.ok(p.preview.some((l) => /keep the last 1000 revisions \(now: current revision 5000, so up to revision 4000/.test(l)));
    assert.ok(p.preview.some((l) => /watchers behind it .* must relist/.test(l)));
    const short = planOf(planDefrag(fragmented, { ...base, all: true, compactRetain: 5000 }));
    assert.deepEqual(kinds(short), ['defrag:m2', 'defrag:m3', 'defrag:m1']);
    assert.match(short.warnings.join('\n'), /only 5000 revisions, so nothing is compacted/);
  });

  test('step titles and commands do not carry sizes (a re-plan a moment later gives the same steps)', () => {
    const later = viewOf(three, { [IDS.m1]: sized(401 * MB, 101 * MB), [IDS.m2]: sized(301 * MB, 99 * MB), [IDS.m3]: sized(251 * MB, 100 * MB) });
    const key = (p: Plan) => JSON.stringify(p.steps.map((s) => [s.title, s.command]));
    assert.equal(key(planOf(planDefrag(later, { ...base, all: true, compactRetain: 10 }))), key(planOf(planDefrag(fragmented, { ...base, all: true, compactRetain: 10 }))));
  });
});

describe('planCompact', () => {
  test('shows the current revision (the highest reported) and what is kept', () => {
    const v = viewOf(three, { [IDS.m1]: up({ revision: 900 }), [IDS.m2]: up({ revision: 901 }), [IDS.m3]: up({ revision: 899 }) });
    assert.equal(currentRevision(v), 901);
    const p = planOf(planCompact(v, { retain: 100 }));
    assert.deepEqual(p.steps.map((s) => s.action), [{ kind: 'compact', retain: 100 }]);
    assert.equal(p.preview[0], 'current revision: 901 (the highest revision the members report)');
    assert.match(p.preview[1], /now revisions 801 to 901, compacting up to 801/);
    const r = planOf(planCompact(v, { revision: 500 }));
    assert.deepEqual(r.steps[0].action, { kind: 'compact', revision: 500 });
    assert.equal(r.steps[0].command, 'etcdctl compact 500 --physical');
    assert.deepEqual(r.warnings, []);
    assert.match(planOf(planCompact(v, { revision: 901 })).warnings[0], /drops the whole history/);
  });

  test('refusals: a future revision, a retention that keeps everything, both or neither, no quorum', () => {
    const v = viewOf(three, { [IDS.m1]: up({ revision: 900 }), [IDS.m2]: up({ revision: 900 }), [IDS.m3]: up({ revision: 900 }) });
    assert.equal(refusalOf(planCompact(v, { revision: 901 })), 'revision 901 is in the future: the current revision is 900; nothing was compacted');
    assert.equal(refusalOf(planCompact(v, { retain: 900 })), 'nothing to compact: the current revision is 900 and --retain 900 keeps all of it');
    assert.match(refusalOf(planCompact(v, {})), /--retain N .* or --revision R/);
    assert.match(refusalOf(planCompact(v, { retain: 1, revision: 2 })), /one of them/);
    const noQuorum = viewOf(three, { [IDS.m1]: up(), [IDS.m2]: down(), [IDS.m3]: down() });
    assert.match(refusalOf(planCompact(noQuorum, { retain: 1 })), /^no quorum/);
  });
});

describe('planRecoverNospace', () => {
  const probes = { [IDS.m1]: sized(17 * MiB, 17 * MiB), [IDS.m2]: sized(17 * MiB, 17 * MiB), [IDS.m3]: sized(17 * MiB, 17 * MiB) };
  const input = { ...base, quotaBytes: 16 * MiB, compactRetain: 10 };

  test('compact, defragment every voter (leader last), check the quota with margin, disarm NOSPACE only', () => {
    const v = viewOf([...three, member('m4', { isLearner: true })], { ...probes, [IDS.m4]: sized(17 * MiB, 17 * MiB, { isLearner: true }) }, [{ memberId: IDS.m1, alarm: 'NOSPACE' }]);
    assert.equal(v.verdict.level, 'critical');
    const p = planOf(planRecoverNospace(v, input));
    assert.deepEqual(kinds(p), ['compact', 'defrag:m2', 'defrag:m3', 'defrag:m1', 'check-quota', 'disarm-nospace']);
    assert.deepEqual(p.steps[0].action, { kind: 'compact', retain: 10 });
    assert.deepEqual(p.steps[4].action, { kind: 'check-quota', quotaBytes: 16 * MiB, maxRatio: 0.8 });
    for (const s of p.steps.slice(1, 4)) assert.deepEqual(s.action.kind === 'defrag-member' && s.action.expectAlarms, ['NOSPACE', 'CORRUPT']);
    assert.ok(p.preview.some((l) => /NOSPACE alone is disarmed on m1 \(etcdctl alarm disarm would disarm every alarm, CORRUPT included\)/.test(l)));
    assert.ok(p.preview.some((l) => /^m4 .*skipped: a learner/.test(l)));
    assert.deepEqual(p.warnings, []);
  });

  test('the default retention is 1000 revisions; an assumed quota is pointed out', () => {
    const v = viewOf(three, probes, [{ memberId: IDS.m2, alarm: 'NOSPACE' }]);
    const p = planOf(planRecoverNospace(v, { ...base, quotaGiven: false }));
    assert.deepEqual(p.steps[0].action, { kind: 'compact', retain: 1000 });
    assert.match(p.warnings.join('\n'), /the quota is assumed to be 2\.1 GB/);
  });

  test('CORRUPT: never disarmed; the warning explains and points to replacing the member', () => {
    const v = viewOf(three, probes, [
      { memberId: IDS.m1, alarm: 'NOSPACE' },
      { memberId: IDS.m3, alarm: 'CORRUPT' },
    ]);
    const p = planOf(planRecoverNospace(v, input));
    assert.equal(p.steps.at(-1)?.action.kind, 'disarm-nospace');
    assert.match(p.warnings[0], /^CORRUPT is armed on m3 and is never disarmed here: .*Replace the member \(etcd-tui member replace m3\)/);
    assert.deepEqual(p.args.corrupt, ['m3']);
  });

  test('refusals: no NOSPACE alarm, the alarms unreadable, a member down', () => {
    assert.equal(refusalOf(planRecoverNospace(viewOf(three, probes), input)), 'no NOSPACE alarm to recover from (alarms: none)');
    assert.equal(refusalOf(planRecoverNospace(viewOf(three, probes, [{ memberId: IDS.m3, alarm: 'CORRUPT' }]), input)), 'no NOSPACE alarm to recover from (alarms: CORRUPT on m3)');
    const unread = applyRefreshes(viewOf(three, probes), [{ type: 'alarms', at: 2000, result: { ok: false, error: 'deadline', kind: 'timeout' } }], DEFAULT_HEALTH_OPTIONS);
    assert.match(refusalOf(planRecoverNospace(unread, input)), /alarm list could not be read/);
    const oneDown = viewOf(three, { ...probes, [IDS.m3]: down() }, [{ memberId: IDS.m1, alarm: 'NOSPACE' }]);
    assert.match(refusalOf(planRecoverNospace(oneDown, input)), /^the cluster is not healthy: .*m3 unreachable/);
  });
});

describe('the headless summary', () => {
  const p = planOf(planDefrag(viewOf([...three, member('m4')], { [IDS.m1]: sized(4e8, 1e8), [IDS.m2]: sized(4e8, 1e8), [IDS.m3]: sized(4e8, 1e8), [IDS.m4]: sized(4e8, 1e8) }), { ...base, all: true }));

  test('"m2 done, m3 failed: ..., m4 and m1 not started"', () => {
    assert.deepEqual(p.args.order, ['m2', 'm3', 'm4', 'm1']);
    assert.equal(runSummary(p, ['done', 'failed', 'pending', 'pending'], { 1: 'defragment of m3 failed: no connection' }), 'm2 done, m3 failed: defragment of m3 failed: no connection, m4 and m1 not started');
  });

  test('all done, with the bytes reclaimed; an abort; the other steps apart', () => {
    const defragmented = (name: string) => ({ kind: 'defragmented' as const, memberId: IDS.m1, name, beforeBytes: 381_000_000, afterBytes: 81_000_000, reclaimedBytes: 300_000_000 });
    const data = { 0: defragmented('m2'), 1: defragmented('m3'), 2: defragmented('m4'), 3: defragmented('m1') };
    assert.equal(runSummary(p, ['done', 'done', 'done', 'done'], {}, data), 'm2, m3, m4 and m1 done; reclaimed 1.2 GB in total');
    assert.equal(runSummary(p, ['done', 'failed', 'pending', 'pending'], { 1: 'aborted' }), 'm2 done, m3 stopped by the abort, m4 and m1 not started');
    const moved = planOf(planDefrag(fragmented, { ...base, all: true, moveLeader: true, compactRetain: 10 }));
    assert.equal(runSummary(moved, ['done', 'done', 'done', 'failed', 'pending'], { 3: 'm2 did not become leader' }), 'compaction done; m2 and m3 done; leadership move to m2 failed: m2 did not become leader; m1 not started');
  });
});

test('a cluster that cannot keep quorum while one member is blocked is refused up front', () => {
  const two = viewOf([member('m1'), member('m2')], { [IDS.m1]: sized(400 * MB, 1), [IDS.m2]: sized(400 * MB, 1) });
  assert.match(refusalOf(planDefrag(two, { ...base, all: true })), /^without m1 only 1 healthy voter\(s\) of 2 remain, below quorum 2: defragmenting it would stall the cluster; a rolling defrag needs .*3 voters or more/);
  const one = viewOf([member('m1')], { [IDS.m1]: sized(400 * MB, 1) }, [{ memberId: IDS.m1, alarm: 'NOSPACE' }]);
  assert.match(refusalOf(planRecoverNospace(one, { ...base, quotaBytes: 16 * MiB })), /^without m1 only 0 healthy voter\(s\) of 1 remain/);
});
