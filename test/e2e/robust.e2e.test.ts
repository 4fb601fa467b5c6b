/**
 * The console never dies of input and leaves through the abort path: the built etcd-tui in tmux
 * against a real cluster, fed key sequences Ink 6.8 cannot parse (Ctrl+F1..F4, pasted colours,
 * random escape sequences), then SIGTERM in the middle of a flow.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type TestCluster, type MemberListJson } from '../harness/cluster.js';
import { startTmux, type TmuxSession } from '../harness/tmux.js';
import { repoRoot } from '../harness/binaries.js';
import { waitFor } from '../harness/wait.js';

const BIN = join(repoRoot(), 'dist', 'etcd-tui.js');

/** A small deterministic generator (the fuzz is the same on every run, so a failure reproduces). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Random CSI and SS3 sequences: parameters, intermediates, any final byte. */
function randomSequences(count: number, seed: number): string[] {
  const rnd = prng(seed);
  const pick = (chars: string) => chars[Math.floor(rnd() * chars.length)];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    if (rnd() < 0.2) {
      out.push('\x1bO' + String.fromCharCode(0x40 + Math.floor(rnd() * 0x3f)));
      continue;
    }
    let params = '';
    const n = Math.floor(rnd() * 6);
    for (let j = 0; j < n; j++) params += pick('0123456789;;:?<');
    out.push('\x1b[' + params + String.fromCharCode(0x40 + Math.floor(rnd() * 0x3f)));
  }
  return out;
}

describe('the console survives stray input and leaves through the abort path', () => {
  let cluster: TestCluster;
  let dir: string;
  let tui: TmuxSession | undefined;
  before(async () => {
    cluster = await startCluster({ members: 3, version: '3.4' });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-robust-e2e-'));
  });
  after(async () => {
    await tui?.stop();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = () =>
    startTmux({
      cmd: [process.execPath, BIN, '--endpoints', cluster.liveEndpoints().join(','), '--refresh', '500ms'],
      env: { XDG_CONFIG_HOME: '/nonexistent', XDG_STATE_HOME: join(dir, 'state'), ETCDCTL_ENDPOINTS: undefined },
      cwd: dir,
      cols: 200,
      rows: 60,
    });

  /** The console still answers: ? opens help, escape closes it. */
  async function responsive(session: TmuxSession): Promise<void> {
    assert.equal(session.isDead(), false, 'the console is still running');
    session.send('Escape', 'Escape', '?');
    await session.waitForText('HELP: keys', 10_000);
    session.send('Escape');
    await session.waitForText('MEMBERS (3)', 10_000);
  }

  test('Ctrl+F1..F4, pasted escape sequences and 300 random sequences on the dashboard and in a form', async () => {
    tui = open();
    await tui.waitForText(/HEALTHY\s+3 voters/, 15_000);
    // The dashboard: the keys that killed Ink 6.8's parser.
    tui.send('C-F1', 'C-F2', 'C-F3', 'C-F4');
    tui.type('\x1b[1;5P\x1b[31m\x1b[0m\x1b[200~\x1b[201~');
    await responsive(tui);
    for (const chunk of randomSequences(150, 13)) tui.type(chunk);
    await responsive(tui);

    // A form: pasted text with colours keeps its text and loses the sequences.
    tui.send('a');
    await tui.waitForText('Add a learner', 5000);
    for (let i = 0; i < 4; i++) tui.send('BSpace');
    tui.type('\x1b[31mred\x1b[0m');
    tui.send('C-F1', 'C-F2', 'C-F3', 'C-F4');
    tui.type('\x1b[32mok\x1b[0m');
    await tui.waitForText(/name\s+redok\s*$/m, 10_000);
    // Random sequences (known keys among them move between fields): never sequence text in a field.
    for (const chunk of randomSequences(150, 29)) tui.type(chunk);
    tui.type('!');
    const screen = await tui.waitForText(/!/, 10_000);
    const fields = screen.split('\n').filter((l) => /^\s*›?\s*(name|peer URLs)\s/.test(l));
    assert.equal(fields.length, 2, screen);
    for (const line of fields) assert.doesNotMatch(line, /\[|;/, `no sequence text in a field: ${line}`);
    assert.equal(tui.isDead(), false);
    tui.send('Escape');
    await responsive(tui);
    tui.send('q');
    assert.equal(await tui.waitForExit(10_000), 0);
    await tui.stop();
    tui = undefined;
  });

  const auditRecords = () =>
    readFileSync(join(dir, 'state', 'etcd-tui', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { command: string; outcome: string });

  /** Opens the console and starts replacing m3 (down): the flow runs its confirm-down step (30 s). */
  async function startReplace(): Promise<TmuxSession> {
    const victim = 'm3';
    if (cluster.members.find((m) => m.name === victim)?.state === 'running') await cluster.kill(victim);
    const session = open();
    await session.waitForText(new RegExp(`${victim}\\s+\\S+\\s+\\S+\\s+DOWN`), 20_000);
    session.send('j', 'j');
    session.send('R');
    await session.waitForText('Replace a failed member', 5000);
    session.send('Enter');
    await session.waitForText('[preview]', 10_000);
    session.send('Enter');
    session.type(victim);
    session.send('Enter');
    // Step 1 under way (its progress line), so the run is recorded in the audit log.
    await session.waitForText(/m3 unreachable for [\d.]+s of/, 15_000);
    return session;
  }

  test('ctrl-c twice during a flow: the first aborts, the second leaves once the flow has ended; exit 7', async () => {
    tui = await startReplace();
    tui.send('C-c');
    await tui.waitForText(/aborting it; quit again to leave once it has ended|ABORTED/, 10_000);
    tui.send('C-c');
    assert.equal(await tui.waitForExit(30_000), 7);
    assert.match(tui.capture(), /etcd-tui: the running flow was aborted/);
    assert.deepEqual([auditRecords().at(-1)?.command, auditRecords().at(-1)?.outcome], ['replace', 'aborted']);
    await tui.stop();
    tui = undefined;
  });

  test('SIGTERM during a replace waiting for its new learner: the flow is aborted, the audit says so, exit 7', async () => {
    tui = await startReplace();
    // confirm-down (30 s unreachable), remove, add the learner, then the wait for it to start.
    await tui.waitForText(/Wait for m3 to start/, 10_000);
    await waitFor(
      async () => {
        const members = (await cluster.etcdctlJson<MemberListJson>(['member', 'list'])).members;
        return members.some((m) => m.isLearner && !m.name) ? true : undefined;
      },
      { what: 'the replacement learner added (unstarted)', timeoutMs: 90_000, intervalMs: 500 },
    );
    process.kill(tui.pid(), 'SIGTERM');
    const code = await tui.waitForExit(30_000);
    assert.equal(code, 7, 'exit 7: a flow was aborted');
    const screen = tui.capture();
    assert.match(screen, /etcd-tui: SIGTERM; the running flow was aborted/);
    assert.doesNotMatch(screen, /\n\s+at /, 'no stack');
    assert.ok(existsSync(join(dir, 'state', 'etcd-tui', 'audit.jsonl')), 'the audit log is written');
    assert.deepEqual([auditRecords().at(-1)?.command, auditRecords().at(-1)?.outcome], ['replace', 'aborted']);
  });
});
