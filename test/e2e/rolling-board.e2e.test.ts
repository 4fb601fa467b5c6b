/**
 * The rolling board in the console, end to end: the built etcd-tui in tmux (80x24) on a context of
 * three simulated hosts (real etcd 3.4.23 behind mTLS, each host its own sshd and systemctl stand-in),
 * bootstrapped headless; `:restart-all`, enter runs it, the board shows one row per member; space
 * pauses before the next member (the board says PAUSED, nothing moves while paused), space resumes,
 * the run ends with every member verified and the audit record says succeeded. Then `G` opens the
 * upgrade's form (no words given), the path of etcd 3.5 typed as the binary, enter runs the preflight
 * (path and flag checks over SSH) and the preview shows the plan (3.4.23 -> 3.5.x); esc cancels.
 */
import { after, before, describe, test } from '../harness/skip.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simHostsSkipReason } from '../harness/hosts.js';
import { bootstrappedSimCluster, type SimCluster } from '../harness/sim-cluster.js';
import { BIN } from '../harness/cli.js';
import { startTmux, type TmuxSession } from '../harness/tmux.js';
import { holdsFor } from '../harness/wait.js';
import { etcdBinaries } from '../harness/binaries.js';

const skip = simHostsSkipReason();

describe('the rolling board in the console: pause and resume (simulated hosts, real etcd)', { skip: skip ? `skipped: ${skip}` : false }, () => {
  let cluster: SimCluster | undefined;
  let dir: string;
  let config: string;
  let audit: string;
  let tui: TmuxSession | undefined;
  let upgradeTui: TmuxSession | undefined;
  const names = ['b1', 'b2', 'b3'];

  before(async () => {
    cluster = await bootstrappedSimCluster({ names, context: 'board', dirPrefix: 'etcd-tui-board-e2e-' });
    ({ dir, config, audit } = cluster);
  });

  after(async () => {
    await tui?.stop();
    await upgradeTui?.stop();
    await cluster?.stop();
  });

  const row = (screen: string, name: string) => screen.split('\n').find((l) => new RegExp(`^ {2}${name} +`).test(l)) ?? '';

  test(':restart-all on the board: space pauses before the next member, space resumes, every member verified', async () => {
    tui = startTmux({ cmd: [process.execPath, BIN, '--config', config, '--audit-log', audit, '--refresh', '1s'], env: { XDG_CONFIG_HOME: '/nonexistent', ETCDCTL_ENDPOINTS: undefined, CI: 'false' }, cwd: dir, cols: 80, rows: 24 });
    await tui.waitForText(/HEALTHY/, 30_000);
    tui.send(':');
    tui.type('restart-all');
    tui.send('Enter');
    // The plan, not only the dialog: the preflight (every host reached over SSH) runs first.
    await tui.waitForText(/\[preview\][\s\S]*STEPS/, 60_000);
    tui.send('Enter');
    // The typed confirmation: the context's name for a run over every member.
    await tui.waitForText(/Type the context's name \(board\)/, 10_000);
    tui.type('board');
    tui.send('Enter');
    await tui.waitForText(/ROLLING cluster version/, 30_000);
    tui.type(' ');
    let screen = await tui.waitForText(/PAUSED before b\d: space goes on/, 240_000);
    const held = /PAUSED before (b\d)/.exec(screen)![1];
    assert.match(row(screen, held), /waiting/, screen);
    for (const l of screen.split('\n')) assert.ok([...l].length <= 80, l);
    // Nothing moves while paused: the held member stays waiting.
    await holdsFor(() => /PAUSED before/.test(tui!.capture()) && /waiting/.test(row(tui!.capture(), held)), { forMs: 3000, intervalMs: 250, what: 'the pause' });
    tui.type(' ');
    screen = await tui.waitForText(/SUCCEEDED/, 300_000);
    for (const n of names) assert.match(row(screen, n), /verified/, screen);
    const rec = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { command: string; outcome: string }).at(-1);
    assert.deepEqual([rec?.command, rec?.outcome], ['rolling-restart', 'succeeded']);
    tui.send('Escape');
    await tui.waitForNoText('[done]', 10_000);
    // Quit: the console closes its SSH connections and exits 0 (they must not keep it alive).
    tui.send('q');
    assert.equal(await tui.waitForExit(20_000), 0);
  });

  test('G opens the upgrade form; the binary typed, enter runs the preflight and the preview shows the plan', async () => {
    const etcd35 = etcdBinaries('3.5');
    assert.ok(etcd35, 'etcd 3.5 binaries (test/harness/binaries.ts)');
    upgradeTui = startTmux({ cmd: [process.execPath, BIN, '--config', config, '--audit-log', audit, '--refresh', '1s'], env: { XDG_CONFIG_HOME: '/nonexistent', ETCDCTL_ENDPOINTS: undefined, CI: 'false' }, cwd: dir, cols: 80, rows: 24 });
    await upgradeTui.waitForText(/HEALTHY/, 30_000);
    upgradeTui.type('G');
    let screen = await upgradeTui.waitForText(/\[form\][\s\S]*Snapshots/, 10_000);
    assert.doesNotMatch(screen, /REFUSED/, screen);
    upgradeTui.type(etcd35.etcd);
    upgradeTui.send('Enter');
    screen = await upgradeTui.waitForText(/\[preview\][\s\S]*order: /, 60_000);
    assert.match(screen, new RegExp(`Rolling upgrade to etcd ${etcd35.version.replace(/\./g, '\\.')}`), screen);
    assert.doesNotMatch(screen, /REFUSED/, screen);
    for (const l of screen.split('\n')) assert.ok([...l].length <= 80, l);
    upgradeTui.send('Escape');
    await upgradeTui.waitForNoText('[preview]', 10_000);
    upgradeTui.send('q');
    assert.equal(await upgradeTui.waitForExit(20_000), 0);
  });
});
