/**
 * Membership flows end to end through the console: the built etcd-tui in tmux, keys as a person
 * types them, against a real 3-member cluster: add a learner, start it, promote it, remove it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type TestCluster, type MemberListJson } from '../harness/cluster.js';
import { startTmux, type TmuxSession } from '../harness/tmux.js';
import { repoRoot } from '../harness/binaries.js';
import { holdsFor, waitFor } from '../harness/wait.js';

const BIN = join(repoRoot(), 'dist', 'etcd-tui.js');

describe('membership flows in the console', () => {
  let cluster: TestCluster;
  let tui: TmuxSession | undefined;
  let dir: string;
  before(async () => {
    cluster = await startCluster({ members: 3, version: '3.4' });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-flows-e2e-'));
  });
  after(async () => {
    await tui?.stop();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const members = () => cluster.etcdctlJson<MemberListJson>(['member', 'list']).then((l) => l.members);
  const audit = () => readFileSync(join(dir, 'state', 'etcd-tui', 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { command: string; outcome: string });

  test('add a learner (a), start it from its env block, promote it (p), remove it (x, typing its name)', async () => {
    tui = startTmux({
      cmd: [process.execPath, BIN, '--endpoints', cluster.endpoints.join(','), '--refresh', '500ms'],
      env: { XDG_CONFIG_HOME: '/nonexistent', XDG_STATE_HOME: join(dir, 'state'), ETCDCTL_ENDPOINTS: undefined },
      cwd: dir,
      cols: 200,
      rows: 60,
    });
    await tui.waitForText(/HEALTHY\s+3 voters/, 15_000);
    // Esc, then the next key at once: the two bytes can reach the app as one chunk, which Ink reads as
    // meta+key (the dialog stays open and the key acts inside it). Wait for the dialog to close first.
    const dialogClosed = () => tui?.waitForNoText('[done]', 15_000);
    const plan = await cluster.planMember('m4');

    // Add the learner: the form has the name prefilled (m4); tab to the peer URLs.
    tui.send('a');
    await tui.waitForText('Add a learner', 5000);
    tui.send('Tab');
    tui.type(plan.peerURL);
    tui.send('Enter');
    let screen = await tui.waitForText('[preview]', 5000);
    assert.match(screen, /ETCD_INITIAL_CLUSTER_STATE="existing"/);
    assert.match(screen, new RegExp(`etcdctl member add m4 --peer-urls=${plan.peerURL.replace(/[/.]/g, '\\$&')} --learner`));
    tui.send('Enter');
    screen = await tui.waitForText('SUCCEEDED', 15_000);
    tui.send('w');
    const envFile = join(dir, 'etcd-m4.env');
    await waitFor(() => existsSync(envFile), { what: 'the env file written by w', timeoutMs: 5000 });
    assert.equal(statSync(envFile).mode & 0o777, 0o600, 'the env file written by w has mode 0600');
    const env = readFileSync(envFile, 'utf8');
    const initialCluster = /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(env)?.[1];
    assert.ok(initialCluster?.includes(`m4=${plan.peerURL}`), env);
    assert.match(env, /ETCD_NAME="m4"/);
    tui.send('Escape');
    await dialogClosed();
    const learner = (await members()).find((m) => m.peerURLs?.includes(plan.peerURL));
    assert.equal(learner?.isLearner, true, 'etcd has the new member as a learner');

    // Start it as the operator would, with the env block; the console shows it catching up.
    await cluster.addProcess(plan, { initialCluster: initialCluster!, state: 'existing' });
    await tui.waitForText(/m4\s+\S+\s+learner\s+up/, 15_000);

    // Promote: select m4 (rows are sorted by name: the fourth), p, enter on the plan.
    tui.send('j', 'j', 'j');
    tui.send('p');
    screen = await tui.waitForText('[preview]', 5000);
    assert.match(screen, /etcdctl member promote/);
    tui.send('Enter');
    await tui.waitForText('SUCCEEDED', 60_000);
    tui.send('Escape');
    await dialogClosed();
    await waitFor(async () => (await members()).filter((m) => !m.isLearner).length === 4, { what: '4 voters in etcdctl member list', timeoutMs: 10_000 });
    await tui.waitForText(/HEALTHY\s+4 voters/, 15_000);

    // Remove m4: the quorum preview, then the name must be typed.
    tui.send('x');
    screen = await tui.waitForText('[preview]', 5000);
    assert.match(screen, /after removing m4: 3 voters, 3 healthy, quorum 2, tolerates 1 failure/);
    tui.send('Enter');
    await tui.waitForText(/Type the member's name \(m4\)/, 5000);
    tui.type('m3');
    tui.send('Enter');
    // The wrong name was read and refused; a removal it had triggered by mistake would show within a
    // few refresh rounds (500 ms each): the membership must stay as it is for 5 s.
    await tui.waitForText('"m3" is not "m4"', 5000);
    await holdsFor(async () => (await members()).length === 4 && !/SUCCEEDED|FAILED/.test(tui!.capture()), {
      forMs: 5000,
      intervalMs: 250,
      what: 'a wrong name changes nothing (4 members in etcdctl member list, no outcome on screen)',
    });
    await tui.waitForText(/Type the member's name \(m4\)/, 5000);
    for (let i = 0; i < 2; i++) tui.send('BSpace');
    tui.type('m4');
    tui.send('Enter');
    await tui.waitForText('SUCCEEDED', 30_000);
    await waitFor(async () => (await members()).length === 3, { what: 'm4 gone from etcdctl member list', timeoutMs: 10_000 });
    await cluster.waitExit('m4', 20_000).catch(() => cluster.kill('m4'));
    tui.send('Escape');
    await dialogClosed();
    await tui.waitForText(/HEALTHY\s+3 voters/, 15_000);

    assert.deepEqual(
      audit().map((r) => [r.command, r.outcome]),
      [
        ['add-learner', 'succeeded'],
        ['promote', 'succeeded'],
        ['remove', 'succeeded'],
      ],
    );
    tui.send('q');
    assert.equal(await tui.waitForExit(10_000), 0);
  });
});
