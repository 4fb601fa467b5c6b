/**
 * The console's CA change (src/flows/modules/rotate-certs.ts, src/run/ca-rotation.ts): the palette's
 * `--ca-dir DIR` (made absolute) and its refusals; the state said on the result screen when a run
 * stops (the headless STATE words, with the console's syntax to finish); nothing said after a
 * success or for a plain rotation; the bastion's TLS switch goes through the gateway's useTls (the fake
 * gateway records it) and writes the bundle once, never over other content; a gateway without useTls
 * fails the step with a clear line; the contexts file's rewrite is checked before anything changes
 * (a backup name already taken: refused in one line, no bundle written) and planned as the last step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyRefreshes, emptyView, type Refresh, type ClusterView } from '../../src/health/view.js';
import { DEFAULT_HEALTH_OPTIONS, type Member, type Probe } from '../../src/domain/types.js';
import { caBundlePath, caRunState, planCaRotation, type CaHostState, type CaRotationInput } from '../../src/plans/ca-rotation.js';
import { CA_ROTATION_HANDLERS, prepareCaChange } from '../../src/run/ca-rotation.js';
import { HostPool } from '../../src/hosts/pool.js';
import { DEFAULT_ETCD_SETTINGS } from '../../src/domain/hosts.js';
import type { HostCertFacts } from '../../src/plans/rotate-certs.js';
import { utcStamp } from '../../src/format/stamp.js';
import { FakeHost } from '../fakes/fake-host.js';
import { makeClusterPki } from '../harness/certs.js';
import { DEFAULT_ROLLING_TIMEOUTS } from '../../src/run/rolling.js';
import type { ExecutorDeps, RunContext } from '../../src/run/types.js';
import type { Plan, RunResult } from '../../src/domain/plan.js';
import { caChangeAfter, parseRotateCertsArgument } from '../../src/flows/modules/rotate-certs.js';
import { FakeGateway } from '../fakes/fake-gateway.js';
import { bodyLines } from '../../screens/flow/layout.js';
import type { FlowView } from '../../src/flows/state.js';
import { member, up, hostSpec } from '../fakes/fixtures.js';

const OLD = '-----BEGIN CERTIFICATE-----\nOLD\n-----END CERTIFICATE-----';
const NEW = '-----BEGIN CERTIFICATE-----\nNEW\n-----END CERTIFICATE-----';
const three: Member[] = [member('m1'), member('m2'), member('m3')];
const batch: Refresh[] = [{ type: 'membership', at: 1000, result: { ok: true, clusterId: '7', members: three } }, ...three.map((m): Refresh => ({ type: 'probe', at: 1000, memberId: m.id, probe: up({ memberId: m.id }) as Probe }))];
const view: ClusterView = applyRefreshes(emptyView(DEFAULT_HEALTH_OPTIONS, 1000), batch, DEFAULT_HEALTH_OPTIONS);
const hosts = three.map((m, i) => hostSpec(m.name, `10.9.0.${i + 1}`));

function start(name: string): CaHostState {
  const h = hosts.find((x) => x.name === name)!;
  return { host: h, caFiles: [{ path: '/etc/etcd/pki/ca.pem', oldPems: [OLD], hasNew: false }], leafNew: false, presentedSerial: 'OLD1', next: { file: `/pki2/member-${name}.pem`, keyFile: `/pki2/member-${name}-key.pem`, serial: 'NEW1' } };
}

const input: CaRotationInput = {
  hosts,
  states: ['m1', 'm2', 'm3'].map(start),
  newCaPem: NEW,
  caDir: '/pki2',
  phase: 'all',
  gapThreshold: 50,
  timeouts: DEFAULT_ROLLING_TIMEOUTS,
  bastion: { now: { cacert: '/b/ca.pem' }, bundle: { path: '/b/ca.pem.etcd-tui-bundle-X.pem', pem: `${OLD}\n${NEW}\n` }, newCacert: '/pki2/ca.pem' },
  contexts: { path: '/b/contexts.yaml', context: 'prod', backup: '/b/contexts.yaml.etcd-tui-backup-X' },
};

function plan(): Plan {
  const r = planCaRotation(view, input);
  assert.ok(r.ok, r.ok ? '' : r.refusal);
  return r.plan;
}

test('the palette: --ca-dir DIR made absolute, with hosts and --phase; a missing dir or an unknown option refused in one line', () => {
  const abs = (p: string) => (p.startsWith('/') ? p : `/home/op/${p}`);
  assert.deepEqual(parseRotateCertsArgument('--ca-dir pki2', abs), { ok: true, input: { hosts: [], caDir: '/home/op/pki2' } });
  assert.deepEqual(parseRotateCertsArgument('m1 --ca-dir /x --phase 2', abs), { ok: true, input: { hosts: ['m1'], caDir: '/x', phase: 2 } });
  assert.deepEqual(parseRotateCertsArgument(undefined, abs), { ok: true, input: { hosts: [] } });
  const missing = parseRotateCertsArgument('--ca-dir', abs);
  assert.ok(!missing.ok && /^--ca-dir needs the directory with the new certificates \(:rotate-certs /.test(missing.refusal), JSON.stringify(missing));
  const unknown = parseRotateCertsArgument('--cadir x', abs);
  assert.ok(!unknown.ok && /^:rotate-certs does not know --cadir/.test(unknown.refusal) && !unknown.refusal.includes('\n'));
});

test('a CA change that stops in phase 2: the result screen says the STATE as headless does, with the console syntax to finish', () => {
  const p = plan();
  const failed = p.steps.findIndex((s) => s.id === 'p2-back-m3');
  assert.ok(failed > 0);
  const result: RunResult = { outcome: 'failed', error: 'm3 did not come back', output: [], durationMs: 1, failedStep: failed };
  assert.equal(caBundlePath(p), '/b/ca.pem.etcd-tui-bundle-X.pem');
  assert.equal(
    caChangeAfter(p, result),
    'STATE: phase 2: m1 done, m3 failed and rolled back; members trust both CAs; finish with: :rotate-certs --ca-dir /pki2 in this console (a new console: etcd-tui --cacert /b/ca.pem.etcd-tui-bundle-X.pem, then the same)',
  );
  // The headless words are unchanged.
  assert.match(caRunState(p, failed, '/pki2', '/b/x.pem'), /finish with: etcd-tui rotate-certs --ca-dir \/pki2 --cacert \/b\/x\.pem$/);
  // Phase 1: no bundle needed to connect yet.
  const p1 = p.steps.findIndex((s) => s.id === 'p1-gate-m3');
  assert.match(caChangeAfter(p, { ...result, outcome: 'aborted', failedStep: p1 }) ?? '', /^STATE: phase 1: m2 done, stopped before m3 \(not changed\); .*finish with: :rotate-certs --ca-dir \/pki2 in this console$/);
  // Nothing to say after a success, nor for a rotation that is not a CA change.
  assert.equal(caChangeAfter(p, { ...result, outcome: 'succeeded', failedStep: undefined }), undefined);
  assert.equal(caChangeAfter({ ...p, args: {} }, result), undefined);
});

test("the bastion's TLS switch: the bundle written once, the gateway's useTls called; other content never overwritten; a gateway without useTls refused", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-ca-switch-'));
  try {
    const gateway = new FakeGateway();
    const deps = { gateway } as unknown as ExecutorDeps;
    const run = {} as RunContext;
    const bundle = { path: join(dir, 'bundle.pem'), pem: `${OLD}\n${NEW}\n` };
    const action = { kind: 'client-tls-switch' as const, tls: { cacert: bundle.path }, bundle, why: 'test' };
    const said = await CA_ROTATION_HANDLERS['client-tls-switch'](action, 0, deps, run);
    assert.match(String(typeof said === 'string' ? said : JSON.stringify(said)), /wrote .*bundle\.pem \(2 CA certificates\)/);
    assert.equal(readFileSync(bundle.path, 'utf8'), bundle.pem);
    assert.deepEqual(gateway.tlsSwitches, [{ cacert: bundle.path }]);
    // Again (a resumed run): the same content is fine.
    await CA_ROTATION_HANDLERS['client-tls-switch'](action, 0, deps, run);
    assert.equal(gateway.tlsSwitches.length, 2);
    writeFileSync(bundle.path, 'other');
    await assert.rejects(CA_ROTATION_HANDLERS['client-tls-switch'](action, 0, deps, run), /exists with other content: it is never overwritten/);
    assert.equal(readFileSync(bundle.path, 'utf8'), 'other');
    // A gateway that cannot switch its TLS files.
    const plain = { gateway: { ...gateway, useTls: undefined } } as unknown as ExecutorDeps;
    await assert.rejects(CA_ROTATION_HANDLERS['client-tls-switch']({ ...action, bundle: undefined }, 0, plain, run), /this cluster connection cannot switch its TLS files/);
    assert.ok(existsSync(bundle.path));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a CA change checks the contexts file before anything changes: a backup name already taken is refused in one line; a writable one is planned with the rewrite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-ca-local-'));
  try {
    const specs = three.map((m) => hostSpec(m.name, '127.0.0.1'));
    const pki1 = makeClusterPki(join(dir, 'pki1'), specs.map((h) => ({ name: h.name, ip: '127.0.0.1' })));
    const pki2 = makeClusterPki(join(dir, 'pki2'), specs.map((h) => ({ name: h.name, ip: '127.0.0.1' })));
    const fakes = new Map(
      specs.map((h) => {
        const f = new FakeHost(h.ssh);
        f.files.set(h.envFile, { content: Buffer.from('ETCD_TRUSTED_CA_FILE=/etc/etcd/pki/ca.pem\nETCD_CLIENT_CERT_AUTH=true\n'), mode: 0o644 });
        f.files.set('/etc/etcd/pki/ca.pem', { content: readFileSync(pki1.ca), mode: 0o644 });
        return [h.ssh, f] as const;
      }),
    );
    const pool = new HostPool({ connect: async (target) => fakes.get(target) as FakeHost }, specs, { unknownHost: 'refuse' });
    const facts: HostCertFacts[] = specs.map((h) => ({ host: h, presentedSerial: 'OLD', next: { source: 'x', file: join(pki2.dir, `member-${h.name}.pem`), keyFile: join(pki2.dir, `member-${h.name}-key.pem`), serial: 'NEW' } }));
    const contexts = join(dir, 'contexts.yaml');
    writeFileSync(contexts, 'contexts: []\n');
    const now = () => Date.UTC(2026, 0, 2, 3, 4, 5);
    const inventory = { hosts: specs, settings: DEFAULT_ETCD_SETTINGS };
    const opts = { caDir: pki2.dir, only: [], tls: { cacert: pki1.ca, cert: pki1.admin, key: pki1.adminKey }, gapThreshold: 50, timeouts: DEFAULT_ROLLING_TIMEOUTS, now, contexts: { path: contexts, context: 'prod' } };
    const backup = `${contexts}.etcd-tui-backup-${utcStamp(now())}`;
    writeFileSync(backup, 'taken');
    const refused = await prepareCaChange(inventory, pool, facts, opts);
    assert.ok('refusal' in refused, JSON.stringify(refused));
    assert.match(refused.refusal, /the contexts file's backup .*etcd-tui-backup-20260102T030405Z exists: it is never overwritten.*; nothing was changed$/);
    assert.ok(!refused.refusal.includes('\n'));
    assert.deepEqual(readdirSync(pki1.dir).filter((f) => f.includes('bundle')), [], 'no bundle written');
    rmSync(backup);
    const ok = await prepareCaChange(inventory, pool, facts, opts);
    assert.ok('ca' in ok, JSON.stringify(ok));
    const planned = planCaRotation(view, ok.ca);
    assert.ok(planned.ok, planned.ok ? '' : planned.refusal);
    assert.deepEqual(planned.plan.steps.at(-1)?.action, { kind: 'contexts-update', path: contexts, context: 'prod', backup, set: { cacert: pki2.ca, cert: pki2.admin, key: pki2.adminKey, caDir: pki2.dir } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the result screen shows a stopped CA change's STATE line (not in green) with the console's way to finish", () => {
  const p = plan();
  const failed = p.steps.findIndex((s) => s.id === 'p2-back-m3');
  const after = caChangeAfter(p, { outcome: 'failed', error: 'x', output: [], durationMs: 1, failedStep: failed });
  const flow: FlowView = { kind: 'rotate-certs', title: p.title, stage: 'done', fields: [], focus: 0, typed: '', steps: [], plan: p, result: { outcome: 'failed', error: 'm3 did not come back', output: [], durationMs: 1000, after } };
  const lines = bodyLines(flow, 79);
  const at = lines.findIndex((l) => l.some((seg) => seg.text.includes('STATE: phase 2')));
  assert.ok(at >= 0, JSON.stringify(lines));
  assert.equal(lines[at].find((seg) => seg.text.includes('STATE'))?.color, 'yellow');
  const text = lines.slice(at).map((l) => l.map((seg) => seg.text).join('')).join(' ').replace(/\s+/g, ' ');
  assert.match(text, /finish with: :rotate-certs --ca-dir \/pki2 in this console/);
});
