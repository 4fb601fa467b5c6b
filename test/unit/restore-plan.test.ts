import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostSpec } from '../fakes/fixtures.js';
import { DEFAULT_ETCD_SETTINGS } from '../../src/domain/hosts.js';
import { DEFAULT_RESTORE_TIMEOUTS, planRestore, restoreNeedsBytes, type RestoreInput } from '../../src/plans/restore.js';

const host = hostSpec;

const hosts = [host('e1', '10.9.0.1', { stopServices: ['kube-apiserver'] }), host('e2', '10.9.0.2'), host('e3', '10.9.0.3')];

function input(extra: Partial<RestoreInput> = {}): RestoreInput {
  return {
    hosts,
    settings: DEFAULT_ETCD_SETTINGS,
    snapshot: { file: '/backup/snap.db', fileSize: 10 << 20, fileSha256: 'ab'.repeat(32), revision: 500, totalKey: 120, trailer: 'ok' },
    facts: hosts.map((h) => ({ host: h.name, version: '3.5.16', toolPresent: true, etcdActive: true, freeBytes: 10 * 2 ** 30, dependents: {} })),
    dependents: { e1: ['kube-apiserver'], e2: [], e3: [] },
    envFiles: Object.fromEntries(hosts.map((h) => [h.name, { text: `ETCD_NAME=${h.name}\n` }])),
    toolSources: {},
    token: 'etcd-tui-restore-x',
    stamp: 'S',
    skipHashCheck: false,
    kubernetes: false,
    timeouts: DEFAULT_RESTORE_TIMEOUTS,
    contextName: 'prod',
    ...extra,
  };
}

test('restore plan: seed 004 order, every host, the point of no return before the start, type the context name', () => {
  const r = planRestore(input());
  assert.ok(r.ok, JSON.stringify(r));
  const kinds = r.plan.steps.map((s) => `${s.action.kind}${'host' in s.action ? `:${s.action.host}` : ''}${'unit' in s.action && s.action.unit ? `:${s.action.unit}` : ''}`);
  assert.deepEqual(kinds, [
    'remote-service-stop:e1:kube-apiserver',
    'remote-service-stop:e1:etcd', 'remote-service-stop:e2:etcd', 'remote-service-stop:e3:etcd',
    'remote-upload:e1', 'remote-sha256:e1', 'remote-upload:e2', 'remote-sha256:e2', 'remote-upload:e3', 'remote-sha256:e3',
    'remote-restore:e1', 'remote-restore:e2', 'remote-restore:e3',
    'remote-swap-data:e1', 'remote-swap-data:e2', 'remote-swap-data:e3',
    'remote-upload:e1', 'remote-upload:e2', 'remote-upload:e3',
    'point-of-no-return',
    'remote-systemctl:e1:etcd', 'remote-systemctl:e2:etcd', 'remote-systemctl:e3:etcd',
    'wait-cluster-formed', 'verify-restore',
    'remote-systemctl:e1:kube-apiserver',
  ]);
  assert.equal(r.plan.confirmPhrase, 'prod');
  assert.equal(r.plan.rollbackOnFailure, true);
  const restore = r.plan.steps.find((s) => s.action.kind === 'remote-restore');
  assert.match(restore?.command ?? '', /^\$?\s*ssh root@10\.9\.0\.1 \/usr\/local\/bin\/etcdutl snapshot restore \/var\/lib\/etcd-tui-restore-S\.db --name e1 --initial-cluster e1=https:\/\/10\.9\.0\.1:2380,e2=https:\/\/10\.9\.0\.2:2380,e3=https:\/\/10\.9\.0\.3:2380/);
  const verify = r.plan.steps.find((s) => s.action.kind === 'verify-restore')?.action;
  assert.ok(verify?.kind === 'verify-restore' && verify.minRevision === 500);
});

test('restore refusals: a corrupt file, a file without trailer (unless --skip-hash-check), a host down, no disk, no tool', () => {
  const corrupt = planRestore(input({ snapshot: { ...input().snapshot, trailer: 'mismatch' } }));
  assert.ok(!corrupt.ok && /corrupt/.test(corrupt.refusal));
  const raw = planRestore(input({ snapshot: { ...input().snapshot, trailer: 'absent' } }));
  assert.ok(!raw.ok && /--skip-hash-check/.test(raw.refusal));
  const skipped = planRestore(input({ snapshot: { ...input().snapshot, trailer: 'absent' }, skipHashCheck: true }));
  assert.ok(skipped.ok && skipped.plan.preview.some((l) => /ABSENT/.test(l)));
  const down = planRestore(input({ facts: [{ host: 'e1', error: 'connection refused' }, ...input().facts.slice(1)] }));
  assert.ok(!down.ok && /e1: connection refused/.test(down.refusal));
  const full = planRestore(input({ facts: input().facts.map((f) => (f.host === 'e2' ? { ...f, freeBytes: 1000 } : f)) }));
  assert.ok(!full.ok && new RegExp(`e2: .* free in /var/lib, the restore needs about`).test(full.refusal), JSON.stringify(full));
  assert.ok(restoreNeedsBytes(10 << 20) > 2 * (10 << 20));
  const noTool = planRestore(input({ facts: input().facts.map((f) => ({ ...f, toolPresent: false })) }));
  assert.ok(!noTool.ok && /etcdutl is missing/.test(noTool.refusal));
  const uploaded = planRestore(input({ facts: input().facts.map((f) => ({ ...f, toolPresent: false })), toolSources: { e1: { kind: 'local', path: '/opt/etcdutl' }, e2: { kind: 'local', path: '/opt/etcdutl' }, e3: { kind: 'local', path: '/opt/etcdutl' } } }));
  assert.ok(uploaded.ok && uploaded.plan.steps.filter((s) => s.id.startsWith('tool-')).length === 3);
  const k8s = planRestore(input({ kubernetes: true }));
  assert.ok(k8s.ok && k8s.plan.warnings.some((w) => /--bump-revision/.test(w)));
});
