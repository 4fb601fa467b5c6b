import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPlan } from '../../src/run/executor.js';
import type { Plan, RunEvent, StepData, StepState } from '../../src/domain/plan.js';
import { applyRefreshes, emptyView, type Refresh } from '../../src/health/view.js';
import { DEFAULT_HEALTH_OPTIONS, type Alarm, type AlarmType, type Member, type MemberStatus } from '../../src/domain/types.js';
import { ClusterError } from '../../src/domain/errors.js';
import type { ClusterGateway } from '../../src/cluster/gateway.js';
import { planCompact, planDefrag, planRecoverNospace } from '../../src/plans/maintenance.js';
import { runSummary } from '../../src/cli/maintenance.js';
import { member, status, IDS } from '../fakes/fixtures.js';

type DefragBehaviour = 'ok' | 'timeout-finished' | 'timeout-running' | 'refused';

/** A scripted cluster for the maintenance actions: sizes shrink on defrag, members can go down. */
class Scripted implements ClusterGateway {
  members: Member[] = [member('m1'), member('m2'), member('m3')];
  leader = IDS.m1;
  sizes: Record<string, { size: number; inUse: number }> = { [IDS.m1]: { size: 400e6, inUse: 100e6 }, [IDS.m2]: { size: 300e6, inUse: 100e6 }, [IDS.m3]: { size: 250e6, inUse: 100e6 } };
  down = new Set<string>();
  behaviour: Record<string, DefragBehaviour> = {};
  /** Called when a member's defragment is called (to kill another member in the middle, say). */
  onDefrag?: (name: string) => void;
  calls: string[] = [];
  revision = 5000;
  compacted = 0;
  alarmList: Alarm[] = [];

  private byURL(url: string): Member {
    return this.members.find((x) => x.clientURLs[0] === url) as Member;
  }
  async memberList() {
    return { clusterId: '7', memberId: IDS.m1, members: this.members };
  }
  async status(url: string): Promise<MemberStatus> {
    const m = this.byURL(url);
    if (this.down.has(m.id)) throw new ClusterError(`connection refused at ${url}: is etcd running and listening there?`, 'unreachable');
    const errors = this.alarmList.map((a) => `memberID:${a.memberId} alarm:${a.alarm} `);
    return status({ memberId: m.id, leader: this.leader, dbSize: this.sizes[m.id].size, dbSizeInUse: this.sizes[m.id].inUse, revision: this.revision, errors });
  }
  async alarms() {
    return this.alarmList;
  }
  async memberAdd(): Promise<never> {
    throw new Error('unused');
  }
  async memberPromote() {}
  async memberRemove() {}
  async moveLeader(_url: string, id: string) {
    this.calls.push(`move:${this.members.find((m) => m.id === id)?.name}`);
    this.leader = id;
  }
  async defragment(url: string) {
    const m = this.byURL(url);
    this.calls.push(`defrag:${m.name}`);
    this.onDefrag?.(m.name);
    if (this.down.has(m.id)) throw new ClusterError(`no connection at ${url}: Connection dropped`, 'unreachable');
    const b = this.behaviour[m.name] ?? 'ok';
    if (b === 'refused') throw new ClusterError('the member is a learner: it answers only Status and serializable reads', 'learner');
    if (b !== 'timeout-running') this.sizes[m.id] = { size: this.sizes[m.id].inUse, inUse: this.sizes[m.id].inUse };
    if (b !== 'ok') throw new ClusterError(`no answer at ${url} within the deadline (member hung, overloaded, or the network drops packets)`, 'timeout');
  }
  async compact(revision: number, physical: boolean) {
    this.calls.push(`compact:${revision}:${physical}`);
    if (revision <= this.compacted) throw new ClusterError('etcdserver: mvcc: required revision has been compacted (http://127.0.0.1:2389)', 'unknown');
    this.compacted = revision;
  }
  async alarmDisarm(memberId: string, alarm: AlarmType) {
    this.calls.push(`disarm:${alarm}:${this.members.find((m) => m.id === memberId)?.name}`);
    this.alarmList = this.alarmList.filter((a) => !(a.memberId === memberId && a.alarm === alarm));
  }
  async snapshot(): Promise<never> {
    throw new Error('unused');
  }
  syncEndpoints() {}
  close() {}
}

async function observe(g: Scripted, alarms = true) {
  const batch: Refresh[] = [{ type: 'membership', at: 1, result: { ok: true, clusterId: '7', members: g.members } }];
  for (const m of g.members) {
    try {
      batch.push({ type: 'probe', at: 1, memberId: m.id, probe: { ok: true, status: await g.status(m.clientURLs[0]), latencyMs: 1, at: 1 } });
    } catch (error) {
      batch.push({ type: 'probe', at: 1, memberId: m.id, probe: { ok: false, error: (error as Error).message, kind: 'unreachable', latencyMs: 1, at: 1 } });
    }
  }
  if (alarms) batch.push({ type: 'alarms', at: 1, result: { ok: true, alarms: g.alarmList } });
  return applyRefreshes(emptyView(DEFAULT_HEALTH_OPTIONS, 0), batch, DEFAULT_HEALTH_OPTIONS);
}

function run(g: Scripted, plan: Plan, signal = new AbortController().signal) {
  const events: RunEvent[] = [];
  const states: StepState[] = plan.steps.map(() => 'pending');
  const errors: Record<number, string> = {};
  const details: Record<number, string | undefined> = {};
  const data: Record<number, StepData | undefined> = {};
  const onEvent = (e: RunEvent) => {
    events.push(e);
    if (e.type === 'step-start') states[e.index] = 'running';
    if (e.type === 'step-done') [states[e.index], details[e.index], data[e.index]] = ['done', e.detail, e.data];
    if (e.type === 'step-failed') [states[e.index], errors[e.index]] = ['failed', e.error];
  };
  const result = runPlan(plan, { gateway: g, observe: (o) => observe(g, o?.alarms ?? true), onEvent, signal, pollMs: 5 });
  return result.then((r) => ({ result: r, events, states, errors, details, summary: runSummary(plan, states, errors, data) }));
}

const defaults = { moveLeader: false, quotaBytes: 2 * 2 ** 30, gapThreshold: 50, timeouts: { commandMs: 5000, moveLeaderMs: 1000, gateMs: 100 } };

async function defragPlan(g: Scripted, extra: Partial<Parameters<typeof planDefrag>[1]> = {}): Promise<Plan> {
  const planned = planDefrag(await observe(g), { ...defaults, all: true, ...extra });
  assert.ok(planned.ok, planned.ok ? '' : planned.refusal);
  return planned.plan;
}

test('a rolling defrag: followers then the leader, each shrinks, the detail gives before -> after and the bytes reclaimed', async () => {
  const g = new Scripted();
  const r = await run(g, await defragPlan(g));
  assert.equal(r.result.outcome, 'succeeded', r.result.error);
  assert.deepEqual(g.calls, ['defrag:m2', 'defrag:m3', 'defrag:m1']);
  assert.match(r.details[0] ?? '', /^m2: 300 MB -> 100 MB, reclaimed 200 MB \(200000000 bytes\) in \d+ms$/);
  assert.equal(r.summary, 'm2, m3 and m1 done; reclaimed 650 MB in total');
  assert.ok(r.events.some((e) => e.type === 'progress' && /^m2: defragmenting 300 MB \(100 MB in use\), timeout 1m30s$/.test(e.text)));
});

test('--move-leader: leadership moves to the defragmented m2 before m1\'s turn', async () => {
  const g = new Scripted();
  const r = await run(g, await defragPlan(g, { moveLeader: true }));
  assert.equal(r.result.outcome, 'succeeded', r.result.error);
  assert.deepEqual(g.calls, ['defrag:m2', 'defrag:m3', 'move:m2', 'defrag:m1']);
  assert.equal(g.leader, IDS.m2);
});

test('a member killed in the middle of the run stops it; no further member is touched', async () => {
  const g = new Scripted();
  // m3 dies while its defrag is under way (the call fails: connection dropped).
  g.onDefrag = (name) => {
    if (name === 'm3') g.down.add(IDS.m3);
  };
  const r = await run(g, await defragPlan(g));
  assert.equal(r.result.outcome, 'failed');
  assert.deepEqual(g.calls, ['defrag:m2', 'defrag:m3']);
  assert.match(r.summary, /^m2 done, m3 failed: defragment of m3 failed: no connection at .*, m1 not started; reclaimed 200 MB in total$/);
  assert.equal(g.sizes[IDS.m1].size, 400e6);
});

test('the gate before: a member down, or quorum lost without the member, stops the run before its defrag', async () => {
  const g = new Scripted();
  g.onDefrag = (name) => {
    if (name === 'm2') g.down.add(IDS.m3);
  };
  const r = await run(g, await defragPlan(g));
  assert.equal(r.result.outcome, 'failed');
  assert.deepEqual(g.calls, ['defrag:m2']);
  assert.match(r.errors[1], /^gate before m3 not passed within 100ms: m3 does not answer \(connection refused .*\); m3 was not defragmented$/);
  assert.ok(r.events.some((e) => e.type === 'progress' && e.index === 1 && /waiting for the gate/.test(e.text)));

  const h = new Scripted();
  h.onDefrag = (name) => {
    if (name === 'm3') h.down.add(IDS.m2);
  };
  const s = await run(h, await defragPlan(h));
  assert.deepEqual(h.calls, ['defrag:m2', 'defrag:m3']);
  assert.match(s.errors[2], /^gate before m1 not passed within 100ms: the cluster is not healthy: .*m2 unreachable/);
  assert.equal(s.summary, 'm2 and m3 done, m1 failed: ' + s.errors[2] + '; reclaimed 350 MB in total');
});

test('a client deadline that expires: finished by etcd (the DB shrank) is done; not shrunk stops the run', async () => {
  const g = new Scripted();
  g.behaviour.m2 = 'timeout-finished';
  g.behaviour.m3 = 'timeout-running';
  const r = await run(g, await defragPlan(g));
  assert.equal(r.result.outcome, 'failed');
  assert.match(r.details[0] ?? '', /^m2: the defragment call timed out after 1m30s but etcd finished it: 300 MB -> 100 MB/);
  assert.match(r.errors[1], /^the defragment call to m3 timed out after 1m30s and its DB has not shrunk \(250 MB\): etcd may still be defragmenting it; m3 answers again, the run stops so that no second member is blocked at the same time/);
  assert.deepEqual(g.calls, ['defrag:m2', 'defrag:m3']);
});

test('an abort acts between members: the member under way is finished and verified, the next is not started', async () => {
  const g = new Scripted();
  const controller = new AbortController();
  g.onDefrag = (name) => {
    if (name === 'm2') controller.abort();
  };
  const r = await run(g, await defragPlan(g), controller.signal);
  assert.equal(r.result.outcome, 'aborted');
  assert.deepEqual(g.calls, ['defrag:m2']);
  assert.equal(r.summary, 'm2 done, m3 and m1 not started; reclaimed 200 MB in total');
});

test('compact: the target is the current revision minus the retention; an already compacted revision is a clear sentence', async () => {
  const g = new Scripted();
  const p = planCompact(await observe(g), { retain: 1000 });
  assert.ok(p.ok);
  const r = await run(g, p.plan);
  assert.equal(r.result.outcome, 'succeeded', r.result.error);
  assert.deepEqual(g.calls, ['compact:4000:true']);
  assert.equal(r.details[0], 'compacted up to revision 4000 (current revision 5000, the last 1000 revisions kept)');
  const again = planCompact(await observe(g), { revision: 3000 });
  assert.ok(again.ok);
  const f = await run(g, again.plan);
  assert.equal(f.result.outcome, 'failed');
  assert.equal(
    f.result.error,
    'revision 3000 is already compacted: etcd has compacted its history up to revision 3000 or beyond, so there is nothing older to drop; nothing was changed (choose a higher revision or a smaller --retain)',
  );
});

test('NOSPACE recovery: compaction, defrag of every voter, the quota check, then NOSPACE alone is disarmed', async () => {
  const g = new Scripted();
  g.sizes = { [IDS.m1]: { size: 17e6, inUse: 1e6 }, [IDS.m2]: { size: 17e6, inUse: 1e6 }, [IDS.m3]: { size: 17e6, inUse: 1e6 } };
  g.alarmList = [
    { memberId: IDS.m1, alarm: 'NOSPACE' },
    { memberId: IDS.m2, alarm: 'NOSPACE' },
    { memberId: IDS.m3, alarm: 'CORRUPT' },
  ];
  const planned = planRecoverNospace(await observe(g), { ...defaults, quotaBytes: 16 * 2 ** 20, compactRetain: 10 });
  assert.ok(planned.ok, planned.ok ? '' : planned.refusal);
  const r = await run(g, planned.plan);
  assert.equal(r.result.outcome, 'succeeded', r.result.error);
  assert.deepEqual(g.calls, ['compact:4990:true', 'defrag:m2', 'defrag:m3', 'defrag:m1', 'disarm:NOSPACE:m1', 'disarm:NOSPACE:m2']);
  assert.deepEqual(g.alarmList, [{ memberId: IDS.m3, alarm: 'CORRUPT' }]);
  assert.match(r.details[4] ?? '', /^every voter below 13 MB \(80% of the 17 MB quota\): m1 1\.0 MB, m2 1\.0 MB, m3 1\.0 MB$/);
  assert.equal(r.details[5], 'NOSPACE disarmed on m1, m2; no NOSPACE alarm left; CORRUPT left armed on m3 (replace the member)');
  const out = r.events.find((e) => e.type === 'output');
  assert.match(out && out.type === 'output' ? out.lines[0] : '', /^CORRUPT on m3 left armed: it is never disarmed here; replace the member \(etcd-tui member replace m3\)/);
  assert.match(r.summary, /CORRUPT left armed on m3: replace the member \(etcd-tui member replace m3\)/);
});

test('NOSPACE recovery: a DB still above the quota with margin keeps NOSPACE armed', async () => {
  const g = new Scripted();
  g.sizes = { [IDS.m1]: { size: 17e6, inUse: 15e6 }, [IDS.m2]: { size: 17e6, inUse: 1e6 }, [IDS.m3]: { size: 17e6, inUse: 1e6 } };
  g.alarmList = [{ memberId: IDS.m1, alarm: 'NOSPACE' }];
  const planned = planRecoverNospace(await observe(g), { ...defaults, quotaBytes: 16 * 2 ** 20, compactRetain: 10 });
  assert.ok(planned.ok);
  const r = await run(g, planned.plan);
  assert.equal(r.result.outcome, 'failed');
  assert.match(r.result.error ?? '', /^not below 13 MB \(80% of the 17 MB quota\): m1 15 MB \(89%\); NOSPACE stays armed/);
  assert.ok(!g.calls.some((c) => c.startsWith('disarm')));
  assert.equal(g.alarmList.length, 1);
});
