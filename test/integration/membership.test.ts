/**
 * The headless membership flows (`etcd-tui member ...`) as scripts run them: the built binary against
 * real etcd 3.4 clusters that the harness starts, its output, its exit codes and its audit log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { connect, type Socket } from 'node:net';
import { startCluster, type MemberListJson, type PlannedMember, type TestCluster } from '../harness/cluster.js';
import { runCli, showCli as show, startCli, type CliResult } from '../harness/cli.js';
import { StopWaiting, waitFor } from '../harness/wait.js';

/** The built binary to its end, killed after timeoutMs (see ../harness/cli.ts). */
const run = (args: string[], timeoutMs = 60_000) => runCli(args, { timeoutMs });

interface AuditLine {
  time: string;
  user: string;
  command: string;
  arguments: Record<string, unknown>;
  clusterId?: string;
  outcome: string;
  error?: string;
  before?: { members: Array<{ name: string; isLearner: boolean; peerURLs: string[] }>; leader?: { name: string } };
  after?: { members: Array<{ name: string; isLearner: boolean; peerURLs: string[] }>; leader?: { name: string } };
  steps?: Array<{ title: string; state: string }>;
}

function readAudit(file: string): AuditLine[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as AuditLine);
}

/** `etcdctl member list` as comparable data: sorted "name peerURL learner|voter" lines. */
async function memberList(cluster: TestCluster, extra: string[] = []): Promise<MemberListJson['members']> {
  const list = await cluster.etcdctlJson<MemberListJson>(['member', 'list', ...extra]);
  return list.members;
}

function summary(members: MemberListJson['members']): string[] {
  return members.map((m) => `${m.ID} ${m.name ?? ''} ${(m.peerURLs ?? []).join(',')} ${m.isLearner ? 'learner' : 'voter'}`).sort();
}

/** The env block lines (KEY="value") of an add step as the binary printed them, after the given marker line. */
function envFromOutput(stdout: string, after: RegExp): Record<string, string> {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => after.test(l));
  assert.ok(start >= 0, `no line matching ${after} in:\n${stdout}`);
  const env: Record<string, string> = {};
  for (const l of lines.slice(start + 1)) {
    const m = /^\s+(ETCD_[A-Z_]+)="([^"]*)"$/.exec(l);
    if (!m) {
      if (Object.keys(env).length > 0) break;
      continue;
    }
    env[m[1]] = m[2];
  }
  return env;
}

function entries(initialCluster: string): string[] {
  return initialCluster.split(',').sort();
}

// ---------------------------------------------------------------------------------------------

describe('member add-learner, promote, move-leader and refusals (etcd 3.4, auth on)', () => {
  const PASSWORD = 'Pw-9f2c1d-secret';
  let cluster: TestCluster;
  let dir: string;
  let audit: string;
  let m4: PlannedMember;
  let common: string[];

  before(async () => {
    cluster = await startCluster({ members: 3, version: '3.4' });
    for (const args of [['user', 'add', `root:${PASSWORD}`], ['user', 'grant-role', 'root', 'root'], ['auth', 'enable']]) {
      const r = await cluster.etcdctl(args);
      assert.equal(r.code, 0, `etcdctl ${args.join(' ')}: ${r.stderr}`);
    }
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-membership-'));
    audit = join(dir, 'audit.jsonl');
    common = ['--endpoints', cluster.endpoints.join(','), '--user', 'root', '--password', PASSWORD, '--audit-log', audit];
  });
  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The learner m4 that 1a adds and starts; a test run alone (6a, 4b, 1b) adds and starts it itself. */
  async function ensureLearnerM4(): Promise<void> {
    if (m4 && (await memberList(cluster)).some((m) => m.peerURLs?.includes(m4.peerURL))) return;
    m4 = await cluster.planMember('m4');
    const r = await run(['member', 'add-learner', '--name', 'm4', '--peer-urls', m4.peerURL, '--yes', ...common]);
    assert.equal(r.code, 0, show(r));
    const printed = envFromOutput(r.stdout, /^\[1\/1\] Add m4/);
    await cluster.addProcess(m4, { initialCluster: printed.ETCD_INITIAL_CLUSTER, state: 'existing', learner: true, timeoutMs: 30_000 });
  }

  test('1a. add-learner m4: exit 0, env block printed and written in KEY="value" form; the new node starts with it', async (t) => {
    m4 = await cluster.planMember('m4');
    const envFile = join(dir, 'm4.env');
    const r = await run(['member', 'add-learner', '--name', 'm4', '--peer-urls', m4.peerURL, '--yes', '--env-out', envFile, ...common]);
    assert.equal(r.code, 0, show(r));
    // Right after the cluster started, etcd answers "unhealthy cluster" for up to 5 s: retried, shown as tries.
    for (const l of r.stdout.split('\n').filter((x) => /^\[1\/1\] try \d+:/.test(x))) t.diagnostic(l);
    assert.match(r.stdout, /\[1\/1\] ok: member [0-9a-f]+ added as a learner/);
    const expectedCluster = [...cluster.members.map((m) => `${m.name}=${m.peerURL}`), `m4=${m4.peerURL}`].sort();
    // The block the executor printed after the add (not the preview).
    const printed = envFromOutput(r.stdout, /^\[1\/1\] Add m4/);
    assert.deepEqual(Object.keys(printed), ['ETCD_NAME', 'ETCD_INITIAL_CLUSTER', 'ETCD_INITIAL_ADVERTISE_PEER_URLS', 'ETCD_INITIAL_CLUSTER_STATE'], show(r));
    assert.equal(printed.ETCD_NAME, 'm4');
    assert.deepEqual(entries(printed.ETCD_INITIAL_CLUSTER), expectedCluster);
    assert.equal(printed.ETCD_INITIAL_ADVERTISE_PEER_URLS, m4.peerURL);
    assert.equal(printed.ETCD_INITIAL_CLUSTER_STATE, 'existing');
    // The file: exactly the four lines, KEY="value", no indentation, nothing else.
    const fileLines = readFileSync(envFile, 'utf8').split('\n').filter((l) => l !== '');
    assert.deepEqual(fileLines, [
      'ETCD_NAME="m4"',
      `ETCD_INITIAL_CLUSTER="${printed.ETCD_INITIAL_CLUSTER}"`,
      `ETCD_INITIAL_ADVERTISE_PEER_URLS="${m4.peerURL}"`,
      'ETCD_INITIAL_CLUSTER_STATE="existing"',
    ]);
    assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD), 'the password shows in the output');
    // etcd agrees: m4 is a learner (not started yet: no name).
    const members = await memberList(cluster);
    assert.equal(members.length, 4);
    const added = members.find((m) => m.peerURLs?.includes(m4.peerURL));
    assert.ok(added?.isLearner, `m4 is not a learner: ${JSON.stringify(members)}`);
    // Start it with the printed ETCD_INITIAL_CLUSTER; the harness waits until it answers with a leader.
    await cluster.addProcess(m4, { initialCluster: printed.ETCD_INITIAL_CLUSTER, state: 'existing', learner: true, timeoutMs: 30_000 });
  });

  test('6a. a second learner is refused with a clear sentence, exit 5, nothing changed', async () => {
    await ensureLearnerM4();
    const before = summary(await memberList(cluster));
    const m5 = await cluster.planMember('m5');
    const r = await run(['member', 'add-learner', '--name', 'm5', '--peer-urls', m5.peerURL, '--yes', ...common]);
    assert.equal(r.code, 5, show(r));
    assert.match(r.stdout, /^REFUSED: too many learners: etcd allows at most one learner .*m4.*promote or remove it first$/m);
    assert.match(r.stdout, /nothing was changed/);
    assert.deepEqual(summary(await memberList(cluster)), before);
    const refusal = readAudit(audit).at(-1);
    assert.equal(refusal?.command, 'add-learner');
    assert.equal(refusal?.outcome, 'refused');
  });

  test('4b. move-leader to a learner is refused (exit 5) with a clear sentence', async () => {
    await ensureLearnerM4();
    const leader = await cluster.leaderName();
    const r = await run(['member', 'move-leader', 'm4', '--yes', ...common]);
    assert.equal(r.code, 5, show(r));
    assert.match(r.stdout, /^REFUSED: m4 cannot take over leadership: a learner cannot lead \(promote it first\)$/m);
    assert.equal(await cluster.leaderName(), leader);
  });

  test('1b. promote m4 --wait 60s: 4 voters; the audit log has add-learner and promote, succeeded, with topology, no password', async () => {
    await ensureLearnerM4();
    const r = await run(['member', 'promote', 'm4', '--yes', '--wait', '60s', ...common], 90_000);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /\[2\/2\] ok: m4 is a voting member/);
    assert.match(r.stdout, /^SUCCEEDED in /m);
    cluster.member('m4').isLearner = false;
    const members = await memberList(cluster);
    assert.equal(members.length, 4, JSON.stringify(members));
    assert.ok(members.every((m) => !m.isLearner), `a learner is left: ${JSON.stringify(members)}`);
    assert.deepEqual(members.map((m) => m.name).sort(), ['m1', 'm2', 'm3', 'm4']);

    const text = readFileSync(audit, 'utf8');
    assert.ok(!text.includes(PASSWORD), 'the audit log holds the password');
    const records = readAudit(audit);
    const add = records.find((x) => x.command === 'add-learner' && x.outcome === 'succeeded');
    const promote = records.find((x) => x.command === 'promote' && x.outcome === 'succeeded');
    assert.ok(add && promote, `records: ${text}`);
    for (const rec of [add, promote]) {
      assert.equal(rec.user.length > 0, true);
      assert.match(rec.clusterId ?? '', /^\d+$/);
      assert.ok(!Number.isNaN(Date.parse(rec.time)));
      assert.ok(rec.before?.leader?.name && rec.after?.leader?.name, `no leader on record: ${JSON.stringify(rec)}`);
      assert.ok(rec.steps?.every((s) => s.state === 'done'), JSON.stringify(rec.steps));
    }
    assert.deepEqual(add.arguments, { name: 'm4', peerURLs: [m4.peerURL] });
    assert.equal(add.before?.members.length, 3);
    assert.equal(add.after?.members.length, 4);
    assert.ok(add.after?.members.some((m) => m.isLearner && m.peerURLs.includes(m4.peerURL)));
    assert.deepEqual(promote.before?.members.filter((m) => m.isLearner).map((m) => m.name), ['m4']);
    assert.equal(promote.after?.members.length, 4);
    assert.ok(promote.after?.members.every((m) => !m.isLearner));
  });

  test('4a. move-leader to a named follower makes it the leader and says how long it took', async () => {
    const leader = await cluster.leaderName();
    const target = ['m1', 'm2', 'm3', 'm4'].find((n) => n !== leader) as string;
    const r = await run(['member', 'move-leader', target, '--yes', ...common]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, new RegExp(`\\[1/1\\] ok: ${target} leads \\(took \\d+(\\.\\d+)?(ms|s)\\)`));
    assert.equal(await cluster.leaderName(), target);
    const rec = readAudit(audit).at(-1);
    assert.equal(rec?.command, 'move-leader');
    assert.equal(rec?.outcome, 'succeeded');
    assert.equal(rec?.before?.leader?.name, leader);
    assert.equal(rec?.after?.leader?.name, target);
  });

  test('6b. --dry-run prints the plan and changes nothing; without --yes and a terminal nothing happens; an unknown member is refused', async () => {
    const before = summary(await memberList(cluster));
    const auditBefore = readAudit(audit).length;
    const m5 = await cluster.planMember('m5');

    const dry = await run(['member', 'add-learner', '--name', 'm5', '--peer-urls', m5.peerURL, '--dry-run', ...common]);
    assert.equal(dry.code, 0, show(dry));
    assert.match(dry.stdout, /^PLAN: Add m5 as a learner$/m);
    assert.match(dry.stdout, /^STEPS:\n {2}1\. Add m5 .* as a learner\n {7}\$ etcdctl member add m5 --peer-urls=\S+ --learner$/m);
    assert.match(dry.stdout, /^ {4}ETCD_INITIAL_CLUSTER_STATE="existing"$/m);
    assert.match(dry.stdout, /^dry run: nothing was changed$/m);
    assert.deepEqual(summary(await memberList(cluster)), before);

    const unconfirmed = await run(['member', 'add-learner', '--name', 'm5', '--peer-urls', m5.peerURL, ...common]);
    assert.equal(unconfirmed.code, 7, show(unconfirmed));
    assert.match(unconfirmed.stderr, /not confirmed: pass --yes/);
    assert.match(unconfirmed.stdout, /^PLAN: Add m5 as a learner$/m);
    assert.deepEqual(summary(await memberList(cluster)), before);

    const unknown = await run(['member', 'remove', 'nosuch', '--yes', ...common]);
    assert.equal(unknown.code, 5, show(unknown));
    assert.match(unknown.stdout, /^REFUSED: unknown member "nosuch"; members: m\d \([0-9a-f]+\), /m);
    assert.deepEqual(summary(await memberList(cluster)), before);

    // Nothing that ran was a change: the dry run leaves no record; the refusal does.
    const added = readAudit(audit).slice(auditBefore);
    assert.ok(added.every((x) => x.outcome !== 'succeeded'), JSON.stringify(added));
  });
});

// ---------------------------------------------------------------------------------------------

describe('member promote right after the learner starts, with data to catch up on (etcd 3.4)', () => {
  let cluster: TestCluster;
  let dir: string;

  before(async () => {
    cluster = await startCluster({ members: 3, version: '3.4' });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-membership-'));
  });
  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('2. promote before catch-up waits (progress, retries) and then succeeds', async (t) => {
    // About 40 MB of data: 10 000 values of 4 KiB.
    const client = new Etcd3({ hosts: cluster.endpoints });
    try {
      const value = 'v'.repeat(4096);
      for (let i = 0; i < 10_000; i += 250) {
        await Promise.all(Array.from({ length: 250 }, (_, j) => client.put(`load/${String(i + j).padStart(6, '0')}`).value(value)));
      }
    } finally {
      client.close();
    }
    const status = await cluster.endpointStatus('m1');
    assert.ok((status.Status.dbSize ?? 0) > 30_000_000, `db is only ${status.Status.dbSize} bytes`);

    const common = ['--endpoints', cluster.endpoints.join(','), '--audit-log', join(dir, 'audit.jsonl')];
    const m4 = await cluster.planMember('m4');
    const add = await run(['member', 'add-learner', '--name', 'm4', '--peer-urls', m4.peerURL, '--yes', ...common]);
    assert.equal(add.code, 0, show(add));
    const id = /ok: member ([0-9a-f]+) added as a learner/.exec(add.stdout)?.[1];
    assert.ok(id, show(add));
    const env = envFromOutput(add.stdout, /^\[1\/1\] Add m4/);
    // Start the learner and stop it (SIGSTOP) at once, before it has caught up: a new member answers
    // and publishes its name only after it has applied the log up to its own start, so it stays
    // "unstarted" for as long as it is held. Then promote (by ID: etcd does not know the name yet).
    await cluster.addProcess(m4, { initialCluster: env.ETCD_INITIAL_CLUSTER, state: 'existing', learner: true, wait: false });
    // Held once it listens on its peer port (a started process: promote waits for it; a member that
    // nothing listens for is "not running" and stops the promote early).
    const peer = new URL(m4.peerURL);
    await waitFor(() => new Promise<boolean>((resolve) => connect(Number(peer.port), peer.hostname).once('connect', function (this: Socket) { this.destroy(); resolve(true); }).once('error', () => resolve(false))), { timeoutMs: 10_000, intervalMs: 10, what: 'm4 to listen on its peer port' });
    await cluster.pause('m4');
    const listed = (await memberList(cluster)).find((m) => m.peerURLs?.includes(m4.peerURL));
    assert.ok(listed?.isLearner && !listed.name && !listed.clientURLs?.length, `m4 caught up before it could be held: ${JSON.stringify(listed)}`);
    const running = startCli(['member', 'promote', id, '--yes', '--wait', '60s', ...common], { timeoutMs: 90_000 });
    let r: CliResult;
    try {
      await waitFor(
        () => {
          // m4: the name the add gave it (from the audit log), although etcd lists it without one.
          if (/^\[1\/3\] waiting for m4 to start/m.test(running.stdout())) return true;
          if (running.exited()) throw new StopWaiting('promote exited before it waited for the learner');
          return undefined;
        },
        { timeoutMs: 20_000, what: 'promote to wait for the learner to start' },
      ).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\n${running.stdout()}`);
      });
      // The learner goes on catching up; promote waits for it and then promotes it.
      await cluster.resume('m4');
      r = await running.done;
    } finally {
      running.kill();
      await running.done;
    }
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^PLAN: Promote learner m4$/m);
    assert.match(r.stdout, /^\[1\/3\] ok: .* answers$/m);
    assert.match(r.stdout, /^\[2\/3\] m4: applied \d+ of \d+, \d+ behind \(\d+/m);
    assert.match(r.stdout, /^\[2\/3\] ok: caught up/m);
    assert.match(r.stdout, /^\[3\/3\] ok: m4 is a voting member$/m);
    const retries = r.stdout.split('\n').filter((l) => /try \d+: the learner is not in sync/.test(l));
    // "Not in sync" retries are shown when etcd refuses; here the catch-up step comes first (see the report).
    t.diagnostic(`promote: ${retries.length} "not in sync" retries; ${r.ms} ms`);
    for (const l of r.stdout.split('\n').filter((x) => x.startsWith('['))) t.diagnostic(l);
    cluster.member('m4').isLearner = false;
    const members = await memberList(cluster);
    assert.equal(members.length, 4);
    assert.ok(members.every((m) => !m.isLearner), JSON.stringify(members));
  });
});

// ---------------------------------------------------------------------------------------------

describe('member remove with one member killed (etcd 3.4)', () => {
  let cluster: TestCluster;
  let dir: string;

  before(async () => {
    cluster = await startCluster({ members: 3, version: '3.4' });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-membership-'));
  });
  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('3. removing a healthy member is refused (quorum); removing the dead one succeeds', async () => {
    const leader = await cluster.leaderName();
    const [dead, healthy] = cluster.members.map((m) => m.name).filter((n) => n !== leader);
    await cluster.kill(dead);
    const audit = join(dir, 'audit.jsonl');
    const common = ['--endpoints', cluster.endpoints.join(','), '--audit-log', audit];
    const before = summary(await memberList(cluster));

    const refused = await run(['member', 'remove', healthy, '--yes', ...common]);
    assert.equal(refused.code, 5, show(refused));
    const line = refused.stdout.split('\n').find((l) => l.startsWith('REFUSED:'));
    assert.ok(line, show(refused));
    assert.match(line, /quorum/);
    assert.match(line, new RegExp(healthy));
    assert.deepEqual(summary(await memberList(cluster)), before);

    const removed = await run(['member', 'remove', dead, '--yes', ...common]);
    assert.equal(removed.code, 0, show(removed));
    assert.match(removed.stdout, /^SUCCEEDED in /m);
    const members = await memberList(cluster);
    assert.equal(members.length, 2, JSON.stringify(members));
    assert.ok(!members.some((m) => m.name === dead));
    const records = readAudit(audit);
    assert.deepEqual(records.map((x) => [x.command, x.outcome]), [['remove', 'refused'], ['remove', 'succeeded']]);
    assert.equal(records[1].before?.members.length, 3);
    assert.equal(records[1].after?.members.length, 2);
  });
});

// ---------------------------------------------------------------------------------------------

describe('member remove of the member the tool reached the cluster through (etcd 3.4)', () => {
  let cluster: TestCluster;
  let dir: string;

  before(async () => {
    cluster = await startCluster({ members: 3, version: '3.4' });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-membership-'));
  });
  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('7. with only that member as --endpoints, the removal is verified through the others, and status goes on', async () => {
    const leader = await cluster.leaderName();
    const seed = cluster.members.find((m) => m.name !== leader)!;
    const others = cluster.members.filter((m) => m.name !== seed.name).map((m) => m.clientURL);
    const removed = await run(['member', 'remove', seed.name, '--yes', '--endpoints', seed.clientURL, '--audit-log', join(dir, 'audit.jsonl')]);
    assert.equal(removed.code, 0, show(removed));
    assert.match(removed.stdout, /^SUCCEEDED in /m);
    const members = await memberList(cluster, ['--endpoints', others.join(',')]);
    assert.deepEqual(members.map((m) => m.name).sort(), cluster.members.filter((m) => m.name !== seed.name).map((m) => m.name).sort());
    await cluster.waitExit(seed.name, 20_000).catch(() => cluster.kill(seed.name));
    // Two voters answer (both healthy, no failure tolerated: degraded, exit 1).
    const status = await run(['status', '--endpoints', others.join(',')]);
    assert.equal(status.code, 1, show(status));
    assert.match(status.stdout, /2 voters, 2 healthy, tolerates 0 failures/);
  });
});

describe('member replace of a killed member (etcd 3.4)', () => {
  let cluster: TestCluster;
  let dir: string;

  before(async () => {
    cluster = await startCluster({ members: 3, version: '3.4' });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-membership-'));
  });
  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('5. replace m3 end to end: down for 2s, removed, m3b added, started from the env block, promoted, healthy', async () => {
    const leader = await cluster.leaderName();
    const dead = ['m3', 'm2', 'm1'].find((n) => n !== leader) as string;
    await cluster.kill(dead);
    const audit = join(dir, 'audit.jsonl');
    const common = ['--endpoints', cluster.endpoints.join(','), '--audit-log', audit];
    const next = await cluster.planMember('m3b');

    const running = startCli(['member', 'replace', dead, '--new-name', 'm3b', '--peer-urls', next.peerURL, '--down-for', '2s', '--wait', '60s', '--yes', ...common], { timeoutMs: 90_000 });
    try {
      // The env block the executor prints after the add (step 3), not the preview's.
      const out = await waitFor(
        () => {
          if (/^\[3\/7\] ok: member [0-9a-f]+ added as a learner/m.test(running.stdout())) return running.stdout();
          if (running.exited()) throw new StopWaiting('the replace command exited before it added the replacement');
          return undefined;
        },
        { timeoutMs: 30_000, intervalMs: 50, what: 'the replace command to add the replacement and print its env block' },
      ).catch(async (error: unknown) => {
        throw new Error(`${(error as Error).message}\n${running.stdout()}`);
      });
      assert.match(out, new RegExp(`\\[1/7\\] ok: ${dead} has been unreachable for`));
      const env = envFromOutput(out, /^\[3\/7\] Add m3b/);
      assert.equal(env.ETCD_NAME, 'm3b');
      assert.equal(env.ETCD_INITIAL_CLUSTER_STATE, 'existing');
      const expected = [...cluster.members.filter((m) => m.name !== dead).map((m) => `${m.name}=${m.peerURL}`), `m3b=${next.peerURL}`].sort();
      assert.deepEqual(entries(env.ETCD_INITIAL_CLUSTER), expected);
      await cluster.addProcess(next, { initialCluster: env.ETCD_INITIAL_CLUSTER, state: 'existing', learner: true, timeoutMs: 30_000 });
      const r = await running.done;
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, /\[7\/7\] ok: healthy/);
      assert.match(r.stdout, /^SUCCEEDED in /m);
    } finally {
      running.kill();
      await running.done;
    }
    cluster.member('m3b').isLearner = false;
    const members = await memberList(cluster);
    assert.equal(members.length, 3, JSON.stringify(members));
    assert.ok(members.every((m) => !m.isLearner), JSON.stringify(members));
    assert.deepEqual(members.map((m) => m.name).sort(), ['m1', 'm2', 'm3', 'm3b'].filter((n) => n !== dead).sort());
    const status = await run(['status', '--endpoints', cluster.liveEndpoints().join(',')]);
    assert.equal(status.code, 0, show(status));
    const rec = readAudit(audit).at(-1);
    assert.equal(rec?.command, 'replace');
    assert.equal(rec?.outcome, 'succeeded');
    assert.equal(rec?.steps?.length, 7);
  });
});
