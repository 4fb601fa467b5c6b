import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPlan } from '../../src/run/executor.js';
import type { Plan, RunEvent } from '../../src/domain/plan.js';
import { applyRefreshes, emptyView, type Refresh } from '../../src/health/view.js';
import { DEFAULT_HEALTH_OPTIONS, type Member, type MemberStatus } from '../../src/domain/types.js';
import { ClusterError } from '../../src/domain/errors.js';
import type { ClusterGateway } from '../../src/cluster/gateway.js';
import { member, status, IDS } from '../fakes/fixtures.js';

/** A scripted cluster: members and statuses in memory; promote refuses "not in sync" a set number of times. */
class Scripted implements ClusterGateway {
  members: Member[] = [member('m1'), member('m2'), member('m3'), member('m4', { isLearner: true })];
  leader = IDS.m1;
  notInSync = 2;
  calls: string[] = [];
  failRemove = false;
  async memberList() {
    return { clusterId: '7', memberId: IDS.m1, members: this.members };
  }
  async status(url: string): Promise<MemberStatus> {
    const m = this.members.find((x) => x.clientURLs[0] === url)!;
    return status({ memberId: m.id, leader: this.leader, isLearner: m.isLearner });
  }
  async alarms() {
    return [];
  }
  async memberAdd(): Promise<{ member: Member; members: Member[] }> {
    throw new Error('unused');
  }
  async memberPromote(id: string) {
    this.calls.push('promote');
    if (this.notInSync-- > 0) throw new ClusterError('the learner is not in sync with the leader yet', 'not-in-sync');
    this.members = this.members.map((m) => (m.id === id ? { ...m, isLearner: false } : m));
  }
  async memberRemove(id: string) {
    this.calls.push('remove');
    if (this.failRemove) throw new ClusterError('etcd refused the change: the cluster is unhealthy', 'refused');
    this.members = this.members.filter((m) => m.id !== id);
  }
  async moveLeader(_url: string, id: string) {
    this.calls.push('move');
    this.leader = id;
  }
  async defragment() {}
  async compact() {}
  async alarmDisarm() {}
  async snapshot(): Promise<never> {
    throw new Error('unused');
  }
  syncEndpoints() {}
  close() {}
}

async function observe(g: Scripted) {
  const batch: Refresh[] = [{ type: 'membership', at: 1, result: { ok: true, clusterId: '7', members: g.members } }];
  for (const m of g.members) batch.push({ type: 'probe', at: 1, memberId: m.id, probe: { ok: true, status: await g.status(m.clientURLs[0]), latencyMs: 1, at: 1 } });
  return applyRefreshes(emptyView(DEFAULT_HEALTH_OPTIONS, 0), batch, DEFAULT_HEALTH_OPTIONS);
}

function deps(g: Scripted, signal = new AbortController().signal) {
  const events: RunEvent[] = [];
  return { events, d: { gateway: g, observe: () => observe(g), onEvent: (e: RunEvent) => events.push(e), signal, pollMs: 5 } };
}

const plan = (steps: Plan['steps']): Plan => ({ flow: 'promote', title: 't', preview: [], warnings: [], steps, args: {} });

test('promote retries while the learner is not in sync, then verifies it is a voter', async () => {
  const g = new Scripted();
  const { events, d } = deps(g);
  const result = await runPlan(plan([{ id: 'p', title: 'promote', preconditions: [], command: '', action: { kind: 'member-promote', name: 'm4', memberId: IDS.m4, waitMs: 10_000 } }]), d);
  assert.equal(result.outcome, 'succeeded', result.error);
  assert.deepEqual(g.calls, ['promote', 'promote', 'promote']);
  assert.deepEqual(events.filter((e) => e.type === 'retry').map((e) => (e as { attempt: number }).attempt), [1, 2]);
});

test('promote gives up when the wait runs out', async () => {
  const g = new Scripted();
  g.notInSync = 100;
  const { d } = deps(g);
  const result = await runPlan(plan([{ id: 'p', title: 'promote', preconditions: [], command: '', action: { kind: 'member-promote', name: 'm4', memberId: IDS.m4, waitMs: 600 } }]), d);
  assert.equal(result.outcome, 'failed');
  assert.match(result.error ?? '', /not in sync .*gave up after \d+ tries/);
});

test('a failed step stops the run: no later step starts', async () => {
  const g = new Scripted();
  g.failRemove = true;
  const { events, d } = deps(g);
  const result = await runPlan(
    plan([
      { id: 'r', title: 'remove', preconditions: [], command: '', action: { kind: 'member-remove', name: 'm4', memberId: IDS.m4 } },
      { id: 'm', title: 'move', preconditions: [], command: '', action: { kind: 'move-leader', fromId: IDS.m1, toId: IDS.m2, toName: 'm2', timeoutMs: 1000 } },
    ]),
    d,
  );
  assert.equal(result.outcome, 'failed');
  assert.equal(result.failedStep, 0);
  assert.match(result.error ?? '', /cluster is unhealthy/);
  assert.deepEqual(g.calls, ['remove']);
  assert.ok(!events.some((e) => e.type === 'step-start' && e.index === 1));
});

test('move-leader is verified and abort stops a wait', async () => {
  const g = new Scripted();
  const { d } = deps(g);
  const moved = await runPlan(plan([{ id: 'm', title: 'move', preconditions: [], command: '', action: { kind: 'move-leader', fromId: IDS.m1, toId: IDS.m2, toName: 'm2', timeoutMs: 1000 } }]), d);
  assert.equal(moved.outcome, 'succeeded');
  assert.equal(g.leader, IDS.m2);

  const controller = new AbortController();
  const waiting = deps(new Scripted(), controller.signal);
  const run = runPlan(plan([{ id: 'w', title: 'wait', preconditions: [], command: '', action: { kind: 'wait-started', name: 'm9', peerURLs: ['http://127.0.0.1:1'], timeoutMs: 60_000 } }]), waiting.d);
  setTimeout(() => controller.abort(), 30);
  const aborted = await run;
  assert.equal(aborted.outcome, 'aborted');
});
