/**
 * README claims about the headless flows, checked against real etcd 3.4 clusters with the built
 * binary (each test starts its own cluster, so any one runs alone):
 *  - ctrl-c (SIGINT) while a flow runs aborts it: exit 7, ABORTED, the audit record says aborted;
 *  - read-only mode (--read-only, or a context with readOnly: true) refuses every change: exit 4, one
 *    line, nothing changed;
 *  - removing the leader moves leadership to another voter first, then removes it;
 *  - adds and removes are retried on etcd's real "unhealthy cluster" answer (strict reconfiguration
 *    check: every member connected for 5 s), shown as tries, and then succeed once;
 *  - promote is retried on etcd's real "not in sync" answer: the leader judges a learner by the
 *    append responses it has received, which a TCP proxy in front of the learner's peer port holds
 *    back while the learner itself keeps applying (so the console's catch-up gauge says 100 %).
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type MemberListJson, type TestCluster } from '../harness/cluster.js';
import { runCli, showCli as show, startCli, type CliResult } from '../harness/cli.js';
import { holdsFor, StopWaiting, waitFor } from '../harness/wait.js';
import { startProxy } from '../harness/proxy.js';
import { Etcd3 } from 'etcd3';

interface AuditLine {
  command: string;
  outcome: string;
  error?: string;
  arguments: Record<string, unknown>;
  before?: { members: Array<{ name: string; isLearner: boolean }>; leader?: { name: string } };
  after?: { members: Array<{ name: string; isLearner: boolean }>; leader?: { name: string } };
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

/** A fresh 3-member etcd 3.4 cluster and a temp dir with the audit log path, stopped/removed after the test. */
async function setup(t: TestContext): Promise<{ cluster: TestCluster; dir: string; audit: string; common: string[] }> {
  const cluster = await startCluster({ members: 3, version: '3.4' });
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-claims-'));
  t.after(async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const audit = join(dir, 'audit.jsonl');
  return { cluster, dir, audit, common: ['--endpoints', cluster.endpoints.join(','), '--audit-log', audit] };
}

const members = async (cluster: TestCluster) => (await cluster.etcdctlJson<MemberListJson>(['member', 'list'])).members;
const membership = async (cluster: TestCluster) =>
  (await members(cluster)).map((m) => `${m.ID} ${m.name ?? ''} ${m.isLearner ? 'learner' : 'voter'}`).sort();

describe('headless flows against real etcd: README claims', () => {
  test('ctrl-c (SIGINT) while promote waits for its learner: exit 7, ABORTED, audit "aborted", the learner stays a learner', async (t) => {
    const { cluster, audit, common } = await setup(t);
    // A learner that never starts: promote waits for it to answer, as long as --wait allows.
    const m4 = await cluster.planMember('m4');
    const add = await runCli(['member', 'add-learner', '--name', 'm4', '--peer-urls', m4.peerURL, '--yes', ...common], { timeoutMs: 60_000 });
    assert.equal(add.code, 0, show(add));
    const id = /ok: member ([0-9a-f]+) added as a learner/.exec(add.stdout)?.[1];
    assert.ok(id, show(add));
    const before = await membership(cluster);

    const running = startCli(['member', 'promote', id, '--yes', '--wait', '5m', ...common], { timeoutMs: 90_000 });
    let r: CliResult;
    try {
      await waitFor(
        () => {
          if (/waiting for .* to start/.test(running.stdout())) return true;
          if (running.exited()) throw new StopWaiting(`promote exited before it waited:\n${running.stdout()}`);
          return undefined;
        },
        { what: 'promote waiting for the learner', timeoutMs: 30_000 },
      );
      process.kill(running.pid, 'SIGINT');
      r = await running.done;
    } finally {
      running.kill();
      await running.done;
    }
    assert.equal(r.code, 7, show(r));
    assert.match(r.stdout, /^ABORTED in /m, show(r));
    assert.doesNotMatch(r.stdout + r.stderr, /^\s+at .*\(.*:\d+:\d+\)$/m, 'no stack trace');
    assert.ok(r.ms < 60_000, `the abort took effect inside the 5 min wait (${r.ms} ms)`);
    const rec = readAudit(audit).at(-1);
    assert.equal(rec?.command, 'promote');
    assert.equal(rec?.outcome, 'aborted');
    assert.deepEqual(await membership(cluster), before, 'the learner is still a learner; nothing else changed');
  });

  test('read-only mode refuses every change headless: exit 4, one clear line, nothing changed, also from a context', async (t) => {
    const { cluster, dir, audit, common } = await setup(t);
    const before = await membership(cluster);
    const m4 = await cluster.planMember('m4');
    const cases: Array<{ args: string[]; line: RegExp }> = [
      { args: ['member', 'remove', 'm2', '--yes'], line: /^etcd-tui: member remove: not available in read-only mode/ },
      { args: ['member', 'add-learner', '--name', 'm4', '--peer-urls', m4.peerURL, '--yes'], line: /^etcd-tui: member add-learner: not available in read-only mode/ },
      { args: ['member', 'move-leader', 'm2', '--yes'], line: /^etcd-tui: member move-leader: not available in read-only mode/ },
      { args: ['defrag', '--all', '--yes'], line: /not available in read-only mode/ },
      { args: ['compact', '--retain', '5', '--yes'], line: /not available in read-only mode/ },
    ];
    for (const c of cases) {
      const r = await runCli([...c.args, '--read-only', ...common], { timeoutMs: 30_000 });
      assert.equal(r.code, 4, `${c.args.join(' ')}: ${show(r)}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line: ${show(r)}`);
      assert.match(lines[0], c.line, show(r));
    }
    // The same from a context marked readOnly.
    const config = join(dir, 'contexts.yaml');
    writeFileSync(config, `contexts:\n  - name: prod\n    endpoints: [${cluster.endpoints.join(', ')}]\n    readOnly: true\n`);
    const fromContext = await runCli(['member', 'remove', 'm2', '--yes', '--config', config, '--context', 'prod', '--audit-log', audit], { timeoutMs: 30_000 });
    assert.equal(fromContext.code, 4, show(fromContext));
    assert.match(fromContext.stderr, /read-only/);
    assert.equal(fromContext.stderr.trim().split('\n').length, 1, show(fromContext));
    assert.deepEqual(await membership(cluster), before, 'nothing changed');
    assert.deepEqual(readAudit(audit).filter((x) => x.outcome === 'succeeded'), [], 'no change was recorded');
  });

  test('removing the leader: leadership moves to another voter first, then the member is removed', async (t) => {
    const { cluster, audit, common } = await setup(t);
    const leader = await cluster.leaderName();
    const r = await runCli(['member', 'remove', leader, '--yes', ...common], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, show(r));
    const plan = r.stdout.split('\n').filter((l) => /^ {2}\d+\. /.test(l));
    assert.match(plan[0] ?? '', new RegExp(`^ {2}1\\. Move leadership from ${leader} to m\\d`), show(r));
    assert.match(plan[1] ?? '', new RegExp(`^ {2}2\\. Remove ${leader} `), show(r));
    assert.match(r.stdout, /^\[1\/2\] ok: m\d leads/m, show(r));
    assert.match(r.stdout, /^\[2\/2\] ok/m, show(r));
    const list = await members(cluster);
    assert.deepEqual(list.map((m) => m.name).sort(), ['m1', 'm2', 'm3'].filter((n) => n !== leader));
    await cluster.waitExit(leader, 20_000).catch(() => cluster.kill(leader));
    const newLeader = await cluster.leaderName();
    assert.notEqual(newLeader, leader);
    const rec = readAudit(audit).at(-1);
    assert.equal(rec?.command, 'remove');
    assert.equal(rec?.outcome, 'succeeded');
    assert.equal(rec?.before?.leader?.name, leader);
    assert.equal(rec?.steps?.length, 2, JSON.stringify(rec?.steps));
    assert.match(rec?.steps?.[0].title ?? '', new RegExp(`^Move leadership from ${leader} to m\\d`));
    assert.match(rec?.steps?.[1].title ?? '', new RegExp(`^Remove ${leader} `));
    assert.deepEqual(rec?.steps?.map((s) => s.state), ['done', 'done']);
    assert.equal(rec?.after?.leader?.name, newLeader);
  });

  test('add-learner right after a member restarted: etcd answers "unhealthy cluster", the add is retried and made once', async (t) => {
    const { cluster, audit, common } = await setup(t);
    const leader = await cluster.leaderName();
    const follower = cluster.members.find((m) => m.name !== leader)!.name;
    const m4 = await cluster.planMember('m4');
    // A member that has just come back makes etcd's strict reconfiguration check refuse changes for 5 s.
    await cluster.kill(follower);
    await cluster.restart(follower);
    const r = await runCli(['member', 'add-learner', '--name', 'm4', '--peer-urls', m4.peerURL, '--yes', ...common], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, show(r));
    const tries = r.stdout.split('\n').filter((l) => /^\[1\/1\] try \d+: .*unhealthy/.test(l));
    assert.ok(tries.length >= 1, `no "unhealthy cluster" try was shown (did the add land more than 5 s after the restart?):\n${show(r)}`);
    assert.match(r.stdout, /^\[1\/1\] ok: member [0-9a-f]+ added as a learner/m);
    const list = await members(cluster);
    assert.equal(list.length, 4, 'added exactly once');
    assert.equal(list.filter((m) => m.isLearner && m.peerURLs?.includes(m4.peerURL)).length, 1);
    const rec = readAudit(audit).at(-1);
    assert.deepEqual([rec?.command, rec?.outcome], ['add-learner', 'succeeded']);
  });

  test('remove right after a member restarted: etcd answers "unhealthy cluster", the remove is retried and done', async (t) => {
    const { cluster, audit, common } = await setup(t);
    const leader = await cluster.leaderName();
    const [restarted, victim] = cluster.members.filter((m) => m.name !== leader).map((m) => m.name);
    await cluster.kill(restarted);
    await cluster.restart(restarted);
    const r = await runCli(['member', 'remove', victim, '--yes', ...common], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, show(r));
    const tries = r.stdout.split('\n').filter((l) => /^\[1\/1\] try \d+: .*unhealthy/.test(l));
    assert.ok(tries.length >= 1, `no "unhealthy cluster" try was shown:\n${show(r)}`);
    await cluster.waitExit(victim, 20_000).catch(() => cluster.kill(victim));
    const list = await members(cluster);
    assert.deepEqual(list.map((m) => m.name).sort(), [leader, restarted].sort());
    const rec = readAudit(audit).at(-1);
    assert.deepEqual([rec?.command, rec?.outcome], ['remove', 'succeeded']);
    // The two that remain stay a healthy pair: nothing else was removed by a repeated try.
    await holdsFor(async () => (await members(cluster)).length === 2, { forMs: 2000, intervalMs: 250, what: 'two members left' });
  });

  test('promote while the leader has not heard from the learner: etcd answers "not in sync", the promote is retried and made once it hears again', async (t) => {
    const { cluster, audit, common } = await setup(t);
    const plan = await cluster.planMember('m4');
    const proxy = await startProxy(Number(new URL(plan.peerURL).port));
    t.after(() => proxy.close());
    const advertised = `http://127.0.0.1:${proxy.port}`;
    const add = await runCli(['member', 'add-learner', '--name', 'm4', '--peer-urls', advertised, '--yes', ...common], { timeoutMs: 60_000 });
    assert.equal(add.code, 0, show(add));
    const initialCluster = /^\s+ETCD_INITIAL_CLUSTER="([^"]+)"$/m.exec(add.stdout)?.[1];
    assert.ok(initialCluster, show(add));
    await cluster.addProcess({ ...plan, peerURL: advertised, listenPeerURL: plan.peerURL }, { initialCluster, state: 'existing', learner: true, timeoutMs: 30_000 });
    const applied = async (name: string) => (await cluster.endpointStatus(name)).Status.raftAppliedIndex ?? 0;
    const leader = await cluster.leaderName();
    await waitFor(async () => (await applied('m4')) >= (await applied(leader)), { what: 'm4 caught up', timeoutMs: 30_000, intervalMs: 200 });

    // From now on the leader hears nothing from m4, which still receives and applies: a few hundred
    // writes put the leader's view of m4 far below etcd's 90 % mark.
    proxy.hold();
    const client = new Etcd3({ hosts: cluster.endpoints.filter((e) => e !== cluster.member('m4').clientURL) });
    try {
      for (let i = 0; i < 300; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => client.put(`/claims/${i + j}`).value('x')));
    } finally {
      client.close();
    }
    await waitFor(async () => (await applied('m4')) >= (await applied(leader)), { what: 'm4 applied the writes (it still receives)', timeoutMs: 30_000, intervalMs: 200 });

    const running = startCli(['member', 'promote', 'm4', '--yes', '--wait', '60s', ...common], { timeoutMs: 90_000 });
    let r: CliResult;
    try {
      await waitFor(
        () => {
          if (/try \d+: .*not in sync/.test(running.stdout())) return true;
          if (running.exited()) throw new StopWaiting(`promote exited before etcd refused it:\n${running.stdout()}`);
          return undefined;
        },
        { what: 'etcd answering "not in sync" and promote retrying', timeoutMs: 30_000 },
      );
      proxy.release();
      r = await running.done;
    } finally {
      proxy.release();
      running.kill();
      await running.done;
    }
    assert.equal(r.code, 0, show(r));
    const tries = r.stdout.split('\n').filter((l) => /^\[\d\/\d\] try \d+: .*not in sync/.test(l));
    assert.ok(tries.length >= 1, show(r));
    t.diagnostic(tries[0]);
    assert.match(r.stdout, /ok: m4 is a voting member$/m, show(r));
    const list = await members(cluster);
    assert.equal(list.length, 4);
    assert.ok(list.every((m) => !m.isLearner), JSON.stringify(list));
    cluster.member('m4').isLearner = false;
    const rec = readAudit(audit).at(-1);
    assert.deepEqual([rec?.command, rec?.outcome], ['promote', 'succeeded']);
  });
});
