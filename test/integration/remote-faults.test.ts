/**
 * Remote work under faults, on simulated hosts (test/harness/hosts.ts): a cluster of c1..c3, and
 * hosts that join it while the test breaks something in the middle of the etcd binary's upload (the
 * link to the host is throttled so the upload lasts long enough to be cut):
 *   - sshd killed on the host: the step fails at once with "connection ... lost during upload", the
 *     learner is removed, the undos that need the dead host are listed as not undone;
 *   - sshd restarted with a new host key: the same, and the undos on the host are refused with
 *     "host key changed" (etcd-tui undo too) until known_hosts is fixed;
 *   - the link down for longer than the stall timeout: the same within the stall timeout;
 *   - SIGINT while the link is down: the run ends within a bound and undoes the cluster side;
 *   - a full /usr/local/bin and a full /etc/etcd: "no space left" with the host, the directory, free
 *     against needed; a read-only /usr/local/bin: "permission denied"; everything undone;
 *   - a short drop (shorter than the stall timeout): survived, the join succeeds;
 *   - the run journal: `etcd-tui runs` lists a run left unfinished, `etcd-tui undo RUN` finishes its
 *     rollback (after sshd came back) or undoes a run killed with kill -9 mid-upload; the learner
 *     such a run leaves blocks the next join with its ID, its peer URL and the way out.
 * The built binary runs headless, as a script would. Needs root (skipped with a clear line without).
 */
import { after, before, describe, test } from '../harness/skip.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { startSimHosts, simHostsSkipReason, type SimHost, type SimHosts } from '../harness/hosts.js';
import { makeClusterPki, type ClusterPki } from '../harness/certs.js';
import { runCli, showCli, startCli, type CliResult } from '../harness/cli.js';
import { signalTracked } from '../harness/registry.js';
import { waitFor } from '../harness/wait.js';
import type { SshTarget } from '../../src/domain/hosts.js';
import { HostError } from '../../src/domain/errors.js';
import type { HostConnection } from '../../src/hosts/gateway.js';
import { SshGateway } from '../../src/hosts/ssh-gateway.js';

const NAMES = ['c1', 'c2', 'c3', 'j1', 'j2', 'j3', 'j4', 'j5', 'j6'];
const STALL_S = 6;
const skip = simHostsSkipReason();

interface MemberJson {
  ID: string | number;
  name: string;
  isLearner?: boolean;
}

describe('remote work under faults (simulated hosts)', { skip: skip ? `skipped: ${skip}` : false }, () => {
  let sim: SimHosts;
  let pki: ClusterPki;
  let dir: string;
  let config: string;
  let audit: string;

  const host = (name: string): SimHost => sim.hosts.find((h) => h.name === name)!;
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const cli = (args: string[], timeoutMs = 180_000) => runCli(['--config', config, '--audit-log', audit, ...args], { timeoutMs });
  const members = (): MemberJson[] =>
    (
      JSON.parse(
        execFileSync('etcdctl', [`--endpoints=https://${host('c1').address}:2379`, `--cacert=${pki.ca}`, `--cert=${pki.admin}`, `--key=${pki.adminKey}`, '--command-timeout=5s', 'member', 'list', '-w', 'json'], {
          encoding: 'utf8',
          env: { ...process.env, ETCDCTL_API: '3' },
          timeout: 20_000,
        }),
      ) as { members: MemberJson[] }
    ).members;
  const memberText = () => members().map((m) => `${m.name || '(unstarted)'}:${m.isLearner ? 'learner' : 'voter'}`).sort().join(',');

  /** What a join touches on a host: etcd's files and dirs, temporary upload files, the unit's state. */
  async function hostState(h: SimHost): Promise<string> {
    const r = await h.exec([
      'bash',
      '-c',
      [
        'find /etc/etcd /etc/systemd/system /tmp -xdev -printf "%p %s\\n" 2>/dev/null | sort',
        'ls -A /usr/local/bin | grep -i etcd || true',
        'ls -A /var/lib | grep -i etcd || true',
        'systemctl is-active etcd.service || true',
        'pgrep -x etcd || true',
      ].join('; '),
    ]);
    return r.stdout;
  }

  /** Starts `bootstrap join NAME`, waits until the binary's upload is under way, then calls fault(). */
  async function joinWithFault(name: string, fault: () => Promise<void>, extra: string[] = [], killAfter = false): Promise<{ result: CliResult; afterFaultMs: number }> {
    const h = host(name);
    await h.throttle(16_000); // 21 MB at 16 Mbit/s: about 10 s of upload
    const run = startCli(['--config', config, '--audit-log', audit, 'bootstrap', 'join', name, '--yes', ...extra], { timeoutMs: 240_000 });
    try {
      await waitFor(
        async () => {
          if (run.exited()) throw new Error(`the join ended before the upload: ${run.stdout()}`);
          const r = await h.exec(['find', '/usr/local/bin', '-maxdepth', '1', '-name', '.etcd.etcd-tui-tmp-*', '-size', '+1M'], { timeoutMs: 5_000 });
          return r.stdout.trim() !== '';
        },
        { timeoutMs: 120_000, intervalMs: 100, what: `the upload of the etcd binary to ${name} to be under way` },
      );
      const t0 = Date.now();
      await fault();
      if (killAfter) run.kill();
      const result = await run.done;
      return { result, afterFaultMs: Date.now() - t0 };
    } finally {
      run.kill();
      await h.throttle(undefined).catch(() => undefined);
    }
  }

  before(async () => {
    sim = await startSimHosts(NAMES.length, { names: NAMES, standinSettleMs: 1000 });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-faults-'));
    pki = makeClusterPki(join(dir, 'pki'), sim.hosts.map((h) => ({ name: h.name, ip: h.address })));
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, sim.hosts.map((h) => h.knownHostsLine()).join('\n') + '\n', { mode: 0o600 });
    audit = join(dir, 'audit.jsonl');
    config = join(dir, 'contexts.yaml');
    const context = {
      name: 'faults',
      ssh: { user: 'root', identityFile: sim.clientKey, knownHosts, agent: false, connectTimeout: '3s', stallTimeout: `${STALL_S}s` },
      etcd: { version: '3.4.23', binarySource: '/usr/bin/etcd', caDir: pki.dir, heartbeatInterval: 100, electionTimeout: 1000, quota: '256MiB' },
      hosts: sim.hosts.map((h) => ({ name: h.name, address: h.address })),
    };
    writeFileSync(config, YAML.stringify({ current: 'faults', contexts: [context] }));
    const r = await cli(['bootstrap', 'cluster', 'c1', 'c2', 'c3', '--yes']);
    assert.equal(r.code, 0, showCli(r));
  });

  after(async () => {
    await sim?.stop();
    if (dir && !process.env.ETCD_TUI_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  });

  const runId = (stdout: string): string => {
    const m = /^run (\S+): journal in /m.exec(stdout);
    assert.ok(m, `the run names its journal:\n${stdout}`);
    return m[1];
  };

  test('sshd killed mid-upload: the step fails at once, the learner is removed, the rest is listed; etcd-tui undo finishes it later', async () => {
    const h = host('j1');
    const before = memberText();
    const state = await hostState(h);
    const { result: r, afterFaultMs } = await joinWithFault('j1', () => h.killSshd());
    assert.equal(r.code, 6, showCli(r));
    assert.match(r.stdout, new RegExp(`connection to root@${esc(h.address)}:22 lost during upload of /usr/local/bin/etcd`));
    assert.ok(afterFaultMs < 30_000, `ended ${afterFaultMs} ms after the fault`);
    assert.match(r.stdout, /undone: removed j1 \([0-9a-f]+\) from the cluster/);
    assert.match(r.stdout, /NOT UNDONE: could not .* on j1: cannot reach/);
    assert.match(r.stdout, /NOT UNDONE: could not remove the temporary files of the cut-off upload of \/usr\/local\/bin\/etcd on j1/);
    assert.equal(memberText(), before, 'no learner is left');
    const id = runId(r.stdout);
    assert.match(r.stdout, new RegExp(`can be undone later, once the hosts answer: etcd-tui undo ${esc(id)}`));
    await h.startSshd();
    const runs = await cli(['runs']);
    assert.equal(runs.code, 0, showCli(runs));
    assert.match(runs.stdout, new RegExp(`^${esc(id)}\\s+faults\\s+\\S+\\s+failed, rollback incomplete\\s+\\d+ undo step\\(s\\) left\\s+Join j1`, 'm'));
    const undo = await cli(['undo', id, '--yes']);
    assert.equal(undo.code, 0, showCli(undo));
    assert.match(undo.stdout, /ALREADY UNDONE:\n {2}removed j1 \([0-9a-f]+\) from the cluster/);
    assert.match(undo.stdout, /undone: j1: removed \/tmp\/\.|undone: j1: removed \/usr\/local\/bin\/\.etcd\.etcd-tui-tmp-/);
    assert.match(undo.stdout, /everything run .* changed was undone/);
    assert.equal(await hostState(h), state, 'j1 is as before');
    const again = await cli(['runs']);
    assert.doesNotMatch(again.stdout, new RegExp(esc(id)));
  });

  test('kill -9 of the join mid-upload: the learner is left and blocks a join (named, with the way out); etcd-tui undo RUN puts cluster and host back', async () => {
    const h = host('j1');
    const before = memberText();
    const state = await hostState(h);
    // The fault is the kill itself (SIGKILL: nothing of the process runs after it).
    const { result: r } = await joinWithFault('j1', async () => undefined, [], true);
    assert.equal(r.code, -1, showCli(r));
    const id = runId(r.stdout);
    assert.match(memberText(), /\(unstarted\):learner/, 'the learner is left');
    const refused = await cli(['bootstrap', 'join', 'j2', '--yes']);
    assert.equal(refused.code, 5, showCli(refused));
    assert.match(refused.stdout, /the cluster has a member that never started: learner [0-9a-f]+ \(peer URL https:\/\/[\d.]+:2380\).*etcd-tui undo RUN.*etcd-tui member remove [0-9a-f]+/);
    const runs = await cli(['runs']);
    assert.match(runs.stdout, new RegExp(`^${esc(id)}\\s+faults\\s+\\S+\\s+cut off at step 7/19`, 'm'));
    const dry = await cli(['undo', id, '--dry-run']);
    assert.equal(dry.code, 0, showCli(dry));
    assert.match(dry.stdout, /7\. j1: upload the etcd binary to \/usr\/local\/bin\/etcd: CUT OFF in the middle/);
    assert.match(dry.stdout, /TO UNDO \(in this order\):\n {2}1\. remove the temporary files of the cut-off upload of \/usr\/local\/bin\/etcd on j1/);
    assert.match(dry.stdout, /remove j1 \([0-9a-f]+\) from the cluster/);
    assert.match(memberText(), /learner/, 'a dry run changes nothing');
    const undo = await cli(['undo', id, '--yes']);
    assert.equal(undo.code, 0, showCli(undo));
    assert.match(undo.stdout, /undone: removed j1 \([0-9a-f]+\) from the cluster/);
    assert.equal(memberText(), before, 'no learner is left');
    assert.equal(await hostState(h), state, 'j1 is as before');
    const lines = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { command: string; outcome: string; arguments: { run?: string } });
    assert.ok(lines.some((l) => l.command === 'undo' && l.outcome === 'succeeded' && l.arguments.run === id));
  });

  test('sshd restarted with a new host key mid-upload: the run fails at once; the undos on that host are refused with "host key changed", and so is etcd-tui undo until known_hosts is fixed', async () => {
    const h = host('j1');
    const before = memberText();
    const state = await hostState(h);
    // sshd serves a new key from now on (SIGHUP), then the session that uploads is dropped.
    const { result: r, afterFaultMs } = await joinWithFault('j1', async () => {
      await h.regenerateHostKey();
      await h.killSshd({ sessionsOnly: true });
    });
    assert.equal(r.code, 6, showCli(r));
    assert.match(r.stdout, new RegExp(`connection to root@${esc(h.address)}:22 lost during upload of /usr/local/bin/etcd`));
    assert.ok(afterFaultMs < 30_000, `ended ${afterFaultMs} ms after the fault`);
    assert.match(r.stdout, /undone: removed j1 \([0-9a-f]+\) from the cluster/);
    assert.match(r.stdout, /NOT UNDONE: could not .* on j1: host key of .* has changed/);
    assert.equal(memberText(), before, 'no learner is left');
    const id = runId(r.stdout);
    const refused = await cli(['undo', id, '--yes']);
    assert.equal(refused.code, 6, showCli(refused));
    assert.match(refused.stdout, /NOT UNDONE: .*host key of .* has changed/);
    // The operator checks the new key and replaces the old line; then the undo goes on where it stopped.
    const knownHosts = join(dir, 'known_hosts');
    const lines = readFileSync(knownHosts, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith(`${h.address} `));
    writeFileSync(knownHosts, [...lines, h.knownHostsLine()].join('\n') + '\n');
    const undo = await cli(['undo', id, '--yes']);
    assert.equal(undo.code, 0, showCli(undo));
    assert.equal(await hostState(h), state, 'j1 is as before');
  });

  test(`the link down mid-upload for longer than the stall timeout (${STALL_S} s): the step fails within it, the learner is removed`, async () => {
    const h = host('j2');
    const before = memberText();
    const { result: r, afterFaultMs } = await joinWithFault('j2', () => h.linkDown());
    try {
      assert.equal(r.code, 6, showCli(r));
      assert.match(r.stdout, new RegExp(`connection to root@${esc(h.address)}:22 lost during upload of /usr/local/bin/etcd \\(no answer for ${STALL_S} s\\)`));
      assert.ok(afterFaultMs < STALL_S * 1000 + 30_000, `ended ${afterFaultMs} ms after the link went down`);
      assert.match(r.stdout, /undone: removed j2 \([0-9a-f]+\) from the cluster/);
      assert.equal(memberText(), before, 'no learner is left');
    } finally {
      await h.linkUp();
    }
  });

  test('SIGINT while the link is down mid-upload: the run ends within a bound and removes the learner (undo of the running run is refused)', async () => {
    const h = host('j3');
    const before = memberText();
    let pid = 0;
    const run = startCli(['--config', config, '--audit-log', audit, 'bootstrap', 'join', 'j3', '--yes'], { timeoutMs: 240_000 });
    pid = run.pid;
    await h.throttle(16_000);
    try {
      await waitFor(
        async () => {
          if (run.exited()) throw new Error(`the join ended before the upload: ${run.stdout()}`);
          return (await h.exec(['find', '/usr/local/bin', '-maxdepth', '1', '-name', '.etcd.etcd-tui-tmp-*', '-size', '+1M'], { timeoutMs: 5_000 })).stdout.trim() !== '';
        },
        { timeoutMs: 120_000, intervalMs: 100, what: 'the upload to j3 to be under way' },
      );
      // A run in progress is not undone from the side.
      const busy = await cli(['undo', runId(run.stdout()), '--yes']);
      assert.equal(busy.code, 5, showCli(busy));
      assert.match(busy.stdout, new RegExp(`REFUSED: run \\S+ is still running \\(pid ${pid}\\)`));
      await h.linkDown();
      signalTracked(pid, 'SIGINT');
      const t0 = Date.now();
      const r = await run.done;
      const took = Date.now() - t0;
      assert.equal(r.code, 7, showCli(r));
      assert.ok(took < STALL_S * 1000 + 30_000, `ended ${took} ms after SIGINT`);
      assert.match(r.stdout, /undone: removed j3 \([0-9a-f]+\) from the cluster/);
      assert.equal(memberText(), before, 'no learner is left');
    } finally {
      run.kill();
      await h.linkUp();
      await h.throttle(undefined).catch(() => undefined);
    }
  });

  test('a full /usr/local/bin and a full /etc/etcd: "no space left" with host, directory, free against needed; a read-only one: "permission denied"; all undone', async () => {
    const before = memberText();
    const h4 = host('j4');
    await h4.smallFilesystem('/usr/local/bin', 1024 * 1024);
    const state4 = await hostState(h4);
    let r = await cli(['bootstrap', 'join', 'j4', '--yes']);
    assert.equal(r.code, 6, showCli(r));
    assert.match(r.stdout, new RegExp(`no space left on root@${esc(h4.address)}:22 in /usr/local/bin: 1\\.0 MB free, 2\\d(\\.\\d)? MB needed`));
    assert.match(r.stdout, /everything this run changed was undone/);
    assert.equal(memberText(), before);
    assert.equal(await hostState(h4), state4, 'j4 is as before');
    // The same directory mounted read-only: SFTP says only "Failure" there; the message says why.
    assert.equal((await h4.exec(['mount', '-o', 'remount,ro', '/usr/local/bin'])).code, 0);
    r = await cli(['bootstrap', 'join', 'j4', '--yes']);
    assert.equal(r.code, 6, showCli(r));
    assert.match(r.stdout, new RegExp(`permission denied: root may not write in /usr/local/bin on root@${esc(h4.address)}:22 \\(no write permission, or a read-only mount\\)`));
    assert.match(r.stdout, /everything this run changed was undone/);
    assert.equal(memberText(), before);
    assert.equal(await hostState(h4), state4, 'j4 is as before');

    const h5 = host('j5');
    await h5.smallFilesystem('/etc/etcd', 64 * 1024, { fill: true });
    const state5 = await hostState(h5);
    r = await cli(['bootstrap', 'join', 'j5', '--yes']);
    assert.equal(r.code, 6, showCli(r));
    assert.match(r.stdout, new RegExp(`no space left on root@${esc(h5.address)}:22 in /etc/etcd(/pki)?: 0 B free, \\d+(\\.\\d)? (B|kB) needed`));
    assert.match(r.stdout, /everything this run changed was undone/);
    assert.equal(memberText(), before);
    assert.equal(await hostState(h5), state5, 'j5 is as before');
  });

  test(`a short drop (2 s, under the stall timeout of ${STALL_S} s) mid-upload is survived: the join succeeds`, async () => {
    const h = host('j6');
    const { result: r } = await joinWithFault('j6', async () => {
      await h.linkDown();
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await h.linkUp();
    });
    assert.equal(r.code, 0, showCli(r));
    assert.match(r.stdout, /SUCCEEDED/);
    assert.ok(members().some((m) => m.name === 'j6' && !m.isLearner));
  });
});

describe('the SSH gateway on a link that goes down (simulated host)', { skip: skip ? `skipped: ${skip}` : false }, () => {
  let sim: SimHosts;
  let conn: HostConnection | undefined;
  const STALL_MS = 3_000;

  before(async () => {
    sim = await startSimHosts(1, { names: ['g1'] });
  });
  after(async () => {
    conn?.close();
    await sim?.stop();
  });

  const target = (): SshTarget => ({
    address: sim.hosts[0].address,
    port: 22,
    user: 'root',
    identityFiles: [sim.clientKey],
    agent: false,
    knownHosts: sim.knownHostsFile,
    sudo: false,
    connectTimeoutMs: 3_000,
    stallTimeoutMs: STALL_MS,
  });

  test('a command running when the link goes down fails within the stall timeout, saying during what; the next one fails at once; the link back, a new connection works', async () => {
    const h = sim.hosts[0];
    conn = await new SshGateway().connect(target());
    const running = conn.run(['sleep', '60'], { timeoutMs: 120_000 });
    await waitFor(async () => (await h.exec(['pgrep', '-x', 'sleep'])).stdout.trim() !== '', { timeoutMs: 10_000, what: 'sleep to run on g1' });
    await h.linkDown();
    try {
      const t0 = Date.now();
      await assert.rejects(running, (err: unknown) => {
        assert.ok(err instanceof HostError, String(err));
        assert.equal(err.kind, 'unreachable');
        assert.match(err.message, new RegExp(`^connection to root@${h.address.replace(/\./g, '\\.')}:22 lost during sleep 60 \\(no answer for 3 s\\)`));
        return true;
      });
      const took = Date.now() - t0;
      assert.ok(took < STALL_MS + 5_000, `failed ${took} ms after the link went down`);
      const t1 = Date.now();
      await assert.rejects(conn.run(['true']), /lost during true/);
      assert.ok(Date.now() - t1 < 1_000, 'a command on a lost connection fails at once');
      assert.equal(conn.isClosed, true);
    } finally {
      await h.linkUp();
    }
    // The bastion's neighbour entry for g1 may need a moment after the link is back.
    const again = await waitFor(() => new SshGateway().connect(target()), { timeoutMs: 20_000, intervalMs: 250, what: 'a new connection to g1 once the link is back' });
    try {
      assert.equal((await again.run(['echo', 'back'])).stdout, 'back\n');
    } finally {
      again.close();
    }
  });

  test('an upload aborted while the link is down ends at once (not after the stall timeout)', async () => {
    const h = sim.hosts[0];
    conn = await new SshGateway().connect({ ...target(), stallTimeoutMs: 60_000 });
    await h.throttle(8_000);
    const abort = new AbortController();
    const upload = conn.upload(crypto.randomBytes(8 * 1024 * 1024), '/tmp/big', { mode: 0o600, signal: abort.signal });
    try {
      await waitFor(async () => (await h.exec(['sh', '-c', 'ls -a /tmp | grep -c etcd-tui-tmp'])).stdout.trim() === '1', { timeoutMs: 15_000, what: 'the upload to be under way' });
      await h.linkDown();
      const t0 = Date.now();
      abort.abort();
      await assert.rejects(upload, (err: unknown) => err instanceof HostError && err.kind === 'aborted');
      const took = Date.now() - t0;
      assert.ok(took < 8_000, `the aborted upload ended ${took} ms after the abort`);
    } finally {
      await h.linkUp();
      await h.throttle(undefined).catch(() => undefined);
    }
  });
});
