import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { makeCerts } from '../harness/certs.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../../src/cli/args.js';
import { loadSettings, resolveSettings, type ResolveInput } from '../../src/cli/config.js';
import {
  defaultContextsPath,
  listContexts,
  parseContextsFile,
  saveContext,
  type ContextsFile,
} from '../../src/cli/contexts.js';
import { parseEnvFile } from '../../src/cli/envfile.js';
import { promptPassword, type PromptInput } from '../../src/cli/prompt.js';
import { ConfigError } from '../../src/domain/errors.js';

function throwsConfig(fn: () => unknown, expected: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    if (typeof expected === 'string') assert.equal(err.message, expected);
    else assert.match(err.message, expected);
    assert.ok(!err.message.includes('\n'), 'message must be one line');
    return true;
  });
}

async function rejectsConfig(p: Promise<unknown>, expected: string | RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    if (typeof expected === 'string') assert.equal(err.message, expected);
    else assert.match(err.message, expected);
    return true;
  });
}

/** The env file of a real node (seed 000). */
const NODE_ENV = `# Environment file for etcd v3.4.13
ETCD_DATA_DIR=/var/lib/etcd
ETCD_ADVERTISE_CLIENT_URLS=https://172.30.1.12:2379
ETCD_INITIAL_ADVERTISE_PEER_URLS=https://172.30.1.12:2380
ETCD_INITIAL_CLUSTER_STATE=existing
ETCD_METRICS=basic
ETCD_LISTEN_CLIENT_URLS=https://172.30.1.12:2379,https://127.0.0.1:2379
ETCD_NAME=etcd-node2
ETCD_INITIAL_CLUSTER=etcd-node2=https://172.30.1.12:2380,etcd-node3=https://172.30.1.14:2380,etcd-node4=https://172.30.1.15:2380
# TLS settings
ETCD_TRUSTED_CA_FILE=/etc/ssl/etcd/ssl/ca.pem
ETCD_CLIENT_CERT_AUTH=true
# CLI settings
ETCDCTL_ENDPOINTS=https://127.0.0.1:2379
ETCDCTL_CA_FILE=/etc/ssl/etcd/ssl/ca.pem
ETCDCTL_KEY_FILE=/etc/ssl/etcd/ssl/admin-node2-key.pem
ETCDCTL_CERT_FILE=/etc/ssl/etcd/ssl/admin-node2.pem
`;

const CONTEXTS_YAML = `current: prod            # optional default context
contexts:
  - name: prod
    endpoints: [https://10.0.0.1:2379, https://10.0.0.2:2379]
    cacert: /etc/etcd/pki/ca.pem
    cert: /etc/etcd/pki/admin.pem
    key: /etc/etcd/pki/admin-key.pem
    user: root           # optional; password from ETCDCTL_PASSWORD / --password / prompt
    readOnly: true
    refresh: 1s
    quota: 8GiB
    dialTimeout: 2s
    commandTimeout: 5s
  - name: dev
    endpoints: [http://127.0.0.1:2379]
  - name: staging
    endpoints:
      - https://10.1.0.1:2379
    cacert: /etc/etcd/pki/staging-ca.pem
    refresh: 2s
    hosts: [{ name: s1, address: 10.1.0.1, user: admin, sudo: true }]
    envFile: /etc/etcd.env
`;

const CTX_PATH = '/root/.config/etcd-tui/contexts.yaml';
const contextsFile = (): { path: string; file: ContextsFile } => ({
  path: CTX_PATH,
  file: parseContextsFile(CONTEXTS_YAML, CTX_PATH),
});

const allExist = () => true;

function resolve(argv: string[], rest: Partial<ResolveInput> = {}) {
  return resolveSettings({ flags: parseArgs(argv).flags, env: {}, fileExists: allExist, ...rest });
}

describe('parseEnvFile', () => {
  test('the real node env file', () => {
    const env = parseEnvFile(NODE_ENV);
    assert.equal(env.ETCD_ADVERTISE_CLIENT_URLS, 'https://172.30.1.12:2379');
    assert.equal(env.ETCDCTL_ENDPOINTS, 'https://127.0.0.1:2379');
    assert.equal(env.ETCDCTL_CA_FILE, '/etc/ssl/etcd/ssl/ca.pem');
    assert.equal(env.ETCDCTL_KEY_FILE, '/etc/ssl/etcd/ssl/admin-node2-key.pem');
    assert.equal(env.ETCDCTL_CERT_FILE, '/etc/ssl/etcd/ssl/admin-node2.pem');
    assert.equal(
      env.ETCD_INITIAL_CLUSTER,
      'etcd-node2=https://172.30.1.12:2380,etcd-node3=https://172.30.1.14:2380,etcd-node4=https://172.30.1.15:2380',
    );
    assert.equal(Object.keys(env).length, 14);
  });

  test('comments, blanks, export, quotes, spaces, CRLF, continuation', () => {
    const env = parseEnvFile(
      [
        '  # comment',
        '; also a comment',
        '',
        'export A=1',
        'B = two words  ',
        "C='single $HOME \\n'",
        'D="double \\"q\\" \\\\ \\$x"',
        'E=',
        'F=a#b # not a comment in systemd',
        'G=one\\',
        'two',
        'H="multi',
        'line"',
        'I=pre"mid"post',
        'A=last wins',
      ].join('\r\n'),
    );
    assert.deepEqual(env, {
      A: 'last wins',
      B: 'two words',
      C: 'single $HOME \\n',
      D: 'double "q" \\ $x',
      E: '',
      F: 'a#b # not a comment in systemd',
      G: 'onetwo',
      H: 'multi\nline',
      I: 'premidpost',
    });
  });

  test('malformed lines name the file and line', () => {
    throwsConfig(
      () => parseEnvFile('A=1\n-----BEGIN CERTIFICATE-----\n', '/etc/etcd.env'),
      '/etc/etcd.env: line 2: "-----BEGIN CERTIFICATE-----" is not KEY=VALUE (is this an environment file?)',
    );
    throwsConfig(() => parseEnvFile('A=1\nB="open\n'), 'env file: line 2: B: the double quote is never closed');
    throwsConfig(() => parseEnvFile('1A=x'), /line 1: "1A" is not a variable name/);
  });
});

describe('resolveSettings: defaults and sources', () => {
  test('defaults', () => {
    const r = resolve([]);
    assert.deepEqual(r, {
      settings: {
        contextName: '(flags)',
        endpoints: ['http://127.0.0.1:2379'],
        tls: {},
        dialTimeoutMs: 2000,
        commandTimeoutMs: 5000,
        refreshMs: 1000,
        readOnly: false,
      },
      needsPassword: false,
    });
  });

  test('TLS files without endpoints: the default endpoint uses https://', () => {
    const r = resolve(['--cacert', '/ca.pem']);
    assert.deepEqual(r.settings.endpoints, ['https://127.0.0.1:2379']);
  });

  test('the node env file gives endpoints and TLS (old ETCDCTL_*_FILE spelling)', () => {
    const r = resolve(['--env-file', '/etc/etcd.env'], { envFile: { path: '/etc/etcd.env', text: NODE_ENV } });
    assert.deepEqual(r.settings.endpoints, ['https://127.0.0.1:2379']);
    assert.deepEqual(r.settings.tls, {
      cacert: '/etc/ssl/etcd/ssl/ca.pem',
      cert: '/etc/ssl/etcd/ssl/admin-node2.pem',
      key: '/etc/ssl/etcd/ssl/admin-node2-key.pem',
    });
    assert.equal(r.settings.contextName, '(flags)');
  });

  test('env file: ETCD_ADVERTISE_CLIENT_URLS only when there is no ETCDCTL_ENDPOINTS', () => {
    const text = NODE_ENV.replace('ETCDCTL_ENDPOINTS=https://127.0.0.1:2379\n', '');
    const r = resolve([], { envFile: { path: '/etc/etcd.env', text } });
    assert.deepEqual(r.settings.endpoints, ['https://172.30.1.12:2379']);
    // The process environment does not get this fallback.
    const p = resolve([], { env: { ETCD_ADVERTISE_CLIENT_URLS: 'http://10.9.9.9:2379' } });
    assert.deepEqual(p.settings.endpoints, ['http://127.0.0.1:2379']);
  });

  test('both ETCDCTL spellings; the v3 name wins', () => {
    const old = resolve([], {
      env: {
        ETCDCTL_ENDPOINTS: 'https://a:2379',
        ETCDCTL_CA_FILE: '/old/ca.pem',
        ETCDCTL_CERT_FILE: '/old/c.pem',
        ETCDCTL_KEY_FILE: '/old/k.pem',
      },
    });
    assert.deepEqual(old.settings.tls, { cacert: '/old/ca.pem', cert: '/old/c.pem', key: '/old/k.pem' });
    const both = resolve([], {
      env: {
        ETCDCTL_ENDPOINTS: 'https://a:2379',
        ETCDCTL_CA_FILE: '/old/ca.pem',
        ETCDCTL_CACERT: '/new/ca.pem',
        ETCDCTL_CERT: '/new/c.pem',
        ETCDCTL_CERT_FILE: '/old/c.pem',
        ETCDCTL_KEY: '/new/k.pem',
        ETCDCTL_KEY_FILE: '/old/k.pem',
      },
    });
    assert.deepEqual(both.settings.tls, { cacert: '/new/ca.pem', cert: '/new/c.pem', key: '/new/k.pem' });
  });

  test('env timeouts; empty env values count as unset', () => {
    const r = resolve([], { env: { ETCDCTL_DIAL_TIMEOUT: '3s', ETCDCTL_COMMAND_TIMEOUT: '10s', ETCDCTL_CACERT: '' } });
    assert.equal(r.settings.dialTimeoutMs, 3000);
    assert.equal(r.settings.commandTimeoutMs, 10000);
    assert.deepEqual(r.settings.tls, {});
    throwsConfig(
      () => resolve([], { env: { ETCDCTL_DIAL_TIMEOUT: 'soon' } }),
      'ETCDCTL_DIAL_TIMEOUT: "soon" is not a duration (examples: 500ms, 1s, 2m)',
    );
    throwsConfig(
      () => resolve([], { env: { ETCDCTL_ENDPOINTS: 'htp://x:2379' } }),
      'ETCDCTL_ENDPOINTS: "htp://x:2379" is not a URL with http:// or https:// (example: https://10.0.0.1:2379)',
    );
  });
});

describe('resolveSettings: precedence', () => {
  const envFile = {
    path: '/etc/etcd.env',
    text: 'ETCDCTL_ENDPOINTS=https://file:2379\nETCDCTL_CACERT=/file/ca.pem\nETCDCTL_USER=fileuser\nETCDCTL_DIAL_TIMEOUT=4s\nETCDCTL_COMMAND_TIMEOUT=40s\n',
  };
  const env = {
    ETCDCTL_ENDPOINTS: 'https://env:2379',
    ETCDCTL_CACERT: '/env/ca.pem',
    ETCDCTL_DIAL_TIMEOUT: '3s',
  };

  test('without --context: flag beats env beats env file, field by field', () => {
    const r = resolve(['--endpoints', 'https://flag:2379'], { env, envFile });
    const s = r.settings;
    assert.deepEqual(s.endpoints, ['https://flag:2379']); // flag
    assert.equal(s.tls.cacert, '/env/ca.pem'); // env over file
    assert.equal(s.dialTimeoutMs, 3000); // env over file
    assert.equal(s.commandTimeoutMs, 40000); // file
    assert.equal(s.user, 'fileuser'); // file
  });

  test('an explicit --context is overridden by flags only, never by ETCDCTL_* or the env file', () => {
    const r = resolve(['--context', 'prod', '--endpoints', 'https://flag:2379'], {
      env,
      envFile,
      contexts: contextsFile(),
    });
    const s = r.settings;
    assert.equal(s.contextName, 'prod');
    assert.deepEqual(s.endpoints, ['https://flag:2379']); // flag
    assert.equal(s.tls.cacert, '/etc/etcd/pki/ca.pem'); // context, not env
    assert.equal(s.dialTimeoutMs, 2000); // context, not env
    assert.equal(s.user, 'root'); // context, not the env file
    assert.equal(s.tls.cert, '/etc/etcd/pki/admin.pem'); // context
    assert.equal(s.readOnly, true); // context
    assert.equal(s.refreshMs, 1000); // context
    assert.equal(s.quotaBytes, 8 * 2 ** 30); // context
    const ctx = contextsFile();
    assert.deepEqual(resolve(['--context', 'prod'], { env, envFile, contexts: ctx }).settings.endpoints, [
      'https://10.0.0.1:2379',
      'https://10.0.0.2:2379',
    ]);
  });

  test('flags override the context booleans and console values', () => {
    const s = resolve(['--context', 'prod', '--read-only=false', '--refresh', '250ms', '--quota-bytes', '2GiB'], {
      contexts: contextsFile(),
    }).settings;
    assert.equal(s.readOnly, false);
    assert.equal(s.refreshMs, 250);
    assert.equal(s.quotaBytes, 2 * 2 ** 30);
  });

  test('the current context applies only when nothing else gave endpoints', () => {
    const ctx = contextsFile();
    const cur = resolve([], { contexts: ctx }).settings;
    assert.equal(cur.contextName, 'prod');
    assert.deepEqual(cur.tls, {
      cacert: '/etc/etcd/pki/ca.pem',
      cert: '/etc/etcd/pki/admin.pem',
      key: '/etc/etcd/pki/admin-key.pem',
    });

    const viaEnv = resolve([], { contexts: ctx, env: { ETCDCTL_ENDPOINTS: 'http://127.0.0.1:2379' } }).settings;
    assert.equal(viaEnv.contextName, '(flags)');
    assert.deepEqual(viaEnv.tls, {}); // none of prod's certificates leak in
    assert.equal(viaEnv.readOnly, false);

    const viaFlag = resolve(['--endpoints', 'http://x:2379'], { contexts: ctx }).settings;
    assert.equal(viaFlag.contextName, '(flags)');

    const viaFile = resolve([], { contexts: ctx, envFile: { path: '/e', text: NODE_ENV } }).settings;
    assert.equal(viaFile.contextName, '(flags)');
  });

  test('an explicit --context that does not exist', () => {
    throwsConfig(
      () => resolve(['--context', 'prdo'], { contexts: contextsFile() }),
      '--context prdo: no such context in /root/.config/etcd-tui/contexts.yaml (known: prod, dev, staging)',
    );
    throwsConfig(() => resolve(['--context', 'prod']), /^--context prod: there is no contexts file/);
  });
});

describe('resolveSettings: user and password', () => {
  test('user:password in --user', () => {
    const r = resolve(['--user', 'root:s3cret']);
    assert.equal(r.settings.user, 'root');
    assert.equal(r.settings.password, 's3cret');
    assert.equal(r.needsPassword, false);
  });

  test('user:password in ETCDCTL_USER', () => {
    const r = resolve([], { env: { ETCDCTL_USER: 'root:pw' } });
    assert.equal(r.settings.user, 'root');
    assert.equal(r.settings.password, 'pw');
  });

  test('--password and ETCDCTL_PASSWORD', () => {
    assert.equal(resolve(['--user', 'root', '--password', 'a'], { env: { ETCDCTL_PASSWORD: 'b' } }).settings.password, 'a');
    assert.equal(resolve(['--user', 'root'], { env: { ETCDCTL_PASSWORD: 'b' } }).settings.password, 'b');
    // The user from the context takes its password from the environment.
    const r = resolve(['--context', 'prod'], { contexts: contextsFile(), env: { ETCDCTL_PASSWORD: 'pw' } });
    assert.equal(r.settings.user, 'root');
    assert.equal(r.settings.password, 'pw');
  });

  test("an inline password stays with its user: --user alice does not take ETCDCTL_USER's password", () => {
    const r = resolve(['--user', 'alice'], { env: { ETCDCTL_USER: 'root:rootpw' } });
    assert.equal(r.settings.user, 'alice');
    assert.equal(r.settings.password, undefined);
    assert.equal(r.needsPassword, true);
  });

  test('a user without a password needs one', () => {
    const r = resolve(['--context', 'prod'], { contexts: contextsFile() });
    assert.equal(r.settings.user, 'root');
    assert.equal(r.settings.password, undefined);
    assert.equal(r.needsPassword, true);
  });

  test('a password without a user', () => {
    throwsConfig(() => resolve(['--password', 'x']), '--password: is given but no user (pass --user NAME too)');
    const r = resolve([], { env: { ETCDCTL_PASSWORD: 'x' } });
    assert.equal(r.settings.password, undefined);
    assert.equal(r.needsPassword, false);
  });
});

describe('resolveSettings: validation', () => {
  test('a missing TLS file names the value and where it came from', () => {
    const missing = (p: string) => p !== '/etc/x.pem';
    throwsConfig(
      () => resolve(['--cacert', '/etc/x.pem'], { fileExists: missing }),
      '--cacert: /etc/x.pem does not exist (check the path)',
    );
    throwsConfig(
      () => resolve([], { env: { ETCDCTL_CACERT: '/etc/x.pem' }, fileExists: missing }),
      'ETCDCTL_CACERT: /etc/x.pem does not exist (check the path, or unset ETCDCTL_CACERT)',
    );
    throwsConfig(
      () =>
        resolve([], {
          envFile: { path: '/etc/etcd.env', text: NODE_ENV },
          fileExists: (p) => p !== '/etc/ssl/etcd/ssl/admin-node2-key.pem',
        }),
      '/etc/etcd.env: ETCDCTL_KEY_FILE: /etc/ssl/etcd/ssl/admin-node2-key.pem does not exist (check the path, or edit /etc/etcd.env)',
    );
    throwsConfig(
      () => resolve(['--context', 'prod'], { contexts: contextsFile(), fileExists: (p) => !p.endsWith('admin.pem') }),
      `${CTX_PATH}: context "prod": cert: /etc/etcd/pki/admin.pem does not exist (check the path, or edit ${CTX_PATH})`,
    );
  });

  test('an unreadable TLS file', () => {
    throwsConfig(
      () => resolve(['--cacert', '/ca.pem'], { fileReadable: () => false }),
      /^--cacert: \/ca.pem cannot be read \(permission denied/,
    );
  });

  test('TLS files with http:// endpoints', () => {
    throwsConfig(
      () => resolve(['--endpoints', 'http://10.0.0.1:2379', '--cacert', '/ca.pem']),
      '--endpoints: http://10.0.0.1:2379 uses http:// but TLS files are given (--cacert): use https:// endpoints, or drop the TLS files',
    );
    throwsConfig(
      () => resolve(['--context', 'dev', '--cacert', '/ca.pem'], { contexts: contextsFile() }),
      /^\/root\/.config\/etcd-tui\/contexts.yaml: context "dev": endpoints: http:\/\/127.0.0.1:2379 uses http:\/\/ but TLS files are given \(--cacert\): use https:\/\/ endpoints/,
    );
  });

  test('cert and key go together', () => {
    throwsConfig(
      () => resolve(['--endpoints', 'https://a:2379', '--cert', '/c.pem']),
      '--cert: a client certificate without a key (mutual TLS needs both: pass --key (or ETCDCTL_KEY))',
    );
    throwsConfig(() => resolve(['--key', '/k.pem']), /^--key: a client key without a certificate/);
  });

  test('mixed http and https in one source', () => {
    throwsConfig(
      () => resolve([], { env: { ETCDCTL_ENDPOINTS: 'https://a:2379,http://b:2379' } }),
      /^ETCDCTL_ENDPOINTS: mixes https:\/\/ and http:\/\//,
    );
  });
});

describe('contexts file', () => {
  test('parses the documented format', () => {
    const f = parseContextsFile(CONTEXTS_YAML, CTX_PATH);
    assert.equal(f.current, 'prod');
    assert.deepEqual(f.contexts[0], {
      name: 'prod',
      endpoints: ['https://10.0.0.1:2379', 'https://10.0.0.2:2379'],
      cacert: '/etc/etcd/pki/ca.pem',
      cert: '/etc/etcd/pki/admin.pem',
      key: '/etc/etcd/pki/admin-key.pem',
      user: 'root',
      readOnly: true,
      refreshMs: 1000,
      quotaBytes: 8 * 2 ** 30,
      dialTimeoutMs: 2000,
      commandTimeoutMs: 5000,
    });
    assert.deepEqual(f.contexts[2].hosts, [{ name: 's1', address: '10.1.0.1', user: 'admin', sudo: true }]);
    assert.equal(f.contexts[2].inventory?.hosts[0].ssh.user, 'admin');
    assert.equal(f.contexts[2].inventory?.hosts[0].ssh.sudo, true);
    assert.equal(f.contexts[2].envFile, '/etc/etcd.env');
    assert.deepEqual(
      listContexts(f).map((c) => [c.name, c.current, c.readOnly]),
      [
        ['prod', true, true],
        ['dev', false, false],
        ['staging', false, false],
      ],
    );
  });

  test('empty file, relative TLS paths', () => {
    assert.deepEqual(parseContextsFile('', 'c.yaml'), { path: 'c.yaml', contexts: [] });
    const f = parseContextsFile('contexts:\n  - name: a\n    endpoints: [https://a:2379]\n    cacert: pki/ca.pem\n', '/home/u/c.yaml');
    assert.equal(f.contexts[0].cacert, '/home/u/pki/ca.pem');
  });

  test('errors name the file, the context and the field', () => {
    const bad = (body: string) => parseContextsFile(`contexts:\n  - name: prod\n${body}`, 'contexts.yaml');
    throwsConfig(
      () => bad('    endpoints: https://a:2379\n'),
      'contexts.yaml: context "prod": endpoints must be a list of URLs (e.g. endpoints: [https://10.0.0.1:2379])',
    );
    throwsConfig(() => bad('    cacert: /x\n'), /^contexts.yaml: context "prod": endpoints is missing/);
    throwsConfig(
      () => bad('    endpoints: [htp://a:2379]\n'),
      'contexts.yaml: context "prod": endpoints: "htp://a:2379" is not a URL with http:// or https:// (example: https://10.0.0.1:2379)',
    );
    throwsConfig(
      () => bad('    endpoints: [https://a:2379]\n    readonly: true\n'),
      /^contexts.yaml: context "prod": unknown key "readonly" \(did you mean readOnly\? known: name, endpoints/,
    );
    throwsConfig(
      () => bad('    endpoints: [https://a:2379]\n    readOnly: yes\n'),
      'contexts.yaml: context "prod": readOnly must be true or false',
    );
    throwsConfig(
      () => bad('    endpoints: [https://a:2379]\n    refresh: fast\n'),
      'contexts.yaml: context "prod": refresh: "fast" is not a duration (examples: 500ms, 1s, 2m)',
    );
    throwsConfig(
      () => bad('    endpoints: [https://a:2379]\n    quota: lots\n'),
      /^contexts.yaml: context "prod": quota: "lots" is not a size/,
    );
    throwsConfig(
      () => bad('    endpoints: [https://a:2379]\n    cert: /c.pem\n'),
      'contexts.yaml: context "prod": cert is set but key is not (mutual TLS needs both)',
    );
    throwsConfig(() => bad('    endpoints: [https://a:2379]\n    user: root:pw\n'), /user must be a name only/);
    throwsConfig(() => bad('    endpoints: [https://a:2379]\n    cacert: ~/ca.pem\n'), /cacert: write the full path/);
  });

  test('file-level errors', () => {
    throwsConfig(() => parseContextsFile('curent: prod\n', 'c.yaml'), 'c.yaml: unknown key "curent" (known: current, contexts)');
    throwsConfig(
      () => parseContextsFile('current: nope\ncontexts:\n  - name: a\n    endpoints: [http://a:1]\n', 'c.yaml'),
      'c.yaml: current: "nope" is not a context in this file (known: a)',
    );
    throwsConfig(
      () => parseContextsFile('contexts:\n  - name: a\n    endpoints: [http://a:1]\n  - name: a\n    endpoints: [http://a:1]\n', 'c.yaml'),
      'c.yaml: context "a" is defined twice (rename or remove one)',
    );
    throwsConfig(() => parseContextsFile('contexts: [1', 'c.yaml'), /^c.yaml: not valid YAML: /);
    throwsConfig(() => parseContextsFile('- a\n', 'c.yaml'), /^c.yaml: must be a mapping/);
    throwsConfig(() => parseContextsFile('contexts:\n  - endpoints: [http://a:1]\n', 'c.yaml'), 'c.yaml: contexts item 1 needs a name (e.g. name: prod)');
  });

  test('defaultContextsPath', () => {
    assert.equal(defaultContextsPath({}, '/root'), '/root/.config/etcd-tui/contexts.yaml');
    assert.equal(defaultContextsPath({ XDG_CONFIG_HOME: '/xdg' }, '/root'), '/xdg/etcd-tui/contexts.yaml');
    assert.equal(defaultContextsPath({ XDG_CONFIG_HOME: 'rel' }, '/root'), '/root/.config/etcd-tui/contexts.yaml');
  });
});

describe('file I/O: loadSettings and saveContext', () => {
  test('loadSettings reads the env file and the contexts file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'etcd-tui-cfg-'));
    try {
      // The CA file must hold a certificate (checked before connecting): 'x' is refused, a real one read.
      const ca = join(dir, 'ca.pem');
      await writeFile(ca, 'x');
      await writeFile(join(dir, 'etcd.env'), `ETCDCTL_ENDPOINTS=https://127.0.0.1:2379\nETCDCTL_CA_FILE=${ca}\n`);
      await rejectsConfig(
        loadSettings(parseArgs(['--env-file', join(dir, 'etcd.env')]).flags, {}, { homedir: dir }),
        /etcd\.env: ETCDCTL_CA_FILE: .*ca\.pem is not a PEM CA certificate/,
      );
      await copyFile(makeCerts(join(dir, 'certs')).caCert, ca);
      const r = await loadSettings(parseArgs(['--env-file', join(dir, 'etcd.env')]).flags, {}, { homedir: dir });
      assert.deepEqual(r.settings.endpoints, ['https://127.0.0.1:2379']);
      assert.equal(r.settings.tls.cacert, ca);

      // A missing default contexts file is fine; a missing --config or --env-file is not.
      assert.equal((await loadSettings({}, {}, { homedir: dir })).settings.contextName, '(flags)');
      await rejectsConfig(
        loadSettings(parseArgs(['--config', join(dir, 'nope.yaml')]).flags, {}, { homedir: dir }),
        `--config: ${join(dir, 'nope.yaml')} does not exist (check the path)`,
      );
      await rejectsConfig(
        loadSettings(parseArgs(['--env-file', join(dir, 'nope.env')]).flags, {}, { homedir: dir }),
        /^--env-file: .*nope.env does not exist/,
      );
      await rejectsConfig(
        loadSettings(parseArgs(['--context', 'prod']).flags, {}, { homedir: dir }),
        /^--context prod: there is no contexts file at .*contexts.yaml/,
      );

      // The default path under XDG_CONFIG_HOME, with a current context.
      const xdg = join(dir, 'xdg');
      const path = join(xdg, 'etcd-tui', 'contexts.yaml');
      await saveContext(path, { name: 'lab', endpoints: ['https://10.0.0.9:2379'], cacert: ca }, { makeCurrent: true });
      const viaDefault = await loadSettings({}, { XDG_CONFIG_HOME: xdg }, { homedir: dir });
      assert.equal(viaDefault.settings.contextName, 'lab');
      assert.deepEqual(viaDefault.settings.tls, { cacert: ca });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('saveContext creates the file 0600, replaces by name, keeps comments and others', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'etcd-tui-save-'));
    try {
      const path = join(dir, 'sub', 'contexts.yaml');
      await saveContext(path, { name: 'a', endpoints: ['http://a:2379'], refreshMs: 2000, quotaBytes: 8 * 2 ** 30 });
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      assert.equal((await stat(join(dir, 'sub'))).mode & 0o777, 0o700);
      const first = parseContextsFile(await readFile(path, 'utf8'), path);
      assert.deepEqual(first.contexts, [
        { name: 'a', endpoints: ['http://a:2379'], refreshMs: 2000, quotaBytes: 8 * 2 ** 30 },
      ]);
      assert.equal(first.current, undefined);

      await writeFile(path, `# my contexts\n${await readFile(path, 'utf8')}`);
      await saveContext(path, { name: 'b', endpoints: ['https://b:2379'], readOnly: true }, { makeCurrent: true });
      await saveContext(path, { name: 'a', endpoints: ['http://a2:2379'] });
      const text = await readFile(path, 'utf8');
      assert.match(text, /^# my contexts/);
      const f = parseContextsFile(text, path);
      assert.equal(f.current, 'b');
      assert.deepEqual(
        f.contexts.map((c) => [c.name, c.endpoints[0]]),
        [
          ['a', 'http://a2:2379'],
          ['b', 'https://b:2379'],
        ],
      );

      // It refuses an invalid context and leaves a broken file alone.
      await rejectsConfig(saveContext(path, { name: 'c', endpoints: ['htp://c:1'] }), /endpoints: "htp:\/\/c:1" is not a URL/);
      await writeFile(path, 'contexts: [1');
      await rejectsConfig(saveContext(path, { name: 'd', endpoints: ['http://d:1'] }), /not valid YAML/);
      assert.equal(await readFile(path, 'utf8'), 'contexts: [1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('promptPassword', () => {
  class FakeTty extends EventEmitter {
    isTTY = true;
    isRaw = false;
    rawCalls: boolean[] = [];
    setRawMode(mode: boolean) {
      this.rawCalls.push(mode);
      this.isRaw = mode;
      return this;
    }
    resume() {
      return this;
    }
    pause() {
      return this;
    }
  }
  const out = () => {
    const chunks: string[] = [];
    return { chunks, write: (t: string) => chunks.push(t) };
  };

  test('reads without echo, handles backspace and escape sequences', async () => {
    const tty = new FakeTty();
    const output = out();
    const p = promptPassword('Password for root: ', { input: tty as PromptInput, output });
    tty.emit('data', Buffer.from('sx\u007fe'));
    tty.emit('data', '\u001b[Acr\u0015secr');
    tty.emit('data', 'et\r');
    assert.equal(await p, 'secret');
    assert.deepEqual(output.chunks, ['Password for root: ', '\n']);
    assert.deepEqual(tty.rawCalls, [true, false]);
    assert.equal(tty.listenerCount('data'), 0);
  });

  test('ctrl-c cancels', async () => {
    const tty = new FakeTty();
    const p = promptPassword('pw: ', { input: tty as PromptInput, output: out() });
    tty.emit('data', 'ab\u0003');
    await rejectsConfig(p, 'password prompt cancelled');
    assert.equal(tty.isRaw, false);
  });

  test('no terminal', async () => {
    const tty = new FakeTty();
    tty.isTTY = false;
    await rejectsConfig(
      promptPassword('pw: ', { input: tty as PromptInput, output: out(), user: 'root' }),
      'user root needs a password: pass --password or set ETCDCTL_PASSWORD (no terminal to prompt on)',
    );
  });
});
