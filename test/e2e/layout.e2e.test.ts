/**
 * The console's layout in real terminals (tmux) against real clusters: at 80x24 with 3 and 5
 * members the header (cluster version), the verdict and the leader line stay on screen, the
 * VERSION column survives, the footer is one line, help scrolls; 120x40 and 200x50 show every
 * member. With quorum lost (2 of 3 members killed) the header shows no leader, since when, and the
 * health lines say what to do.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { startTmux, type TmuxSession } from '../harness/tmux.js';
import { repoRoot } from '../harness/binaries.js';
import { Etcd3 } from 'etcd3';

const BIN = join(repoRoot(), 'dist', 'etcd-tui.js');

function openConsole(cluster: TestCluster, cols: number, rows: number, extra: string[] = []): TmuxSession {
  assert.ok(existsSync(BIN), `built binary at ${BIN} (run npm run build)`);
  return startTmux({
    cmd: [process.execPath, BIN, '--endpoints', cluster.liveEndpoints().join(','), '--refresh', '300ms', ...extra],
    env: { ETCDCTL_ENDPOINTS: undefined, XDG_CONFIG_HOME: '/nonexistent' },
    cols,
    rows,
  });
}

/** The screen's lines without the trailing blank ones. */
function lines(screen: string): string[] {
  const all = screen.split('\n');
  while (all.length && all[all.length - 1].trim() === '') all.pop();
  return all;
}

/** What must be on every dashboard frame, at any size. */
function assertFrame(screen: string, rows: number, cols: number, what: string): void {
  // ETCD_TUI_SHOW_SCREENS=1 prints each checked screen, to look at it.
  if (process.env.ETCD_TUI_SHOW_SCREENS) process.stderr.write(`---- ${what} (${cols}x${rows})\n${screen}\n`);
  const l = lines(screen);
  assert.ok(l.length <= rows, `${what}: ${l.length} lines fit ${rows} rows\n${screen}`);
  assert.ok(l.every((x) => [...x].length <= cols), `${what}: no line wider than ${cols}\n${screen}`);
  assert.match(l[0], /^etcd-tui {2}context \S+ {2}cluster version 3\.\d\.0/, `${what}: the first line has the cluster version\n${screen}`);
  assert.match(screen, /^● (HEALTHY|DEGRADED|CRITICAL) /m, `${what}: the verdict\n${screen}`);
  assert.match(screen, /^(Leader \S+ \([0-9a-f]+\), term \d+|No leader since \d\d:\d\d:\d\d)/m, `${what}: the leader line\n${screen}`);
  assert.match(l[l.length - 1], /^<\?> Help {2}/, `${what}: the footer is one line of hints, ? first\n${screen}`);
}

describe('layout at 80x24, 120x40 and 200x50 with 5 members', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster({ members: 5, version: '3.5' });
  });
  after(async () => {
    await cluster?.stop();
  });

  for (const [cols, rows] of [
    [80, 24],
    [120, 40],
    [200, 50],
  ] as const) {
    test(`${cols}x${rows}: header, verdict, leader, every member with its version, one-line footer`, async () => {
      const tui = openConsole(cluster, cols, rows);
      try {
        const screen = await tui.waitForText(/HEALTHY\s+5 voters, 5 healthy, tolerates 2 failures[\s\S]*m5 .*3\.5\.\d+/, 20_000);
        assertFrame(screen, rows, cols, `${cols}x${rows}`);
        assert.match(screen, /NAME +(ID +)?ROLE +STATE +VERSION/, 'the VERSION column');
        for (const m of cluster.members) assert.match(screen, new RegExp(`^[> ] ${m.name} .*3\\.5\\.\\d+`, 'm'), `${m.name} with its version`);
        assert.match(screen, /cluster version 3\.5\.0/);
        assert.match(screen, /✓ every answering member runs etcd 3\.5\.\d+ \(cluster version 3\.5\.0\)/);
        // Sizes in decimal units, as etcdctl prints them; the quota not given is said to be assumed.
        assert.match(screen, / \d+ kB /);
        assert.match(screen, /2\.1 GB quota \(assumed/);
        if (cols === 80) {
          // Help scrolls: the first lines, then further down with j; the header stays.
          tui.send('?');
          let help = await tui.waitForText(/HELP: keys.*lines 1-\d+ of \d+/, 5000);
          assert.match(help, /^● HEALTHY/m);
          tui.send('j', 'j', 'j');
          help = await tui.waitForText(/lines 4-\d+ of \d+/, 5000);
          assert.match(help, /^Leader /m);
          tui.send('Escape');
          await tui.waitForText('MEMBERS (5)', 5000);
        }
        tui.send('q');
        assert.equal(await tui.waitForExit(5000), 0);
      } finally {
        await tui.stop();
      }
    });
  }
});

describe('quorum lost at 80x24 with 3 members', () => {
  let cluster: TestCluster;
  let tui: TmuxSession | undefined;
  before(async () => {
    cluster = await startCluster({ members: 3, version: '3.4' });
  });
  after(async () => {
    await tui?.stop();
    await cluster?.stop();
  });

  test('NOSPACE raised: the headline says why, by name, and the health line gives A', async () => {
    const ids = await cluster.memberIds();
    const [target] = cluster.members.map((m) => m.name).sort();
    const c = new Etcd3({ hosts: cluster.liveEndpoints() });
    tui = openConsole(cluster, 80, 24);
    try {
      await tui.waitForText(/HEALTHY\s+3 voters, 3 healthy/, 20_000);
      await c.maintenance.alarm({ action: 'Activate', memberID: ids.get(target) as string, alarm: 'Nospace' });
      const screen = await tui.waitForText(/^● CRITICAL {2}alarm NOSPACE on /m, 20_000);
      assertFrame(screen, 24, 80, 'NOSPACE');
      assert.match(screen, new RegExp(`^● CRITICAL {2}alarm NOSPACE on ${target}: `, 'm'));
      assert.doesNotMatch(screen, new RegExp(ids.get(target) as string), 'no decimal member ID');
      assert.match(screen.replace(/\n\s+/g, ' '), /→ A: compact, defragment every member, disarm NOSPACE/);
      await c.maintenance.alarm({ action: 'Deactivate', memberID: ids.get(target) as string, alarm: 'Nospace' });
      await tui.waitForText(/^● HEALTHY/m, 20_000);
      tui.send('q');
      assert.equal(await tui.waitForExit(5000), 0);
    } finally {
      await c.maintenance.alarm({ action: 'Deactivate', memberID: ids.get(target) as string, alarm: 'Nospace' }).catch(() => undefined);
      c.close();
      await tui.stop();
      tui = undefined;
    }
  });

  test('2 of 3 killed: no leader since when, the leader checks unknown, the next steps on screen', async () => {
    tui = openConsole(cluster, 80, 24);
    let screen = await tui.waitForText(/HEALTHY\s+3 voters, 3 healthy/, 20_000);
    assertFrame(screen, 24, 80, 'healthy');
    assert.match(screen, /cluster version 3\.4\.0/);
    const leader = await cluster.leaderName();
    const others = cluster.members.map((m) => m.name).filter((n) => n !== leader);
    // Kill the leader and one follower: the survivor must not be shown as led by the old leader.
    await cluster.kill(leader);
    await cluster.kill(others[0]);
    screen = await tui.waitForText(/^No leader since \d\d:\d\d:\d\d \(.*\), was .*quorum lost/m, 20_000);
    assertFrame(screen, 24, 80, 'quorum lost');
    assert.match(screen, /^● CRITICAL {2}3 voters, 1 healthy: QUORUM LOST \(needs 2\)/m);
    assert.doesNotMatch(screen, /^Leader /m, 'no old leader in the header');
    assert.match(screen, /^\? one leader: unknown while quorum is lost/m);
    assert.match(screen, /^\? raft index within 50 of the leader: unknown/m);
    // The recovery guide: each choice and what it costs, with the key for it.
    const flat = screen.replace(/\n\s+/g, ' ');
    assert.match(flat, /restart the DOWN voters on their hosts \(no data lost\)/);
    assert.match(flat, /recover from the most advanced survivor/);
    assert.match(flat, /restore the last snapshot/);
    assert.match(flat, /Q to recover/);
    assert.match(flat, /O to restore/);
    // Each DOWN member: the next step on its line (replace needs quorum: not offered now).
    assert.match(flat, new RegExp(`${leader} (DOWN|unreachable): .*→ restart etcd on its host`));
    assert.doesNotMatch(flat, /R to replace it/);
    tui.send('q');
    assert.equal(await tui.waitForExit(5000), 0);
  });
});
