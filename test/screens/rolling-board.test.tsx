/**
 * The rolling board in the flow dialog (screens/flow/RollingBoard.tsx, src/flows/rolling-board.ts):
 * one row per member with stage, version and elapsed, the cluster version and "mixed versions", the
 * pacer's line; `:restart-all --step` holds before each member, space goes on, s leaves step mode;
 * at 80x24 with 5 members everything fits. A finished run with a rollback (fake run events) shows the
 * member in flight "rolled back", the ones done "verified", the rest "waiting".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pollOnce } from '../../src/monitor/poller.js';
import type { HostPort } from '../../src/run/host-port.js';
import type { Plan, PlanStep, RunEvent } from '../../src/domain/plan.js';
import { DEFAULT_ETCD_SETTINGS } from '../../src/domain/hosts.js';
import { applyRunEvent, stepViews } from '../../src/flows/stages.js';
import { boardAfterEvent } from '../../src/flows/rolling-board.js';
import type { FlowView } from '../../src/flows/state.js';
import { fiveMemberGateway } from '../fakes/fake-gateway.js';
import { fakeConsole } from '../fakes/console.js';
import { IDS, hostSpec, status } from '../fakes/fixtures.js';

const NAMES = ['m2', 'm3', 'm4', 'm5', 'm1'];
const ID: Record<string, string> = { ...IDS, m5: '5' };


/** A rolling-shaped plan: per member its gate and its point of no return (the real handlers run them against the fake cluster). */
function rollingPlan(): Plan {
  const steps: PlanStep[] = [];
  for (const n of NAMES) {
    steps.push({ id: `gate-${n}`, title: `Gate before ${n}`, command: 'etcdctl endpoint health --cluster', preconditions: [], action: { kind: 'rolling-gate', memberId: ID[n], name: n, gapThreshold: 1000, timeoutMs: 5000 } });
    steps.push({ id: `done-${n}`, title: `${n} done`, command: `# ${n} verified`, preconditions: [], action: { kind: 'rolling-member-done', name: n } });
  }
  return { flow: 'rolling-restart', title: 'Rolling restart', preview: ['order: m2, m3, m4, m5, m1 (followers first, the leader last)'], warnings: [], steps, args: {}, rollbackOnFailure: true };
}

async function setup() {
  const requests: string[] = [];
  const plan = rollingPlan();
  const port: HostPort = {
    hosts: () => NAMES,
    async prepare(request) {
      requests.push(`${request.flow} ${request.argument ?? ''}`);
      return { planned: { ok: true, plan }, replan: () => ({ ok: true, plan }), unknownKeys: [] };
    },
    async trust() {},
    access: () => ({ spec: (name: string) => hostSpec(name, '10.9.0.1'), settings: DEFAULT_ETCD_SETTINGS, connection: async () => Promise.reject(new Error('no SSH in this test')) }),
  };
  const t = await fakeConsole({ gateway: fiveMemberGateway(), dirPrefix: 'etcd-tui-board-', size: { columns: 80, rows: 24 }, plain: true, deps: () => ({ context: () => 'test', pollMs: 10, hosts: port }) });
  return { ...t, requests, plan };
}

function fits(f: string) {
  const lines = f.split('\n');
  assert.ok(lines.length <= 23, `${lines.length} rows for a 24-row terminal:\n${f}`);
  for (const l of lines) assert.ok([...l].length <= 80, `row wider than 80: "${l}"`);
}

const row = (f: string, name: string) => f.split('\n').find((l) => new RegExp(`^ {2}${name} +`).test(l)) ?? '';

test('the board at 80x24 with 5 members: step mode holds before each member, space goes on, s leaves step mode', async () => {
  const t = await setup();
  await t.frame('dashboard', (x) => x.includes('MEMBERS (5)'));
  await t.press(':');
  await t.press('restart-all --step\r');
  await t.frame('preview', (x) => x.includes('[preview]') && x.includes('STEPS'));
  assert.deepEqual(t.requests, ['rolling-restart --step']);
  await t.press('\r');
  let f = await t.frame('held before m2', (x) => x.includes('STEP before m2: space goes on'));
  fits(f);
  assert.match(f, /ROLLING cluster version/);
  assert.match(f, /MEMBER +STAGE +VERSION +ELAPSED/);
  for (const n of NAMES) assert.match(row(f, n), new RegExp(`^ {2}${n} +waiting +3\\.4\\.23`), f);
  assert.match(row(f, 'm2'), /step: space goes on/);
  // space: m2 goes (gate, done), then the run holds before m3.
  await t.press(' ');
  f = await t.frame('held before m3', (x) => x.includes('STEP before m3'));
  fits(f);
  assert.match(row(f, 'm2'), /^ {2}m2 +verified +3\.4\.23 +\d/);
  assert.match(row(f, 'm3'), /waiting/);
  // s: step mode off, the run goes to the end.
  await t.press('s');
  f = await t.frame('done', (x) => x.includes('[done]') && x.includes('SUCCEEDED'));
  fits(f);
  for (const n of NAMES) assert.match(row(f, n), /verified/, f);
  t.done();
});

test('the board after a run whose member in flight was rolled back (fake run events): verified, rolled back, waiting; mixed versions', async () => {
  const t = await setup();
  await t.frame('dashboard', (x) => x.includes('MEMBERS (5)'));
  // m2 on the new version already: the cluster runs mixed versions.
  const m2 = t.gateway.members.find((m) => m.name === 'm2')!;
  t.gateway.statuses.set(m2.clientURLs[0], status({ memberId: m2.id, leader: IDS.m1, version: '3.5.16' }));
  t.store.getState().applyBatch(await pollOnce(t.gateway));
  const plan = t.plan;
  let flow: FlowView = { kind: 'rolling-restart', title: plan.title, stage: 'running', fields: [], focus: 0, typed: '', plan, steps: stepViews(plan), board: { times: {}, pacer: { paused: false, stepMode: false, started: 2 } } };
  const events: RunEvent[] = [
    { type: 'step-start', index: 0, at: 1000 },
    { type: 'step-done', index: 0, at: 1500 },
    { type: 'step-start', index: 1, at: 1500 },
    { type: 'step-done', index: 1, at: 9000 },
    { type: 'step-start', index: 2, at: 9000 },
    { type: 'step-done', index: 2, at: 9500 },
    { type: 'step-start', index: 3, at: 9500 },
    { type: 'step-failed', index: 3, at: 20000, error: 'm3 did not come back within 30s' },
    { type: 'rollback', text: 'm3: /usr/local/bin/etcd is the old binary again', ok: true },
  ];
  for (const e of events) flow = { ...flow, ...applyRunEvent(flow, e), board: boardAfterEvent(flow.board!, e) };
  t.store.getState().setFlow({ ...flow, stage: 'done', result: { outcome: 'failed', error: 'm3 did not come back within 30s', output: [], durationMs: 19000, rollback: { done: ['m3: /usr/local/bin/etcd is the old binary again'], failed: [] } } });
  const f = await t.frame('board after the run', (x) => x.includes('ROLLING') && x.includes('[done]'));
  fits(f);
  assert.match(row(f, 'm2'), /^ {2}m2 +verified +3\.5\.16 +8\.0s/);
  assert.match(row(f, 'm3'), /^ {2}m3 +rolled back +3\.4\.23 +11\.0s/);
  for (const n of ['m4', 'm5', 'm1']) assert.match(row(f, n), /waiting/);
  assert.match(f, /mixed versions: 3\.4\.23, 3\.5\.16/);
  t.done();
});
