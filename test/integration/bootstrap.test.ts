/**
 * Bootstrap over SSH against simulated hosts (network + mount namespaces, each with its own sshd and
 * the systemctl stand-in; test/harness/hosts.ts): real etcd 3.4 with mTLS, the built binary run
 * headless as a script would, and the console in tmux. Needs root; skipped with a clear line without.
 *
 * One set of five hosts, in order:
 *   1. an unknown host key is refused without --accept-new-host-key (nothing recorded, nothing run);
 *   2. bootstrap cluster etcd-1..3 with --accept-new-host-key: one leader, one cluster ID, context saved;
 *   3. the console (tmux) opens on the saved context and shows it healthy; `:bootstrap-join etcd-4`
 *      shows etcd-4's unknown host key, t trusts it, the typed name runs it: learner, promoted, 4 voters;
 *   5. a join whose start fails (its client port is taken) is rolled back: membership as before,
 *      files restored, data dir moved aside, a clear message;
 *   6. preflight refuses a certificate whose SANs miss the node, a non-empty data dir, a changed host key.
 */
import { after, before, describe, test } from '../harness/skip.js'; // counts every test of a skipped describe
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { startSimHosts, simHostsSkipReason, type SimHosts } from '../harness/hosts.js';
import { makeClusterPki, addNode, type ClusterPki } from '../harness/certs.js';
import { BIN, runCli, showCli } from '../harness/cli.js';
import { startTmux, type TmuxSession } from '../harness/tmux.js';
import { waitFor } from '../harness/wait.js';
import { etcdBinaries, etcdSkipReason } from '../harness/binaries.js';

const NAMES = ['etcd-1', 'etcd-2', 'etcd-3', 'etcd-4', 'etcd-5'];
const skip = simHostsSkipReason();

interface MemberJson {
  ID: string | number;
  name: string;
  peerURLs: string[];
  isLearner?: boolean;
}

describe('bootstrap over SSH (simulated hosts)', { skip: skip ? `skipped: ${skip}` : false }, () => {
  let sim: SimHosts;
  let pki: ClusterPki;
  let dir: string;
  let config: string;
  let knownHosts: string;
  let audit: string;
  let tui: TmuxSession | undefined;

  const addr = (name: string) => sim.hosts.find((h) => h.name === name)!.address;
  const host = (name: string) => sim.hosts.find((h) => h.name === name)!;
  const cli = (args: string[], timeoutMs = 180_000) => runCli(['--config', config, '--audit-log', audit, ...args], { timeoutMs });
  const etcdctl = (args: string[], endpoints: string[]) =>
    execFileSync('etcdctl', [`--endpoints=${endpoints.join(',')}`, `--cacert=${pki.ca}`, `--cert=${pki.admin}`, `--key=${pki.adminKey}`, '--command-timeout=5s', ...args], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' }, timeout: 20_000 });
  const memberList = (): MemberJson[] => (JSON.parse(etcdctl(['member', 'list', '-w', 'json'], [`https://${addr('etcd-1')}:2379`])) as { members: MemberJson[] }).members;

  before(async () => {
    sim = await startSimHosts(NAMES.length, { names: NAMES, standinSettleMs: 1000 });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-bootstrap-'));
    pki = makeClusterPki(join(dir, 'pki'), sim.hosts.map((h) => ({ name: h.name, ip: h.address })));
    knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, '', { mode: 0o600 });
    audit = join(dir, 'audit.jsonl');
    config = join(dir, 'contexts.yaml');
    const context = {
      name: 'sim',
      ssh: { user: 'root', identityFile: sim.clientKey, knownHosts, agent: false },
      etcd: { version: '3.4.23', binarySource: '/usr/bin/etcd', caDir: pki.dir, heartbeatInterval: 100, electionTimeout: 1000, quota: '256MiB' },
      hosts: sim.hosts.map((h) => ({ name: h.name, address: h.address })),
    };
    // etcd-4 is reached through sudo -n (as root here: the same commands and uploads a sudo user gets).
    (context.hosts[3] as Record<string, unknown>).sudo = true;
    // etcd-5's client URLs also listen on its SSH port (taken by sshd): its start fails after preflight passed.
    (context.hosts[4] as Record<string, unknown>).env = { ETCD_LISTEN_CLIENT_URLS: `https://${sim.hosts[4].address}:2379,https://${sim.hosts[4].address}:22` };
    writeFileSync(config, YAML.stringify({ current: 'sim', contexts: [context] }));
  });

  after(async () => {
    tui?.stop();
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The cluster the second test bootstraps on etcd-1..3; a later test run alone bootstraps it itself. */
  async function ensureCluster(): Promise<void> {
    const saved = YAML.parse(readFileSync(config, 'utf8')) as { contexts: Array<{ endpoints?: string[] }> };
    if (saved.contexts[0].endpoints?.length) return;
    const r = await cli(['bootstrap', 'cluster', 'etcd-1', 'etcd-2', 'etcd-3', '--yes', '--accept-new-host-key']);
    assert.equal(r.code, 0, showCli(r));
  }

  test('an unknown host key is refused without --accept-new-host-key; nothing is recorded or changed', async () => {
    const r = await cli(['bootstrap', 'preflight', 'etcd-1']);
    assert.equal(r.code, 5, showCli(r));
    assert.match(r.stdout, new RegExp(`unknown host key of etcd-1 \\(${addr('etcd-1').replace(/\./g, '\\.')}:22\\): ssh-ed25519 ${host('etcd-1').fingerprint().replace(/[+/]/g, '\\$&')}`));
    assert.match(r.stdout, /--accept-new-host-key/);
    assert.equal(readFileSync(knownHosts, 'utf8'), '', 'known_hosts is untouched');
    const dry = await cli(['bootstrap', 'cluster', 'etcd-1', 'etcd-2', 'etcd-3', '--dry-run']);
    assert.equal(dry.code, 5, showCli(dry));
    assert.match(dry.stdout, /REFUSED: preflight failed, nothing was changed/);
    assert.equal(await host('etcd-1').readFile('/etc/etcd/etcd.env'), undefined);
  });

  test('bootstrap cluster: three hosts, mTLS, one leader, one cluster ID; the context is saved', async () => {
    const dry = await cli(['bootstrap', 'cluster', 'etcd-1', 'etcd-2', 'etcd-3', '--dry-run', '--accept-new-host-key']);
    assert.equal(dry.code, 0, showCli(dry));
    assert.match(dry.stdout, /PLAN: New cluster on etcd-1, etcd-2, etcd-3/);
    assert.match(dry.stdout, new RegExp(`\\$ ssh root@${addr('etcd-1').replace(/\./g, '\\.')} systemctl start --no-block etcd.service`));
    assert.match(dry.stdout, /dry run: nothing was changed/);
    assert.equal(await host('etcd-1').readFile('/etc/etcd/etcd.env'), undefined, 'a dry run changes nothing');
    assert.equal(readFileSync(knownHosts, 'utf8').trim().split('\n').length, 3, 'the accepted keys are recorded');

    const r = await cli(['bootstrap', 'cluster', 'etcd-1', 'etcd-2', 'etcd-3', '--yes']);
    assert.equal(r.code, 0, showCli(r));
    assert.match(r.stdout, /SUCCEEDED/);
    assert.match(r.stdout, /context "sim" saved/);
    const endpoints = ['etcd-1', 'etcd-2', 'etcd-3'].map((n) => `https://${addr(n)}:2379`);
    const status = JSON.parse(etcdctl(['endpoint', 'status', '-w', 'json'], endpoints)) as Array<{ Status: { header: { cluster_id: number | string }; leader: number | string } }>;
    assert.equal(status.length, 3);
    assert.equal(new Set(status.map((s) => String(s.Status.header.cluster_id))).size, 1, 'one cluster ID');
    assert.equal(new Set(status.map((s) => String(s.Status.leader))).size, 1, 'one leader');
    assert.deepEqual(memberList().map((m) => m.name).sort(), ['etcd-1', 'etcd-2', 'etcd-3']);
    const env = await host('etcd-2').readFile('/etc/etcd/etcd.env');
    assert.match(env ?? '', /ETCD_INITIAL_CLUSTER_STATE=new/);
    assert.match(env ?? '', new RegExp(`ETCD_INITIAL_CLUSTER=etcd-1=https://${addr('etcd-1')}:2380,etcd-2=https://${addr('etcd-2')}:2380,etcd-3=https://${addr('etcd-3')}:2380`));
    const key = await host('etcd-2').exec(['stat', '-c', '%a', '/etc/etcd/pki/member-etcd-2-key.pem']);
    assert.equal(key.stdout.trim(), '600');
    const saved = YAML.parse(readFileSync(config, 'utf8')) as { current: string; contexts: Array<{ name: string; endpoints: string[]; etcd: { token: string } }> };
    assert.equal(saved.current, 'sim');
    assert.deepEqual(saved.contexts[0].endpoints, endpoints);
    assert.match(saved.contexts[0].etcd.token, /^etcd-tui-\d{8}-[0-9a-f]{8}$/);
    const st = await cli(['status']);
    assert.equal(st.code, 0, showCli(st));
    const lines = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { command: string; outcome: string });
    assert.ok(lines.some((l) => l.command === 'bootstrap-cluster' && l.outcome === 'succeeded'));
  });

  test('the console opens on the saved context, healthy with one leader; J joins etcd-4 (its key trusted with t): 4 voters', async () => {
    await ensureCluster();
    tui = startTmux({ cmd: [process.execPath, BIN, '--config', config, '--audit-log', audit], env: { CI: undefined, XDG_CONFIG_HOME: '/nonexistent' }, cols: 200, rows: 60 });
    let screen = await tui.waitForText(/HEALTHY\s+3 voters, 3 healthy, tolerates 1 failure/, 20_000);
    assert.match(screen, /context sim/);
    assert.match(screen, /Leader etcd-[123]/);
    tui.type(':bootstrap-join etcd-4');
    tui.send('Enter');
    screen = await tui.waitForText('UNKNOWN HOST KEYS', 20_000);
    assert.match(screen, new RegExp(`etcd-4 \\(${addr('etcd-4').replace(/\./g, '\\.')}:22\\): ssh-ed25519 ${host('etcd-4').fingerprint().replace(/[+/]/g, '\\$&')}`));
    assert.doesNotMatch(readFileSync(knownHosts, 'utf8'), new RegExp(addr('etcd-4').replace(/\./g, '\\.')), 'nothing recorded before t');
    tui.type('t');
    screen = await tui.waitForText('enter: go on to confirm by typing the name', 20_000);
    assert.match(readFileSync(knownHosts, 'utf8'), new RegExp(addr('etcd-4').replace(/\./g, '\\.')));
    tui.send('Enter');
    await tui.waitForText('Type the member', 5000);
    tui.type('etcd-4');
    tui.send('Enter');
    screen = await tui.waitForText(/SUCCEEDED|FAILED|ABORTED/, 120_000);
    assert.match(screen, /SUCCEEDED/, screen);
    tui.send('Escape');
    await tui.waitForText(/HEALTHY\s+4 voters, 4 healthy/, 20_000);
    tui.stop();
    tui = undefined;
    const members = memberList();
    assert.equal(members.length, 4);
    assert.ok(members.every((m) => !m.isLearner), JSON.stringify(members));
    assert.match((await host('etcd-4').readFile('/etc/etcd/etcd.env')) ?? '', /ETCD_INITIAL_CLUSTER_STATE=existing/);
    const lines = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { command: string; outcome: string });
    assert.ok(lines.some((l) => l.command === 'bootstrap-join' && l.outcome === 'succeeded'));
  });

  test('a join whose start fails is rolled back: membership as before, files restored, data dir moved aside', async () => {
    await ensureCluster();
    const h5 = host('etcd-5');
    await h5.exec(['mkdir', '-p', '/etc/etcd']);
    await h5.exec(['sh', '-c', 'printf "OLD=1\\n" > /etc/etcd/etcd.env']);
    const before = memberList().map((m) => `${m.name}:${m.isLearner ? 'learner' : 'voter'}`).sort();
    // The binary comes from a release tarball this time (the bastion may be offline).
    const rel = join(dir, 'etcd-v3.4.23-linux-amd64');
    mkdirSync(rel);
    copyFileSync('/usr/bin/etcd', join(rel, 'etcd'));
    const tarball = join(dir, 'etcd-v3.4.23-linux-amd64.tar.gz');
    execFileSync('tar', ['-czf', tarball, '-C', dir, 'etcd-v3.4.23-linux-amd64']);
    const r = await cli(['bootstrap', 'join', 'etcd-5', '--yes', '--accept-new-host-key', '--binary', tarball]);
    assert.equal(r.code, 6, showCli(r));
    assert.match(r.stdout, /will upload etcd 3\.4\.23 from .*etcd-v3\.4\.23-linux-amd64\.tar\.gz/);
    assert.match(r.stdout, /✓ etcd-1: raft timing: \/etc\/etcd\/etcd\.env: heartbeat 100 ms, election 1000 ms, as the inventory/);
    assert.match(r.stdout, /ok: etcd binary: [\d.]+ MB to \/usr\/local\/bin\/etcd/);
    assert.match(r.stdout, /systemctl start etcd.service failed/);
    assert.match(r.stdout, /address already in use/);
    assert.match(r.stdout, /ROLLBACK:/);
    assert.match(r.stdout, /undone: etcd-5: stopped etcd.service/);
    assert.match(r.stdout, /undone: removed etcd-5 \([0-9a-f]+\) from the cluster/);
    assert.match(r.stdout, /undone: etcd-5: restored \/etc\/etcd\/etcd.env from/);
    assert.match(r.stdout, /undone: etcd-5: removed \/usr\/local\/bin\/etcd \(it was not there before\)/);
    assert.match(r.stdout, /undone: etcd-5: moved \/var\/lib\/etcd aside to \/var\/lib\/etcd\.etcd-tui-failed-|undone: etcd-5: \/var\/lib\/etcd was empty/);
    assert.match(r.stdout, /everything this run changed was undone/);
    await waitFor(async () => {
      const now = memberList().map((m) => `${m.name}:${m.isLearner ? 'learner' : 'voter'}`).sort();
      return JSON.stringify(now) === JSON.stringify(before) ? true : undefined;
    }, { timeoutMs: 15_000, what: 'the membership as before' });
    assert.equal(await h5.readFile('/etc/etcd/etcd.env'), 'OLD=1\n');
    assert.equal(await h5.readFile('/etc/systemd/system/etcd.service'), undefined);
    const ls = await h5.exec(['ls', '-A', '/var/lib']);
    assert.doesNotMatch(ls.stdout, /^etcd$/m, 'the data dir is gone from its place');
    assert.equal((await h5.exec(['systemctl', 'is-active', 'etcd.service'])).stdout.trim() === 'active', false);
    assert.ok(!(await h5.exec(['pgrep', '-x', 'etcd'])).stdout.trim(), 'no etcd runs on etcd-5');
    const st = await cli(['status']);
    assert.equal(st.code, 0, showCli(st));
  });

  test('preflight refuses a certificate whose SANs miss the node, a non-empty data dir, a changed host key', async () => {
    await ensureCluster();
    const h5 = host('etcd-5');
    // SANs: a CA dir whose etcd-5 certificate names another address.
    const bad = join(dir, 'bad-pki');
    mkdirSync(bad);
    for (const f of ['ca.pem', 'ca-key.pem', 'admin.pem', 'admin-key.pem']) copyFileSync(join(pki.dir, f), join(bad, f));
    addNode({ ...pki, dir: bad, ca: join(bad, 'ca.pem'), caKey: join(bad, 'ca-key.pem') }, 'etcd-5', ['IP:10.254.254.254', 'IP:127.0.0.1']);
    // --accept-new-host-key: etcd-5's key is known already after the join test, not when this runs alone.
    let r = await cli(['bootstrap', 'preflight', 'etcd-5', '--ca-dir', bad, '--accept-new-host-key']);
    assert.equal(r.code, 5, showCli(r));
    assert.match(r.stdout, new RegExp(`✗ etcd-5: certificates: .*do not cover ${addr('etcd-5').replace(/\./g, '\\.')}`));

    await h5.exec(['mkdir', '-p', '/var/lib/etcd/member']);
    const membersBefore = memberList().length;
    r = await cli(['bootstrap', 'join', 'etcd-5', '--yes']);
    assert.equal(r.code, 5, showCli(r));
    assert.match(r.stdout, /REFUSED: preflight failed, nothing was changed:\netcd-5: data dir: \/var\/lib\/etcd is not empty \(member\)/);
    assert.equal(memberList().length, membersBefore, 'nothing was added');
    await h5.exec(['rmdir', '/var/lib/etcd/member', '/var/lib/etcd']);

    const known = readFileSync(knownHosts, 'utf8');
    await h5.regenerateHostKey();
    r = await cli(['bootstrap', 'join', 'etcd-5', '--yes', '--accept-new-host-key']);
    assert.equal(r.code, 5, showCli(r));
    assert.match(r.stdout, /host key of .* has changed/);
    assert.equal(readFileSync(knownHosts, 'utf8'), known, 'a changed key is never accepted, not even with --accept-new-host-key');
    assert.equal(memberList().length, membersBefore);
  });
});

const bin35 = etcdBinaries('3.5');
const skip35 = skip ?? (bin35 ? undefined : etcdSkipReason('3.5'));

describe('bootstrap over SSH with etcd 3.5 (simulated hosts)', { skip: skip35 ? `skipped: ${skip35}` : false }, () => {
  let sim: SimHosts;
  let dir: string;
  let config: string;

  before(async () => {
    sim = await startSimHosts(3, { names: ['n1', 'n2', 'n3'], standinSettleMs: 1000 });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-bootstrap35-'));
    const pki = makeClusterPki(join(dir, 'pki'), sim.hosts.map((h) => ({ name: h.name, ip: h.address })));
    writeFileSync(join(dir, 'known_hosts'), sim.hosts.map((h) => h.knownHostsLine()).join('\n') + '\n', { mode: 0o600 });
    config = join(dir, 'contexts.yaml');
    const context = {
      name: 'sim35',
      ssh: { identityFile: sim.clientKey, knownHosts: join(dir, 'known_hosts'), agent: false },
      etcd: { version: bin35!.version, binarySource: bin35!.etcd, caDir: pki.dir, heartbeatInterval: 100, electionTimeout: 1000, quota: '256MiB' },
      hosts: sim.hosts.map((h) => ({ name: h.name, address: h.address })),
    };
    writeFileSync(config, YAML.stringify({ current: 'sim35', contexts: [context] }));
  });

  after(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test(`a new 3-node cluster on etcd ${bin35?.version ?? '3.5'} (uploaded from the bastion): healthy, every member on that version`, async () => {
    const r = await runCli(['--config', config, '--audit-log', join(dir, 'audit.jsonl'), 'bootstrap', 'cluster', '--yes'], { timeoutMs: 180_000 });
    assert.equal(r.code, 0, showCli(r));
    assert.match(r.stdout, new RegExp(`will upload etcd ${bin35!.version.replace(/\./g, '\\.')}`));
    const st = await runCli(['--config', config, 'status', '--json']);
    assert.equal(st.code, 0, showCli(st));
    const json = JSON.parse(st.stdout) as { members: Array<{ name: string; version?: string; status?: { version: string } }> };
    const versions = JSON.stringify(json.members);
    assert.equal(json.members.length, 3, versions);
    assert.equal((versions.match(new RegExp(`"${bin35!.version.replace(/\./g, '\\.')}"`, 'g')) ?? []).length >= 3, true, versions);
  });
});

describe('a new cluster whose member cannot start is rolled back on every host (simulated hosts)', { skip: skip ? `skipped: ${skip}` : false }, () => {
  let sim: SimHosts;
  let dir: string;
  let config: string;

  before(async () => {
    sim = await startSimHosts(3, { names: ['r1', 'r2', 'r3'], standinSettleMs: 1000 });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-bootstrap-rb-'));
    const pki = makeClusterPki(join(dir, 'pki'), sim.hosts.map((h) => ({ name: h.name, ip: h.address })));
    writeFileSync(join(dir, 'known_hosts'), sim.hosts.map((h) => h.knownHostsLine()).join('\n') + '\n', { mode: 0o600 });
    config = join(dir, 'contexts.yaml');
    const hosts: Array<Record<string, unknown>> = sim.hosts.map((h) => ({ name: h.name, address: h.address }));
    // r3 also listens for clients on its SSH port, which sshd holds: its etcd exits at once.
    hosts[2].env = { ETCD_LISTEN_CLIENT_URLS: `https://${sim.hosts[2].address}:2379,https://${sim.hosts[2].address}:22` };
    const context = {
      name: 'rb',
      ssh: { identityFile: sim.clientKey, knownHosts: join(dir, 'known_hosts'), agent: false },
      etcd: { version: '3.4.23', binarySource: '/usr/bin/etcd', caDir: pki.dir, heartbeatInterval: 100, electionTimeout: 1000, quota: '256MiB' },
      hosts,
    };
    writeFileSync(config, YAML.stringify({ current: 'rb', contexts: [context] }));
  });

  after(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('r3 fails: the run stops early with its journal, every host is put back, the context is not saved', async () => {
    const before = readFileSync(config, 'utf8');
    const r = await runCli(['--config', config, '--audit-log', join(dir, 'audit.jsonl'), 'bootstrap', 'cluster', '--yes', '--wait', '2m'], { timeoutMs: 180_000 });
    assert.equal(r.code, 6, showCli(r));
    assert.match(r.stdout, /the cluster cannot form: r3: service failed, journal: .*address already in use/);
    assert.ok(r.ms < 60_000, `a dead member is seen long before the 2 min wait ends (took ${r.ms} ms)`);
    assert.match(r.stdout, /everything this run changed was undone/);
    for (const h of sim.hosts) {
      assert.match(r.stdout, new RegExp(`undone: ${h.name}: stopped etcd\\.service`));
      assert.match(r.stdout, new RegExp(`undone: ${h.name}: disabled etcd\\.service`));
      assert.equal(await h.readFile('/etc/etcd/etcd.env'), undefined, `${h.name}: env file removed`);
      assert.equal(await h.readFile('/etc/systemd/system/etcd.service'), undefined, `${h.name}: unit removed`);
      assert.notEqual((await h.exec(['systemctl', 'is-active', 'etcd.service'])).stdout.trim(), 'active');
      assert.equal((await h.exec(['pgrep', '-x', 'etcd'])).stdout.trim(), '', `${h.name}: no etcd runs`);
      assert.equal((await h.exec(['test', '-e', '/var/lib/etcd'])).code, 1, `${h.name}: the data dir is not in its place`);
    }
    // r1 and r2 had formed a quorum and written data: it is kept aside, not deleted.
    const aside = await sim.hosts[0].exec(['sh', '-c', 'ls -d /var/lib/etcd.etcd-tui-failed-*/member']);
    assert.equal(aside.code, 0, aside.stderr);
    assert.equal(readFileSync(config, 'utf8'), before, 'the context is saved only after a success');
  });
});
