/**
 * The rolling flows' modules and keys: the palette words of :restart-all / :upgrade (and their
 * refusals), the single-member restart (a member that is down gets no gate: its restart is the
 * recovery step; one that answers is gated), the `o` key and the dialog keys in the registry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyRefreshes, emptyView, type Refresh, type ClusterView } from '../../src/health/view.js';
import { DEFAULT_HEALTH_OPTIONS, type Member, type Probe } from '../../src/domain/types.js';
import { planRolling, type RollingInput } from '../../src/plans/rolling.js';
import { DEFAULT_ROLLING_TIMEOUTS } from '../../src/run/rolling.js';
import { parseRollingArgument, prepareRollingFlow } from '../../src/flows/modules/restart-all.js';
import { DEFAULT_ETCD_SETTINGS } from '../../src/domain/hosts.js';
import { flowById, flowByCommand } from '../../src/flows/modules/index.js';
import { CommandRegistry } from '../../src/commands/registry.js';
import { createAppStore } from '../../src/store/store.js';
import type { FlowActions } from '../../src/commands/types.js';
import { ConfigError } from '../../src/domain/errors.js';
import { member, up, down, IDS, hostSpec } from '../fakes/fixtures.js';

function viewOf(members: Member[], probes: Record<string, Probe>): ClusterView {
  const batch: Refresh[] = [{ type: 'membership', at: 1000, result: { ok: true, clusterId: '7', members } }, ...Object.entries(probes).map(([id, probe]): Refresh => ({ type: 'probe', at: 1000, memberId: id, probe }))];
  batch.push({ type: 'alarms', at: 1000, result: { ok: true, alarms: [] } });
  return applyRefreshes(emptyView(DEFAULT_HEALTH_OPTIONS, 1000), batch, DEFAULT_HEALTH_OPTIONS);
}

const three = [member('m1'), member('m2'), member('m3')];
const hosts = three.map((m) => hostSpec(m.name, '127.0.0.1', { peerPort: Number(new URL(m.peerURLs[0]).port) }));
const input = (only: string[]): RollingInput => ({ hosts, change: { kind: 'restart' }, only, gapThreshold: 50, timeouts: DEFAULT_ROLLING_TIMEOUTS });

test(':restart-all and :upgrade palette words: members, --pause-between, --step, the binary first; clear refusals', () => {
  assert.deepEqual(parseRollingArgument('m2 m3 --pause-between 30s --step', { upgrade: false }), { ok: true, input: { only: ['m2', 'm3'], pauseBetweenMs: 30_000, stepMode: true } });
  assert.deepEqual(parseRollingArgument('/srv/etcd --version 3.5.16 m1 --pause-between 500ms', { upgrade: true }), { ok: true, input: { only: ['m1'], binary: '/srv/etcd', version: '3.5.16', pauseBetweenMs: 500 } });
  const noBinary = parseRollingArgument('', { upgrade: true });
  assert.ok(!noBinary.ok && /name the new etcd: :upgrade PATH/.test(noBinary.refusal));
  const badDuration = parseRollingArgument('--pause-between soon', { upgrade: false });
  assert.ok(!badDuration.ok && /--pause-between: "soon" is not a duration/.test(badDuration.refusal));
  const unknown = parseRollingArgument('--force', { upgrade: false });
  assert.ok(!unknown.ok && /:restart-all does not know --force/.test(unknown.refusal));
});

test('the headless commands read the same modules: restart-all HOST..., upgrade --binary (missing: a usage error)', () => {
  assert.equal(flowByCommand(['restart-all'])?.id, 'rolling-restart');
  assert.equal(flowByCommand(['upgrade'])?.id, 'upgrade');
  assert.deepEqual(flowById('rolling-restart').cli!.fromCli({ args: ['m2'], options: { pauseBetweenMs: 1000 }, usage: 'U' }), { only: ['m2'], pauseBetweenMs: 1000 });
  assert.throws(() => flowById('upgrade').cli!.fromCli({ args: [], options: {}, usage: 'U' }), (e: unknown) => e instanceof ConfigError && /--binary PATH/.test(e.message));
  assert.deepEqual(flowById('upgrade').rolling!({ only: [], binary: 'x', pauseBetweenMs: 5, stepMode: true }), { pauseBetweenMs: 5, stepMode: true });
});

test('restart of one member: gated when it answers; a member that is down gets no gate (its restart is the recovery step)', () => {
  const healthy = viewOf(three, { [IDS.m1]: up({ memberId: IDS.m1 }), [IDS.m2]: up({ memberId: IDS.m2 }), [IDS.m3]: up({ memberId: IDS.m3 }) });
  const one = planRolling(healthy, input(['m2']));
  assert.ok(one.ok);
  assert.deepEqual(one.plan.steps.map((s) => s.id), ['gate-m2', 'restart-m2', 'back-m2', 'done-m2']);
  const m2Down = viewOf(three, { [IDS.m1]: up({ memberId: IDS.m1 }), [IDS.m2]: down(), [IDS.m3]: up({ memberId: IDS.m3 }) });
  const recovery = planRolling(m2Down, input(['m2']));
  assert.ok(recovery.ok, recovery.ok ? '' : recovery.refusal);
  assert.deepEqual(recovery.plan.steps.map((s) => s.id), ['restart-m2', 'back-m2', 'done-m2']);
  assert.ok(recovery.plan.preview.some((l) => /m2 is down: restarting it is the recovery step, so no gate/.test(l)), recovery.plan.preview.join('\n'));
  // Another member than the one down: the gate refuses (the cluster cannot lose m3 too).
  const other = planRolling(m2Down, input(['m3']));
  assert.ok(!other.ok && /not ready for a rolling run/.test(other.refusal));
  // Every member while one is down: refused too.
  assert.ok(!planRolling(m2Down, input([])).ok);
});

test('o restarts the selected member (opens the rolling restart on it); the keys are dropped in read-only mode', () => {
  const registry = new CommandRegistry({ readOnly: false });
  const restart = registry.forKey('o', 'dashboard');
  assert.equal(restart?.id, 'restart');
  assert.equal(registry.forKey(' ', 'flow')?.id, 'rolling-pause');
  assert.equal(registry.forKey('s', 'flow')?.id, 'rolling-step');
  const store = createAppStore({ connection: { contextName: 't', endpoints: ['http://127.0.0.1:2379'], readOnly: false, refreshMs: 1000, secure: false } });
  store.getState().applyBatch([{ type: 'membership', at: 1, result: { ok: true, clusterId: '7', members: three } }]);
  store.getState().select(undefined);
  assert.match(restart!.disabledReason!(store.getState()) ?? '', /select a member/);
  store.getState().select(IDS.m3);
  assert.equal(restart!.disabledReason!(store.getState()), undefined);
  const opened: string[] = [];
  const flows = { open: (kind: string, arg?: string) => opened.push(`${kind} ${arg}`) } as unknown as FlowActions;
  restart!.run({ store, quit: () => undefined, refreshNow: () => undefined, switchContext: () => undefined, flows });
  restart!.run({ store, quit: () => undefined, refreshNow: () => undefined, switchContext: () => undefined, flows }, 'm1');
  assert.deepEqual(opened, ['rolling-restart m3', 'rolling-restart m1']);
  const ro = new CommandRegistry({ readOnly: true });
  for (const id of ['restart', 'restart-all', 'upgrade', 'rolling-pause', 'rolling-step']) assert.equal(ro.byId(id), undefined, id);
});

test('the typed confirmation of a rolling run: the context name for every member, the member name for one', async () => {
  const healthy = viewOf(three, { [IDS.m1]: up({ memberId: IDS.m1 }), [IDS.m2]: up({ memberId: IDS.m2 }), [IDS.m3]: up({ memberId: IDS.m3 }) });
  // Every host of the run is reached over SSH in the preflight (the connections the run then uses).
  const connected: string[] = [];
  const pool = { connection: async (name: string) => (connected.push(name), {}) } as never;
  const session = { inventory: { hosts, settings: DEFAULT_ETCD_SETTINGS }, pool, context: 'prod', onHost: () => undefined };
  const all = await prepareRollingFlow(healthy, { only: [] }, session);
  assert.deepEqual(connected.sort(), ['m1', 'm2', 'm3']);
  assert.ok(all.planned.ok);
  assert.equal(all.planned.plan.confirmPhrase, 'prod');
  const again = all.replan(healthy);
  assert.ok(again.ok && again.plan.confirmPhrase === 'prod', 'the fresh plan before the run asks the same');
  const one = await prepareRollingFlow(healthy, { only: ['m2'], pauseBetweenMs: 30_000 }, session);
  assert.ok(one.planned.ok);
  assert.equal(one.planned.plan.confirmPhrase, 'm2');
  assert.ok(one.planned.plan.preview.some((l) => /a wait of 30s between two members/.test(l)));
  const unreachable = { ...session, pool: { connection: async (name: string) => (name === 'm3' ? Promise.reject(new Error('connect ECONNREFUSED 10.9.0.3:22')) : {}) } as never };
  const refused = await prepareRollingFlow(healthy, { only: [] }, unreachable);
  assert.ok(!refused.planned.ok && /cannot reach every host of the run over SSH, nothing was changed: m3: connect ECONNREFUSED/.test(refused.planned.refusal), JSON.stringify(refused.planned));
});
