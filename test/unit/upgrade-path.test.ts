import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkUpgradePath, parseEtcdVersion, unknownEnvSettings } from '../../src/plans/upgrade-path.js';

const three = (v: string) => ({ m1: v, m2: v, m3: v });

test('versions parse from what etcd and its binaries print', () => {
  assert.deepEqual(parseEtcdVersion('3.5.16'), { major: 3, minor: 5, patch: 16 });
  assert.deepEqual(parseEtcdVersion('etcd Version: 3.4.23\nGit SHA: Not provided'), { major: 3, minor: 4, patch: 23 });
  assert.deepEqual(parseEtcdVersion('v3.6.0-rc.1'), { major: 3, minor: 6, patch: 0 });
  assert.equal(parseEtcdVersion('latest'), undefined);
});

test('patch upgrades any time; one minor at a time', () => {
  const patch = checkUpgradePath({ current: three('3.5.16'), target: '3.5.30', authEnabled: true });
  assert.ok(patch.ok && patch.kind === 'patch' && patch.from === '3.5.16' && patch.to === '3.5.30');
  const minor = checkUpgradePath({ current: three('3.4.23'), target: '3.5.16', authEnabled: false });
  assert.ok(minor.ok && minor.kind === 'minor');
  assert.ok(minor.notes.some((n) => /cluster version moves to 3\.5\.0 only when the last member/.test(n)));
});

test('refusals: a skipped minor, a minor downgrade, a major change, 3.5 -> 3.6 from an old 3.5, 3.4 -> 3.5 with auth on', () => {
  const cases: Array<[Record<string, string>, string, boolean, RegExp]> = [
    [three('3.4.23'), '3.6.0', false, /skips a minor version; upgrade one minor at a time \(3\.4 -> 3\.5 -> \.\.\. -> 3\.6\)/],
    [three('3.5.16'), '3.4.23', false, /minor downgrade/],
    [three('3.5.16'), '4.0.0', false, /major version/],
    [three('3.5.16'), '3.6.0', false, /needs 3\.5\.32 or later first/],
    [three('3.4.23'), '3.5.16', true, /3\.4 -> 3\.5 with authentication enabled is not supported/],
    [three('3.5.16'), 'newest', false, /not an etcd version/],
  ];
  for (const [current, target, authEnabled, re] of cases) {
    const r = checkUpgradePath({ current, target, authEnabled });
    assert.ok(!r.ok && re.test(r.refusal), `${JSON.stringify(current)} -> ${target}: ${JSON.stringify(r)}`);
  }
  // The override lets 3.4 -> 3.5 with auth go, and says so.
  const forced = checkUpgradePath({ current: three('3.4.23'), target: '3.5.16', authEnabled: true, allowAuthUpgrade: true });
  assert.ok(forced.ok && forced.notes.some((n) => /overridden by the operator/.test(n)));
  // 3.5.32 -> 3.6 is allowed.
  assert.ok(checkUpgradePath({ current: three('3.5.32'), target: '3.6.4', authEnabled: false }).ok);
});

test('a patch downgrade is allowed; a mixed cluster may only finish its minor upgrade', () => {
  const down = checkUpgradePath({ current: three('3.5.30'), target: '3.5.16', authEnabled: false });
  assert.ok(down.ok && down.kind === 'patch-downgrade');
  const mixed = { m1: '3.5.16', m2: '3.4.23', m3: '3.4.23' };
  const finish = checkUpgradePath({ current: mixed, target: '3.5.16', authEnabled: false });
  assert.ok(finish.ok && finish.notes.some((n) => /mixed/.test(n)));
  const elsewhere = checkUpgradePath({ current: mixed, target: '3.4.25', authEnabled: false });
  assert.ok(!elsewhere.ok && /finish that upgrade to 3\.5 first/.test(elsewhere.refusal));
  const same = checkUpgradePath({ current: three('3.5.16'), target: '3.5.16', authEnabled: false });
  assert.ok(same.ok && same.kind === 'none');
});

test('env settings the new binary does not know are named with their line and the fix', () => {
  const env = ['# etcd.env', 'ETCD_NAME="etcd-1"', 'ETCD_ENABLE_V2="true"', 'ETCD_DATA_DIR=/var/lib/etcd', 'ETCDCTL_API=3', 'ETCD_QUOTA_BACKEND_BYTES=8589934592'].join('\n');
  const help = 'Usage:\n  etcd [flags]\nMember:\n  --name \'default\'\n    Human-readable name.\n  --data-dir \'${name}.etcd\'\n  --quota-backend-bytes 0\n';
  assert.deepEqual(unknownEnvSettings(env, help), [{ key: 'ETCD_ENABLE_V2', line: 3, fix: 'the new etcd has no --enable-v2 flag: remove ETCD_ENABLE_V2 from the env file before its turn (or use the setting\'s new name)' }]);
  assert.deepEqual(unknownEnvSettings(env, help + '  --enable-v2 false\n'), []);
});
