/**
 * The per-node etcd files (templates/etcd.env.hbs, templates/etcd.service.hbs, src/render/node-files.ts):
 * golden files for seed 000's 3-node mTLS cluster, a join and a plain-http node; the validation
 * messages; the override directory; `systemd-analyze verify` of the unit; every rendered variable
 * checked against `etcd --help` / `etcdctl --help`; and a real etcd 3.4 started from rendered env files.
 * `npm run golden` (scripts/golden.sh) rewrites the golden files (review the diff); scripts/test.sh never does.
 */
import { describe, test, toolSkipReason } from '../harness/skip.js'; // counts every test of a skipped describe
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ETCD_SETTINGS, peerURL, type EtcdSettings, type HostSpec, type InitialMember } from '../../src/domain/hosts.js';
import { etcdEnvData, etcdUnitData, renderNodeFiles, type NodeRenderInput } from '../../src/render/node-files.js';
import { builtinTemplatesDir } from '../../src/render/templates.js';
import { etcdBinaries, etcdSkipReason, repoRoot } from '../harness/binaries.js';
import { makeCerts } from '../harness/certs.js';
import { freePorts } from '../harness/ports.js';
import { signalTracked, trackProcess, untrackProcess } from '../harness/registry.js';
import { StopWaiting, waitFor } from '../harness/wait.js';

const GOLDEN = join(repoRoot(), 'test', 'fixtures', 'templates', 'node');
const UPDATE = process.env.ETCD_TUI_UPDATE_GOLDEN === '1'; // set by scripts/golden.sh only

function host(name: string, address: string, extra: Partial<HostSpec> = {}): HostSpec {
  return {
    name,
    ssh: { address, port: 22, user: 'root', identityFiles: [], agent: false, knownHosts: '/root/.ssh/known_hosts', sudo: false, connectTimeoutMs: 10_000 },
    etcdAddress: address,
    clientPort: 2379,
    peerPort: 2380,
    dataDir: '/var/lib/etcd',
    certDir: '/etc/ssl/etcd/ssl',
    binaryPath: '/usr/local/bin/etcd',
    envFile: '/etc/etcd.env',
    unitName: 'etcd',
    unitDir: '/etc/systemd/system',
    envOverrides: {},
    ...extra,
  };
}

/** Seed 000: etcd-node2/3/4, mTLS, token k8s_etcd, heartbeat 250, election 5000, v2 on, proxy off. */
const SEED_SETTINGS: EtcdSettings = {
  ...DEFAULT_ETCD_SETTINGS,
  tls: true,
  token: 'k8s_etcd',
  heartbeatIntervalMs: 250,
  electionTimeoutMs: 5000,
  snapshotCount: 10000,
  autoCompactionRetention: '8',
  metrics: 'basic',
  enableV2: true,
  proxyOff: true,
};
const SEED_HOSTS = [host('etcd-node2', '172.30.1.12'), host('etcd-node3', '172.30.1.14'), host('etcd-node4', '172.30.1.15')];
const JOINER = host('etcd-node5', '172.30.1.16');

function members(hosts: HostSpec[], settings: Pick<EtcdSettings, 'tls'>): InitialMember[] {
  return hosts.map((h) => ({ name: h.name, peerURL: peerURL(h, settings) }));
}

function seedInput(i: number): NodeRenderInput {
  return { host: SEED_HOSTS[i], settings: SEED_SETTINGS, initialCluster: members(SEED_HOSTS, SEED_SETTINGS), state: 'new', token: 'k8s_etcd' };
}

const JOIN_INPUT: NodeRenderInput = {
  host: JOINER,
  settings: SEED_SETTINGS,
  initialCluster: members([...SEED_HOSTS, JOINER], SEED_SETTINGS),
  state: 'existing',
  token: 'k8s_etcd',
};

/** Plain http, a separate WAL dir, no 127.0.0.1 listener, a metrics URL, revision compaction and overrides. */
const PLAIN_SETTINGS: EtcdSettings = {
  ...DEFAULT_ETCD_SETTINGS,
  tls: false,
  heartbeatIntervalMs: 100,
  electionTimeoutMs: 1000,
  snapshotCount: 50000,
  autoCompactionMode: 'revision',
  autoCompactionRetention: '10000',
  quotaBackendBytes: 8 * 2 ** 30,
  metrics: 'extensive',
  listenMetricsUrls: 'http://127.0.0.1:2381',
  listenLocalhost: false,
};
const PLAIN_HOSTS = ['10.20.0.11', '10.20.0.12', '10.20.0.13'].map((a, i) =>
  host(`etcd-${'abc'[i]}`, a, {
    dataDir: '/data/etcd',
    walDir: '/wal/etcd',
    binaryPath: '/opt/etcd/bin/etcd',
    envFile: '/etc/etcd/etcd.env',
    unitName: 'etcd-main',
    envOverrides: i === 0 ? { ETCD_MAX_REQUEST_BYTES: '10485760', ETCD_LOG_LEVEL: 'warn', ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK: 'true' } : {},
  }),
);
const PLAIN_INPUT: NodeRenderInput = {
  host: PLAIN_HOSTS[0],
  settings: PLAIN_SETTINGS,
  initialCluster: members(PLAIN_HOSTS, PLAIN_SETTINGS),
  state: 'new',
  token: 'plain-cluster-1',
};

function checkGolden(file: string, text: string): void {
  const golden = join(GOLDEN, file);
  if (UPDATE) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(golden, text);
  }
  assert.equal(text, readFileSync(golden, 'utf8'), `${file} differs from the golden file (npm run golden rewrites it)`);
}

/** KEY=VALUE lines of an env file (comments and blank lines skipped); any other line fails. */
function parseEnv(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    assert.ok(m, `not a KEY=VALUE line: ${JSON.stringify(line)}`);
    assert.ok(!vars.has(m[1]), `${m[1]} is set twice`);
    vars.set(m[1], m[2]);
  }
  return vars;
}

const GOLDEN_CASES: { file: string; input: NodeRenderInput }[] = [
  ...SEED_HOSTS.map((h, i) => ({ file: `new-${h.name}`, input: seedInput(i) })),
  { file: `join-${JOINER.name}`, input: JOIN_INPUT },
  { file: `plain-${PLAIN_HOSTS[0].name}`, input: PLAIN_INPUT },
];

describe('golden files', () => {
  for (const { file, input } of GOLDEN_CASES) {
    test(`${file}: etcd.env and etcd.service`, () => {
      const files = renderNodeFiles(input);
      assert.deepEqual(
        files.map((f) => [f.kind, f.remotePath, f.mode, f.template, f.overridden]),
        [
          ['env', input.host.envFile, 0o644, join(builtinTemplatesDir(), 'etcd.env.hbs'), false],
          ['unit', `/etc/systemd/system/${input.host.unitName}.service`, 0o644, join(builtinTemplatesDir(), 'etcd.service.hbs'), false],
        ],
      );
      checkGolden(`${file}.etcd.env`, files[0].content);
      checkGolden(`${file}.${input.host.unitName}.service`, files[1].content);
    });
  }

  test('seed 000: node2 has every value of seed 000 (v3 etcdctl names, state new, member cert names)', () => {
    const env = parseEnv(renderNodeFiles(seedInput(0))[0].content);
    const seed: Record<string, string> = {
      ETCD_DATA_DIR: '/var/lib/etcd',
      ETCD_ADVERTISE_CLIENT_URLS: 'https://172.30.1.12:2379',
      ETCD_INITIAL_ADVERTISE_PEER_URLS: 'https://172.30.1.12:2380',
      ETCD_INITIAL_CLUSTER_STATE: 'new',
      ETCD_METRICS: 'basic',
      ETCD_LISTEN_CLIENT_URLS: 'https://172.30.1.12:2379,https://127.0.0.1:2379',
      ETCD_ELECTION_TIMEOUT: '5000',
      ETCD_HEARTBEAT_INTERVAL: '250',
      ETCD_INITIAL_CLUSTER_TOKEN: 'k8s_etcd',
      ETCD_LISTEN_PEER_URLS: 'https://172.30.1.12:2380',
      ETCD_NAME: 'etcd-node2',
      ETCD_PROXY: 'off',
      ETCD_ENABLE_V2: 'true',
      ETCD_INITIAL_CLUSTER: 'etcd-node2=https://172.30.1.12:2380,etcd-node3=https://172.30.1.14:2380,etcd-node4=https://172.30.1.15:2380',
      ETCD_AUTO_COMPACTION_RETENTION: '8',
      ETCD_SNAPSHOT_COUNT: '10000',
      ETCD_TRUSTED_CA_FILE: '/etc/ssl/etcd/ssl/ca.pem',
      ETCD_CERT_FILE: '/etc/ssl/etcd/ssl/member-etcd-node2.pem',
      ETCD_KEY_FILE: '/etc/ssl/etcd/ssl/member-etcd-node2-key.pem',
      ETCD_CLIENT_CERT_AUTH: 'true',
      ETCD_PEER_TRUSTED_CA_FILE: '/etc/ssl/etcd/ssl/ca.pem',
      ETCD_PEER_CERT_FILE: '/etc/ssl/etcd/ssl/member-etcd-node2.pem',
      ETCD_PEER_KEY_FILE: '/etc/ssl/etcd/ssl/member-etcd-node2-key.pem',
      ETCD_PEER_CLIENT_CERT_AUTH: 'true',
      ETCDCTL_ENDPOINTS: 'https://127.0.0.1:2379',
      ETCDCTL_CACERT: '/etc/ssl/etcd/ssl/ca.pem',
      ETCDCTL_CERT: '/etc/ssl/etcd/ssl/member-etcd-node2.pem',
      ETCDCTL_KEY: '/etc/ssl/etcd/ssl/member-etcd-node2-key.pem',
    };
    for (const [key, value] of Object.entries(seed)) assert.equal(env.get(key), value, key);
    // Added to seed 000's list: the explicit compaction mode, quota and request size, and ETCDCTL_API.
    assert.deepEqual(
      [...env.keys()].filter((k) => !(k in seed)).sort(),
      ['ETCDCTL_API', 'ETCD_AUTO_COMPACTION_MODE', 'ETCD_MAX_REQUEST_BYTES', 'ETCD_QUOTA_BACKEND_BYTES'],
    );
    assert.equal(env.get('ETCDCTL_API'), '3');
  });

  test('the three initial members share the cluster-wide lines, and differ only in their own', () => {
    const envs = SEED_HOSTS.map((_, i) => parseEnv(renderNodeFiles(seedInput(i))[0].content));
    const shared = ['ETCD_INITIAL_CLUSTER', 'ETCD_INITIAL_CLUSTER_TOKEN', 'ETCD_INITIAL_CLUSTER_STATE', 'ETCD_HEARTBEAT_INTERVAL', 'ETCD_ELECTION_TIMEOUT', 'ETCD_TRUSTED_CA_FILE'];
    for (const key of shared) assert.equal(new Set(envs.map((e) => e.get(key))).size, 1, key);
    assert.deepEqual(envs.map((e) => e.get('ETCD_NAME')), ['etcd-node2', 'etcd-node3', 'etcd-node4']);
    assert.deepEqual(envs.map((e) => e.get('ETCD_ADVERTISE_CLIENT_URLS')), ['https://172.30.1.12:2379', 'https://172.30.1.14:2379', 'https://172.30.1.15:2379']);
    const join = parseEnv(renderNodeFiles(JOIN_INPUT)[0].content);
    assert.equal(join.get('ETCD_INITIAL_CLUSTER_STATE'), 'existing');
    assert.equal(join.get('ETCD_INITIAL_CLUSTER'), `${envs[0].get('ETCD_INITIAL_CLUSTER')},etcd-node5=https://172.30.1.16:2380`);
  });

  test('overrides: a rendered key is replaced in place, the others go last, sorted', () => {
    const data = etcdEnvData(PLAIN_INPUT);
    assert.equal(data.env.ETCD_MAX_REQUEST_BYTES, '10485760');
    assert.equal(data.replaced, 'ETCD_MAX_REQUEST_BYTES');
    assert.deepEqual(data.extra, [
      { key: 'ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK', value: 'true' },
      { key: 'ETCD_LOG_LEVEL', value: 'warn' },
    ]);
    const text = renderNodeFiles(PLAIN_INPUT)[0].content;
    assert.equal(text.match(/^ETCD_MAX_REQUEST_BYTES=/gm)?.length, 1);
    assert.ok(text.indexOf('ETCD_MAX_REQUEST_BYTES=10485760') < text.indexOf('# Metrics'));
    assert.ok(text.trimEnd().endsWith('ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK=true\nETCD_LOG_LEVEL=warn'));
    // A key that is not rendered on this node (ETCD_ENABLE_V2 without settings.enableV2) goes last too.
    const other = etcdEnvData({ ...PLAIN_INPUT, host: { ...PLAIN_INPUT.host, envOverrides: { ETCD_ENABLE_V2: 'false' } } });
    assert.equal(other.env.ETCD_ENABLE_V2, null);
    assert.deepEqual(other.extra, [{ key: 'ETCD_ENABLE_V2', value: 'false' }]);
    assert.equal(etcdEnvData(seedInput(0)).hasOverrides, false);
  });

  test('a join: a running member with two peer URLs is listed once per URL, as etcdctl member add prints it', () => {
    const initialCluster = [{ name: 'etcd-node2', peerURL: 'https://172.30.1.12:2380' }, { name: 'etcd-node2', peerURL: 'https://10.9.0.12:2380' }, ...JOIN_INPUT.initialCluster.slice(1)];
    assert.equal(
      etcdEnvData({ ...JOIN_INPUT, initialCluster }).env.ETCD_INITIAL_CLUSTER,
      'etcd-node2=https://172.30.1.12:2380,etcd-node2=https://10.9.0.12:2380,etcd-node3=https://172.30.1.14:2380,etcd-node4=https://172.30.1.15:2380,etcd-node5=https://172.30.1.16:2380',
    );
  });

  test('127.0.0.1 is listed once when the node itself is on 127.0.0.1; IPv6 addresses get brackets', () => {
    const local = host('one', '127.0.0.1');
    const env = etcdEnvData({ ...seedInput(0), host: local, initialCluster: members([local], SEED_SETTINGS) }).env;
    assert.equal(env.ETCD_LISTEN_CLIENT_URLS, 'https://127.0.0.1:2379');
    assert.equal(env.ETCDCTL_ENDPOINTS, 'https://127.0.0.1:2379');
    const v6 = host('six', 'fd00::12');
    const data = etcdEnvData({ ...seedInput(0), host: v6, initialCluster: members([v6], SEED_SETTINGS) });
    assert.equal(data.env.ETCD_LISTEN_CLIENT_URLS, 'https://[fd00::12]:2379,https://127.0.0.1:2379');
    assert.equal(data.env.ETCD_INITIAL_CLUSTER, 'six=https://[fd00::12]:2380');
    assert.equal(data.certAddresses, 'fd00::12 and 127.0.0.1');
  });

  test('the unit: absolute paths escaped for systemd, no flags on ExecStart', () => {
    const odd = host('odd', '10.0.0.1', { binaryPath: '/opt/etcd 3.4/etcd', envFile: '/etc/etcd/100%.env', dataDir: '/var/lib/etcd' });
    assert.deepEqual(etcdUnitData(odd, SEED_SETTINGS), {
      nodeName: 'odd',
      unitName: 'etcd',
      unitFile: '/etc/systemd/system/etcd.service',
      envFile: '/etc/etcd/100%%.env',
      workingDirectory: '-/var/lib/etcd',
      execStart: '"/opt/etcd 3.4/etcd"',
      timeoutStartSec: '5min',
    });
  });
});

describe('input that would render a broken file is refused', () => {
  const withHost = (extra: Partial<HostSpec>, base: NodeRenderInput = seedInput(0)): NodeRenderInput => {
    const h = { ...base.host, ...extra };
    return { ...base, host: h, initialCluster: base.initialCluster.map((m) => (m.name === base.host.name ? { name: h.name, peerURL: peerURL(h, base.settings) } : m)) };
  };
  const withSettings = (extra: Partial<EtcdSettings>): NodeRenderInput => ({ ...seedInput(0), settings: { ...SEED_SETTINGS, ...extra } });
  const cases: [string, NodeRenderInput, RegExp][] = [
    ['host missing from the initial cluster', { ...seedInput(0), initialCluster: members(SEED_HOSTS.slice(1), SEED_SETTINGS) }, /initialCluster must list etcd-node2 \(the node being rendered\); it lists etcd-node3, etcd-node4/],
    ['host twice', { ...seedInput(0), initialCluster: [...members(SEED_HOSTS, SEED_SETTINGS), { name: 'etcd-node2', peerURL: 'https://172.30.1.99:2380' }] }, /initialCluster lists etcd-node2 twice: member names must be unique/],
    ['another name twice', { ...seedInput(0), initialCluster: [...members(SEED_HOSTS, SEED_SETTINGS), { name: 'etcd-node3', peerURL: 'https://172.30.1.99:2380' }] }, /lists etcd-node3 twice/],
    ['own peer URL differs', { ...seedInput(0), initialCluster: [{ name: 'etcd-node2', peerURL: 'https://172.30.1.12:12380' }, ...members(SEED_HOSTS.slice(1), SEED_SETTINGS)] }, /etcd-node2 is in initialCluster with peer URL https:\/\/172\.30\.1\.12:12380, but it listens on https:\/\/172\.30\.1\.12:2380 .*must be the same/],
    ['http peer URL on a TLS cluster', { ...seedInput(0), initialCluster: members(SEED_HOSTS, { tls: false }) }, /peer URL http:\/\/172\.30\.1\.12:2380, but it listens on https:/],
    ['two members on one peer URL', { ...seedInput(0), initialCluster: [...members(SEED_HOSTS, SEED_SETTINGS), { name: 'x', peerURL: 'https://172.30.1.14:2380' }] }, /etcd-node3 and x have the same peer URL/],
    ['peer URL with a comma', { ...seedInput(0), initialCluster: [...members(SEED_HOSTS, SEED_SETTINGS), { name: 'x', peerURL: 'https://a:1,https://b:2' }] }, /peer URL of x in initialCluster must be one http\(s\) URL/],
    ['empty initial cluster', { ...seedInput(0), initialCluster: [] }, /initialCluster is empty/],
    ['a member without a name (added, never started)', { ...JOIN_INPUT, initialCluster: [{ name: '', peerURL: 'https://172.30.1.20:2380' }, ...JOIN_INPUT.initialCluster] }, /a member without a name \(peer URL "https:\/\/172\.30\.1\.20:2380"\): .*start it or remove it first/],
    ['the joiner twice', { ...JOIN_INPUT, initialCluster: [...JOIN_INPUT.initialCluster, { name: 'etcd-node5', peerURL: 'https://172.30.1.17:2380' }] }, /initialCluster lists etcd-node5 twice: member names must be unique/],
    ['a join with one URL twice', { ...JOIN_INPUT, initialCluster: [...JOIN_INPUT.initialCluster, { name: 'etcd-node3', peerURL: 'https://172.30.1.14:2380' }] }, /initialCluster lists etcd-node3 twice with peer URL https:\/\/172\.30\.1\.14:2380/],
    ['a join with only the joiner', { ...JOIN_INPUT, initialCluster: members([JOINER], SEED_SETTINGS) }, /joins an existing cluster .*must list the current members as well/],
    ['empty token', { ...seedInput(0), token: '' }, /token must be non-empty, without spaces/],
    ['token with a space', { ...seedInput(0), token: 'k8s etcd' }, /token must be non-empty, without spaces/],
    ['election below 5 heartbeats', withSettings({ electionTimeoutMs: 1000 }), /electionTimeoutMs \(1000\) must be at least 5 x heartbeatIntervalMs \(1250\): etcd refuses/],
    ['heartbeat 0', withSettings({ heartbeatIntervalMs: 0 }), /heartbeatIntervalMs must be a whole number of at least 1, not 0/],
    ['election above 50 s', withSettings({ electionTimeoutMs: 60000 }), /at most 50000/],
    ['revision retention in hours', withSettings({ autoCompactionMode: 'revision', autoCompactionRetention: '8h' }), /number of revisions in revision mode/],
    ['metrics URL with a newline', withSettings({ listenMetricsUrls: 'http://127.0.0.1:2381\nETCD_X=1' }), /listenMetricsUrls must be one or more http\(s\) URLs/],
    ['name with "="', withHost({ name: 'a=b' }), /the host name "a=b" must not contain .*"="/],
    ['name with a newline', withHost({ name: 'a\nETCD_X=1' }), /the host name "a\\nETCD_X=1" must not contain a newline/],
    ['relative data dir', withHost({ dataDir: 'var/lib/etcd' }), /dataDir of etcd-node2 must be an absolute path, not "var\/lib\/etcd"/],
    ['data dir with a newline', withHost({ dataDir: '/var/lib/etcd\nETCD_X=1' }), /dataDir of etcd-node2 must be one line/],
    ['wal dir with ..', withHost({ walDir: '/var/lib/../wal' }), /walDir of etcd-node2 must not contain "\." or "\.\." parts/],
    ['relative cert dir', withHost({ certDir: 'pki' }), /certDir of etcd-node2 must be an absolute path/],
    ['DNS name as etcd address', withHost({ etcdAddress: 'etcd2.example.com' }), /etcdAddress of etcd-node2 must be an IP address \(etcd listens only on IPs\)/],
    ['0.0.0.0 as etcd address', withHost({ etcdAddress: '0.0.0.0' }), /must be the node's own IP, not 0\.0\.0\.0/],
    ['same client and peer port', withHost({ peerPort: 2379 }), /clientPort and peerPort of etcd-node2 must differ/],
    ['override key of another program', withHost({ envOverrides: { GODEBUG: 'x509sha1=1' } }), /envOverrides of etcd-node2: "GODEBUG" is not an ETCD_\* or ETCDCTL_\* name/],
    ['lower-case override key', withHost({ envOverrides: { ETCD_log_level: 'warn' } }), /"ETCD_log_level" is not an ETCD_\* or ETCDCTL_\* name/],
    ['override value with a newline', withHost({ envOverrides: { ETCD_LOG_LEVEL: 'warn\nETCD_NAME=x' } }), /the value of ETCD_LOG_LEVEL has a newline \(one line only\)/],
    ['quoted override value', withHost({ envOverrides: { ETCD_LOG_LEVEL: '"warn"' } }), /the value of ETCD_LOG_LEVEL starts with a quote/],
    ['empty override value', withHost({ envOverrides: { ETCD_LOG_LEVEL: '' } }), /the value of ETCD_LOG_LEVEL is empty/],
    ['override of the cluster state', withHost({ envOverrides: { ETCD_INITIAL_CLUSTER_STATE: 'new' } }), /envOverrides of etcd-node2 may not set ETCD_INITIAL_CLUSTER_STATE: change nothing: etcd-tui sets new/],
    ['override of the name', withHost({ envOverrides: { ETCD_NAME: 'x' } }), /may not set ETCD_NAME: change the host's name in the inventory/],
    ['override of the heartbeat', withHost({ envOverrides: { ETCD_HEARTBEAT_INTERVAL: '100' } }), /may not set ETCD_HEARTBEAT_INTERVAL: .*every member must use the same value/],
  ];
  for (const [what, input, message] of cases) {
    test(what, () => {
      assert.throws(() => etcdEnvData(input), (error: Error) => {
        assert.match(error.message, message);
        assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
        return true;
      });
    });
  }

  test('the unit: relative paths, a bad unit name', () => {
    assert.throws(() => etcdUnitData(host('a', '10.0.0.1', { binaryPath: 'etcd' }), SEED_SETTINGS), /binaryPath of a must be an absolute path, not "etcd"/);
    assert.throws(() => etcdUnitData(host('a', '10.0.0.1', { envFile: 'etcd.env' }), SEED_SETTINGS), /envFile of a must be an absolute path/);
    assert.throws(() => etcdUnitData(host('a', '10.0.0.1', { unitName: 'etcd.service' }), SEED_SETTINGS), /unitName of a must be a systemd unit name without \.service/);
    assert.throws(() => etcdUnitData(host('a', '10.0.0.1', { unitName: 'etcd main' }), SEED_SETTINGS), /unitName of a must be a systemd unit name/);
    assert.throws(() => renderNodeFiles({ ...seedInput(0), token: '' }), /token must be non-empty/);
  });
});

describe('renderNodeFiles', () => {
  test('an override directory wins for the templates it has; settings.templatesDir is the default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-node-templates-'));
    try {
      writeFileSync(join(dir, 'etcd.env.hbs'), 'ETCD_NAME={{env.ETCD_NAME}}\nETCD_INITIAL_CLUSTER={{env.ETCD_INITIAL_CLUSTER}}\n');
      const byOption = renderNodeFiles(seedInput(1), { overrideDir: dir });
      assert.deepEqual(byOption[0], {
        kind: 'env',
        remotePath: '/etc/etcd.env',
        mode: 0o644,
        content: `ETCD_NAME=etcd-node3\nETCD_INITIAL_CLUSTER=${etcdEnvData(seedInput(1)).env.ETCD_INITIAL_CLUSTER}\n`,
        template: join(dir, 'etcd.env.hbs'),
        overridden: true,
      });
      assert.equal(byOption[1].overridden, false);
      assert.equal(byOption[1].template, join(builtinTemplatesDir(), 'etcd.service.hbs'));
      const bySettings = renderNodeFiles({ ...seedInput(1), settings: { ...SEED_SETTINGS, templatesDir: dir } });
      assert.deepEqual(bySettings, byOption);
      // A strict template: a field the data does not have throws, naming the template file.
      writeFileSync(join(dir, 'etcd.service.hbs'), 'ExecStart={{execStart}} --name {{name}}\n');
      assert.throws(() => renderNodeFiles(seedInput(1), { overrideDir: dir }), /etcd\.service\.hbs:1:\d+: unknown variable "name" \(the template gets: .*nodeName/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('with defrag: the node\'s defrag service and timer next to the unit, reading the node\'s env file', () => {
    // Same node, env file and quota as templates.test.ts's golden defrag units: the same files come out.
    const h = { ...SEED_HOSTS[1], envFile: '/etc/etcd/etcd.env', unitDir: '/etc/systemd/system/' };
    const settings = { ...SEED_SETTINGS, quotaBackendBytes: 8 * 2 ** 30 };
    const files = renderNodeFiles({ ...seedInput(1), host: h, settings }, { defrag: { nodeIndex: 1, nodeCount: 3 } });
    assert.deepEqual(
      files.map((f) => [f.kind, f.remotePath, f.mode]),
      [
        ['env', '/etc/etcd/etcd.env', 0o644],
        ['unit', '/etc/systemd/system/etcd.service', 0o644],
        ['defrag-service', '/etc/systemd/system/etcd-defrag.service', 0o644],
        ['defrag-timer', '/etc/systemd/system/etcd-defrag.timer', 0o644],
      ],
    );
    const fixtures = join(repoRoot(), 'test', 'fixtures', 'templates');
    assert.equal(files[2].content, readFileSync(join(fixtures, 'etcd-node3.etcd-defrag.service'), 'utf8'));
    assert.equal(files[3].content, readFileSync(join(fixtures, 'etcd-node3.etcd-defrag.timer'), 'utf8'));
    assert.equal(files[2].template, join(builtinTemplatesDir(), 'etcd-defrag.service.hbs'));
    const daily = renderNodeFiles(seedInput(0), { defrag: { nodeIndex: 0, nodeCount: 3, days: '*', startTime: '03:00' } });
    assert.match(daily[3].content, /^OnCalendar=\*-\*-\* 03:00:00$/m);
    assert.throws(() => renderNodeFiles(seedInput(0), { defrag: { nodeIndex: 3, nodeCount: 3 } }), /nodeIndex must be 0 to 2/);
  });
});

function which(cmd: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

test('systemd-analyze verify accepts the rendered etcd.service', { skip: toolSkipReason('systemd-analyze', 'Debian package systemd') }, () => {
  const bin = which('systemd-analyze') as string;
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-etcd-unit-'));
  try {
    // verify checks that ExecStart's program exists: a stub stands in for etcd; the env file is the rendered one.
    const stub = join(dir, 'bin', 'etcd');
    mkdirSync(join(dir, 'bin'));
    writeFileSync(stub, '#!/bin/sh\nexit 0\n');
    chmodSync(stub, 0o755);
    for (const { file, input } of GOLDEN_CASES) {
      const nodeDir = join(dir, file);
      mkdirSync(join(nodeDir, 'data'), { recursive: true });
      const h = { ...input.host, binaryPath: stub, envFile: join(nodeDir, 'etcd.env'), dataDir: join(nodeDir, 'data'), unitDir: nodeDir };
      const files = renderNodeFiles({ ...input, host: h, initialCluster: input.initialCluster });
      for (const f of files) writeFileSync(f.remotePath, f.content);
      const unit = join(nodeDir, `${h.unitName}.service`);
      assert.ok(existsSync(unit) && existsSync(h.envFile));
      const r: SpawnSyncReturns<string> = spawnSync(bin, ['verify', unit], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_LEVEL: 'notice' } });
      // verify exits 0 on warnings too: its output must be empty.
      assert.equal(r.status, 0, `${file}: ${r.stderr}`);
      assert.equal(r.stderr.trim(), '', `${file}: ${r.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The long flags a binary's --help lists. */
function helpFlags(bin: string, env: NodeJS.ProcessEnv = process.env): Set<string> {
  const r = spawnSync(bin, ['--help'], { encoding: 'utf8', env, timeout: 10_000 });
  return new Set([...`${r.stdout}${r.stderr}`.matchAll(/--([a-z0-9][a-z0-9-]*)/g)].map((m) => m[1]));
}

const flagOf = (key: string, prefix: string): string => key.slice(prefix.length).toLowerCase().replace(/_/g, '-');

test('every ETCD_* of the rendered env files is an etcd 3.4 flag, every ETCDCTL_* an etcdctl one', { skip: etcdSkipReason('3.4') }, () => {
  const bins = etcdBinaries('3.4');
  assert.ok(bins);
  const etcdFlags = helpFlags(bins.etcd);
  const etcdctlFlags = helpFlags(bins.etcdctl, { ...process.env, ETCDCTL_API: '3' });
  assert.ok(etcdFlags.has('initial-cluster-token') && etcdFlags.has('proxy') && etcdFlags.has('enable-v2'), 'etcd --help lists its flags');
  const checked = new Set<string>();
  for (const { file, input } of GOLDEN_CASES) {
    for (const key of parseEnv(renderNodeFiles(input)[0].content).keys()) {
      checked.add(key);
      if (key === 'ETCDCTL_API') continue; // read by etcdctl's main, not a flag
      if (key.startsWith('ETCDCTL_')) assert.ok(etcdctlFlags.has(flagOf(key, 'ETCDCTL_')), `${file}: ${key} is not an etcdctl flag (--${flagOf(key, 'ETCDCTL_')})`);
      else assert.ok(etcdFlags.has(flagOf(key, 'ETCD_')), `${file}: ${key} is not an etcd flag (--${flagOf(key, 'ETCD_')})`);
    }
  }
  // Every variable the template can render was checked by one of the cases.
  assert.deepEqual([...checked].sort(), Object.keys(etcdEnvData(seedInput(0)).env).concat('ETCD_LOG_LEVEL', 'ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK').sort());
});

interface Started {
  child: ChildProcess;
  pid: number;
  log: string;
  exited: () => boolean;
}

/** The environment of the children: this process's, without ETCD_* / ETCDCTL_*, plus the env file's. */
function childEnv(vars: Map<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ETCD')) env[k] = v;
  return { ...env, ...Object.fromEntries(vars) };
}

/** Starts etcd as the unit would: no flags, the env file's variables, the working dir. */
async function startEtcd(etcd: string, vars: Map<string, string>, dir: string): Promise<Started> {
  const log = join(dir, 'etcd.log');
  const fd = openSync(log, 'a');
  let child: ChildProcess;
  try {
    child = spawn(etcd, [], { stdio: ['ignore', fd, fd], env: childEnv(vars), cwd: dir });
  } finally {
    closeSync(fd);
  }
  let done = false;
  child.once('exit', () => {
    done = true;
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const pid = child.pid as number;
  trackProcess({ kind: 'etcd', pid });
  return { child, pid, log, exited: () => done };
}

async function stopEtcd(s: Started): Promise<void> {
  if (!s.exited()) {
    signalTracked(s.pid, 'SIGTERM');
    try {
      await waitFor(() => s.exited(), { timeoutMs: 5_000, what: `etcd (pid ${s.pid}) to exit after SIGTERM` });
    } catch {
      signalTracked(s.pid, 'SIGKILL');
      await waitFor(() => s.exited(), { timeoutMs: 5_000, what: `etcd (pid ${s.pid}) to exit after SIGKILL` });
    }
  }
  untrackProcess(s.pid);
}

/** `etcdctl endpoint health` with only the env file's ETCDCTL_* settings (no flags). */
async function waitHealthy(etcdctl: string, vars: Map<string, string>, s: Started): Promise<string> {
  try {
    return await waitFor(
      () => {
        if (s.exited()) throw new StopWaiting(`etcd (pid ${s.pid}) exited while starting`);
        const r: SpawnSyncReturns<string> = spawnSync(etcdctl, ['endpoint', 'health', '--dial-timeout=1s', '--command-timeout=2s'], { encoding: 'utf8', env: childEnv(vars), timeout: 5_000 });
        if (r.status !== 0) throw new Error(`etcdctl endpoint health: exit ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
        return `${r.stdout}${r.stderr}`;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'etcdctl endpoint health (env file settings only) to succeed' },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- etcd log ---\n${readFileSync(s.log, 'utf8').split('\n').slice(-25).join('\n')}`, { cause: error });
  }
}

/** etcd 3.4 logs each variable it takes ("recognized and used") and warns about the others. */
function checkEtcdReadEveryVariable(log: string, vars: Map<string, string>): void {
  const text = readFileSync(log, 'utf8');
  assert.doesNotMatch(text, /unrecognized environment variable/, text);
  assert.doesNotMatch(text, /shadowed by corresponding command-line flag/, text);
  for (const key of vars.keys()) {
    if (key.startsWith('ETCD_')) assert.match(text, new RegExp(`recognized and used environment variable ${key}=`), `etcd did not use ${key}`);
  }
}

describe('a real etcd 3.4 starts from a rendered env file', { skip: etcdSkipReason('3.4') }, () => {
  test('mTLS with seed 000\'s settings: etcd and etcdctl read only the env file', async () => {
    const bins = etcdBinaries('3.4');
    assert.ok(bins);
    const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-node-tls-'));
    let started: Started | undefined;
    try {
      const [clientPort, peerPort] = await freePorts(2);
      const h = host('solo', '127.0.0.1', { clientPort, peerPort, dataDir: join(dir, 'data'), certDir: join(dir, 'pki'), envFile: join(dir, 'etcd.env') });
      // The test CA's server certificate (serverAuth + clientAuth, SAN 127.0.0.1) under certPaths' names.
      const certs = makeCerts(join(dir, 'made'));
      mkdirSync(h.certDir);
      copyFileSync(certs.caCert, join(h.certDir, 'ca.pem'));
      copyFileSync(certs.serverCert, join(h.certDir, 'member-solo.pem'));
      copyFileSync(certs.serverKey, join(h.certDir, 'member-solo-key.pem'));
      const settings = { ...SEED_SETTINGS, heartbeatIntervalMs: 100, electionTimeoutMs: 1000 };
      const [env] = renderNodeFiles({ host: h, settings, initialCluster: members([h], settings), state: 'new', token: 'k8s_etcd' });
      writeFileSync(env.remotePath, env.content);
      const vars = parseEnv(readFileSync(h.envFile, 'utf8'));
      assert.equal(vars.get('ETCD_LISTEN_CLIENT_URLS'), `https://127.0.0.1:${clientPort}`);
      started = await startEtcd(bins.etcd, vars, dir);
      const health = await waitHealthy(bins.etcdctl, vars, started);
      assert.match(health, new RegExp(`https://127\\.0\\.0\\.1:${clientPort} is healthy`));
      assert.doesNotMatch(health, /unrecognized/);
      checkEtcdReadEveryVariable(started.log, vars);
      // The client port really wants a client certificate.
      const anonymous = new Map([...vars].filter(([k]) => k !== 'ETCDCTL_CERT' && k !== 'ETCDCTL_KEY'));
      const refused = spawnSync(bins.etcdctl, ['endpoint', 'health', '--dial-timeout=1s', '--command-timeout=2s'], { encoding: 'utf8', env: childEnv(anonymous), timeout: 10_000 });
      assert.notEqual(refused.status, 0);
    } finally {
      if (started) await stopEtcd(started);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('plain http with a WAL dir, a metrics URL and overrides', async () => {
    const bins = etcdBinaries('3.4');
    assert.ok(bins);
    const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-node-plain-'));
    let started: Started | undefined;
    try {
      const [clientPort, peerPort, metricsPort] = await freePorts(3);
      const h = host('plain', '127.0.0.1', {
        clientPort,
        peerPort,
        dataDir: join(dir, 'data'),
        walDir: join(dir, 'wal'),
        envFile: join(dir, 'etcd.env'),
        envOverrides: { ETCD_MAX_REQUEST_BYTES: '2097152', ETCD_MAX_TXN_OPS: '256' },
      });
      const settings = { ...PLAIN_SETTINGS, listenMetricsUrls: `http://127.0.0.1:${metricsPort}` };
      const [env] = renderNodeFiles({ host: h, settings, initialCluster: members([h], settings), state: 'new', token: 'plain-test' });
      writeFileSync(env.remotePath, env.content);
      const vars = parseEnv(readFileSync(h.envFile, 'utf8'));
      assert.equal(vars.get('ETCD_MAX_TXN_OPS'), '256');
      started = await startEtcd(bins.etcd, vars, dir);
      await waitHealthy(bins.etcdctl, vars, started);
      checkEtcdReadEveryVariable(started.log, vars);
      assert.ok(readdirSync(h.walDir as string).some((f) => f.endsWith('.wal')), 'the WAL is in the WAL dir');
      const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /etcd_server_has_leader 1/);
    } finally {
      if (started) await stopEtcd(started);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
