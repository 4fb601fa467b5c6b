/**
 * The pace of a rolling run (src/run/rolling-pacer.ts) through the real executor: the hook holds the
 * run before a member's turn (pause, step mode), waits between members (--pause-between), and an
 * abort ends a hold or a wait with the run "aborted" before that member; nothing runs meanwhile.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPlan } from '../../src/run/executor.js';
import { RollingPacer, memberTurn, type PacerState } from '../../src/run/rolling-pacer.js';
import type { Plan, PlanStep, RunEvent } from '../../src/domain/plan.js';
import { applyRefreshes, emptyView, type Refresh } from '../../src/health/view.js';
import { DEFAULT_HEALTH_OPTIONS } from '../../src/domain/types.js';
import { FakeGateway } from '../fakes/fake-gateway.js';
import { IDS } from '../fakes/fixtures.js';
import { waitFor } from '../harness/wait.js';

const NAMES = ['m2', 'm3', 'm1'] as const;

/** A rolling-shaped plan whose per-member work is only the gate and the member's point of no return. */
function plan(): Plan {
  const steps: PlanStep[] = [];
  for (const n of NAMES) {
    steps.push({ id: `gate-${n}`, title: `Gate before ${n}`, command: '#', preconditions: [], action: { kind: 'rolling-gate', memberId: IDS[n], name: n, gapThreshold: 1000, timeoutMs: 5000 } });
    steps.push({ id: `done-${n}`, title: `${n} done`, command: '#', preconditions: [], action: { kind: 'rolling-member-done', name: n } });
  }
  return { flow: 'rolling-restart', title: 'Rolling restart', preview: [], warnings: [], steps, args: {}, rollbackOnFailure: true };
}

function run(pacer: RollingPacer, abort = new AbortController()) {
  const g = new FakeGateway();
  const events: RunEvent[] = [];
  const observe = async () => {
    const batch: Refresh[] = [{ type: 'membership', at: 1, result: { ok: true, clusterId: '7', members: g.members } }];
    for (const m of g.members) batch.push({ type: 'probe', at: 1, memberId: m.id, probe: { ok: true, status: await g.status(m.clientURLs[0]), latencyMs: 1, at: 1 } });
    batch.push({ type: 'alarms', at: 1, result: { ok: true, alarms: [] } });
    return applyRefreshes(emptyView(DEFAULT_HEALTH_OPTIONS, 0), batch, DEFAULT_HEALTH_OPTIONS);
  };
  const result = runPlan(plan(), { gateway: g, observe, onEvent: (e) => events.push(e), signal: abort.signal, pollMs: 5, beforeStep: pacer.beforeStep });
  const started = () => events.filter((e) => e.type === 'step-start').map((e) => plan().steps[(e as { index: number }).index].id);
  return { result, started, abort };
}

test('memberTurn: a member begins with its leadership move or its gate', () => {
  const p = plan();
  assert.deepEqual(p.steps.map(memberTurn), ['m2', undefined, 'm3', undefined, 'm1', undefined]);
  assert.equal(memberTurn({ id: 'move-m1', title: '', command: '', preconditions: [], action: { kind: 'move-leader', fromId: IDS.m1, toId: IDS.m2, toName: 'm2', timeoutMs: 1 } }), 'm1');
});

test('no pacing: the run goes straight through', async () => {
  const r = run(new RollingPacer());
  assert.equal((await r.result).outcome, 'succeeded');
  assert.deepEqual(r.started(), ['gate-m2', 'done-m2', 'gate-m3', 'done-m3', 'gate-m1', 'done-m1']);
});

test('step mode holds before each member until space; s turns it off and the run finishes', async () => {
  const states: PacerState[] = [];
  const pacer = new RollingPacer({ stepMode: true, onChange: (s) => states.push(s) });
  const r = run(pacer);
  await waitFor(() => (pacer.state.holding === 'm2' ? true : undefined), { what: 'held before m2', timeoutMs: 5000, intervalMs: 5 });
  assert.deepEqual(r.started(), [], 'nothing runs while held');
  pacer.togglePause();
  await waitFor(() => (pacer.state.holding === 'm3' ? true : undefined), { what: 'held before m3', timeoutMs: 5000, intervalMs: 5 });
  assert.deepEqual(r.started(), ['gate-m2', 'done-m2']);
  pacer.toggleStep();
  assert.equal((await r.result).outcome, 'succeeded');
  assert.deepEqual(r.started(), ['gate-m2', 'done-m2', 'gate-m3', 'done-m3', 'gate-m1', 'done-m1']);
  assert.ok(states.some((s) => s.holding === 'm2') && states.some((s) => s.holding === 'm3') && !states.some((s) => s.holding === 'm1'));
  assert.equal(pacer.state.started, 3);
});

test('space pauses before the next member and space again resumes; a pause pressed during a member holds before the next one', async () => {
  const pacer = new RollingPacer();
  pacer.togglePause();
  assert.equal(pacer.state.paused, true);
  const r = run(pacer);
  await waitFor(() => (pacer.state.holding === 'm2' ? true : undefined), { what: 'paused before m2', timeoutMs: 5000, intervalMs: 5 });
  assert.deepEqual(r.started(), [], 'nothing runs while paused');
  pacer.togglePause();
  assert.equal(pacer.state.paused, false);
  assert.equal((await r.result).outcome, 'succeeded');
  assert.equal(pacer.state.holding, undefined);
  // Pressed while a member is in flight (the gate of m3 holds it up here): the run holds before m1, after m3 is done.
  const slow = new RollingPacer({ stepMode: true });
  const r2 = run(slow);
  await waitFor(() => (slow.state.holding === 'm2' ? true : undefined), { what: 'held before m2', timeoutMs: 5000, intervalMs: 5 });
  slow.toggleStep(); // step mode off: m2 goes
  await waitFor(() => (slow.state.started >= 1 ? true : undefined), { what: 'm2 started', timeoutMs: 5000, intervalMs: 5 });
  slow.togglePause();
  await waitFor(() => (slow.state.holding ? true : undefined), { what: 'paused before the next member', timeoutMs: 5000, intervalMs: 5 });
  const heldBefore = slow.state.holding as string;
  assert.ok(heldBefore === 'm3' || heldBefore === 'm1', heldBefore);
  assert.ok(!r2.started().includes(`gate-${heldBefore}`), 'the held member has not started');
  slow.togglePause();
  assert.equal((await r2.result).outcome, 'succeeded');
});

test('abort while held: the run stops before that member, aborted, the members done stay done', async () => {
  const pacer = new RollingPacer({ stepMode: true });
  const r = run(pacer);
  await waitFor(() => (pacer.state.holding === 'm2' ? true : undefined), { what: 'held before m2', timeoutMs: 5000, intervalMs: 5 });
  pacer.togglePause();
  await waitFor(() => (pacer.state.holding === 'm3' ? true : undefined), { what: 'held before m3', timeoutMs: 5000, intervalMs: 5 });
  r.abort.abort();
  const result = await r.result;
  assert.equal(result.outcome, 'aborted');
  assert.equal(result.failedStep, 2);
  assert.match(result.error ?? '', /aborted before step 3: Gate before m3/);
  assert.deepEqual(r.started(), ['gate-m2', 'done-m2']);
  assert.equal(result.rollback, undefined, 'nothing in flight to roll back');
});

test('--pause-between waits between members (not before the first), abortable inside the wait', async () => {
  const states: PacerState[] = [];
  const pacer = new RollingPacer({ pauseBetweenMs: 60_000, onChange: (s) => states.push(s) });
  const r = run(pacer);
  await waitFor(() => (pacer.state.waitingUntil !== undefined ? true : undefined), { what: 'waiting between members', timeoutMs: 5000, intervalMs: 5 });
  assert.equal(pacer.state.next, 'm3');
  assert.deepEqual(r.started(), ['gate-m2', 'done-m2']);
  const t0 = Date.now();
  r.abort.abort();
  const result = await r.result;
  assert.equal(result.outcome, 'aborted');
  assert.ok(Date.now() - t0 < 5000, 'the abort ends the wait at once');
  assert.equal(pacer.state.waitingUntil, undefined);
});

test('--pause-between: a short wait, then the next member', async () => {
  const pacer = new RollingPacer({ pauseBetweenMs: 30 });
  const r = run(pacer);
  assert.equal((await r.result).outcome, 'succeeded');
  assert.equal(pacer.state.started, 3);
});
