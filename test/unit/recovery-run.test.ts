import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Plan } from '../../src/domain/plan.js';
import { DEFAULT_ETCD_SETTINGS } from '../../src/domain/hosts.js';
import { runPlan } from '../../src/run/executor.js';
import { applyRefreshes, emptyView } from '../../src/health/view.js';
import { DEFAULT_HEALTH_OPTIONS } from '../../src/domain/types.js';
import { forcedEnv, planForceNewCluster, type RecoveryHost } from '../../src/plans/recovery.js';
import { FakeHost } from '../fakes/fake-host.js';
import { FakeGateway } from '../fakes/fake-gateway.js';
import { member, up, down, IDS, hostSpec } from '../fakes/fixtures.js';

const host = hostSpec;

test('after the point of no return nothing is rolled back: the undo recorded before it is dropped, none is recorded after it', async () => {
  const h = host('e1', '10.9.0.1');
  const fake = new FakeHost(h.ssh);
  fake.dirs.add('/var/lib/etcd');
  fake.dirs.add('/var/lib/etcd-wal');
  fake.dirs.add('/var/lib/etcd-wal.x');
  const plan: Plan = {
    flow: 'recover-quorum',
    title: 't',
    preview: [],
    warnings: [],
    args: {},
    rollbackOnFailure: true,
    steps: [
      { id: '1', title: 'aside', command: '', preconditions: [], action: { kind: 'remote-move-aside', host: 'e1', path: '/var/lib/etcd', suffix: 'x' } },
      { id: '2', title: 'no return', command: '', preconditions: [], action: { kind: 'point-of-no-return', reason: 'test' } },
      { id: '3', title: 'aside again', command: '', preconditions: [], action: { kind: 'remote-move-aside', host: 'e1', path: '/var/lib/etcd-wal', suffix: 'y' } },
      // The aside of this one is there already: the step fails.
      { id: '4', title: 'fails', command: '', preconditions: [], action: { kind: 'remote-move-aside', host: 'e1', path: '/var/lib/etcd-wal.y', suffix: 'x' } },
    ],
  };
  fake.dirs.add('/var/lib/etcd-wal.y.x');
  const result = await runPlan(plan, { gateway: new FakeGateway(), observe: async () => emptyView(DEFAULT_HEALTH_OPTIONS, 0), onEvent: () => undefined, signal: new AbortController().signal, hosts: { spec: () => h, settings: DEFAULT_ETCD_SETTINGS, connection: async () => fake } });
  assert.equal(result.outcome, 'failed');
  assert.equal(result.failedStep, 3);
  assert.equal(result.rollback, undefined, 'nothing to roll back past the point of no return');
  assert.ok(fake.dirs.has('/var/lib/etcd.x') && !fake.dirs.has('/var/lib/etcd'), 'the move before the point of no return stands');
  assert.ok(fake.dirs.has('/var/lib/etcd-wal.y'), 'the move after it stands too');
});

test('the forced env adds ETCD_FORCE_NEW_CLUSTER=true once; the plan stops every member, forces the survivor, puts the env back, moves the others aside', () => {
  assert.equal(forcedEnv('ETCD_NAME=a\nETCD_FORCE_NEW_CLUSTER=false\n'), 'ETCD_NAME=a\n# etcd-tui recover quorum: one start as a new one-member cluster; removed again right after\nETCD_FORCE_NEW_CLUSTER=true\n');
  const hosts: RecoveryHost[] = [
    { host: host('m1', '10.9.0.1'), indexNow: 90, envFile: 'ETCD_NAME=m1\n' },
    { host: host('m2', '10.9.0.2'), indexNow: 120, envFile: 'ETCD_NAME=m2\n' },
    { host: host('m3', '10.9.0.3'), sshError: 'connection refused' },
  ];
  const three = [member('m1'), member('m2'), member('m3')];
  const lost = applyRefreshes(emptyView(DEFAULT_HEALTH_OPTIONS, 0), [{ type: 'membership', at: 1, result: { ok: true, clusterId: '7', members: three } }, { type: 'probe', at: 1, memberId: IDS.m1, probe: up() }, { type: 'probe', at: 1, memberId: IDS.m2, probe: down() }, { type: 'probe', at: 1, memberId: IDS.m3, probe: down() }], DEFAULT_HEALTH_OPTIONS);
  const r = planForceNewCluster({ hosts, view: lost, stamp: 'S', timeouts: { stopMs: 1000, formMs: 1000 }, contextName: 'prod' });
  assert.ok(r.ok && 'survivor' in r, JSON.stringify(r));
  assert.equal(r.survivor, 'm2', 'the highest raft index');
  assert.deepEqual(r.others, ['m1']);
  assert.deepEqual(r.plan.steps.map((s) => s.id), ['stop-m1', 'stop-m2', 'force-env', 'no-return', 'start-forced', 'forced-up', 'unforce-env', 'restart-stop', 'restart-start', 'single-up', 'aside-m1-/var/lib/etcd']);
  assert.equal(r.plan.confirmPhrase, 'm2');
  assert.ok(r.plan.preview.some((l) => /m3 is not reachable over SSH/.test(l)));
  const env = r.plan.steps.find((s) => s.id === 'force-env')?.action;
  assert.ok(env?.kind === 'remote-upload' && env.source.kind === 'text' && /ETCD_FORCE_NEW_CLUSTER=true/.test(env.source.text));
  const back = r.plan.steps.find((s) => s.id === 'unforce-env')?.action;
  assert.ok(back?.kind === 'remote-upload' && back.source.kind === 'text' && back.source.text === 'ETCD_NAME=m2\n');
  const named = planForceNewCluster({ hosts, from: 'm1', view: lost, stamp: 'S', timeouts: { stopMs: 1000, formMs: 1000 }, contextName: 'prod' });
  assert.ok(named.ok && 'survivor' in named && named.survivor === 'm1' && named.plan.preview.some((l) => /named explicitly although m2 is 30 entries further ahead/.test(l)));
  const healthy = applyRefreshes(lost, [{ type: 'probe', at: 2, memberId: IDS.m2, probe: up() }], DEFAULT_HEALTH_OPTIONS);
  const refused = planForceNewCluster({ hosts, view: healthy, stamp: 'S', timeouts: { stopMs: 1000, formMs: 1000 }, contextName: 'prod' });
  assert.ok(!refused.ok && /quorum is present/.test(refused.refusal));
});

test('the restore undo steps are data: a put-back moves whatever took the place aside first, a stopped service is started again; etcd-tui undo replays them', async () => {
  const { undoEntry, undoTitle } = await import('../../src/run/undo-steps.js');
  const fake = new FakeHost(host('e1', '10.9.0.1').ssh);
  // After a swap: the restored data in place, the old one aside.
  fake.dirs.add('/var/lib/etcd');
  fake.files.set('/var/lib/etcd/member/wal', { content: Buffer.from('restored'), mode: 0o600 });
  fake.dirs.add('/var/lib/etcd.etcd-tui-before-restore-x');
  fake.files.set('/var/lib/etcd.etcd-tui-before-restore-x/member/wal', { content: Buffer.from('old'), mode: 0o600 });
  const env = { connection: async () => fake, now: () => Date.UTC(2026, 0, 2, 3, 4, 5) };
  const putBack = { kind: 'put-back' as const, host: 'e1', path: '/var/lib/etcd', aside: '/var/lib/etcd.etcd-tui-before-restore-x' };
  assert.equal(undoTitle(putBack), 'put /var/lib/etcd back on e1 (from /var/lib/etcd.etcd-tui-before-restore-x)');
  const text = await undoEntry(putBack, env).run();
  assert.equal(text, 'e1: moved /var/lib/etcd aside to /var/lib/etcd.etcd-tui-failed-20260102T030405Z; e1: /var/lib/etcd.etcd-tui-before-restore-x is /var/lib/etcd again');
  assert.equal(fake.files.get('/var/lib/etcd/member/wal')?.content.toString(), 'old');
  assert.equal(fake.files.get('/var/lib/etcd.etcd-tui-failed-20260102T030405Z/member/wal')?.content.toString(), 'restored', 'the restored data is kept aside, not deleted');
  // Run again (an undo cut off after its mv): nothing more to do, said so.
  assert.match(await undoEntry(putBack, env).run(), /already back/);
  // Neither there: said plainly, an error.
  await assert.rejects(undoEntry({ ...putBack, path: '/var/lib/none', aside: '/var/lib/none.x' }, env).run(), /put the earlier \/var\/lib\/none back by hand/);

  fake.services.set('etcd.service', 'inactive');
  const start = { kind: 'service-start' as const, host: 'e1', unit: 'etcd.service' };
  assert.equal(undoTitle(start), 'start etcd.service again on e1');
  assert.equal(await undoEntry(start, env).run(), 'e1: started etcd.service again');
  assert.equal(fake.services.get('etcd.service'), 'active');
  assert.ok(!fake.ran.some((a) => a[0] === 'rm'), 'nothing is deleted');
});

test('a restore step records its undo with a spec (journaled, replayable), never as a bare closure', async () => {
  const h = host('e1', '10.9.0.1');
  const fake = new FakeHost(h.ssh);
  fake.services.set('etcd.service', 'active');
  fake.dirs.add('/var/lib/etcd');
  fake.dirs.add('/var/lib/etcd.etcd-tui-restore-s');
  fake.dirs.add('/var/lib/etcd.etcd-tui-restore-s/member');
  const plan: Plan = {
    flow: 'snapshot-restore',
    title: 't',
    preview: [],
    warnings: [],
    args: {},
    rollbackOnFailure: true,
    steps: [
      { id: '1', title: 'stop', command: '', preconditions: [], action: { kind: 'remote-service-stop', host: 'e1', unit: 'etcd', timeoutMs: 1000 } },
      { id: '2', title: 'swap', command: '', preconditions: [], action: { kind: 'remote-swap-data', host: 'e1', dataDir: '/var/lib/etcd', asideDir: '/var/lib/etcd.etcd-tui-before-restore-s', restoreDir: '/var/lib/etcd.etcd-tui-restore-s' } },
      { id: '3', title: 'aside', command: '', preconditions: [], action: { kind: 'remote-move-aside', host: 'e1', path: '/var/lib/other', suffix: 'x' } },
    ],
  };
  fake.dirs.add('/var/lib/other');
  fake.dirs.add('/var/lib/other.x');
  const { RunJournal } = await import('../../src/run/journal.js');
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-restore-undo-unit-'));
  const journal = RunJournal.start(dir, plan, 'c');
  const result = await runPlan(plan, {
    gateway: new FakeGateway(),
    observe: async () => emptyView(DEFAULT_HEALTH_OPTIONS, 0),
    onEvent: () => undefined,
    signal: new AbortController().signal,
    hosts: { spec: () => h, settings: DEFAULT_ETCD_SETTINGS, connection: async () => fake },
    journal,
  });
  journal.finish(result.outcome);
  const recorded = readFileSync(journal.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: string; spec?: { kind: string } }).filter((r) => r.t === 'undo');
  rmSync(dir, { recursive: true, force: true });
  assert.equal(result.outcome, 'failed', 'the third step fails: its aside is there already');
  assert.deepEqual(recorded.map((e) => e.spec?.kind), ['service-start', 'put-back']);
  assert.equal(fake.services.get('etcd.service'), 'active', 'rolled back: etcd started again');
  assert.ok(fake.dirs.has('/var/lib/etcd.etcd-tui-restore-s') === false && fake.dirs.has('/var/lib/etcd'), 'the old data dir is back');
});
