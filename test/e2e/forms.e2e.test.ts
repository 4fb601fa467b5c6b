/**
 * The maintenance forms and the undo offer end to end: the built etcd-tui in tmux at 80x24 against a
 * real 3-member cluster. S accepts the default file name and saves a verified snapshot; C with 0
 * compacts up to the current revision; an unfinished run of this context (a member add whose process
 * died, journal as kill -9 leaves it) is offered on the dashboard, undone with u, and is gone.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type TestCluster, type MemberListJson } from '../harness/cluster.js';
import { startTmux, type TmuxSession } from '../harness/tmux.js';
import { BIN, runCli, showCli } from '../harness/cli.js';
import { writeDeadRun } from '../fakes/journals.js';
import { waitFor } from '../harness/wait.js';

describe('maintenance forms and the undo offer in the console (80x24)', () => {
  let cluster: TestCluster;
  let tui: TmuxSession | undefined;
  let dir: string;
  before(async () => {
    cluster = await startCluster({ members: 3, version: '3.4' });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-forms-e2e-'));
    for (let i = 0; i < 5; i++) await cluster.etcdctl(['put', `/forms/k${i}`, `v${i}`]);
  });
  after(async () => {
    await tui?.stop();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const state = () => join(dir, 'state');
  const console80 = () =>
    startTmux({
      cmd: [process.execPath, BIN, '--endpoints', cluster.endpoints.join(','), '--refresh', '500ms'],
      env: { XDG_CONFIG_HOME: '/nonexistent', XDG_STATE_HOME: state(), ETCDCTL_ENDPOINTS: undefined, CI: 'false' },
      cwd: dir,
      cols: 80,
      rows: 24,
    });
  const revision = async () => {
    const r = await cluster.etcdctl(['get', '/forms/k0', '-w', 'json']);
    return Number((JSON.parse(r.stdout) as { header: { revision: number } }).header.revision);
  };

  test('S: the form offers ./etcd-flags-STAMP.db; enter twice saves a verified snapshot there. C: 0 keeps only the newest revision', async () => {
    tui = console80();
    await tui.waitForText(/HEALTHY/, 20_000);
    tui.send('S');
    let screen = await tui.waitForText('[form]', 10_000);
    const name = /etcd-flags-\d{8}T\d{6}Z\.db/.exec(screen)?.[0];
    assert.ok(name, `the form offers a default name:\n${screen}`);
    tui.send('Enter');
    await tui.waitForText('[preview]', 10_000);
    tui.send('Enter');
    screen = await tui.waitForText(/SUCCEEDED|FAILED|REFUSED/, 60_000);
    assert.match(screen, /SUCCEEDED/, screen);
    const file = join(dir, name);
    assert.ok(existsSync(file), `${file} was saved`);
    assert.ok(statSync(file).size > 0);
    assert.ok(existsSync(`${file}.json`), 'with its sidecar');
    const status = await cluster.etcdctl(['snapshot', 'status', file, '-w', 'json']);
    assert.equal(status.code, 0, `etcdctl reads the snapshot: ${status.stderr}`);
    assert.ok((JSON.parse(status.stdout) as { revision: number }).revision > 0);
    tui.send('Escape');
    await tui.waitForNoText('[done]', 10_000);

    // C, 0: the preview warns about watchers; the compaction reaches the current revision.
    const before = await revision();
    tui.send('C');
    screen = await tui.waitForText('[form]', 10_000);
    assert.match(screen.replace(/\s+/g, ' '), new RegExp(`current revision: ${before}`));
    tui.type('0');
    tui.send('Enter');
    screen = await tui.waitForText('[preview]', 10_000);
    // At 24 rows the preview scrolls: page down until the warning shows (bounded).
    const warned = (x: string) => /keeps only the newest revision/.test(x.replace(/\s+/g, ' '));
    for (let i = 0; i < 6 && !warned(screen); i++) {
      const offset = /lines (\d+)-/.exec(screen)?.[1];
      tui.send('PageDown');
      // Each page moves the window (or it was the last one): wait for the new window, bounded.
      screen = await waitFor(
        () => {
          const now = tui!.capture();
          return /lines (\d+)-/.exec(now)?.[1] !== offset || warned(now) ? now : undefined;
        },
        { what: 'the preview scrolled', timeoutMs: 5000 },
      ).catch(() => tui!.capture());
    }
    assert.ok(warned(screen), screen);
    tui.send('Enter');
    screen = await tui.waitForText(/SUCCEEDED|FAILED|REFUSED/, 30_000);
    assert.match(screen, /SUCCEEDED/, screen);
    const old = await cluster.etcdctl(['get', '/forms/k0', `--rev=${before - 1}`], {});
    assert.match(old.stdout + old.stderr, /required revision has been compacted/, 'revisions before the current one are gone');
    const now = await cluster.etcdctl(['get', '/forms/k0', `--rev=${before}`]);
    assert.match(now.stdout, /\/forms\/k0/, 'the current revision is kept');
    tui.send('Escape');
    await tui.waitForNoText('[done]', 10_000);
    tui.send('q');
    await tui.waitForExit(15_000);
    await tui.stop();
    tui = undefined;
  });

  test('an unfinished member add of this context is offered on start; u shows it and, the run ID typed, removes the member; the line and `etcd-tui runs` are empty after', async () => {
    const plan = await cluster.planMember('m9');
    // etcd refuses a member add until every member has been connected for 5 s ("unhealthy cluster"): retry, bounded.
    const added = await waitFor(
      async () => {
        const r = await cluster.etcdctl(['member', 'add', 'm9', '--learner', `--peer-urls=${plan.peerURL}`]);
        return r.code === 0 ? r : undefined;
      },
      { what: 'etcdctl member add m9 --learner', timeoutMs: 30_000, intervalMs: 500 },
    );
    const hex = /Member\s+([0-9a-f]+)\s+added/.exec(added.stdout)?.[1];
    assert.ok(hex, added.stdout);
    const memberId = BigInt(`0x${hex}`).toString();
    const runs = join(state(), 'etcd-tui', 'runs');
    const run = writeDeadRun(runs, {
      context: '(flags)',
      flow: 'add-learner',
      title: 'Add m9 as a learner',
      steps: [{ title: 'Add m9 as a learner', undo: { title: 'remove m9', spec: { kind: 'member-remove', name: 'm9', memberId } } }, { title: 'Wait for m9 to start' }],
      cutAtLast: true,
    });
    const env = { XDG_STATE_HOME: state() };
    const listed = await runCli(['runs'], { env });
    assert.match(listed.stdout, new RegExp(run.id), showCli(listed));

    tui = console80();
    let screen = await tui.waitForText('unfinished run', 20_000);
    assert.match(screen.replace(/\s+/g, ' '), new RegExp(`unfinished run ${run.id} \\(add-learner, started \\d\\d:\\d\\d, 1 step to undo\\): u to undo, see etcd-tui runs`));
    tui.send('u');
    screen = await tui.waitForText('[preview]', 10_000);
    // At 80x24 the undo steps may be below the fold: the operator scrolls down (PgDn) to read them.
    if (!/remove m9/.test(screen)) {
      assert.match(screen, /more line\(s\) below/, 'a preview taller than the screen says so');
      tui.send('PageDown');
      screen = await tui.waitForText('remove m9', 10_000);
    }
    assert.match(screen, /remove m9/);
    tui.send('Enter');
    await tui.waitForText('Type the run ID', 10_000);
    tui.type(run.id);
    tui.send('Enter');
    screen = await tui.waitForText(/SUCCEEDED|FAILED/, 30_000);
    assert.match(screen, /SUCCEEDED/, screen);
    tui.send('Escape');
    await tui.waitForNoText('[done]', 10_000);
    await tui.waitForNoText('unfinished run', 10_000);
    const members = (await cluster.etcdctlJson<MemberListJson>(['member', 'list'])).members;
    assert.ok(!members.some((m) => m.peerURLs?.includes(plan.peerURL)), 'the learner is gone');
    const after = await runCli(['runs'], { env });
    assert.equal(after.code, 0, showCli(after));
    assert.match(after.stdout, /^no unfinished runs/, showCli(after));
    const audit = readFileSync(join(state(), 'etcd-tui', 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { command: string; outcome: string });
    assert.deepEqual(audit.at(-1), { ...audit.at(-1), command: 'undo', outcome: 'succeeded' });
    assert.ok(readdirSync(runs).includes(`${run.id}.jsonl`), 'the journal stays (it says the run was undone)');
    tui.send('q');
    await tui.waitForExit(15_000);
  });
});
