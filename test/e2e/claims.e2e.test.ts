/**
 * README claims that need a real terminal (tmux gives the program a pty), against real etcd 3.4
 * clusters; each test starts its own cluster, so any one runs alone:
 *  - in the console, ctrl-c while a flow runs (replace, waiting to confirm the member is down) aborts
 *    the flow (ABORTED, audit "aborted", membership unchanged) and the console stays; a second ctrl-c
 *    leaves;
 *  - headless bootstrap on a terminal asks "Type yes" for an unknown SSH host key (a real sshd).
 *  - headless on a terminal, remove asks for the member's name: a wrong name or ctrl-c at the
 *    question changes nothing (exit 7, one line), the right one removes it; move-leader asks "Go ahead? [y/N]": y runs it, anything else does not.
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type MemberListJson, type TestCluster } from '../harness/cluster.js';
import { startTmux, type TmuxSession } from '../harness/tmux.js';
import { BIN } from '../harness/cli.js';
import { holdsFor, waitFor } from '../harness/wait.js';
import { makeKeyPair, sshdSkipReason, startSshd } from '../harness/sshd.js';
import YAML from 'yaml';

async function setup(t: TestContext): Promise<{ cluster: TestCluster; dir: string; audit: string }> {
  assert.ok(existsSync(BIN), `built binary at ${BIN} (run npm run build)`);
  const cluster = await startCluster({ members: 3, version: '3.4' });
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-claims-e2e-'));
  t.after(async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { cluster, dir, audit: join(dir, 'audit.jsonl') };
}

/** The built binary in tmux (a pty), CI unset so Ink draws every frame; stopped after the test. */
function inTerminal(t: TestContext, args: string[], dir: string): TmuxSession {
  const session = startTmux({ cmd: [process.execPath, BIN, ...args], env: { CI: undefined, ETCDCTL_ENDPOINTS: undefined, XDG_CONFIG_HOME: '/nonexistent' }, cwd: dir, cols: 180, rows: 50 });
  t.after(() => session.stop());
  return session;
}

function audit(file: string): Array<{ command: string; outcome: string }> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { command: string; outcome: string });
}

const members = async (cluster: TestCluster) => (await cluster.etcdctlJson<MemberListJson>(['member', 'list'])).members;

describe('README claims in a terminal', () => {
  test('console: ctrl-c while replace waits aborts the flow, the console stays; a second ctrl-c leaves', async (t) => {
    const { cluster, dir, audit: auditFile } = await setup(t);
    // A killed follower: replace first confirms it stays down for 30 s, a wait to abort.
    const leader = await cluster.leaderName();
    const victim = cluster.members.find((m) => m.name !== leader)!.name;
    await cluster.kill(victim);
    const before = (await members(cluster)).map((m) => m.ID).sort();

    const tui = inTerminal(t, ['--endpoints', cluster.endpoints.join(','), '--refresh', '500ms', '--audit-log', auditFile], dir);
    await tui.waitForText(new RegExp(`${victim}\\s+\\S+\\s+\\S+\\s+DOWN`), 20_000);
    tui.send(':');
    tui.type(`replace ${victim}`);
    tui.send('Enter');
    await tui.waitForText('[form]', 10_000);
    tui.send('Enter');
    await tui.waitForText('[preview]', 10_000);
    tui.send('Enter');
    await tui.waitForText(`Type the member's name (${victim})`, 10_000);
    tui.type(victim);
    tui.send('Enter');
    // Step 1 runs (its ▶ mark): the wait for the member to stay down.
    await tui.waitForText(/▶ 1\. Confirm/, 15_000);

    tui.send('C-c');
    const screen = await tui.waitForText(/ABORTED/, 15_000);
    assert.match(screen, /MEMBERS \(3\)/, 'the console is still there');
    assert.equal(tui.isDead(), false, 'the first ctrl-c does not leave while a flow runs');
    await waitFor(() => audit(auditFile).some((r) => r.command === 'replace' && r.outcome === 'aborted'), { what: 'the audit record of the aborted replace', timeoutMs: 10_000 }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\naudit: ${JSON.stringify(audit(auditFile))}\nscreen:\n${tui.capture()}`);
    });
    assert.deepEqual((await members(cluster)).map((m) => m.ID).sort(), before, 'nothing was removed or added');

    // Leaving after a quit aborted a flow says so with the headless flows' "aborted" code (README, signals).
    tui.send('C-c');
    assert.equal(await tui.waitForExit(10_000), 7);
  });

  test('headless on a terminal: remove asks for the member name; a wrong name or ctrl-c changes nothing (exit 7), the right one removes it', async (t) => {
    const { cluster, dir, audit: auditFile } = await setup(t);
    const leader = await cluster.leaderName();
    const victim = cluster.members.find((m) => m.name !== leader)!.name;
    const other = cluster.members.find((m) => m.name !== leader && m.name !== victim)!.name;
    const args = ['member', 'remove', victim, '--endpoints', cluster.endpoints.join(','), '--audit-log', auditFile];

    const wrong = inTerminal(t, args, dir);
    await wrong.waitForText(`Type the member name "${victim}" to go ahead:`, 20_000);
    wrong.type(other);
    wrong.send('Enter');
    await wrong.waitForText('not confirmed: nothing was changed', 10_000);
    assert.equal(await wrong.waitForExit(10_000), 7);
    await holdsFor(async () => (await members(cluster)).length === 3, { forMs: 3000, intervalMs: 250, what: 'a wrong name changes nothing (3 members)' });

    // Ctrl-C at the question: not confirmed, in one line (it was an AbortError's stack and exit 70).
    const interrupted = inTerminal(t, args, dir);
    await interrupted.waitForText(`Type the member name "${victim}" to go ahead:`, 20_000);
    interrupted.type(victim.slice(0, 1));
    interrupted.send('C-c');
    const screen = await interrupted.waitForText('not confirmed: nothing was changed', 10_000);
    assert.doesNotMatch(screen, /AbortError|\n\s+at |unexpected error/, screen);
    assert.equal(await interrupted.waitForExit(10_000), 7);
    assert.equal((await members(cluster)).length, 3, 'ctrl-c at the question changes nothing');

    const right = inTerminal(t, args, dir);
    await right.waitForText(`Type the member name "${victim}" to go ahead:`, 20_000);
    right.type(victim);
    right.send('Enter');
    await right.waitForText(/SUCCEEDED in /, 60_000);
    assert.equal(await right.waitForExit(10_000), 0);
    assert.deepEqual((await members(cluster)).map((m) => m.name).sort(), [leader, other].sort());
    await cluster.waitExit(victim, 20_000).catch(() => cluster.kill(victim));
    assert.deepEqual(
      audit(auditFile).map((r) => [r.command, r.outcome]),
      [['remove', 'succeeded']],
      'the unconfirmed run records nothing',
    );
  });

  test('headless on a terminal: move-leader asks "Go ahead? [y/N]"; n leaves the leader, y moves it', async (t) => {
    const { cluster, dir } = await setup(t);
    const leader = await cluster.leaderName();
    const target = cluster.members.find((m) => m.name !== leader)!.name;
    const args = ['member', 'move-leader', target, '--endpoints', cluster.endpoints.join(','), '--audit-log', join(dir, 'audit.jsonl')];

    const no = inTerminal(t, args, dir);
    await no.waitForText('Go ahead? [y/N]', 20_000);
    no.type('n');
    no.send('Enter');
    assert.equal(await no.waitForExit(10_000), 7);
    await holdsFor(async () => (await cluster.leaderName()) === leader, { forMs: 2000, intervalMs: 250, what: `${leader} still leads after "n"` });

    const yes = inTerminal(t, args, dir);
    await yes.waitForText('Go ahead? [y/N]', 20_000);
    yes.type('y');
    yes.send('Enter');
    await yes.waitForText(new RegExp(`ok: ${target} leads`), 30_000);
    assert.equal(await yes.waitForExit(10_000), 0);
    assert.equal(await cluster.leaderName(), target);
  });
});

describe('README claims in a terminal: SSH host keys', () => {
  test('headless bootstrap preflight on a terminal asks about an unknown host key: "no" records nothing, "yes" records it, then it is known', { skip: sshdSkipReason() }, async (t) => {
    const sshd = await startSshd();
    const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-hostkey-e2e-'));
    t.after(async () => {
      await sshd.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    const key = makeKeyPair(join(dir, 'id_ed25519'));
    sshd.authorize(key);
    const knownHosts = join(dir, 'known_hosts');
    const config = join(dir, 'contexts.yaml');
    writeFileSync(
      config,
      YAML.stringify({
        current: 'lab',
        contexts: [
          {
            name: 'lab',
            ssh: { knownHosts, identityFile: key.privateKey, agent: false, connectTimeout: '5s' },
            hosts: [{ name: 'etcd-1', address: '127.0.0.1', port: sshd.port, clientPort: 2479, peerPort: 2480 }],
          },
        ],
      }),
    );
    const args = ['--config', config, '--audit-log', join(dir, 'audit.jsonl'), 'bootstrap', 'preflight', 'etcd-1'];
    const fingerprint = sshd.hostKeyFingerprint();
    const question = /Type yes to trust and record it:/;

    const no = inTerminal(t, args, dir);
    let screen = await no.waitForText(question, 20_000);
    assert.ok(screen.replace(/\s+/g, '').includes(fingerprint.replace(/\s+/g, '')), `the question shows the fingerprint ${fingerprint}:\n${screen}`);
    no.type('no');
    no.send('Enter');
    const noExit = await no.waitForExit(20_000);
    assert.notEqual(noExit, 0, 'an untrusted host key does not pass preflight');
    assert.equal(existsSync(knownHosts) ? readFileSync(knownHosts, 'utf8') : '', '', '"no" records nothing');

    const yes = inTerminal(t, args, dir);
    await yes.waitForText(question, 20_000);
    yes.type('yes');
    yes.send('Enter');
    await yes.waitForExit(60_000);
    const recorded = readFileSync(knownHosts, 'utf8');
    assert.ok(recorded.includes(sshd.knownHostsLine().split(' ').slice(1).join(' ')), `"yes" records the host key:\n${recorded}`);

    // Known now: the next run asks nothing.
    const again = inTerminal(t, args, dir);
    await again.waitForExit(60_000);
    screen = again.capture();
    assert.doesNotMatch(screen, question, screen);
  });
});
