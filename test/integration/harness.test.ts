// Tests of the test harness itself, against real etcd binaries and tmux.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { after, describe, test } from 'node:test';
import { etcdBinaries, etcdSkipReason } from '../harness/binaries.js';
import { startCluster, type EndpointStatusJson, type MemberListJson } from '../harness/cluster.js';
import { hexToId, idToHex, parseJsonExact } from '../harness/json.js';
import { freePorts } from '../harness/ports.js';
import { isAlive, procStartTime, procState, stopAll } from '../harness/registry.js';
import { startTmux } from '../harness/tmux.js';
import { waitFor } from '../harness/wait.js';

after(() => stopAll());

describe('harness helpers', () => {
  test('waitFor returns the first truthy value', async () => {
    let n = 0;
    const v = await waitFor(() => (++n >= 3 ? `done after ${n}` : undefined), { timeoutMs: 2_000, intervalMs: 1, what: 'three attempts' });
    assert.equal(v, 'done after 3');
  });

  test('waitFor times out with what it waited for and the last error', async () => {
    await assert.rejects(
      waitFor(
        () => {
          throw new Error('boom');
        },
        { timeoutMs: 120, intervalMs: 20, what: 'the impossible' },
      ),
      /timed out after 120ms waiting for the impossible .*last error: boom/,
    );
    // An attempt that never settles is bounded too.
    await assert.rejects(
      waitFor(() => new Promise<boolean>(() => undefined), { timeoutMs: 100, what: 'a hung attempt' }),
      /timed out after 100ms waiting for a hung attempt/,
    );
  });

  test('parseJsonExact keeps uint64 IDs exact and leaves strings alone', () => {
    const text = '{"header":{"cluster_id":14841639068965178418,"member_id":10276657743932975437,"raft_term":2},' +
      '"members":[{"ID":10276657743932975437,"name":"m1:12345678901234567890","peerURLs":["http://127.0.0.1:2380"]},{"ID":42}],' +
      '"leader":0,"dbSize":20480,"big":-12345678901234567}';
    const parsed = parseJsonExact<{
      header: { cluster_id: string; member_id: string; raft_term: number };
      members: { ID: string; name?: string }[];
      leader: string;
      dbSize: number;
      big: string;
    }>(text);
    assert.equal(parsed.header.cluster_id, '14841639068965178418');
    assert.equal(parsed.header.member_id, '10276657743932975437');
    assert.equal(parsed.header.raft_term, 2);
    assert.equal(parsed.members[0].ID, '10276657743932975437');
    assert.equal(parsed.members[0].name, 'm1:12345678901234567890');
    assert.equal(parsed.members[1].ID, '42');
    assert.equal(parsed.leader, '0');
    assert.equal(parsed.dbSize, 20480);
    assert.equal(parsed.big, '-12345678901234567');
    assert.equal(idToHex('10276657743932975437'), '8e9e05c52164694d');
    assert.equal(hexToId('8e9e05c52164694d'), '10276657743932975437');
  });

  test('freePorts gives distinct ports', async () => {
    const ports = await freePorts(6);
    assert.equal(new Set(ports).size, 6);
    for (const p of ports) assert.ok(p > 0 && p < 65536);
  });
});

describe('etcd clusters', () => {
  test('3-member etcd 3.4 cluster: member list with exact IDs, kill, pause, restart', { skip: etcdSkipReason('3.4') }, async (t) => {
    const c = await startCluster({ members: 3, version: '3.4' });
    t.after(() => c.stop());
    assert.deepEqual(c.members.map((m) => m.name), ['m1', 'm2', 'm3']);
    assert.equal(c.endpoints.length, 3);
    for (const m of c.members) assert.ok(isAlive(m.pid), `${m.name} (pid ${m.pid}) is alive`);

    const list = await c.etcdctlJson<MemberListJson>(['member', 'list']);
    assert.equal(list.members.length, 3);
    assert.deepEqual(list.members.map((m) => m.name).sort(), ['m1', 'm2', 'm3']);
    for (const m of list.members) assert.match(m.ID, /^\d+$/, 'IDs are decimal strings');
    // The table form prints hex IDs: they must be the same numbers, exactly.
    const simple = await c.etcdctl(['member', 'list', '-w', 'simple']);
    assert.equal(simple.code, 0, simple.stderr);
    const hexIds = simple.stdout.trim().split('\n').map((l) => l.split(',')[0].trim());
    assert.deepEqual(hexIds.map(hexToId).sort(), list.members.map((m) => m.ID).sort());

    const ids = await c.memberIds();
    assert.equal(ids.size, 3);

    const leader = await c.leaderName();
    assert.ok(['m1', 'm2', 'm3'].includes(leader), `leader ${leader}`);
    const follower = c.members.find((m) => m.name !== leader);
    assert.ok(follower);

    // Membership: a learner joins, is promoted, and is removed again.
    const added = await c.addMember({ learner: true });
    assert.equal(added.member.name, 'm4');
    assert.equal(added.member.isLearner, true);
    assert.ok(!c.liveEndpoints().includes(added.member.clientURL), 'learners are not default endpoints');
    const withLearner = await c.etcdctlJson<MemberListJson>(['member', 'list']);
    const learnerEntry = withLearner.members.find((m) => m.ID === added.id);
    assert.equal(learnerEntry?.isLearner, true);
    await c.promote('m4');
    assert.equal(added.member.isLearner, false);
    const promoted = await c.etcdctlJson<MemberListJson>(['member', 'list']);
    assert.ok(!promoted.members.find((m) => m.ID === added.id)?.isLearner, 'promoted to voter');
    const removedExit = await c.removeMember('m4');
    assert.equal(removedExit.signal, null, `a removed member exits by itself (${JSON.stringify(removedExit)})`);
    assert.equal((await c.etcdctlJson<MemberListJson>(['member', 'list'])).members.length, 3);

    // pause / resume: SIGSTOP and SIGCONT on the real etcd pid.
    await c.pause(follower.name);
    assert.equal(procState(follower.pid), 'T');
    assert.equal(follower.state, 'paused');
    assert.deepEqual(c.liveEndpoints().length, 2, 'a paused member is left out of the default endpoints');
    await c.resume(follower.name);
    assert.notEqual(procState(follower.pid), 'T');

    // kill: the real etcd process exits.
    const oldPid = follower.pid;
    const exit = await c.kill(follower.name);
    assert.equal(exit.signal, 'SIGKILL');
    assert.equal(follower.state, 'stopped');
    assert.equal(isAlive(oldPid), false, 'killed etcd is gone');
    assert.equal(procStartTime(oldPid), undefined);
    // The other two still have a leader.
    const leaderAfter = await waitFor(() => c.leaderName(), { timeoutMs: 10_000, what: 'a leader among the remaining members' });
    assert.notEqual(leaderAfter, follower.name);

    // restart with the same data dir.
    await c.restart(follower.name);
    assert.notEqual(follower.pid, oldPid);
    assert.ok(isAlive(follower.pid));
    const st = await c.endpointStatus(follower.name);
    assert.equal(st.Status.header.member_id, ids.get(follower.name));

    await c.stop();
    for (const m of c.members) assert.equal(isAlive(m.pid), false, `${m.name} stopped`);
    assert.equal(fs.existsSync(c.dir), false, 'temp dir removed');
  });

  test('TLS cluster answers with the client certificate and refuses without it', { skip: etcdSkipReason('3.4') }, async (t) => {
    const c = await startCluster({ members: 3, tls: true });
    t.after(() => c.stop());
    const tls = c.tls;
    assert.ok(tls);
    assert.ok(c.endpoints.every((e) => e.startsWith('https://127.0.0.1:')));

    const ok = await c.etcdctl(['put', 'k', 'v']);
    assert.equal(ok.code, 0, ok.stderr);
    const got = await c.etcdctl(['get', 'k', '--print-value-only']);
    assert.equal(got.stdout.trim(), 'v');

    const quick = ['--dial-timeout=1s', '--command-timeout=2s'];
    const [noCert, wrongCa, foreignClient] = await Promise.all([
      c.etcdctl(['get', 'k', `--cacert=${tls.caCert}`, ...quick], { timeoutMs: 15_000 }),
      c.etcdctl(['get', 'k', `--cacert=${tls.otherCaCert}`, `--cert=${tls.clientCert}`, `--key=${tls.clientKey}`, ...quick], { timeoutMs: 15_000 }),
      c.etcdctl(['get', 'k', `--cacert=${tls.caCert}`, `--cert=${tls.otherClientCert}`, `--key=${tls.otherClientKey}`, ...quick], { timeoutMs: 15_000 }),
    ]);
    assert.notEqual(noCert.code, 0, 'no client certificate is refused');
    assert.notEqual(wrongCa.code, 0, 'a server checked against the wrong CA is refused');
    assert.notEqual(foreignClient.code, 0, 'a client certificate of another CA is refused');
  });

  test('3-member etcd 3.5 cluster starts', { skip: etcdSkipReason('3.5') }, async (t) => {
    const bins = etcdBinaries('3.5');
    assert.ok(bins);
    assert.match(bins.version, /^3\.5\./);
    assert.ok(bins.etcdutl, 'etcd 3.5 comes with etcdutl');
    const c = await startCluster({ members: 3, version: '3.5', quotaBytes: 64 * 1024 * 1024 });
    t.after(() => c.stop());
    const statuses = await c.etcdctlJson<EndpointStatusJson[]>(['endpoint', 'status']);
    assert.equal(statuses.length, 3);
    for (const s of statuses) assert.equal(s.Status.version, bins.version);
    const leaders = new Set(statuses.map((s) => s.Status.leader));
    assert.equal(leaders.size, 1);
    assert.ok(!leaders.has('0'));
    const leader = await c.leaderName();
    assert.ok(c.members.some((m) => m.name === leader));
  });
});

describe('tmux', () => {
  test('a program in tmux gets keys and shows its output', async (t) => {
    const s = startTmux({
      cmd: ['bash', '-c', 'echo "hello CI=$CI TERM=$TERM"; read x; echo "got $x"; read y'],
      cols: 80,
      rows: 10,
    });
    t.after(() => s.kill());
    const pid = s.pid();
    assert.ok(pid > 0 && isAlive(pid));
    const first = await s.waitForText('hello', 5_000);
    assert.match(first, /hello CI=false TERM=xterm-256color/);
    s.send('world', 'Enter');
    await s.waitForText('got world', 5_000);
    await assert.rejects(s.waitForText('never shown', 150), /timed out after 150ms waiting for screen text never shown.*last screen:\n.*hello/s);
    s.send('C-d');
    assert.equal(await s.waitForExit(5_000), 1, 'read at EOF makes bash exit 1');

    assert.ok(fs.existsSync(s.socketPath), `socket ${s.socketPath} exists while the session runs`);
    s.kill();
    assert.equal(isAlive(pid), false);
    assert.equal(fs.existsSync(s.socketPath), false, 'socket removed');
    assert.throws(() => execFileSync('tmux', ['-L', s.socket, 'list-sessions'], { stdio: 'ignore' }));
  });
});
