/**
 * The pure parts of the rolling config change and certificate rotation: KEY=VALUE parsing (unknown
 * keys refused with the known ones), the env file diff, the equal-on-every-member note and refusal,
 * the plan's steps (change, restart, back, verify, done per member; the leader last), the certificate
 * checks (SANs, CA change refused) and the serial and metric readers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyRefreshes, emptyView, type Refresh, type ClusterView } from '../../src/health/view.js';
import { DEFAULT_HEALTH_OPTIONS, type Member, type Probe } from '../../src/domain/types.js';
import { DEFAULT_ETCD_SETTINGS } from '../../src/domain/hosts.js';
import { planRolling } from '../../src/plans/rolling.js';
import { applyConfig, configNotes, diffLines, envDiff, hostRenderSettings, parseConfigArgs, parseConfigSize, settingChecks } from '../../src/plans/config-change.js';
import { rotationProblems, sameSerial, type HostCertFacts } from '../../src/plans/rotate-certs.js';
import { scopeRefusal } from '../../src/run/config-change.js';
import { gaugeValue, normalizeSerial } from '../../src/run/rolling-change-actions.js';
import { DEFAULT_ROLLING_TIMEOUTS } from '../../src/run/rolling.js';
import { member, up, IDS, hostSpec } from '../fakes/fixtures.js';

function viewOf(members: Member[], probes: Record<string, Probe>): ClusterView {
  const batch: Refresh[] = [{ type: 'membership', at: 1000, result: { ok: true, clusterId: '7', members } }, ...Object.entries(probes).map(([id, probe]): Refresh => ({ type: 'probe', at: 1000, memberId: id, probe }))];
  return applyRefreshes(emptyView(DEFAULT_HEALTH_OPTIONS, 1000), batch, DEFAULT_HEALTH_OPTIONS);
}

const OLD = ['# header', 'ETCD_NAME=m1', 'ETCD_HEARTBEAT_INTERVAL=100', 'ETCD_QUOTA_BACKEND_BYTES=268435456', 'ETCD_METRICS=basic', ''].join('\n');

test('config set: KEY=VALUE words and HOST words; an unknown key is refused with the list of known ones', () => {
  const ok = parseConfigArgs(['quota-backend-bytes=8GB', 'm2']);
  assert.ok(!('refusal' in ok));
  assert.equal(ok.assignments[0].key.env, 'ETCD_QUOTA_BACKEND_BYTES');
  assert.deepEqual(ok.hosts, ['m2']);
  const bad = parseConfigArgs(['quota=8GB']);
  assert.ok('refusal' in bad);
  assert.match(bad.refusal, /^unknown setting "quota"; known: quota-backend-bytes, auto-compaction-mode, auto-compaction-retention, snapshot-count, max-request-bytes, heartbeat-interval, election-timeout, metrics, log-level$/);
  const none = parseConfigArgs(['m1']);
  assert.ok('refusal' in none && /at least one KEY=VALUE/.test(none.refusal));
  const twice = parseConfigArgs(['log-level=info', 'ETCD_LOG_LEVEL=debug']);
  assert.ok('refusal' in twice && /given twice/.test(twice.refusal));
  assert.equal(parseConfigSize('512MiB'), 536870912);
  assert.equal(parseConfigSize('2GB'), 2e9);
  assert.equal(parseConfigSize('lots'), undefined);
});

test('config set: values checked, applied to the settings and the hosts (log level as an env override)', () => {
  const hosts = [hostSpec('m1', '10.0.0.1')];
  const parsed = parseConfigArgs(['quota-backend-bytes=512MiB', 'log-level=warn']);
  assert.ok(!('refusal' in parsed));
  const applied = applyConfig(DEFAULT_ETCD_SETTINGS, hosts, parsed.assignments);
  assert.ok(!('refusal' in applied));
  assert.equal(applied.settings.quotaBackendBytes, 536870912);
  assert.equal(applied.hosts[0].envOverrides.ETCD_LOG_LEVEL, 'warn');
  assert.equal(DEFAULT_ETCD_SETTINGS.quotaBackendBytes, 2 * 1024 ** 3, 'the inventory itself is not changed');
  const level = parseConfigArgs(['log-level=loud']);
  assert.ok(!('refusal' in level));
  const r = applyConfig(DEFAULT_ETCD_SETTINGS, hosts, level.assignments);
  assert.ok('refusal' in r && /log-level=loud is not one of debug, info, warn, error, panic, fatal/.test(r.refusal));
  for (const [value, ok] of [['8', true], ['1h30m', true], ['1.5h', true], ['10000', true], ['1x', false], ['h', false], ['8 h', false]] as const) {
    const p = parseConfigArgs([`auto-compaction-retention=${value}`]);
    assert.ok(!('refusal' in p));
    assert.equal(!('refusal' in applyConfig(DEFAULT_ETCD_SETTINGS, hosts, p.assignments)), ok, value);
  }
  const timing = parseConfigArgs(['heartbeat-interval=500', 'election-timeout=1000']);
  assert.ok(!('refusal' in timing));
  const t = applyConfig(DEFAULT_ETCD_SETTINGS, hosts, timing.assignments);
  assert.ok('refusal' in t && /at least 5 x heartbeat-interval \(2500\)/.test(t.refusal));
});

test('config set: the diff per host (old line -> new line), lines that differed already flagged', () => {
  const next = OLD.replace('ETCD_QUOTA_BACKEND_BYTES=268435456', 'ETCD_QUOTA_BACKEND_BYTES=536870912').replace('ETCD_METRICS=basic', 'ETCD_METRICS=extensive');
  const changes = envDiff(OLD, next, ['ETCD_QUOTA_BACKEND_BYTES']);
  assert.deepEqual(diffLines('m1', changes), [
    'm1: ETCD_QUOTA_BACKEND_BYTES=268435456 -> ETCD_QUOTA_BACKEND_BYTES=536870912',
    'm1: ETCD_METRICS=basic -> ETCD_METRICS=extensive   (the file on the host differed from the inventory here already)',
  ]);
  const added = envDiff(OLD, `${OLD}ETCD_LOG_LEVEL=warn\n`, ['ETCD_LOG_LEVEL']);
  assert.deepEqual(diffLines('m1', added), ['m1: (absent) -> ETCD_LOG_LEVEL=warn']);
  const parsed = parseConfigArgs(['quota-backend-bytes=512MiB']);
  assert.ok(!('refusal' in parsed));
  assert.deepEqual(settingChecks(parsed.assignments, next), [{ env: 'ETCD_QUOTA_BACKEND_BYTES', value: '536870912', metric: 'etcd_server_quota_backend_bytes' }]);
});

test('config set: heartbeat and election timeout are said to be equal on every member, and refused for some hosts only', () => {
  const parsed = parseConfigArgs(['heartbeat-interval=150', 'election-timeout=1500']);
  assert.ok(!('refusal' in parsed));
  const notes = configNotes(parsed.assignments, true);
  assert.ok(notes.some((n) => /^heartbeat-interval and election-timeout must be equal on every member/.test(n)), notes.join('\n'));
  assert.ok(notes.some((n) => /verified on each member by its env file read back \(etcd does not show heartbeat-interval, election-timeout\)/.test(n)));
  assert.match(scopeRefusal(parsed.assignments, ['m1'], ['m1', 'm2', 'm3']) ?? '', /must be equal on every member: change them on every host/);
  assert.equal(scopeRefusal(parsed.assignments, [], ['m1', 'm2', 'm3']), undefined);
  const quota = parseConfigArgs(['quota-backend-bytes=1GB']);
  assert.ok(!('refusal' in quota));
  assert.equal(scopeRefusal(quota.assignments, ['m1'], ['m1', 'm2', 'm3']), undefined);
  assert.ok(!configNotes(quota.assignments, true).some((n) => /equal on every member/.test(n)));
});

test('planRolling with a config change: per member gate, new file, restart, back, verify, done; the leader last; flow config-change', () => {
  const three = [member('m1'), member('m2'), member('m3')];
  const v = viewOf(three, { [IDS.m1]: up({ memberId: IDS.m1 }), [IDS.m2]: up({ memberId: IDS.m2 }), [IDS.m3]: up({ memberId: IDS.m3 }) });
  const hosts = three.map((m, i) => hostSpec(m.name, `10.9.0.${i + 1}`));
  const perHost = Object.fromEntries(
    hosts.map((h) => [
      h.name,
      {
        changeTitle: `new env file on ${h.name}`,
        changeCommand: 'scp',
        files: [{ source: { kind: 'text' as const, text: 'X=1\n' }, remotePath: h.envFile, mode: 0o644, what: 'env file' }],
        verifyTitle: `check ${h.name}`,
        verifyCommand: 'cat',
        verify: { kind: 'verify-member-settings' as const, host: h.name, name: h.name, envFile: h.envFile, sha256: 'x', checks: [], timeoutMs: 1000 },
      },
    ]),
  );
  const r = planRolling(v, { hosts, change: { kind: 'config', title: 'Config change: quota-backend-bytes=1GB', notes: ['m1: A -> B'], perHost }, gapThreshold: 50, timeouts: DEFAULT_ROLLING_TIMEOUTS });
  assert.ok(r.ok, r.ok ? '' : r.refusal);
  assert.equal(r.plan.flow, 'config-change');
  assert.equal(r.plan.title, 'Config change: quota-backend-bytes=1GB');
  assert.ok(r.plan.preview.includes('m1: A -> B'));
  assert.deepEqual(r.plan.steps.map((s) => s.id), [
    'gate-m2', 'change-m2', 'restart-m2', 'back-m2', 'verify-m2', 'done-m2',
    'gate-m3', 'change-m3', 'restart-m3', 'back-m3', 'verify-m3', 'done-m3',
    'move-m1', 'gate-m1', 'change-m1', 'restart-m1', 'back-m1', 'verify-m1', 'done-m1',
  ]);
  assert.deepEqual(r.plan.steps[1].action, { kind: 'rolling-put-files', host: 'm2', unit: 'etcd', files: perHost.m2.files });
  const partial = planRolling(v, { hosts, change: { kind: 'config', title: 't', notes: [], perHost: { m1: perHost.m1 } }, gapThreshold: 50, timeouts: DEFAULT_ROLLING_TIMEOUTS });
  assert.ok(!partial.ok && /m2, m3: no new files prepared/.test(partial.refusal));
});

test('rotate-certs checks: wrong SANs and a CA change are refused; serials compare however they are written', () => {
  const host = hostSpec('m1', '10.0.0.1');
  const good: HostCertFacts = {
    host,
    next: { source: '/ca/member-m1.pem', sans: ['IP:10.0.0.1', 'IP:127.0.0.1'], notAfter: new Date(Date.now() + 365 * 86400_000).toISOString(), signedByCa: true, serverAuth: true, clientAuth: true, keyMatches: true, serial: '0A1B', file: '/ca/member-m1.pem', keyFile: '/ca/member-m1-key.pem' },
    presentedSerial: '99',
    hostCaFingerprint: 'AA',
  };
  assert.deepEqual(rotationProblems([good], DEFAULT_ETCD_SETTINGS, '/ca', 'AA', Date.now()), []);
  const wrongSans = { ...good, next: { ...good.next!, sans: ['IP:10.9.9.9'] } };
  assert.match(rotationProblems([wrongSans], DEFAULT_ETCD_SETTINGS, '/ca', 'AA', Date.now()).join(), /m1: \/ca\/member-m1\.pem: its SANs \(IP:10\.9\.9\.9\) do not cover 10\.0\.0\.1, 127\.0\.0\.1/);
  const otherCa = rotationProblems([good], DEFAULT_ETCD_SETTINGS, '/ca', 'BB', Date.now()).join();
  assert.match(otherCa, /a CA change is a three-phase rotation .* that etcd-tui does not do yet/);
  const missing = rotationProblems([{ host }], DEFAULT_ETCD_SETTINGS, '/ca', 'AA', Date.now()).join();
  assert.match(missing, /\/ca has no member-m1\.pem and member-m1-key\.pem/);
  assert.ok(sameSerial('0a:1b', '0A1B') && sameSerial('A1B', '0A1B') && !sameSerial('0A1C', '0A1B') && !sameSerial(undefined, 'A'));
  assert.equal(normalizeSerial('00:ab:CD'), 'ABCD');
});

test('gaugeValue reads a gauge in the exposition format (etcd writes 5.36870912e+08)', () => {
  const text = '# HELP etcd_server_quota_backend_bytes x\n# TYPE etcd_server_quota_backend_bytes gauge\netcd_server_quota_backend_bytes 5.36870912e+08\netcd_server_quota_backend_bytes_total 1\n';
  assert.equal(gaugeValue(text, 'etcd_server_quota_backend_bytes'), 536870912);
  assert.equal(gaugeValue(text, 'etcd_nope'), undefined);
});

test('config set: the settings not named keep the values the host\'s file has (the contexts file may lag behind an earlier change)', () => {
  const parsed = parseConfigArgs(['log-level=debug']);
  assert.ok(!('refusal' in parsed));
  const applied = applyConfig({ ...DEFAULT_ETCD_SETTINGS, quotaBackendBytes: 268435456 }, [hostSpec('m1', '10.0.0.1')], parsed.assignments);
  assert.ok(!('refusal' in applied));
  const r = hostRenderSettings(applied.settings, applied.hosts[0], OLD.replace('268435456', '536870912'), parsed.assignments);
  assert.equal(r.settings.quotaBackendBytes, 536870912, 'kept from the host');
  assert.equal(r.settings.heartbeatIntervalMs, 100);
  assert.equal(r.host.envOverrides.ETCD_LOG_LEVEL, 'debug', 'the change asked for');
  const quota = parseConfigArgs(['quota-backend-bytes=1GB']);
  assert.ok(!('refusal' in quota));
  const q = hostRenderSettings({ ...DEFAULT_ETCD_SETTINGS, quotaBackendBytes: 1e9 }, hostSpec('m1', '10.0.0.1'), OLD, quota.assignments);
  assert.equal(q.settings.quotaBackendBytes, 1e9, 'the key asked for is never taken from the file');
});
