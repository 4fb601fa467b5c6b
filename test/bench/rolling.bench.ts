/**
 * Benchmark (not a test: it prints figures and gates nothing). On three simulated hosts (real etcd
 * 3.4.23 behind mTLS, each host its own sshd and systemctl stand-in), bootstrapped headless:
 * - the bare restart of each member: `systemctl restart etcd.service` run on its host directly (no
 *   SSH), then the cluster looked at every 20 ms, in process, until the run's own end condition holds:
 *   the member answers, its applied index within the threshold of the leader's, the verdict healthy
 *   (the same check as the engine's "wait until back", at a tighter interval); the sum of the three;
 * - `etcd-tui restart-all --yes` over the same hosts: the whole run over that sum (the overhead of the
 *   process start, SSH, preflight, gates, the leadership move and the journal; target within 20 %),
 *   and the members' own steps (gate, restart over SSH, wait until back, done) over the same sum;
 * - writes failed during a leader move: a writer (etcdctl put, one after another) while
 *   `etcd-tui member move-leader` runs.
 *
 *   npx tsc -p tsconfig.json && node scripts/bundle.mjs && node dist/test/bench/rolling.bench.js
 *
 * Needs root (network namespaces). BENCH_ROLLING_ROUNDS (default 3) repeats the comparison and prints
 * medians with the spread; BENCH_COMPARE_BIN=/path/to/other/dist/etcd-tui.js runs that build's
 * restart-all too in every round (the order alternating), for a before/after on the same hosts;
 * BENCH_ROLLING_SSH=1 also times the bare restarts over a held SSH connection (what SSH adds).
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import YAML from 'yaml';
import { startSimHosts, simHostsSkipReason, type SimHosts } from '../harness/hosts.js';
import { makeClusterPki, type ClusterPki } from '../harness/certs.js';
import { BIN, runCli, showCli, type CliResult } from '../harness/cli.js';
import { signalTracked, stopAll, trackProcess, untrackProcess } from '../harness/registry.js';
import { waitFor } from '../harness/wait.js';
import { parseJsonExact } from '../harness/json.js';
import { EtcdGateway } from '../../src/cluster/etcd-gateway.js';
import { deadlinesFor } from '../../src/cli/deadlines.js';
import { collectStatus } from '../../src/monitor/observe.js';
import { DEFAULT_HEALTH_OPTIONS } from '../../src/domain/types.js';
import type { ConnectionSettings } from '../../src/domain/config.js';
import { leaderAgreement, leaderIndex } from '../../src/health/verdict.js';
import { maintenanceBlocker } from '../../src/plans/maintenance.js';
import { SshGateway } from '../../src/hosts/ssh-gateway.js';
import type { HostConnection } from '../../src/hosts/gateway.js';

const ROUNDS = Number(process.env.BENCH_ROLLING_ROUNDS ?? 3);
/** BENCH_ROLLING_SSH=1: the bare restarts once more, over a held SSH connection. */
const OVER_SSH = process.env.BENCH_ROLLING_SSH === '1';
const COMPARE = process.env.BENCH_COMPARE_BIN ? resolvePath(process.env.BENCH_COMPARE_BIN) : undefined;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const pct = (x: number) => `${(x * 100).toFixed(0)} %`;

function median(xs: number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  const m = Math.floor(a.length / 2);
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}
/** "median (min-max)" of ratios as percents. */
const spreadPct = (xs: number[]) => `${pct(median(xs))} (${pct(Math.min(...xs))} to ${pct(Math.max(...xs))})`;
const spreadS = (xs: number[]) => `${s(median(xs))} (${s(Math.min(...xs))} to ${s(Math.max(...xs))})`;

interface TimedRun {
  result: CliResult;
  lines: Array<{ at: number; line: string }>;
  /** When stderr's first "preflight: HOST ..." line came (the SSH connections begin). */
  preflightAt?: number;
  /** CPU time (user + system) of the etcd-tui process, from /proc (sampled every 20 ms: the last 20 ms may be missing). */
  cpuMs?: number;
}

/** utime + stime of a process in ms, or undefined when it is gone. */
function cpuOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // fields 14 and 15, in clock ticks of 10 ms
  } catch {
    return undefined;
  }
}

/** Runs `node BIN ARGS` to its end as the harness's runCli does (tracked pid, bounded), with each stdout line's arrival time. */
function runTimed(bin: string, args: string[], cwd: string, timeoutMs = 600_000): Promise<TimedRun> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCDCTL_')));
  const t0 = Date.now();
  const child = spawn(process.execPath, [bin, ...args], { env: { ...base, XDG_CONFIG_HOME: '/nonexistent', CI: 'true' }, stdio: ['pipe', 'pipe', 'pipe'], cwd });
  const pid = child.pid as number;
  trackProcess({ kind: 'etcd-tui', pid });
  child.stdin.end();
  const lines: Array<{ at: number; line: string }> = [];
  let out = '';
  let partial = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const at = Date.now();
    out += chunk;
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) lines.push({ at, line });
  });
  let preflightAt: number | undefined;
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    if (preflightAt === undefined && /^preflight: /m.test(chunk)) preflightAt = Date.now();
    err += chunk;
  });
  let cpuMs: number | undefined;
  const sampler = setInterval(() => (cpuMs = cpuOf(pid) ?? cpuMs), 20);
  const timer = setTimeout(() => signalTracked(pid, 'SIGKILL'), timeoutMs);
  return new Promise((done) => {
    child.once('exit', () => clearInterval(sampler));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(sampler);
      untrackProcess(pid);
      done({ result: { code: code ?? -1, stdout: out, stderr: err + (signal ? `\n(killed by ${signal})` : ''), ms: Date.now() - t0 }, lines, preflightAt, cpuMs });
    });
  });
}

interface Breakdown {
  /** By kind, the time from a step's "[i/n] title ..." line to its "[i/n] ok" line. */
  parts: Array<[string, number]>;
  /** The members' own steps (gates, restarts, waits, done steps). */
  memberMs: number;
  /** The restart steps' own figures and the waits' details. */
  details: string[];
}

const MEMBER_KINDS = new Set(['gates', 'restarts (systemctl over SSH)', 'waits until back', 'done steps']);

/**
 * Time per kind of step: gates, restarts (systemctl over SSH), waits until a member is back, the
 * leader move (the move and its verification), the members' done steps; before the first step: the
 * process start, reading the context, SSH connections, preflight, plan and preview; after the last
 * step: the closing lines (state, audit).
 */
function breakdown(lines: Array<{ at: number; line: string }>, t0: number, total: number, preflightAt?: number): Breakdown {
  const kinds: Array<[RegExp, string]> = [
    [/^Gate before/, 'gates'],
    [/^Restart etcd on/, 'restarts (systemctl over SSH)'],
    [/^Wait until .* is back/, 'waits until back'],
    [/^Move leadership/, 'leader move'],
    [/ done$/, 'done steps'],
  ];
  const parts = new Map<string, number>();
  const starts = new Map<string, { at: number; kind: string }>();
  const details: string[] = [];
  let first: number | undefined;
  let last: number | undefined;
  let lastEnd: number | undefined;
  let between = 0;
  for (const { at, line } of lines) {
    const start = /^(\[\d+\/\d+\]) (.*) \.\.\.$/.exec(line);
    if (start) {
      first ??= at;
      if (lastEnd !== undefined) between += at - lastEnd;
      starts.set(start[1], { at, kind: kinds.find(([re]) => re.test(start[2]))?.[1] ?? 'other steps' });
      continue;
    }
    const done = /^(\[\d+\/\d+\]) ok(?:: (.*))?$/.exec(line);
    const st = done ? starts.get(done[1]) : undefined;
    if (!done || !st) continue;
    parts.set(st.kind, (parts.get(st.kind) ?? 0) + at - st.at);
    if ((st.kind === 'waits until back' || st.kind === 'restarts (systemctl over SSH)') && done[2]) details.push(`${done[2]} [${s(at - st.at)}]`);
    last = at;
    lastEnd = at;
  }
  const memberMs = [...parts.entries()].filter(([k]) => MEMBER_KINDS.has(k)).reduce((a, [, ms]) => a + ms, 0);
  const startEnd = first ?? t0;
  const start: Array<[string, number]> =
    preflightAt !== undefined && preflightAt <= startEnd
      ? [
          ['process start, context, first cluster read', preflightAt - t0],
          ['SSH connections, preflight, plan, preview', startEnd - preflightAt],
        ]
      : [['process start, context, SSH, preflight, plan', startEnd - t0]];
  return { parts: [...start, ...parts.entries(), ['between steps (journal, audit, pacer)', between], ['closing', t0 + total - (last ?? t0 + total)]], memberMs, details };
}

async function main(): Promise<void> {
  const skip = simHostsSkipReason();
  if (skip) {
    console.log(`rolling bench skipped: ${skip}`);
    return;
  }
  // The bench's own gRPC client connects by IP address: Node's DEP0123 note is not a figure.
  process.noDeprecation = true;
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

    // The bare restart's end condition, as the engine's wait after a restart checks it, looked at every 20 ms.
    const settings: ConnectionSettings = { contextName: 'bench', endpoints, tls: { cacert: pki.ca, cert: pki.admin, key: pki.adminKey }, dialTimeoutMs: 1000, commandTimeoutMs: 2000, refreshMs: 1000, readOnly: false };
    // Made again for each round's bare restarts and closed before the tool runs: the bench's own client
    // connections must not be open to the members the tool restarts (etcd's stop can wait for them).
    let gateway = new EtcdGateway(settings, deadlinesFor(settings));
    const back = async (url: string): Promise<true | undefined> => {
      try {
        const st = await gateway.status(url);
        const v = await collectStatus(gateway, DEFAULT_HEALTH_OPTIONS, Date.now, { alarms: false });
        const lIndex = leaderIndex(v.members, v.probes, leaderAgreement(v.members, v.probes).leaderId);
        if (lIndex === undefined || lIndex - st.raftAppliedIndex > DEFAULT_HEALTH_OPTIONS.indexGapThreshold) return undefined;
        return maintenanceBlocker(v, { gapThreshold: DEFAULT_HEALTH_OPTIONS.indexGapThreshold, allowMixedVersions: true }) ? undefined : true;
      } catch {
        return undefined;
      }
    };
    const sshGateway = new SshGateway();
    const sshConnections = new Map<string, Promise<HostConnection>>(
      OVER_SSH ? hosts.hosts.map((h) => [h.name, sshGateway.connect({ address: h.address, port: 22, user: 'root', identityFiles: [hosts.clientKey], agent: false, knownHosts: join(dir, 'known_hosts'), sudo: false, connectTimeoutMs: 10_000 })]) : [],
    );
    const builds: Array<{ name: string; bin: string }> = [{ name: 'this build', bin: BIN }, ...(COMPARE ? [{ name: `compare (${COMPARE})`, bin: COMPARE }] : [])];
    const ratios = new Map<string, { total: number[]; members: number[]; perMember: number[]; cpu: number[] }>(builds.map((b) => [b.name, { total: [], members: [], perMember: [], cpu: [] }]));
    const bareSums: number[] = [];
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        // Bare: one member at a time, systemctl on the host itself, until back by the engine's own condition.
        gateway = new EtcdGateway(settings, deadlinesFor(settings));
        const bare: Array<{ systemctl: number; total: number }> = [];
        for (const h of hosts.hosts) {
          const t0 = Date.now();
          const r = await h.exec(['systemctl', 'restart', 'etcd.service'], { timeoutMs: 120_000 });
          if (r.code !== 0) throw new Error(`${h.name}: systemctl restart: ${r.stderr}`);
          const systemctl = Date.now() - t0;
          await waitFor(() => back(`https://${h.address}:2379`), { what: `${h.name} back`, timeoutMs: 120_000, intervalMs: 20 });
          bare.push({ systemctl, total: Date.now() - t0 });
        }
        const sum = bare.reduce((a, b) => a + b.total, 0);
        bareSums.push(sum);
        console.log(`round ${round}: bare restarts ${bare.map((b) => `${s(b.total)} (systemctl ${s(b.systemctl)})`).join(' + ')} = ${s(sum)}`);
        if (OVER_SSH) {
          // The same restart over a held SSH connection (the product's SSH layer, as the engine's pool): what SSH adds, apart from the tool.
          const overSsh: Array<{ systemctl: number; total: number }> = [];
          for (const h of hosts.hosts) {
            const conn = await sshConnections.get(h.name)!;
            const t0 = Date.now();
            const r = await conn.run(['systemctl', 'restart', 'etcd.service'], { timeoutMs: 120_000 });
            if (r.code !== 0) throw new Error(`${h.name}: systemctl restart over SSH: ${r.stderr}`);
            const systemctl = Date.now() - t0;
            await waitFor(() => back(`https://${h.address}:2379`), { what: `${h.name} back`, timeoutMs: 120_000, intervalMs: 20 });
            overSsh.push({ systemctl, total: Date.now() - t0 });
          }
          console.log(`  the same over SSH: ${overSsh.map((b) => `${s(b.total)} (systemctl ${s(b.systemctl)})`).join(' + ')} = ${s(overSsh.reduce((a, b) => a + b.total, 0))}`);
        }
        gateway.close();
        // The builds in turn (the order alternating between rounds, so neither always follows the bare restarts).
        for (const b of round % 2 === 1 ? builds : [...builds].reverse()) {
          const t0 = Date.now();
          const run = await runTimed(b.bin, ['--config', config, '--audit-log', audit, 'restart-all', '--yes'], dir);
          const total = Date.now() - t0;
          if (run.result.code !== 0) throw new Error(`${b.name}: ${showCli(run.result)}`);
          const bd = breakdown(run.lines, t0, total, run.preflightAt);
          const r = ratios.get(b.name) as { total: number[]; members: number[]; perMember: number[]; cpu: number[] };
          if (run.cpuMs !== undefined) r.cpu.push(run.cpuMs);
          r.total.push(total / sum - 1);
          r.members.push(bd.memberMs / sum - 1);
          r.perMember.push(total / 3);
          console.log(`  ${b.name}: restart-all ${s(total)}, ${s(total / 3)} per member against ${s(sum / 3)} bare: ${pct(total / sum - 1)} over the sum; the members' own steps ${s(bd.memberMs)}, ${pct(bd.memberMs / sum - 1)} over it; CPU of etcd-tui ${run.cpuMs !== undefined ? s(run.cpuMs) : '?'}`);
          console.log(`    where the run's time goes: ${bd.parts.map(([k, ms]) => `${k} ${s(ms)}`).join(', ')}`);
          for (const d of bd.details) console.log(`    ${d}`);
        }
      }
    } finally {
      gateway.close();
      for (const c of sshConnections.values()) await c.then((x) => x.close()).catch(() => undefined);
    }
    console.log(`over ${ROUNDS} round(s), median (min to max): bare sum ${spreadS(bareSums)}`);
    for (const [name, r] of ratios) {
      console.log(`  ${name}: whole run ${spreadPct(r.total)} over the bare sum (target <= 20 %); members' own steps ${spreadPct(r.members)}; per member ${spreadS(r.perMember)}${r.cpu.length ? `; CPU of etcd-tui ${spreadS(r.cpu)}` : ''}`);
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
