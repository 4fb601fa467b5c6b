/**
 * Benchmark (not a test: it prints figures and gates nothing). On three simulated hosts (real etcd
 * 3.4.23 behind mTLS, each host its own sshd and systemctl stand-in), bootstrapped headless:
 * - each member restarted by hand (`systemctl restart etcd.service` on its host, then polled until it
 *   answers and the cluster is healthy), the sum of the three;
 * - `etcd-tui restart-all --yes` over the same hosts: the time per member, and the whole run over the
 *   sum above (the gates', the leadership move's and the SSH round trips' overhead; target within 20 %);
 * - writes failed during a leader move: a writer (etcdctl put, one after another) while
 *   `etcd-tui member move-leader` runs.
 *
 *   npx tsc -p tsconfig.json && node scripts/bundle.mjs && node dist/test/bench/rolling.bench.js
 *
 * Needs root (network namespaces); BENCH_ROLLING_ROUNDS (default 1) repeats the comparison.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { startSimHosts, simHostsSkipReason, type SimHosts } from '../harness/hosts.js';
import { makeClusterPki, type ClusterPki } from '../harness/certs.js';
import { runCli, showCli, startCli, type CliRunning } from '../harness/cli.js';
import { stopAll } from '../harness/registry.js';
import { waitFor } from '../harness/wait.js';
import { parseJsonExact } from '../harness/json.js';

const ROUNDS = Number(process.env.BENCH_ROLLING_ROUNDS ?? 1);
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The run's stdout lines with the time each was first seen (looked at every 5 ms). */
function timedLines(run: CliRunning): { stop(): Array<{ at: number; line: string }> } {
  const seen: Array<{ at: number; line: string }> = [];
  let taken = 0;
  const look = () => {
    const out = run.stdout();
    const end = out.lastIndexOf('\n');
    if (end < taken) return;
    const at = Date.now();
    for (const line of out.slice(taken, end).split('\n')) seen.push({ at, line });
    taken = end + 1;
  };
  const timer = setInterval(look, 5);
  return {
    stop: () => {
      clearInterval(timer);
      look();
      return seen;
    },
  };
}

/**
 * Time per kind of step (from its "[i/n] title ..." line to its "[i/n] ok" line): gates, restarts
 * (systemctl over SSH), waits until a member is back (with what the step says: answered, caught up,
 * healthy), the leader move, the members' done steps; before the first step: start, connect, preflight,
 * plan; after the last: the closing lines.
 */
function breakdown(lines: Array<{ at: number; line: string }>, t0: number, total: number): { parts: Array<[string, number]>; backs: string[] } {
  const kinds: Array<[RegExp, string]> = [
    [/^Gate before/, 'gates'],
    [/^Restart etcd on/, 'restarts (systemctl over SSH)'],
    [/^Wait until .* is back/, 'waits until back'],
    [/^Move leadership/, 'leader move'],
    [/ done$/, 'done steps'],
  ];
  const parts = new Map<string, number>();
  const starts = new Map<string, { at: number; kind: string }>();
  const backs: string[] = [];
  let first: number | undefined;
  let last: number | undefined;
  for (const { at, line } of lines) {
    const start = /^(\[\d+\/\d+\]) (.*) \.\.\.$/.exec(line);
    if (start) {
      first ??= at;
      starts.set(start[1], { at, kind: kinds.find(([re]) => re.test(start[2]))?.[1] ?? 'other steps' });
      continue;
    }
    const done = /^(\[\d+\/\d+\]) ok(?:: (.*))?$/.exec(line);
    const st = done ? starts.get(done[1]) : undefined;
    if (!done || !st) continue;
    parts.set(st.kind, (parts.get(st.kind) ?? 0) + at - st.at);
    if (st.kind === 'waits until back' && done[2]) backs.push(`${done[2]} [${s(at - st.at)}]`);
    last = at;
  }
  return { parts: [['start, connect, preflight, plan', (first ?? t0) - t0], ...parts.entries(), ['closing', t0 + total - (last ?? t0 + total)]], backs };
}

async function main(): Promise<void> {
  const skip = simHostsSkipReason();
  if (skip) {
    console.log(`rolling bench skipped: ${skip}`);
    return;
  }
  const names = ['r1', 'r2', 'r3'];
  let sim: SimHosts | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-rolling-bench-'));
  try {
    sim = await startSimHosts(3, { names, standinSettleMs: 1000 });
    const hosts = sim;
    const pki: ClusterPki = makeClusterPki(join(dir, 'pki'), hosts.hosts.map((h) => ({ name: h.name, ip: h.address })));
    writeFileSync(join(dir, 'known_hosts'), hosts.hosts.map((h) => h.knownHostsLine()).join('\n') + '\n', { mode: 0o600 });
    const config = join(dir, 'contexts.yaml');
    const audit = join(dir, 'audit.jsonl');
    const context = {
      name: 'bench',
      ssh: { identityFile: hosts.clientKey, knownHosts: join(dir, 'known_hosts'), agent: false },
      etcd: { version: '3.4.23', binarySource: '/usr/bin/etcd', caDir: pki.dir, heartbeatInterval: 100, electionTimeout: 1000, quota: '256MiB' },
      hosts: hosts.hosts.map((h) => ({ name: h.name, address: h.address })),
    };
    writeFileSync(config, YAML.stringify({ current: 'bench', contexts: [context] }));
    const cli = (args: string[]) => runCli(['--config', config, '--audit-log', audit, ...args], { timeoutMs: 600_000, cwd: dir });
    const boot = await cli(['bootstrap', 'cluster', '--yes']);
    if (boot.code !== 0) throw new Error(showCli(boot));
    const endpoints = hosts.hosts.map((h) => `https://${h.address}:2379`);
    const tls = [`--cacert=${pki.ca}`, `--cert=${pki.admin}`, `--key=${pki.adminKey}`, '--command-timeout=2s'];
    const env = { ...process.env, ETCDCTL_API: '3' };
    const healthy = () => {
      try {
        execFileSync('etcdctl', [`--endpoints=${endpoints.join(',')}`, ...tls, 'endpoint', 'health'], { env, timeout: 10_000, stdio: 'pipe' });
        return true;
      } catch {
        return undefined;
      }
    };

    for (let round = 1; round <= ROUNDS; round++) {
      // By hand: one member at a time, restart, wait until the cluster is healthy again.
      const byHand: number[] = [];
      for (const h of hosts.hosts) {
        const t0 = Date.now();
        const r = await h.exec(['systemctl', 'restart', 'etcd.service'], { timeoutMs: 120_000 });
        if (r.code !== 0) throw new Error(`${h.name}: systemctl restart: ${r.stderr}`);
        await waitFor(healthy, { what: `${h.name} back`, timeoutMs: 120_000, intervalMs: 100 });
        byHand.push(Date.now() - t0);
      }
      const sum = byHand.reduce((a, b) => a + b, 0);
      const t0 = Date.now();
      const running = startCli(['--config', config, '--audit-log', audit, 'restart-all', '--yes'], { timeoutMs: 600_000, cwd: dir });
      const lines = timedLines(running);
      const run = await running.done;
      const total = Date.now() - t0;
      if (run.code !== 0) throw new Error(showCli(run));
      const b = breakdown(lines.stop(), t0, total);
      console.log(`round ${round}: restarts by hand ${byHand.map(s).join(' + ')} = ${s(sum)}; etcd-tui restart-all ${s(total)}: ${s(total / 3)} per member against ${s(sum / 3)} by hand, ${((total / sum - 1) * 100).toFixed(0)} % over the sum (target <= 20 %)`);
      console.log(`  where the run's time goes: ${b.parts.map(([k, ms]) => `${k} ${s(ms)}`).join(', ')}`);
      for (const d of b.backs) console.log(`  ${d}`);
    }

    // Writes failed during a leader move: a writer, one put after another, while move-leader runs.
    let stop = false;
    let ok = 0;
    let failed = 0;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const good = await new Promise<boolean>((resolve) => execFile('etcdctl', [`--endpoints=${endpoints.join(',')}`, ...tls, 'put', `/bench/${i}`, 'x'], { env, timeout: 10_000 }, (e) => resolve(!e)));
        if (good) ok++;
        else failed++;
      }
    })();
    await waitFor(() => (ok >= 5 ? true : undefined), { what: 'the writer going', timeoutMs: 30_000, intervalMs: 50 });
    const status = execFileSync('etcdctl', [`--endpoints=${endpoints.join(',')}`, ...tls, 'endpoint', 'status', '-w', 'json'], { env, encoding: 'utf8' });
    const statuses = parseJsonExact<Array<{ Endpoint: string; Status: { leader: string | number; header: { member_id: string | number } } }>>(status);
    const leader = String(statuses[0].Status.leader);
    const target = names[endpoints.indexOf(statuses.find((x) => String(x.Status.header.member_id) !== leader)!.Endpoint)];
    const before = { ok, failed };
    const t0 = Date.now();
    const move = await cli(['member', 'move-leader', target, '--yes']);
    const moveMs = Date.now() - t0;
    stop = true;
    await writer;
    if (move.code !== 0) throw new Error(showCli(move));
    console.log(`leader move to ${target}: ${s(moveMs)}; writes during it: ${ok - before.ok} acknowledged, ${failed - before.failed} failed`);
  } finally {
    await sim?.stop();
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
