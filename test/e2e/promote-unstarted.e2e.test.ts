/**
 * Issue 13 item 14 in the console: a learner added (headless, as a script would) but never started.
 * `:promote <hex id>` and `:promote NAME` (the name the add gave it, from the audit log) both open the
 * promote plan (not a quorum refusal), and running it stops early: the learner is not running.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type TestCluster, type MemberListJson } from '../harness/cluster.js';
import { startTmux, type TmuxSession } from '../harness/tmux.js';
import { repoRoot } from '../harness/binaries.js';
import { runCli, showCli } from '../harness/cli.js';

const BIN = join(repoRoot(), 'dist', 'etcd-tui.js');

describe('promote a learner that never started, in the console', () => {
  let cluster: TestCluster;
  let tui: TmuxSession | undefined;
  let dir: string;
  before(async () => {
    cluster = await startCluster({ members: 3, version: '3.4' });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-promote-e2e-'));
  });
  after(async () => {
    await tui?.stop();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test(':promote HEX and :promote NAME open the plan; running it stops early with "m4 is not running"', async () => {
    const state = join(dir, 'state');
    const plan = await cluster.planMember('m4');
    const added = await runCli(['member', 'add-learner', '--name', 'm4', '--peer-urls', plan.peerURL, '--yes', '--endpoints', cluster.endpoints.join(',')], { env: { XDG_STATE_HOME: state }, timeoutMs: 60_000 });
    assert.equal(added.code, 0, showCli(added));
    const learner = (await cluster.etcdctlJson<MemberListJson>(['member', 'list'])).members.find((m) => m.peerURLs?.includes(plan.peerURL));
    assert.ok(learner?.isLearner && !learner.name, 'an unstarted learner (no name in etcd)');
    const hex = BigInt(learner.ID).toString(16);

    tui = startTmux({
      cmd: [process.execPath, BIN, '--endpoints', cluster.endpoints.join(','), '--refresh', '500ms'],
      env: { XDG_CONFIG_HOME: '/nonexistent', XDG_STATE_HOME: state, ETCDCTL_ENDPOINTS: undefined },
      cwd: dir,
      cols: 200,
      rows: 60,
    });
    // At once, with the first frame: before the fix the plan read the voters not asked yet as
    // "no quorum: 0 of 3 voters answer" (the reported bug).
    await tui.waitForText(/3 voters/, 15_000);

    tui.send(':');
    tui.type(`promote ${hex}`);
    tui.send('Enter');
    // The plan (after a fresh look if the voters had not answered yet), or a refusal.
    let screen = await tui.waitForText(/etcdctl member promote|REFUSED/, 15_000);
    assert.doesNotMatch(screen, /no quorum/, screen);
    assert.match(screen, new RegExp(`etcdctl member promote ${hex}`), screen);
    tui.send('Escape');
    await tui.waitForNoText('[preview]', 10_000);

    tui.send(':');
    tui.type('promote m4');
    tui.send('Enter');
    screen = await tui.waitForText(/etcdctl member promote|REFUSED/, 15_000);
    assert.doesNotMatch(screen, /unknown member|no quorum/, screen);
    assert.match(screen, /Promote learner m4/, screen);
    const t0 = Date.now();
    tui.send('Enter');
    screen = await tui.waitForText(/m4 is not running: start it on its host, or remove it/, 90_000);
    assert.ok(Date.now() - t0 < 90_000, 'stopped early, not after the 5 min wait');
    assert.match(screen, /etcd-tui member remove m4/, screen);
  });
});
