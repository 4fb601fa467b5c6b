/**
 * Disaster recovery in the console: the built etcd-tui in tmux, keys as a person types them.
 *
 *   1. `:restore FILE` on the sandbox (its members as hosts, src/sandbox/hosts.ts), end to end: the
 *      preflight, the plan, the context's name typed, every step, SUCCEEDED; the sandbox is then a new
 *      cluster with the snapshot's keys (the later ones gone), healthy again on the dashboard.
 *   2. On a real 5-member cluster (etcd 3.4): one voter killed -> its health line says to restart it
 *      on its host or R to replace it; a second one killed -> adding a learner is refused in the dialog
 *      before anything changes (etcd refuses adds while a voter is disconnected); a third killed ->
 *      QUORUM LOST with the recovery choices (Q, O) and "No leader since HH:MM:SS" instead of the old leader.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type MemberListJson, type TestCluster } from '../harness/cluster.js';
import { startTmux, type TmuxSession } from '../harness/tmux.js';
import { etcdBinaries, repoRoot } from '../harness/binaries.js';
import { waitFor } from '../harness/wait.js';

const BIN = join(repoRoot(), 'dist', 'etcd-tui.js');

/** The screen with its line breaks and runs of blanks as one space: a long line wrapped still matches. */
function flat(screen: string): string {
  return screen.replace(/[│┃|]/g, ' ').replace(/\s+/g, ' ');
}

describe('disaster recovery in the console', () => {
  let dir: string;
  let tui: TmuxSession | undefined;
  before(() => {
    assert.ok(existsSync(BIN), `built binary at ${BIN} (run npm run build)`);
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-recovery-e2e-'));
  });
  after(async () => {
    await tui?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test(':restore on the sandbox: preflight, plan, the typed context name, every step, a new cluster with the snapshot keys', async () => {
    const bins = etcdBinaries('3.4');
    assert.ok(bins, 'etcd 3.4 (the sandbox runs the system etcd)');
    const audit = join(dir, 'audit.jsonl');
    tui = startTmux({
      cmd: [process.execPath, BIN, 'sandbox', '--members', '3', '--refresh', '500ms', '--audit-log', audit],
      env: { CI: undefined, XDG_CONFIG_HOME: '/nonexistent', XDG_STATE_HOME: join(dir, 'state'), ETCDCTL_ENDPOINTS: undefined, ETCD_TUI_ETCD: bins.etcd },
      cwd: dir,
      cols: 200,
      rows: 60,
    });
    const session = tui;
    const screen0 = await session.waitForText(/HEALTHY\s+3 voters/, 60_000);
    const box = /sandbox in (\S+);/.exec(screen0)?.[1];
    assert.ok(box, 'the sandbox says where it lives');
    const endpoints = ['m1', 'm2', 'm3'].map((m) => /^ETCD_ADVERTISE_CLIENT_URLS=(\S+)$/m.exec(readFileSync(join(box, m, 'etcd.env'), 'utf8'))?.[1] ?? '');
    const etcdctl = (args: string[]) => execFileSync(bins.etcdctl, [`--endpoints=${endpoints.join(',')}`, '--command-timeout=10s', ...args], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000 });
    const clusterIds = () => (JSON.parse(etcdctl(['endpoint', 'status', '-w', 'json'])) as Array<{ Status: { header: { cluster_id: number } } }>).map((s) => s.Status.header.cluster_id);
    for (let i = 0; i < 5; i++) etcdctl(['put', `/kept/k${i}`, `v${i}`]);
    const snap = join(dir, 'snap.db');
    execFileSync(bins.etcdctl, [`--endpoints=${endpoints[0]}`, 'snapshot', 'save', snap], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000, stdio: 'pipe' });
    etcdctl(['put', '/lost/k', 'written after the snapshot']);
    const oldIds = clusterIds();

    session.send(':');
    session.type(`restore ${snap}`);
    session.send('Enter');
    // The dialog opens at once; its plan shows once the preflight on every member is done.
    let screen = await session.waitForText('enter: go on to confirm by typing the name', 60_000);
    assert.match(flat(screen), /new cluster: m1, m2, m3/);
    assert.match(flat(screen), /etcdctl snapshot restore/);
    session.send('Enter');
    await session.waitForText("Type the context's name (sandbox) to go ahead", 10_000);
    session.type('sandbox');
    session.send('Enter');
    screen = await session.waitForText(/SUCCEEDED|FAILED|ABORTED/, 180_000);
    assert.match(screen, /SUCCEEDED/, screen);

    const ids = clusterIds();
    assert.equal(new Set(ids).size, 1, 'one cluster');
    assert.notEqual(ids[0], oldIds[0], 'a new cluster ID');
    assert.deepEqual(etcdctl(['get', '/kept/', '--prefix', '--keys-only']).split('\n').filter(Boolean).sort(), ['/kept/k0', '/kept/k1', '/kept/k2', '/kept/k3', '/kept/k4']);
    assert.equal(etcdctl(['get', '/lost/k', '--print-value-only']).trim(), '', 'what was written after the snapshot is gone');
    const record = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { command: string; outcome: string }).pop();
    assert.deepEqual([record?.command, record?.outcome], ['snapshot-restore', 'succeeded']);

    session.send('Escape');
    await session.waitForText(/HEALTHY\s+3 voters/, 60_000);
    session.send('q');
    assert.equal(await session.waitForExit(20_000), 0);
    await session.stop();
    tui = undefined;
  });
});

describe('the recovery guide and the add refusal in the console (etcd 3.4, 5 members)', () => {
  let cluster: TestCluster;
  let dir: string;
  let tui: TmuxSession | undefined;
  before(async () => {
    cluster = await startCluster({ members: 5, version: '3.4' });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-guide-e2e-'));
  });
  after(async () => {
    await tui?.stop();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('DOWN: restart or R; a second voter down: add-learner refused; quorum lost: Q or O, no leader since', async () => {
    const leader = await cluster.leaderName();
    const [a, b, c] = cluster.members.map((m) => m.name).filter((n) => n !== leader);
    tui = startTmux({
      cmd: [process.execPath, BIN, '--endpoints', cluster.endpoints.join(','), '--refresh', '500ms', '--audit-log', join(dir, 'audit.jsonl')],
      env: { CI: undefined, XDG_CONFIG_HOME: '/nonexistent', XDG_STATE_HOME: join(dir, 'state'), ETCDCTL_ENDPOINTS: undefined },
      cwd: dir,
      cols: 200,
      rows: 60,
    });
    const session = tui;
    await session.waitForText(/HEALTHY\s+5 voters/, 30_000);

    // One voter down: its line says what to do, with the key.
    await cluster.kill(a);
    await waitFor(() => /restart etcd on its host \(o does it over SSH\), or R to replace it/.test(flat(session.capture())), { what: `the guidance line for ${a} DOWN`, timeoutMs: 30_000 }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\nscreen:\n${session.capture()}`);
    });

    // A second voter down: an add (a learner too) is refused before anything changes.
    await cluster.kill(b);
    await session.waitForText(new RegExp(`${b}\\s+\\S+\\s+\\S+\\s+DOWN`), 30_000);
    const before = (await cluster.etcdctlJson<MemberListJson>(['member', 'list'])).members.length;
    const planned = await cluster.planMember('m9');
    session.send('a');
    await session.waitForText('Add a learner', 10_000);
    session.send('Tab');
    session.type(planned.peerURL);
    session.send('Enter');
    await waitFor(() => /refuses any member add \(a learner too\) while a voter is disconnected/.test(flat(session.capture())), { what: 'the add-learner refusal in the dialog', timeoutMs: 30_000 }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\nscreen:\n${session.capture()}`);
    });
    assert.match(flat(session.capture()), new RegExp(`${a}|${b}`), 'the refusal names a voter that is down');
    session.send('Escape');
    await session.waitForNoText('Add a learner', 10_000);
    assert.equal((await cluster.etcdctlJson<MemberListJson>(['member', 'list'])).members.length, before, 'nothing was added');

    // A third voter down: quorum lost. The choices with what each costs, and no old leader in the header.
    await cluster.kill(c);
    await waitFor(
      () => {
        const s = flat(session.capture());
        return /QUORUM LOST/.test(s) && /Q to recover from the most advanced survivor/.test(s) && /O to restore the last snapshot on every member/.test(s) && /No leader since \d\d:\d\d:\d\d/.test(s);
      },
      { what: 'QUORUM LOST with the recovery choices and "No leader since"', timeoutMs: 60_000 },
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\nscreen:\n${session.capture()}`);
    });
    session.send('q');
    assert.equal(await session.waitForExit(20_000), 0);
  });
});
