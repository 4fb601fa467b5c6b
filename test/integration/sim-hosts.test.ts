// The simulated hosts of test/harness/hosts.ts, driven with the real OpenSSH client: own addresses,
// private copy-on-write files, a real etcd run through the systemctl/journalctl stand-ins, host key
// rotation, and a teardown that leaves nothing behind. Needs root (skipped otherwise).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from '../harness/skip.js'; // counts every test of a skipped describe
import { etcdBinaries, etcdSkipReason } from '../harness/binaries.js';
import { runEtcdctl } from '../harness/cluster.js';
import { simHostsSkipReason, startSimHosts, type SimHost, type SimHosts } from '../harness/hosts.js';
import { isAlive, procStartTime, stopAll } from '../harness/registry.js';
import { waitFor } from '../harness/wait.js';

after(() => stopAll());

interface SshResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real ssh client, key-only, known_hosts pinned; `command` is run by the remote login shell. */
function ssh(
  sim: SimHosts,
  host: SimHost,
  command: string,
  opts: { input?: string | Buffer; knownHostsFile?: string; timeoutMs?: number } = {},
): Promise<SshResult> {
  const args = [
    '-F', '/dev/null',
    '-i', sim.clientKey,
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${opts.knownHostsFile ?? sim.knownHostsFile}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=5',
    '-o', 'LogLevel=ERROR',
    `root@${host.address}`,
    command,
  ];
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

async function sshOk(sim: SimHosts, host: SimHost, command: string, opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<string> {
  const r = await ssh(sim, host, command, opts);
  assert.equal(r.code, 0, `ssh ${host.name} ${command}: exit ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

function writeRemote(sim: SimHosts, host: SimHost, file: string, content: string | Buffer, mode = '0644'): Promise<string> {
  return sshOk(sim, host, `cat > ${shq(file)} && chmod ${mode} ${shq(file)}`, { input: content, timeoutMs: 60_000 });
}

function listNames(args: string[]): string[] {
  return execFileSync('ip', args, { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

const skip = simHostsSkipReason();

describe('simulated hosts', { skip }, () => {
  let sim: SimHosts;
  let h1: SimHost;
  let h2: SimHost;

  before(async () => {
    sim = await startSimHosts(2);
    [h1, h2] = sim.hosts;
  });
  after(async () => {
    await sim?.stop();
  });

  test('each host has its own address, hostname and files; /var/lib/etcd is absent; hosts reach each other over TCP', async (t) => {
    t.diagnostic(`2 hosts started in ${sim.startMs} ms: ${sim.hosts.map((h) => `${h.name}=${h.address}`).join(', ')}, bridge ${sim.bridge} ${sim.bridgeAddress}`);
    assert.notEqual(h1.address, h2.address);
    for (const h of sim.hosts) {
      const addr = await sshOk(sim, h, 'ip -4 -br addr show eth0; hostname');
      assert.match(addr, new RegExp(`^eth0\\S*\\s+UP\\s+${h.address.replace(/\./g, '\\.')}/24\\s*$`, 'm'));
      assert.match(addr, new RegExp(`^${h.name}$`, 'm'));
      // A fresh machine: no etcd data dir, no etcd unit links, the dirs the product uploads to exist.
      assert.equal((await ssh(sim, h, 'test -e /var/lib/etcd')).code, 1, `${h.name}: /var/lib/etcd must not exist`);
      assert.equal((await ssh(sim, h, 'ls /etc/systemd/system/multi-user.target.wants/etcd.service')).code, 2);
      await sshOk(sim, h, 'test -d /etc/etcd && test -d /etc/systemd/system && test -d /usr/local/bin && test -d /var/lib');
      // Its own pid namespace: only its own processes.
      const ps = await sshOk(sim, h, 'ps -e -o comm=');
      assert.ok(!/\betcd\b|\bnode\b/.test(ps), `${h.name} sees no foreign processes:\n${ps}`);
    }

    const marker = `written on h1 at ${Date.now()}`;
    await writeRemote(sim, h1, '/etc/etcd/marker', `${marker}\n`);
    assert.equal(await h1.readFile('/etc/etcd/marker'), `${marker}\n`);
    assert.equal((await ssh(sim, h2, 'test -e /etc/etcd/marker')).code, 1, 'h2 does not see h1 files');
    assert.equal(await h2.readFile('/etc/etcd/marker'), undefined);
    assert.equal(fs.existsSync('/etc/etcd/marker'), false, 'the real machine does not see them either');
    const tmpMarker = `/tmp/etcd-tui-sim-marker-${process.pid}`;
    await sshOk(sim, h1, `echo x > /usr/local/bin/etcd-tui-marker && mkdir /var/lib/etcd-tui-marker && echo x > ${tmpMarker} && echo x > ~/marker`);
    assert.equal(fs.existsSync('/usr/local/bin/etcd-tui-marker'), false);
    assert.equal(fs.existsSync('/var/lib/etcd-tui-marker'), false);
    assert.equal(fs.existsSync(tmpMarker), false, 'own /tmp');
    assert.equal(fs.existsSync('/root/marker'), false, 'own root home');
    assert.equal((await ssh(sim, h2, `test -e ${tmpMarker}`)).code, 1);
    // A fresh root home, not this machine's dotfiles.
    assert.equal((await sshOk(sim, h2, 'ls -A ~')).split('\n').filter(Boolean).sort().join(' '), '.bashrc .profile');

    const banner = await sshOk(sim, h1, `exec 3<>/dev/tcp/${h2.address}/22 && head -c 8 <&3`);
    assert.equal(banner, 'SSH-2.0-');
    const exec = await h1.exec(['cat', '/etc/hostname']);
    assert.deepEqual(exec, { code: 0, stdout: 'h1\n', stderr: '' });
  });

  test('a real etcd through the systemctl and journalctl stand-ins', { skip: etcdSkipReason('3.4') }, async (t) => {
    const bins = etcdBinaries('3.4');
    assert.ok(bins);
    const realDataDir = fs.existsSync('/var/lib/etcd') ? fs.readdirSync('/var/lib/etcd').sort() : undefined;
    const a = h1.address;
    // scp (SFTP protocol in OpenSSH 9): the sftp subsystem works.
    const scp = execFileSync('scp', [
      '-q', '-F', '/dev/null', '-i', sim.clientKey, '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${sim.knownHostsFile}`,
      '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', bins.etcd, `root@${h1.address}:/usr/local/bin/etcd`,
    ], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(scp, '');
    await sshOk(sim, h1, 'chmod 0755 /usr/local/bin/etcd && /usr/local/bin/etcd --version');
    const common = [
      `ETCD_LISTEN_CLIENT_URLS=http://${a}:2379,http://127.0.0.1:2379`,
      `ETCD_ADVERTISE_CLIENT_URLS=http://${a}:2379`,
      `ETCD_LISTEN_PEER_URLS=http://${a}:2380`,
      `ETCD_INITIAL_ADVERTISE_PEER_URLS=http://${a}:2380`,
      'ETCD_INITIAL_CLUSTER_STATE=new',
      'ETCD_LOGGER=zap',
      'ETCD_LOG_OUTPUTS=stderr',
    ];
    await writeRemote(sim, h1, '/etc/etcd/etcd.env', [
      '# etcd on h1 (sim-hosts test)',
      'ETCD_NAME="h1"',
      'ETCD_DATA_DIR=/var/lib/etcd',
      `ETCD_INITIAL_CLUSTER=h1=http://${a}:2380`,
      'ETCD_INITIAL_CLUSTER_TOKEN=sim-hosts-test',
      ...common,
      '',
    ].join('\n'));
    const unit = (description: string, envFile: string) => [
      '[Unit]',
      `Description=${description}`,
      'After=network-online.target',
      '',
      '[Service]',
      'Type=notify',
      `EnvironmentFile=${envFile}`,
      'ExecStart=/usr/local/bin/etcd',
      'WorkingDirectory=/var/lib',
      'User=root',
      'LimitNOFILE=65536',
      '',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n');
    await writeRemote(sim, h1, '/etc/systemd/system/etcd.service', unit('etcd key-value store', '/etc/etcd/etcd.env'));

    // Not loaded yet: systemd's answer, exit 5.
    const early = await ssh(sim, h1, 'systemctl start etcd');
    assert.equal(early.code, 5, early.stderr);
    assert.match(early.stderr, /^Failed to start etcd\.service: Unit etcd\.service not found\.$/m);

    await sshOk(sim, h1, 'systemctl daemon-reload');
    const enable = await ssh(sim, h1, 'systemctl enable etcd.service');
    assert.equal(enable.code, 0, enable.stderr);
    assert.match(enable.stderr, /Created symlink \/etc\/systemd\/system\/multi-user\.target\.wants\/etcd\.service → \/etc\/systemd\/system\/etcd\.service\./);
    assert.equal((await sshOk(sim, h1, 'systemctl is-enabled etcd')).trim(), 'enabled');
    const started = Date.now();
    const start = await ssh(sim, h1, 'systemctl start etcd');
    assert.equal(start.code, 0, `${start.stderr}\n${await h1.readFile('/run/etcd-tui-standin/etcd.service.log')}`);
    t.diagnostic(`systemctl start etcd took ${Date.now() - started} ms (settle time included)`);

    const endpoint = `http://${a}:2379`;
    await waitFor(
      async () => {
        const r = await runEtcdctl(bins.etcdctl, ['--endpoints', endpoint, '--dial-timeout=1s', '--command-timeout=2s', 'endpoint', 'health'], { timeoutMs: 5_000 });
        if (r.code !== 0) throw new Error(r.stderr.trim());
        return r;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: `etcd on ${h1.name} to be healthy at ${endpoint}` },
    );
    const active = await ssh(sim, h1, 'systemctl is-active etcd');
    assert.deepEqual([active.code, active.stdout], [0, 'active\n']);
    const journal = await sshOk(sim, h1, 'journalctl -u etcd -n 50 --no-pager');
    assert.match(journal, /systemd\[1\]: Started etcd key-value store\./);
    assert.match(journal, /"msg":"serving client traffic insecurely|ready to serve client requests/);
    const status = await ssh(sim, h1, 'systemctl status etcd --no-pager');
    assert.equal(status.code, 0);
    assert.match(status.stdout, /Active: active \(running\)/);
    const mainPid = Number((await sshOk(sim, h1, 'systemctl show -p MainPID --value etcd')).trim());
    assert.ok(mainPid > 0);

    // The same ports again, in a second unit: etcd fails to bind, the start fails as with systemd.
    await writeRemote(sim, h1, '/etc/etcd/dup.env', ['ETCD_NAME=dup', 'ETCD_DATA_DIR=/var/lib/etcd-dup', `ETCD_INITIAL_CLUSTER=dup=http://${a}:2380`, ...common, ''].join('\n'));
    await writeRemote(sim, h1, '/etc/systemd/system/etcd-dup.service', unit('etcd on taken ports', '/etc/etcd/dup.env'));
    await sshOk(sim, h1, 'systemctl daemon-reload');
    const dup = await ssh(sim, h1, 'systemctl start etcd-dup');
    assert.equal(dup.code, 1, dup.stderr);
    assert.equal(
      dup.stderr,
      'Job for etcd-dup.service failed because the control process exited with error code.\n' +
        'See "systemctl status etcd-dup.service" and "journalctl -xeu etcd-dup.service" for details.\n',
    );
    const dupActive = await ssh(sim, h1, 'systemctl is-active etcd-dup');
    assert.deepEqual([dupActive.code, dupActive.stdout], [3, 'failed\n']);
    assert.match(await sshOk(sim, h1, 'journalctl -xeu etcd-dup.service'), /address already in use/);
    assert.equal((await ssh(sim, h1, 'systemctl status etcd-dup')).code, 3);
    await sshOk(sim, h1, 'systemctl reset-failed etcd-dup');
    assert.equal((await ssh(sim, h1, 'systemctl is-active etcd-dup')).stdout, 'inactive\n');

    // Stop: inactive, and no etcd process left in the host.
    const etcdPids = () => h1.pids().filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'etcd';
      } catch {
        return false;
      }
    });
    assert.equal(etcdPids().length, 1, 'one etcd process runs in h1');
    await sshOk(sim, h1, 'systemctl stop etcd');
    const inactive = await ssh(sim, h1, 'systemctl is-active etcd');
    assert.deepEqual([inactive.code, inactive.stdout], [3, 'inactive\n']);
    assert.deepEqual(etcdPids(), []);
    assert.equal((await ssh(sim, h1, `test -e /proc/${mainPid}`)).code, 1, 'reaped inside the host');
    assert.notEqual((await runEtcdctl(bins.etcdctl, ['--endpoints', endpoint, '--dial-timeout=1s', '--command-timeout=1s', 'endpoint', 'health'], { timeoutMs: 5_000 })).code, 0);

    // Its data went to the host's overlay, not to the real /var/lib/etcd.
    await sshOk(sim, h1, 'test -d /var/lib/etcd/member');
    assert.deepEqual(fs.existsSync('/var/lib/etcd') ? fs.readdirSync('/var/lib/etcd').sort() : undefined, realDataDir);
  });

  test('regenerateHostKey changes the key; ssh with the old known_hosts refuses the host', async () => {
    const before = h2.fingerprint();
    const oldLine = h2.knownHostsLine();
    await sshOk(sim, h2, 'true');
    await h2.regenerateHostKey();
    assert.notEqual(h2.fingerprint(), before);
    assert.match(h2.fingerprint(), /^SHA256:[A-Za-z0-9+/]{43}$/);
    assert.notEqual(h2.knownHostsLine(), oldLine);
    const keygen = execFileSync('ssh-keygen', ['-lf', '-'], { input: h2.knownHostsLine(), encoding: 'utf8' });
    assert.ok(keygen.includes(h2.fingerprint()), keygen);

    const refused = await ssh(sim, h2, 'true');
    assert.equal(refused.code, 255);
    assert.match(refused.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    const fresh = path.join(sim.dir, 'known_hosts.fresh');
    fs.writeFileSync(fresh, `${h2.knownHostsLine()}\n`);
    const ok = await ssh(sim, h2, 'hostname', { knownHostsFile: fresh });
    assert.deepEqual([ok.code, ok.stdout], [0, 'h2\n']);
  });

  test('stop() leaves no namespace, link or process behind', async () => {
    const pids = sim.hosts.flatMap((h) => h.pids());
    assert.ok(pids.length >= 6, `init, unshare and sshd of each host: ${pids.join(' ')}`);
    const starts = new Map(pids.map((p) => [p, procStartTime(p)]));
    await sim.stop();
    const alive = pids.filter((p) => isAlive(p) && procStartTime(p) === starts.get(p));
    assert.deepEqual(alive, []);
    assert.deepEqual(listNames(['netns', 'list']).filter((l) => l.startsWith(sim.prefix)), []);
    assert.deepEqual(listNames(['-o', 'link', 'show']).filter((l) => l.includes(`: ${sim.prefix}`)), []);
    assert.equal(fs.existsSync(sim.dir), false);
    await sim.stop(); // idempotent
  });

  test('4 hosts start in parallel', async (t) => {
    const four = await startSimHosts(4, { names: ['n1', 'n2', 'n3', 'n4'] });
    try {
      t.diagnostic(`4 hosts started in ${four.startMs} ms`);
      const names = await Promise.all(four.hosts.map((h) => ssh(four, h, 'hostname')));
      assert.deepEqual(names.map((r) => r.stdout.trim()), ['n1', 'n2', 'n3', 'n4']);
    } finally {
      await four.stop();
    }
    assert.deepEqual(listNames(['netns', 'list']).filter((l) => l.startsWith(four.prefix)), []);
  });
});
