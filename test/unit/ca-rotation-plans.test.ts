/**
 * The CA change's phase planning (src/plans/ca-rotation.ts), pure: which hosts each phase still has to
 * do, which phases a run does (--phase and its prerequisites), the steps of the three rolling runs
 * with the leader last in each (after the move of the phase before), the bastion's switches before
 * phase 2 and 3, the contexts file at the end, the state said when a run stops; and the env file's
 * trusted-CA names (src/run/ca-rotation.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyRefreshes, emptyView, type Refresh, type ClusterView } from '../../src/health/view.js';
import { DEFAULT_HEALTH_OPTIONS, type Member, type Probe } from '../../src/domain/types.js';
import { caFileContent, caPhasesToRun, caPhasesTodo, caRunState, planCaRotation, type CaHostState, type CaRotationInput } from '../../src/plans/ca-rotation.js';
import { pemBlocks, trustedCaFiles } from '../../src/run/ca-rotation.js';
import { DEFAULT_ROLLING_TIMEOUTS } from '../../src/run/rolling.js';
import { member, up, IDS, hostSpec } from '../fakes/fixtures.js';
import { flowById } from '../../src/flows/modules/index.js';

function viewOf(members: Member[], probes: Record<string, Probe>): ClusterView {
  const batch: Refresh[] = [{ type: 'membership', at: 1000, result: { ok: true, clusterId: '7', members } }, ...Object.entries(probes).map(([id, probe]): Refresh => ({ type: 'probe', at: 1000, memberId: id, probe }))];
  return applyRefreshes(emptyView(DEFAULT_HEALTH_OPTIONS, 1000), batch, DEFAULT_HEALTH_OPTIONS);
}

const OLD = '-----BEGIN CERTIFICATE-----\nOLD\n-----END CERTIFICATE-----';
const NEW = '-----BEGIN CERTIFICATE-----\nNEW\n-----END CERTIFICATE-----';
const three = [member('m1'), member('m2'), member('m3')];
const view = viewOf(three, { [IDS.m1]: up({ memberId: IDS.m1 }), [IDS.m2]: up({ memberId: IDS.m2 }), [IDS.m3]: up({ memberId: IDS.m3 }) });
const hosts = three.map((m, i) => hostSpec(m.name, `10.9.0.${i + 1}`));

function state(name: string, at: 'start' | 'bundle' | 'leaf' | 'done'): CaHostState {
  const h = hosts.find((x) => x.name === name)!;
  const caFiles = [{ path: '/etc/etcd/pki/ca.pem', oldPems: at === 'done' ? [] : [OLD], hasNew: at !== 'start' }];
  return { host: h, caFiles, leafNew: at === 'leaf' || at === 'done', presentedSerial: at === 'leaf' || at === 'done' ? 'NEW1' : 'OLD1', next: { file: `/pki2/member-${name}.pem`, keyFile: `/pki2/member-${name}-key.pem`, serial: 'NEW1' } };
}

function input(states: CaHostState[], extra: Partial<CaRotationInput> = {}): CaRotationInput {
  return {
    hosts,
    states,
    newCaPem: NEW,
    caDir: '/pki2',
    phase: 'all',
    gapThreshold: 50,
    timeouts: DEFAULT_ROLLING_TIMEOUTS,
    bastion: { now: { cacert: '/b/ca.pem', cert: '/b/admin.pem', key: '/b/admin-key.pem' }, bundle: { path: '/b/ca.pem.etcd-tui-bundle-X.pem', pem: `${OLD}\n${NEW}\n` }, newCacert: '/pki2/ca.pem', client: { cert: '/pki2/admin.pem', key: '/pki2/admin-key.pem' } },
    contexts: { path: '/b/contexts.yaml', context: 'prod', backup: '/b/contexts.yaml.etcd-tui-backup-X' },
    ...extra,
  };
}

test('phases to do are read from where each host is; --phase needs the earlier phases done everywhere', () => {
  const start = caPhasesTodo(['m1', 'm2', 'm3'].map((n) => state(n, 'start')));
  assert.deepEqual(start, { 1: ['m1', 'm2', 'm3'], 2: ['m1', 'm2', 'm3'], 3: ['m1', 'm2', 'm3'] });
  const mid = caPhasesTodo([state('m1', 'leaf'), state('m2', 'bundle'), state('m3', 'bundle')]);
  assert.deepEqual(mid, { 1: [], 2: ['m2', 'm3'], 3: ['m1', 'm2', 'm3'] });
  assert.deepEqual(caPhasesToRun(start, 'all'), [1, 2, 3]);
  assert.deepEqual(caPhasesToRun(mid, 'all'), [2, 3]);
  assert.deepEqual(caPhasesToRun(start, 1), [1]);
  const early = caPhasesToRun(start, 3);
  assert.ok('refusal' in early && /phase 3 needs phase 1 and 2 done on every member first .*run --phase 1/.test(early.refusal), JSON.stringify(early));
  const done1 = caPhasesToRun(mid, 1);
  assert.ok('refusal' in done1 && /phase 1 is done on every member already \(still to do: phase 2, 3\)/.test(done1.refusal));
  const all = caPhasesToRun(caPhasesTodo(['m1', 'm2', 'm3'].map((n) => state(n, 'done'))), 'all');
  assert.ok('refusal' in all && /nothing to do/.test(all.refusal));
});

test('CA file contents: phase 1 the old CA then the new, phase 3 the new only; PEM blocks and env names', () => {
  const f = { path: '/x', oldPems: [OLD], hasNew: false };
  assert.equal(caFileContent(f, NEW, 1), `${OLD}\n${NEW}\n`);
  assert.equal(caFileContent(f, NEW, 3), `${NEW}\n`);
  assert.deepEqual(pemBlocks(`junk\n${OLD}\nmore\n${NEW}\n`), [OLD, NEW]);
  assert.deepEqual(trustedCaFiles('ETCD_TRUSTED_CA_FILE=/etc/etcd/pki/ca.pem\n# c\nETCD_PEER_TRUSTED_CA_FILE="/etc/etcd/pki/peer-ca.pem"\nETCDCTL_CACERT=/etc/etcd/pki/ca.pem\n'), ['/etc/etcd/pki/ca.pem', '/etc/etcd/pki/peer-ca.pem']);
  assert.deepEqual(trustedCaFiles('ETCD_TRUSTED_CA_FILE=/a\nETCD_PEER_TRUSTED_CA_FILE=/a\n'), ['/a']);
});

test('a full CA change: three rolling runs, the leader last in each, the bastion switched before phase 2 and 3, the contexts file at the end', () => {
  const r = planCaRotation(view, input(['m1', 'm2', 'm3'].map((n) => state(n, 'start'))));
  assert.ok(r.ok, r.ok ? '' : r.refusal);
  const ids = r.plan.steps.map((s) => s.id);
  const per = (p: number, order: string[], move?: string) => [
    ...order.flatMap((n, i) => [...(i === order.length - 1 && move ? [`p${p}-move-${n}`] : []), `p${p}-gate-${n}`, `p${p}-change-${n}`, `p${p}-restart-${n}`, `p${p}-back-${n}`, `p${p}-verify-${n}`, `p${p}-done-${n}`]),
  ];
  // m1 leads: phase 1 moves leadership to m2 (done first), so phase 2 has m2 last, moving to m1; phase 3 has m1 last.
  assert.deepEqual(ids, [
    ...per(1, ['m2', 'm3', 'm1'], 'move'),
    'p2-bastion-bundle',
    ...per(2, ['m1', 'm3', 'm2'], 'move'),
    'p3-bastion-client',
    ...per(3, ['m2', 'm3', 'm1'], 'move'),
    'contexts-update',
  ]);
  const step = (id: string) => r.plan.steps.find((s) => s.id === id)!;
  assert.deepEqual(step('p1-move-m1').action, { kind: 'move-leader', fromId: IDS.m1, toId: IDS.m2, toName: 'm2', timeoutMs: DEFAULT_ROLLING_TIMEOUTS.moveLeaderMs });
  // Phase 1 uploads the bundle, keeps the old leaf (verified by the serial it had); phase 2 the new leaf; phase 3 the new CA only.
  const p1 = step('p1-change-m2').action;
  assert.ok(p1.kind === 'rolling-put-files');
  assert.deepEqual(p1.files.map((f) => [f.remotePath, f.source.kind === 'text' ? f.source.text : '']), [['/etc/etcd/pki/ca.pem', `${OLD}\n${NEW}\n`]]);
  assert.deepEqual(step('p1-verify-m2').action, { kind: 'verify-member-cert', host: 'm2', name: 'm2', serial: 'OLD1', tls: { cacert: '/b/ca.pem', cert: '/b/admin.pem', key: '/b/admin-key.pem' }, timeoutMs: 60_000, what: 'its certificate as before' });
  const p2 = step('p2-change-m2').action;
  assert.ok(p2.kind === 'rolling-put-files');
  assert.deepEqual(p2.files.map((f) => (f.source.kind === 'local' ? f.source.path : '')), ['/pki2/member-m2.pem', '/pki2/member-m2-key.pem']);
  assert.deepEqual(step('p2-bastion-bundle').action, { kind: 'client-tls-switch', tls: { cacert: '/b/ca.pem.etcd-tui-bundle-X.pem', cert: '/b/admin.pem', key: '/b/admin-key.pem' }, bundle: { path: '/b/ca.pem.etcd-tui-bundle-X.pem', pem: `${OLD}\n${NEW}\n` }, why: 'the members present certificates from the new CA from phase 2 on' });
  assert.deepEqual((step('p3-bastion-client').action as { tls: unknown }).tls, { cacert: '/b/ca.pem.etcd-tui-bundle-X.pem', cert: '/pki2/admin.pem', key: '/pki2/admin-key.pem' });
  const p3 = step('p3-change-m3').action;
  assert.ok(p3.kind === 'rolling-put-files' && p3.files[0].source.kind === 'text' && p3.files[0].source.text === `${NEW}\n`);
  assert.deepEqual(step('contexts-update').action, { kind: 'contexts-update', path: '/b/contexts.yaml', context: 'prod', backup: '/b/contexts.yaml.etcd-tui-backup-X', set: { cacert: '/pki2/ca.pem', cert: '/pki2/admin.pem', key: '/pki2/admin-key.pem', caDir: '/pki2' } });
  assert.equal(r.plan.flow, 'rotate-certs');
  assert.ok(r.plan.rollbackOnFailure);
  assert.deepEqual(r.plan.args, { caChange: true, caDir: '/pki2', phases: [1, 2, 3], contextsFile: '/b/contexts.yaml', contextsBackup: '/b/contexts.yaml.etcd-tui-backup-X' });
  const preview = r.plan.preview.join('\n');
  assert.match(preview, /phase 1 \(trusted CA files become a bundle of the old and the new CA\): m1: \/etc\/etcd\/pki\/ca\.pem; m2: /);
  assert.match(preview, /phase 2 \(new leaf certificates from the new CA\): m1: \/etc\/etcd\/pki\/member-m1\.pem, \/etc\/etcd\/pki\/member-m1-key\.pem/);
  assert.match(preview, /other clients \(kube-apiserver.*before phase 2 starts.*before phase 3 starts/);
  assert.match(preview, /the contexts file|context "prod" in \/b\/contexts\.yaml points at \/pki2\/ca\.pem and \/pki2\/admin\.pem/);
  // The state when phase 2 fails on its second member.
  const failed = ids.indexOf('p2-back-m3');
  assert.equal(caRunState(r.plan, failed, '/pki2', '/b/ca.pem.etcd-tui-bundle-X.pem'), 'phase 2: m1 done, m3 failed and rolled back; members trust both CAs; finish with: etcd-tui rotate-certs --ca-dir /pki2 --cacert /b/ca.pem.etcd-tui-bundle-X.pem');
});

test('one phase at a time: phase 1 alone leaves the bastion and the contexts file; phase 3 alone switches to the bundle first', () => {
  const p1 = planCaRotation(view, input(['m1', 'm2', 'm3'].map((n) => state(n, 'start')), { phase: 1 }));
  assert.ok(p1.ok);
  assert.ok(p1.plan.steps.every((s) => s.id.startsWith('p1-')));
  assert.match(p1.plan.preview.join('\n'), /the contexts file is not changed \(phase 1 only/);
  const p3 = planCaRotation(view, input(['m1', 'm2', 'm3'].map((n) => state(n, 'leaf')), { phase: 3 }));
  assert.ok(p3.ok, p3.ok ? '' : p3.refusal);
  assert.deepEqual(p3.plan.steps.slice(0, 2).map((s) => s.id), ['p3-bastion-bundle', 'p3-bastion-client']);
  assert.equal(p3.plan.steps.at(-1)?.id, 'contexts-update');
  // Resumed in phase 2: only the members not done yet.
  const resumed = planCaRotation(view, input([state('m1', 'bundle'), state('m2', 'leaf'), state('m3', 'bundle')], { phase: 2 }));
  assert.ok(resumed.ok);
  assert.deepEqual([...new Set(resumed.plan.steps.filter((s) => s.action.kind === 'rolling-member-done').map((s) => s.id))], ['p2-done-m3', 'p2-done-m1']);
  // A member whose serial could not be read: no phase 1 for it.
  const unread = planCaRotation(view, input([{ ...state('m1', 'start'), presentedSerial: undefined }, state('m2', 'start'), state('m3', 'start')]));
  assert.ok(!unread.ok && /m1: the certificate the member presents could not be read/.test(unread.refusal));
});

test('the console: `:rotate-certs --phase N` runs one phase; a bad phase is refused in one line', () => {
  const def = flowById('rotate-certs');
  const env = {} as Parameters<typeof def.fromConsole>[1];
  assert.deepEqual(def.fromConsole({ argument: '--phase 2', field: () => '' }, env), { ok: true, input: { hosts: [], phase: 2 } });
  assert.deepEqual(def.fromConsole({ argument: 'm1 m2', field: () => '' }, env), { ok: true, input: { hosts: ['m1', 'm2'] } });
  assert.deepEqual(def.fromConsole({ argument: '--phase 4', field: () => '' }, env), { ok: false, refusal: '--phase: "4" is not 1, 2 or 3 (:rotate-certs [HOST...] [--ca-dir DIR] [--phase 1|2|3])' });
});
