import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  HELP_TEXT,
  formatDuration,
  formatSize,
  parseArgs,
  parseDuration,
  parseEndpoints,
  parseSize,
} from '../../src/cli/args.js';
import { ConfigError } from '../../src/domain/errors.js';

/** Assert that fn throws a ConfigError whose message equals (string) or matches (RegExp) `expected`. */
function throwsConfig(fn: () => unknown, expected: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    if (typeof expected === 'string') assert.equal(err.message, expected);
    else assert.match(err.message, expected);
    assert.ok(!err.message.includes('\n'), 'message must be one line');
    return true;
  });
}

describe('parseArgs: forms', () => {
  test('no arguments opens the console with empty flags', () => {
    assert.deepEqual(parseArgs([]), { command: [], flags: {}, help: false, version: false });
  });

  test('positional words become the command, flags anywhere', () => {
    const a = parseArgs(['member', '--yes', 'remove', 'm2', '--dry-run']);
    assert.deepEqual(a.command, ['member', 'remove', 'm2']);
    assert.equal(a.flags.yes, true);
    assert.equal(a.flags.dryRun, true);
  });

  test('--flag value and --flag=value give the same result', () => {
    const a = parseArgs(['--cacert', '/ca.pem', '--context', 'prod', '--refresh', '2s']);
    const b = parseArgs(['--cacert=/ca.pem', '--context=prod', '--refresh=2s']);
    assert.deepEqual(a, b);
    assert.equal(a.flags.cacert, '/ca.pem');
    assert.equal(a.flags.context, 'prod');
    assert.equal(a.flags.refreshMs, 2000);
  });

  test('every value flag', () => {
    const { flags } = parseArgs([
      '--endpoints=https://10.0.0.1:2379, https://10.0.0.2:2379',
      '--cacert=/p/ca.pem',
      '--cert=/p/c.pem',
      '--key=/p/k.pem',
      '--user=root',
      '--password=s3cret',
      '--dial-timeout=3s',
      '--command-timeout=1m',
      '--env-file=/etc/etcd.env',
      '--config=/tmp/c.yaml',
      '--context=prod',
      '--refresh=500ms',
      '--quota-bytes=8GiB',
      '--members=5',
    ]);
    assert.deepEqual(flags, {
      endpoints: ['https://10.0.0.1:2379', 'https://10.0.0.2:2379'],
      cacert: '/p/ca.pem',
      cert: '/p/c.pem',
      key: '/p/k.pem',
      user: 'root',
      password: 's3cret',
      dialTimeoutMs: 3000,
      commandTimeoutMs: 60000,
      envFile: '/etc/etcd.env',
      config: '/tmp/c.yaml',
      context: 'prod',
      refreshMs: 500,
      quotaBytes: 8 * 2 ** 30,
      members: 5,
    });
  });

  test('status --json, sandbox --members', () => {
    assert.deepEqual(parseArgs(['status', '--json']).command, ['status']);
    assert.equal(parseArgs(['status', '--json']).flags.json, true);
    const s = parseArgs(['sandbox', '--members', '3']);
    assert.deepEqual(s.command, ['sandbox']);
    assert.equal(s.flags.members, 3);
  });

  test('booleans accept =true / =false', () => {
    assert.equal(parseArgs(['--read-only']).flags.readOnly, true);
    assert.equal(parseArgs(['--read-only=false']).flags.readOnly, false);
    assert.equal(parseArgs(['--read-only=true']).flags.readOnly, true);
    assert.equal(parseArgs(['--json=false']).flags.json, false);
    throwsConfig(() => parseArgs(['--read-only=maybe']), '--read-only: "maybe" is not true or false');
  });

  test('-h, --help, --version', () => {
    assert.equal(parseArgs(['-h']).help, true);
    assert.equal(parseArgs(['status', '--help']).help, true);
    assert.equal(parseArgs(['--version']).version, true);
  });

  test('-- ends the flags', () => {
    assert.deepEqual(parseArgs(['member', '--', '--weird']).command, ['member', '--weird']);
  });

  test('endpoints are normalized, de-duplicated, and repeated flags add up', () => {
    const { flags } = parseArgs([
      '--endpoints',
      'HTTPS://Node1:2379/,https://node1:2379',
      '--endpoints=https://[fd00::1]:2379',
    ]);
    assert.deepEqual(flags.endpoints, ['https://node1:2379', 'https://[fd00::1]:2379']);
  });

  test('user:password in --user (etcdctl form)', () => {
    assert.deepEqual(parseArgs(['--user', 'root:pa:ss']).flags, { user: 'root', password: 'pa:ss' });
    assert.deepEqual(parseArgs(['--user=root']).flags, { user: 'root' });
    assert.deepEqual(parseArgs(['--user=root:']).flags, { user: 'root', password: '' });
  });

  test('a password may start with a dash when given with =', () => {
    assert.equal(parseArgs(['--user', 'root', '--password=-x-']).flags.password, '-x-');
  });
});

describe('parseArgs: errors', () => {
  test('unknown flags', () => {
    throwsConfig(() => parseArgs(['--foo']), 'unknown flag --foo (see etcd-tui --help)');
    throwsConfig(() => parseArgs(['--foo=1']), 'unknown flag --foo (see etcd-tui --help)');
    throwsConfig(() => parseArgs(['-x']), 'unknown flag -x (see etcd-tui --help)');
  });

  test('missing values', () => {
    throwsConfig(() => parseArgs(['--cacert']), '--cacert: needs a value (example: --cacert /etc/etcd/pki/ca.pem)');
    throwsConfig(() => parseArgs(['--context', '--json']), /^--context: needs a value/);
    throwsConfig(() => parseArgs(['--endpoints=']), /^--endpoints: needs a value/);
  });

  test('bad endpoints', () => {
    throwsConfig(
      () => parseArgs(['--endpoints', 'htp://x:2379']),
      '--endpoints: "htp://x:2379" is not a URL with http:// or https:// (example: https://10.0.0.1:2379)',
    );
    throwsConfig(
      () => parseArgs(['--endpoints', '10.0.0.1:2379']),
      '--endpoints: "10.0.0.1:2379" has no scheme (write https://10.0.0.1:2379, or http://10.0.0.1:2379 without TLS)',
    );
    throwsConfig(
      () => parseArgs(['--endpoints', 'https://10.0.0.1']),
      '--endpoints: "https://10.0.0.1" has no port (example: https://10.0.0.1:2379)',
    );
    throwsConfig(() => parseArgs(['--endpoints', 'https://a:99999']), /has a bad port/);
    throwsConfig(() => parseArgs(['--endpoints', 'https://a:2379/v3']), /must not have a path \(write https:\/\/a:2379\)/);
    throwsConfig(() => parseArgs(['--endpoints', 'unix://sock']), /is not a URL with http:\/\/ or https:\/\//);
    throwsConfig(() => parseArgs(['--endpoints', ',']), /^--endpoints: no endpoints given/);
  });

  test('mixed http and https endpoints', () => {
    throwsConfig(
      () => parseArgs(['--endpoints', 'https://a:2379,http://b:2379']),
      '--endpoints: mixes https:// and http:// (https://a:2379, http://b:2379): use https:// for all endpoints, or http:// for all',
    );
    throwsConfig(() => parseArgs(['--endpoints', 'https://a:2379', '--endpoints', 'http://b:2379']), /mixes https/);
  });

  test('bad durations, sizes, counts', () => {
    throwsConfig(() => parseArgs(['--refresh', 'abc']), '--refresh: "abc" is not a duration (examples: 500ms, 1s, 2m)');
    throwsConfig(() => parseArgs(['--refresh', '10ms']), '--refresh: "10ms" is too short (at least 100ms)');
    throwsConfig(() => parseArgs(['--dial-timeout=0s']), /^--dial-timeout: "0s" must be greater than zero/);
    throwsConfig(() => parseArgs(['--quota-bytes', '8XB']), /^--quota-bytes: "8XB" is not a size/);
    throwsConfig(() => parseArgs(['--members', 'three']), '--members: "three" is not a whole number (example: --members 3)');
    throwsConfig(() => parseArgs(['--members', '0']), /^--members: "0" must be at least 1/);
  });

  test('user:password together with --password', () => {
    throwsConfig(() => parseArgs(['--user', 'root:a', '--password', 'b']), /^--user: has a password after ":" and --password/);
    throwsConfig(() => parseArgs(['--user', ':pw']), /^--user: no user name before ":"/);
  });
});

describe('parseDuration', () => {
  test('units', () => {
    assert.equal(parseDuration('500ms', '--x'), 500);
    assert.equal(parseDuration('1s', '--x'), 1000);
    assert.equal(parseDuration('1.5s', '--x'), 1500);
    assert.equal(parseDuration('2m', '--x'), 120_000);
    assert.equal(parseDuration('1h30m', '--x'), 5_400_000);
    assert.equal(parseDuration('1m30s', '--x'), 90_000);
    assert.equal(parseDuration(' 2s ', '--x'), 2000);
  });

  test('a bare number is seconds', () => {
    assert.equal(parseDuration('5', '--x'), 5000);
    assert.equal(parseDuration('0.25', '--x'), 250);
  });

  test('rejects junk, zero, negatives, unknown units', () => {
    for (const bad of ['', 'abc', '5 s', '5sec', '1d', 's', '1.s']) {
      throwsConfig(() => parseDuration(bad, '--x'), `--x: "${bad}" is not a duration (examples: 500ms, 1s, 2m)`);
    }
    throwsConfig(() => parseDuration('0', '--x'), /must be greater than zero/);
    throwsConfig(() => parseDuration('-1s', '--x'), /must be greater than zero/);
    throwsConfig(() => parseDuration('1000h', '--x'), /too long/);
  });

  test('minimum', () => {
    assert.equal(parseDuration('100ms', '--x', { minMs: 100 }), 100);
    throwsConfig(() => parseDuration('99ms', '--x', { minMs: 100 }), '--x: "99ms" is too short (at least 100ms)');
  });

  test('formatDuration round-trips', () => {
    for (const ms of [1, 500, 1000, 1500, 60_000, 90_000, 3_600_000]) {
      assert.equal(parseDuration(formatDuration(ms), '--x'), ms);
    }
    assert.equal(formatDuration(2000), '2s');
    assert.equal(formatDuration(120_000), '2m');
  });
});

describe('parseSize', () => {
  test('binary, decimal, plain bytes, case-insensitive', () => {
    assert.equal(parseSize('2GiB', '--x'), 2 * 2 ** 30);
    assert.equal(parseSize('8Gi', '--x'), 8 * 2 ** 30);
    assert.equal(parseSize('16MiB', '--x'), 16 * 2 ** 20);
    assert.equal(parseSize('16MB', '--x'), 16_000_000);
    assert.equal(parseSize('8G', '--x'), 8_000_000_000);
    assert.equal(parseSize('8gb', '--x'), 8_000_000_000);
    assert.equal(parseSize('1.5GiB', '--x'), 1.5 * 2 ** 30);
    assert.equal(parseSize('8589934592', '--x'), 8589934592);
    assert.equal(parseSize('512 KiB', '--x'), 512 * 1024);
  });

  test('rejects junk and zero', () => {
    throwsConfig(() => parseSize('abc', '--x'), '--x: "abc" is not a size (examples: 8GiB, 2GB, 16MiB, 8589934592)');
    throwsConfig(() => parseSize('8XB', '--x'), /is not a size/);
    throwsConfig(() => parseSize('-1GiB', '--x'), /is not a size/);
    throwsConfig(() => parseSize('0', '--x'), /must be greater than zero/);
  });

  test('formatSize round-trips', () => {
    assert.equal(formatSize(8 * 2 ** 30), '8GiB');
    assert.equal(formatSize(16 * 2 ** 20), '16MiB');
    assert.equal(formatSize(1000), '1000');
    for (const b of [1, 1000, 1024, 8 * 2 ** 30, 2 ** 40]) assert.equal(parseSize(formatSize(b), '--x'), b);
  });
});

describe('parseEndpoints', () => {
  test('accepts a list as well as a comma-separated string', () => {
    assert.deepEqual(parseEndpoints(['http://a:2379', 'http://b:2379'], 'x'), ['http://a:2379', 'http://b:2379']);
    assert.deepEqual(parseEndpoints('http://a:2379,,http://b:2379,', 'x'), ['http://a:2379', 'http://b:2379']);
  });
});

describe('HELP_TEXT', () => {
  test('covers usage, every flag, the environment and the exit codes', () => {
    for (const s of [
      'etcd-tui [flags]',
      'etcd-tui status [--json]',
      'etcd-tui sandbox [--members N]',
      '--endpoints',
      '--cacert',
      '--cert',
      '--key',
      '--user',
      '--password',
      '--dial-timeout',
      '--command-timeout',
      '--env-file',
      '--config',
      '--context',
      '--read-only',
      '--refresh',
      '--quota-bytes',
      '--json',
      '--members',
      '--dry-run',
      '--yes',
      '-h, --help',
      '--version',
      'ETCDCTL_ENDPOINTS',
      'ETCDCTL_CA_FILE',
      'a bare number is seconds',
      '0  healthy',
      '1  degraded',
      '2  critical',
      '3  unreachable',
      '4  usage or configuration error',
    ]) {
      assert.ok(HELP_TEXT.includes(s), `help text lacks ${s}`);
    }
  });
});
