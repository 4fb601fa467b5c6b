/**
 * The flow modules (src/flows/modules): one per flow, read by the palette, the help, the console and
 * the headless CLI; the console's and the CLI's inputs plan the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLOWS, flowByCommand, flowById } from '../../src/flows/modules/index.js';
import { FLOW_COMMANDS } from '../../src/flows/commands.js';
import type { FlowId } from '../../src/domain/plan.js';
import type { PlanEnv } from '../../src/flows/flow.js';
import { applyRefreshes, emptyView, type Refresh } from '../../src/health/view.js';
import { DEFAULT_HEALTH_OPTIONS } from '../../src/domain/types.js';
import { ConfigError } from '../../src/domain/errors.js';
import { member, up, IDS } from '../fakes/fixtures.js';

const ALL: FlowId[] = ['add-learner', 'promote', 'remove', 'replace', 'move-leader', 'defrag', 'compact', 'recover-nospace', 'snapshot-save', 'bootstrap-join', 'bootstrap-cluster', 'snapshot-restore', 'recover-quorum', 'rolling-restart', 'upgrade', 'config-change', 'rotate-certs'];

const env: PlanEnv = {
  gapThreshold: DEFAULT_HEALTH_OPTIONS.indexGapThreshold,
  quotaBytes: DEFAULT_HEALTH_OPTIONS.quotaBytes,
  commandTimeoutMs: 5000,
  downSince: {},
  now: () => 1000,
  withAuth: false,
  existing: () => [],
  resolvePath: (p) => (p.startsWith('/') ? p : `/work/${p}`),
};

function view() {
  const members = [member('m1'), member('m2'), member('m3'), member('m4', { isLearner: true })];
  const batch: Refresh[] = [{ type: 'membership', at: 1, result: { ok: true, clusterId: '7', members } }];
  for (const m of members) batch.push({ type: 'probe', at: 1, memberId: m.id, probe: up({ memberId: m.id, leader: IDS.m1, isLearner: m.isLearner, raftIndex: 100, raftAppliedIndex: 100 }) });
  batch.push({ type: 'alarms', at: 1, result: { ok: true, alarms: [] } });
  return applyRefreshes(emptyView(DEFAULT_HEALTH_OPTIONS, 0), batch, DEFAULT_HEALTH_OPTIONS);
}

test('every flow has exactly one module, and each module has an id, a title, a command with keys and a description', () => {
  assert.deepEqual(FLOWS.map((f) => f.id).sort(), [...ALL].sort());
  for (const id of ALL) {
    const f = flowById(id);
    assert.ok(f.title && f.command.id && f.command.keys.length > 0 && f.command.description, id);
  }
});

test('the palette and help commands that open flows come from the modules, in their order', () => {
  const opening = FLOW_COMMANDS.filter((c) => c.category === 'cluster');
  assert.deepEqual(opening.map((c) => c.id), FLOWS.map((f) => f.command.id));
  assert.ok(opening.every((c) => c.dangerous));
});

test('headless command words find their module', () => {
  assert.equal(flowByCommand(['member', 'promote'])?.id, 'promote');
  assert.equal(flowByCommand(['alarm', 'recover-nospace'])?.id, 'recover-nospace');
  assert.equal(flowByCommand(['snapshot', 'save'])?.id, 'snapshot-save');
  assert.equal(flowByCommand(['bootstrap', 'join'])?.id, 'bootstrap-join');
  assert.equal(flowByCommand(['member', 'nope']), undefined);
});

test('the console and the CLI plan the same flow the same way (one planner, one environment)', () => {
  const v = view();
  const same = (id: FlowId, console: { argument?: string; target?: string; fields?: Record<string, string> }, cli: { args: string[]; options: Record<string, unknown> }) => {
    const def = flowById(id);
    const fromConsole = def.fromConsole({ argument: console.argument, target: console.target, field: (k) => console.fields?.[k] ?? '' }, env);
    assert.ok(fromConsole.ok, id);
    const fromCli = def.cli!.fromCli({ args: cli.args, options: cli.options, usage: 'USAGE' });
    assert.deepEqual(def.plan(v, fromCli, env), def.plan(v, fromConsole.input, env), id);
  };
  same('promote', { target: IDS.m4 }, { args: [IDS.m4], options: {} });
  same('remove', { target: IDS.m2 }, { args: [IDS.m2], options: {} });
  same('move-leader', { target: IDS.m2 }, { args: [IDS.m2], options: {} });
  same('add-learner', { fields: { name: 'm5', peerURLs: 'http://10.0.0.5:2380' } }, { args: [], options: { name: 'm5', peerURLs: 'http://10.0.0.5:2380' } });
  same('defrag', { fields: { members: 'all', moveLeader: 'yes' } }, { args: [], options: { all: true, moveLeader: true } });
  same('defrag', { fields: { members: 'inUse/size < 0.9', moveLeader: 'yes' } }, { args: [], options: { rule: 'inUse/size < 0.9', moveLeader: true } });
  same('compact', { fields: { revision: '50' } }, { args: [], options: { revision: 50 } });
  same('snapshot-save', { fields: { file: 'snap.db' } }, { args: ['snap.db'], options: {} });
});

test('a CLI usage error is a ConfigError with the command usage; a console input error is a refusal', () => {
  assert.throws(() => flowById('add-learner').cli!.fromCli({ args: [], options: {}, usage: 'U' }), (e: unknown) => e instanceof ConfigError && e.message === '--name is missing (usage:\nU)');
  assert.throws(() => flowById('promote').cli!.fromCli({ args: [], options: {}, usage: 'U' }), ConfigError);
  assert.deepEqual(flowById('compact').fromConsole({ field: (k) => (k === 'revision' ? 'ten' : '') }, env), { ok: false, refusal: '"ten" is not a revision: give a whole number, :compact REV (0 keeps only the newest revision)' });
  assert.deepEqual(flowById('compact').fromConsole({ field: () => '' }, env), { ok: false, refusal: 'give the revision to compact up to: :compact REV (0 keeps only the newest revision)' });
  assert.deepEqual(flowById('recover-nospace').fromConsole({ argument: 'lots', field: () => '' }, env), { ok: false, refusal: '"lots" is not a number of revisions to keep: :alarms N (e.g. :alarms 10000), or :alarms alone for the default' });
  assert.deepEqual(flowById('recover-nospace').fromConsole({ argument: '500', field: () => '' }, env), { ok: true, input: { compactRetain: 500, moveLeader: false, console: true } });
});
