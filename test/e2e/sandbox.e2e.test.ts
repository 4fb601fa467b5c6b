/**
 * `npm run sandbox` builds only when a source changed; closing the terminal (SIGHUP) stops the
 * sandbox's members and removes its directory, as q does.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTmux } from '../harness/tmux.js';
import { repoRoot } from '../harness/binaries.js';
import { isAlive } from '../harness/registry.js';
import { waitFor } from '../harness/wait.js';

const BIN = join(repoRoot(), 'dist', 'etcd-tui.js');

/** Pids of the etcd processes whose data dir is inside `dir` (from /proc, by command line). */
function membersOf(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmd.some((a) => a.startsWith(dir)) && cmd.includes('--data-dir')) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

describe('the sandbox', () => {
  test('builds only when a source is newer than the bundle', () => {
    const copy = mkdtempSync(join(tmpdir(), 'etcd-tui-stale-'));
    try {
      // A copy of what the bundle is built from, with the original times.
      for (const p of ['src', 'screens', 'scripts', 'package.json', 'package-lock.json', 'tsconfig.json']) cpSync(join(repoRoot(), p), join(copy, p), { recursive: true, preserveTimestamps: true });
      symlinkSync(join(repoRoot(), 'node_modules'), join(copy, 'node_modules'));
      const build = () => spawnSync('bash', [join(copy, 'scripts', 'build-if-stale.sh')], { encoding: 'utf8', timeout: 120_000 });
      let r = build();
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /building dist\/etcd-tui\.js/);
      const out = join(copy, 'dist', 'etcd-tui.js');
      const built = statSync(out).mtimeMs;
      r = build();
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /dist\/etcd-tui\.js is up to date/);
      assert.equal(statSync(out).mtimeMs, built, 'not rebuilt');
      // A changed source: built again.
      const later = new Date(built + 10_000);
      utimesSync(join(copy, 'src', 'cli', 'console.tsx'), later, later);
      r = build();
      assert.match(r.stderr, /building dist\/etcd-tui\.js/);
      assert.ok(statSync(out).mtimeMs > built, 'rebuilt');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  test('closing the terminal (SIGHUP) stops every member and removes the directory', async () => {
    const tui = startTmux({ cmd: [process.execPath, BIN, 'sandbox', '--members', '3'], env: { XDG_CONFIG_HOME: '/nonexistent', XDG_STATE_HOME: join(tmpdir(), 'etcd-tui-sandbox-hup-state') }, cols: 180, rows: 50 });
    try {
      const screen = await tui.waitForText(/HEALTHY\s+3 voters, 3 healthy/, 30_000);
      const dir = /sandbox in (\S+);/.exec(screen)?.[1];
      assert.ok(dir, 'the sandbox says where it lives');
      const pids = await waitFor(() => (membersOf(dir).length === 3 ? membersOf(dir) : undefined), { what: 'three sandbox members', timeoutMs: 10_000 });
      const consolePid = tui.pid();
      // Close the terminal: the tmux server goes and the pane's program gets SIGHUP (not SIGKILL).
      const env = { ...process.env };
      delete env.TMUX;
      execFileSync('tmux', ['-L', tui.socket, 'kill-server'], { env, stdio: 'ignore', timeout: 10_000 });
      await waitFor(() => (pids.every((p) => !isAlive(p)) ? true : undefined), { what: 'every sandbox member stopped', timeoutMs: 15_000 });
      await waitFor(() => (!existsSync(dir) ? true : undefined), { what: `the sandbox directory ${dir} removed`, timeoutMs: 15_000 });
      await waitFor(() => (!isAlive(consolePid) ? true : undefined), { what: 'the console gone', timeoutMs: 15_000 });
    } finally {
      await tui.stop();
    }
  });
});
