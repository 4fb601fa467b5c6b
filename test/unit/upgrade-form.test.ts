/**
 * The upgrade's form (src/flows/modules/upgrade.ts): prefilled from the palette words, its fields read
 * into the same input the palette and the CLI give (binary checked as a file on this machine, version,
 * members, pause, step mode, a snapshot before every member); the palette words still work; the plan
 * with "a snapshot before every member" (a verified snapshot from a member that stays up before each
 * member after the first); the binary that is not a readable file is refused before the preflight.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { upgradeForm, upgradeFromConsole } from '../../src/flows/modules/upgrade.js';
import type { FlowField } from '../../src/flows/state.js';
import type { FormEnv } from '../../src/flows/flow.js';
import { memberSnapshotFile, planRolling } from '../../src/plans/rolling.js';
import { binaryFacts } from '../../src/run/rolling.js';
import { applyRefreshes, emptyView, type Refresh } from '../../src/health/view.js';
import { DEFAULT_HEALTH_OPTIONS, type Member, type Probe } from '../../src/domain/types.js';
import { IDS, hostSpec, member, up } from '../fakes/fixtures.js';

const env = (existing: string[] = []): FormEnv => ({
  gapThreshold: 1000,
  quotaBytes: 2e9,
  commandTimeoutMs: 5000,
  downSince: {},
  now: () => 0,
  withAuth: false,
  existing: (paths) => paths.filter((p) => existing.includes(p)),
  resolvePath: (p) => (p.startsWith('/') ? p : `/work/${p}`),
  context: 'prod',
});

function source(fields: FlowField[], argument?: string) {
  return { argument, field: (key: FlowField['key']) => fields.find((f) => f.key === key)?.value ?? '' };
}

function set(fields: FlowField[], values: Partial<Record<FlowField['key'], string>>): FlowField[] {
  return fields.map((f) => (values[f.key] !== undefined ? { ...f, value: values[f.key] as string } : f));
}

test('the form: every field, empty by default (all members, no pause, step off, a snapshot before the first member)', () => {
  const form = upgradeForm(undefined, ['m1', 'm2', 'm3'], env());
  assert.deepEqual(form.fields.map((f) => [f.key, f.label, f.value]), [
    ['binary', 'Binary', ''],
    ['version', 'Version', ''],
    ['members', 'Members', ''],
    ['pause', 'Pause', ''],
    ['step', 'Step mode', 'off'],
    ['snapshotEach', 'Snapshots', 'before the first member'],
  ]);
  assert.equal(form.complete, false);
  assert.deepEqual(form.fields.find((f) => f.key === 'step')?.choices, ['off', 'on']);
});

test('the palette words fill the form (`:upgrade PATH m2 --version 3.5.16 --pause-between 30s --step --snapshot-each`)', () => {
  const form = upgradeForm('/srv/etcd m2 --version 3.5.16 --pause-between 30s --step --snapshot-each', [], env());
  assert.deepEqual(Object.fromEntries(form.fields.map((f) => [f.key, f.value])), { binary: '/srv/etcd', version: '3.5.16', members: 'm2', pause: '30s', step: 'on', snapshotEach: 'before every member' });
  assert.equal(form.complete, true);
});

test('the filled form is the same input the palette gives; bad fields are refused with the field named', () => {
  const fields = upgradeForm(undefined, [], env()).fields;
  const good = upgradeFromConsole(source(set(fields, { binary: 'etcd-v3.5.16-linux-amd64.tar.gz', version: '3.5.16', members: 'm2, m3', pause: '2m', step: 'on', snapshotEach: 'before every member' })), env(['/work/etcd-v3.5.16-linux-amd64.tar.gz']));
  assert.deepEqual(good, { ok: true, input: { only: ['m2', 'm3'], binary: '/work/etcd-v3.5.16-linux-amd64.tar.gz', version: '3.5.16', pauseBetweenMs: 120_000, stepMode: true, snapshotEach: true, withAuth: false, gapThreshold: 1000 } });
  const all = upgradeFromConsole(source(set(fields, { binary: '/srv/etcd', members: 'all' })), env(['/srv/etcd']));
  assert.ok(all.ok && all.input.only.length === 0 && !all.input.snapshotEach && !all.input.stepMode && all.input.pauseBetweenMs === undefined);
  const refusal = (values: Partial<Record<FlowField['key'], string>>, existing = ['/srv/etcd']) => {
    const r = upgradeFromConsole(source(set(fields, values)), env(existing));
    return r.ok ? '' : r.refusal;
  };
  assert.match(refusal({ binary: '' }), /^Binary: give the new etcd/);
  assert.match(refusal({ binary: '/srv/nope' }), /^Binary: \/srv\/nope does not exist on this machine/);
  assert.match(refusal({ binary: '/srv/etcd', version: '3.5' }), /^Version: "3.5" is not an etcd version/);
  assert.match(refusal({ binary: '/srv/etcd', pause: 'soon' }), /^Pause: "soon" is not a duration/);
  // No form (the palette opened it straight to the preflight): the words are the input, as before.
  const words = upgradeFromConsole({ argument: '/srv/etcd m3 --step', field: () => '' }, env());
  assert.ok(words.ok && words.input.binary === '/srv/etcd' && words.input.only.join() === 'm3' && words.input.stepMode === true);
});

test('a binary that is a directory is refused before anything runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-upgrade-form-'));
  try {
    mkdirSync(join(dir, 'etcd'));
    const r = binaryFacts(join(dir, 'etcd'));
    assert.ok('refusal' in r && /is not a file/.test(r.refusal));
    writeFileSync(join(dir, 'etcd-v3.5.16-linux-amd64.tar.gz'), 'x');
    const tar = binaryFacts(join(dir, 'etcd-v3.5.16-linux-amd64.tar.gz'));
    assert.ok(!('refusal' in tar) && tar.version === '3.5.16');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a snapshot before every member: after the first snapshot, one before each other member from a member that stays up', () => {
  const three: Member[] = [member('m1'), member('m2'), member('m3')];
  const probes: Record<string, Probe> = { [IDS.m1]: up({ memberId: IDS.m1 }), [IDS.m2]: up({ memberId: IDS.m2 }), [IDS.m3]: up({ memberId: IDS.m3 }) };
  const batch: Refresh[] = [{ type: 'membership', at: 1000, result: { ok: true, clusterId: '7', members: three } }, ...Object.entries(probes).map(([id, probe]): Refresh => ({ type: 'probe', at: 1000, memberId: id, probe }))];
  const v = applyRefreshes(emptyView(DEFAULT_HEALTH_OPTIONS, 1000), batch, DEFAULT_HEALTH_OPTIONS);
  const hosts = three.map((m) => hostSpec(m.name, '10.9.0.1'));
  const timeouts = { gateMs: 1, restartMs: 1, backMs: 1, moveLeaderMs: 1, snapshotMs: 1 };
  const r = planRolling(v, { hosts, change: { kind: 'upgrade', source: { kind: 'local', path: '/srv/etcd' }, version: '3.4.24', snapshotFile: '/b/s.db', snapshotEach: true }, gapThreshold: 50, timeouts });
  assert.ok(r.ok, JSON.stringify(r));
  const ids = r.plan.steps.map((s) => s.id);
  assert.deepEqual(ids.filter((id) => id.startsWith('snapshot')), ['snapshot', 'snapshot-m3', 'snapshot-m1']);
  assert.ok(ids.indexOf('snapshot-m3') === ids.indexOf('gate-m3') - 1, 'right before the member\'s gate');
  const files = r.plan.steps.flatMap((s) => (s.action.kind === 'snapshot-save' ? [[s.action.name, s.action.file]] : []));
  // m1 leads: the followers' snapshots come from it; m1's own (after the move) from m2, done and leading now.
  assert.deepEqual(files, [['m1', '/b/s.db'], ['m1', '/b/s-before-m3.db'], ['m2', '/b/s-before-m1.db']]);
  assert.equal(memberSnapshotFile('/b/s.db', 'm3'), '/b/s-before-m3.db');
  assert.ok(r.plan.preview.some((l) => /and one before every other member beside it/.test(l)));
  const once = planRolling(v, { hosts, change: { kind: 'upgrade', source: { kind: 'local', path: '/srv/etcd' }, version: '3.4.24', snapshotFile: '/b/s.db' }, gapThreshold: 50, timeouts });
  assert.ok(once.ok && once.plan.steps.filter((s) => s.action.kind === 'snapshot-save').length === 1);
});

test('headless: `etcd-tui upgrade --binary PATH --snapshot-each` asks for a snapshot before every member', async () => {
  const { parseArgs } = await import('../../src/cli/args.js');
  const { default: upgrade } = await import('../../src/flows/modules/upgrade.js');
  const parsed = parseArgs(['upgrade', '--binary', '/srv/etcd', '--snapshot-each', 'm2']);
  assert.equal(parsed.flags.snapshotEach, true);
  const input = upgrade.cli?.fromCli({ args: ['m2'], options: { binary: '/srv/etcd', snapshotEach: parsed.flags.snapshotEach }, usage: '' });
  assert.deepEqual(input, { only: ['m2'], binary: '/srv/etcd', snapshotEach: true });
});
