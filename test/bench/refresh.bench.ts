/**
 * Benchmark (not a test: it prints figures and gates nothing). On a real 3-member cluster:
 * - one full refresh round of the console's gateway vs one `etcdctl endpoint status --cluster -w json`;
 * - the same with one member SIGSTOPped;
 * - process start to the first frame with live data;
 * - idle CPU and RSS over 30 s with the console open at 1 s refresh.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster } from '../harness/cluster.js';
import { startTmux } from '../harness/tmux.js';
import { repoRoot } from '../harness/binaries.js';
import { stopAll } from '../harness/registry.js';
import { waitFor } from '../harness/wait.js';
import { EtcdGateway } from '../../src/cluster/etcd-gateway.js';
import { deadlinesFor } from '../../src/cli/deadlines.js';
import type { ConnectionSettings } from '../../src/domain/config.js';

const BIN = join(repoRoot(), 'dist', 'etcd-tui.js');
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 30);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function p95(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.95))];
}

const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** CPU seconds (user + system) of a process, from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** The node process running in the tmux pane (the pane's pid is node itself: no shell in between). */
async function main(): Promise<void> {
  const cluster = await startCluster({ members: 3, version: '3.4' });
  try {
    const settings: ConnectionSettings = { contextName: 'bench', endpoints: cluster.endpoints, tls: {}, dialTimeoutMs: 1000, commandTimeoutMs: 5000, refreshMs: 1000, readOnly: false };
    const gateway = new EtcdGateway(settings, deadlinesFor(settings));
    const urls = cluster.endpoints;
    // A full round as the poller's first one: member list, alarms, every member's status, in parallel.
    const fullRound = () => Promise.all([gateway.memberList(), gateway.alarms(), ...urls.map((u) => gateway.status(u))]);
    // A steady round: every member's status (the member list comes every 5 s or on index moves, alarms every 10 s).
    const steadyRound = () => Promise.all(urls.map((u) => gateway.status(u)));
    for (let i = 0; i < 20; i++) await fullRound(); // warm the connections
    const rounds: number[] = [];
    for (let i = 0; i < 200; i++) rounds.push(await timed(fullRound));
    const steady: number[] = [];
    for (let i = 0; i < 200; i++) steady.push(await timed(steadyRound));
    const etcdctl: number[] = [];
    for (let i = 0; i < 30; i++) {
      etcdctl.push(await timed(() => cluster.etcdctl(['endpoint', 'status', '--cluster', '-w', 'json'])));
    }
    console.log('\n== refresh round, 3 healthy members (member list + alarms + 3 status, in parallel)');
    console.log(`etcd-tui full round      median ${fmt(median(rounds))}  p95 ${fmt(p95(rounds))}  (n=200; member list + alarms + 3 status)`);
    console.log(`etcd-tui steady round    median ${fmt(median(steady))}  p95 ${fmt(p95(steady))}  (n=200; 3 status)`);
    console.log(`etcdctl endpoint status  median ${fmt(median(etcdctl))}  p95 ${fmt(p95(etcdctl))}  (n=30, includes process start)`);
    console.log(`ratio                    full ${(median(etcdctl) / median(rounds)).toFixed(1)}x, steady ${(median(etcdctl) / median(steady)).toFixed(1)}x cheaper (wall time)`);
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < 100; i++) await steadyRound();
    const cpu = process.cpuUsage(cpu0);
    console.log(`CPU per steady round     ${((cpu.user + cpu.system) / 1000 / 100).toFixed(2)} ms (etcdctl spends its wall time mostly on CPU: a process start)`);

    // One member hung: the answering members' statuses must not wait for it.
    const victim = cluster.members[2];
    const healthyUrls = urls.filter((u) => u !== victim.clientURL);
    const healthyRound: number[] = [];
    const hungRound: number[] = [];
    await cluster.pause(victim.name);
    try {
      for (let i = 0; i < 10; i++) {
        const start = performance.now();
        const hung = gateway.status(victim.clientURL).catch(() => undefined);
        await Promise.all(healthyUrls.map((u) => gateway.status(u)));
        healthyRound.push(performance.now() - start);
        await hung;
        hungRound.push(performance.now() - start);
      }
      const etcdctlHung: number[] = [];
      for (let i = 0; i < 3; i++) {
        etcdctlHung.push(await timed(() => cluster.etcdctl(['endpoint', 'status', '--endpoints', urls.join(','), '-w', 'json'], { timeoutMs: 20_000 })));
      }
      console.log('\n== refresh round with one member SIGSTOPped');
      console.log(`answering members' statuses  median ${fmt(median(healthyRound))}  (n=10; the hung member's call runs beside them)`);
      console.log(`hung member's call ends at   median ${fmt(median(hungRound))}  (its deadline, ${deadlinesFor(settings).statusMs} ms)`);
      console.log(`etcdctl endpoint status      median ${fmt(median(etcdctlHung))}  (n=3)`);
    } finally {
      await cluster.resume(victim.name);
    }
    gateway.close();

    // Start to first live frame, through a real terminal.
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const tui = startTmux({ cmd: [process.execPath, BIN, '--endpoints', urls[0]], env: { XDG_CONFIG_HOME: '/nonexistent' }, cols: 180, rows: 50 });
      try {
        await waitFor(() => /HEALTHY\s+3 voters/.test(tui.capture()), { what: 'first live frame', timeoutMs: 15_000, intervalMs: 5 });
        starts.push(performance.now() - t0);
      } finally {
        await tui.stop();
      }
    }
    console.log('\n== process start to first frame with live data (tmux, polled every 5 ms)');
    console.log(`median ${fmt(median(starts))}  min ${fmt(Math.min(...starts))}  max ${fmt(Math.max(...starts))}  (n=5)`);

    // Idle cost at 1 s refresh.
    const tui = startTmux({ cmd: [process.execPath, BIN, '--endpoints', urls[0], '--refresh', '1s'], env: { XDG_CONFIG_HOME: '/nonexistent' }, cols: 180, rows: 50 });
    try {
      await waitFor(() => /HEALTHY\s+3 voters/.test(tui.capture()), { what: 'console up', timeoutMs: 15_000 });
      const pid = tui.pid();
      const cpu0 = cpuSeconds(pid);
      const t0 = performance.now();
      const rss: number[] = [];
      await waitFor(
        () => {
          rss.push(rssMb(pid));
          return performance.now() - t0 >= IDLE_SECONDS * 1000;
        },
        { what: `${IDLE_SECONDS} s of idle`, timeoutMs: IDLE_SECONDS * 1000 + 5000, intervalMs: 1000 },
      );
      const cpu = cpuSeconds(pid) - cpu0;
      const wall = (performance.now() - t0) / 1000;
      console.log(`\n== idle, console open at 1 s refresh, ${wall.toFixed(0)} s`);
      console.log(`CPU ${((cpu / wall) * 100).toFixed(2)}% of a core   RSS median ${median(rss).toFixed(1)} MB  max ${Math.max(...rss).toFixed(1)} MB`);
    } finally {
      await tui.stop();
    }
  } finally {
    await cluster.stop();
    await stopAll();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
