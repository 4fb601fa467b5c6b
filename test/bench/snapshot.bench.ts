/**
 * Benchmark (not a test: it prints figures and gates nothing). One etcd 3.4 member filled with large
 * values to 300 MB, then to BENCH_SNAPSHOT_GIB (default 1 GiB; BENCH_SNAPSHOT_SIZES_MB=300,1074 to
 * choose; less when the disk is short or filling passes BENCH_FILL_SECONDS, default 180 s); at each
 * size, in one run, alternately:
 *   etcdctl snapshot save FILE   vs   etcd-tui snapshot save FILE (sha256 while streaming, fsync,
 *   bbolt read-back, sidecar)   [vs BENCH_COMPARE_BIN snapshot save: another build, side by side]
 *   [vs the same build with ETCD_TUI_SNAPSHOT_CLIENT=grpc-js: the stream through grpc-js instead of
 *   node:http2; BENCH_SNAPSHOT_GRPCJS=0 leaves it out]
 * each BENCH_ROUNDS times (default 2): wall time, CPU time (user+sys), throughput (file size / wall
 * time) and peak RSS of the process (/usr/bin/time, else VmHWM polled from /proc), with the targets
 * beside them (at least etcdctl's speed, peak RSS <= 100 MB); and once per size the peak RSS of
 * `etcd-tui status` against the same member (Node, the bundle and a connected gRPC client: what a save
 * holds before its first byte).
 * Each etcd-tui save also prints where its time went outside the stream (its ETCD_TUI_TRACE_STARTUP
 * phases: first byte, stream, after the stream); at the end both tools save from a second, empty
 * member BENCH_FIXED_ROUNDS times (default 5; 0 skips it): what each costs besides the stream.
 * BENCH_SNAPSHOT_DATA_DIR=DIR keeps the member's data dir there and reuses it in the next run (filling
 * 1 GiB takes minutes): the member is started on it and only filled up to what is missing.
 *
 *   npm run build && node dist/test/bench/snapshot.bench.js
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import { runEtcdctl, startCluster, type EndpointStatusJson } from '../harness/cluster.js';
import { etcdBinaries, repoRoot } from '../harness/binaries.js';
import { freePorts } from '../harness/ports.js';
import { signalTracked, stopAll, trackProcess, untrackProcess } from '../harness/registry.js';
import { parseJsonExact } from '../harness/json.js';
import { waitFor } from '../harness/wait.js';

/** The binary to measure (BENCH_TUI_BIN: e.g. a build with other gateway options). */
const BIN = process.env.BENCH_TUI_BIN ?? path.join(repoRoot(), 'dist', 'etcd-tui.js');
/** Another build measured in the same run (e.g. the one before a change): BENCH_COMPARE_BIN=path. */
const COMPARE = process.env.BENCH_COMPARE_BIN;
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const TARGET = Number(process.env.BENCH_SNAPSHOT_GIB ?? 1) * GiB;
const FILL_SECONDS = Number(process.env.BENCH_FILL_SECONDS ?? 180);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const VALUE_BYTES = 256 * 1024;
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** The one member the bench saves from. */
interface Member {
  endpoint: string;
  etcdctl: string;
  dbSize(): Promise<number>;
  stop(): Promise<void>;
}

interface Measured {
  tool: string;
  dbBytes: number;
  fileBytes: number;
  wallMs: number;
  /** User + system CPU time of the process. */
  cpuMs: number;
  peakRssKb: number;
  /** etcd-tui's own line: stream + verify time and rate. */
  detail?: string;
  /** etcd-tui's phases (ETCD_TUI_TRACE_STARTUP), ms since its process started. */
  phases?: Record<string, number>;
}

/** Runs argv, returns wall time and peak RSS of that process. */
function measure(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; wallMs: number; cpuMs: number; peakRssKb: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const cmd = TIME ? TIME : argv[0];
    const args = TIME ? ['-f', 'PEAK_RSS_KB=%M CPU_S=%U+%S', ...argv] : argv.slice(1);
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hwm = 0;
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    // Without /usr/bin/time: VmHWM of the child, polled (it only grows, so the last poll is close).
    const poll = TIME
      ? undefined
      : setInterval(() => {
          try {
            const kb = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
            hwm = Math.max(hwm, kb);
          } catch {
            // exited
          }
        }, 20);
    child.once('error', reject);
    child.once('close', (code) => {
      if (poll) clearInterval(poll);
      const wallMs = performance.now() - t0;
      const m = /PEAK_RSS_KB=(\d+)/.exec(stderr);
      const cpu = /CPU_S=([\d.]+)\+([\d.]+)/.exec(stderr);
      resolve({ code: code ?? -1, wallMs, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN, peakRssKb: m ? Number(m[1]) : hwm, stdout, stderr });
    });
  });
}

async function statusOf(etcdctl: string, endpoint: string): Promise<EndpointStatusJson> {
  const r = await runEtcdctl(etcdctl, [`--endpoints=${endpoint}`, 'endpoint', 'status', '-w', 'json', '--command-timeout=2s'], { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(r.stderr.trim().split('\n').at(-1));
  return parseJsonExact<EndpointStatusJson[]>(r.stdout)[0];
}

/** A fresh one-member cluster of the harness (removed at the end). */
async function freshMember(): Promise<Member> {
  const cluster = await startCluster({ members: 1, version: '3.4', quotaBytes: 8 * GiB, extraArgs: ['--snapshot-count', '1000000'] });
  return {
    endpoint: cluster.endpoints[0],
    etcdctl: cluster.binaries.etcdctl,
    dbSize: async () => (await cluster.endpointStatus('m1')).Status.dbSize ?? 0,
    stop: () => cluster.stop(),
  };
}

/** One etcd 3.4 on a data dir that outlives the run (BENCH_SNAPSHOT_DATA_DIR): started, waited for, stopped by pid. */
async function keptMember(dataDir: string): Promise<Member> {
  const bins = etcdBinaries('3.4');
  if (!bins) throw new Error('etcd 3.4 binaries not found');
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const [peer, clientPort] = await freePorts(2);
  const peerURL = `http://127.0.0.1:${peer}`;
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const log = fs.openSync(path.join(path.dirname(path.resolve(dataDir)), `${path.basename(dataDir)}.log`), 'a');
  // The name and the initial cluster are read only on the first start; later starts keep the member's own.
  const proc = spawn(bins.etcd, ['--name', 'bench', '--data-dir', dataDir, '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint, '--listen-peer-urls', peerURL, '--initial-advertise-peer-urls', peerURL, '--initial-cluster', `bench=${peerURL}`, '--quota-backend-bytes', String(8 * GiB), '--snapshot-count', '1000000'], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const pid = proc.pid as number;
  trackProcess({ kind: 'etcd', pid });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    signalTracked(pid, 'SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000).unref())]);
    signalTracked(pid, 'SIGKILL');
    await exited;
    untrackProcess(pid);
  };
  try {
    await waitFor(async () => ((await statusOf(bins.etcdctl, endpoint)).Status.leader !== '0' ? true : undefined), { timeoutMs: 120_000, intervalMs: 200, what: `etcd on ${dataDir} to answer with a leader` });
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, etcdctl: bins.etcdctl, dbSize: async () => (await statusOf(bins.etcdctl, endpoint)).Status.dbSize ?? 0, stop };
}

/** Values already in the member (a kept data dir): the fill goes on from there. */
async function countValues(member: Member): Promise<number> {
  const c = new Etcd3({ hosts: [member.endpoint], faultHandling: { host: () => noop, global: noop }, defaultCallOptions: () => ({ deadline: Date.now() + 60_000 }) });
  try {
    return await c.getAll().prefix('/bench/').count();
  } finally {
    c.close();
  }
}

/** Puts 256 KiB values, 16 at a time, until the DB reaches `bytes` or the time is up. */
async function fill(member: Member, bytes: number, deadline: number, start: number): Promise<number> {
  const c = new Etcd3({ hosts: [member.endpoint], faultHandling: { host: () => noop, global: noop }, defaultCallOptions: () => ({ deadline: Date.now() + 60_000 }) });
  const value = Buffer.alloc(VALUE_BYTES);
  let next = start;
  try {
    const batch = Math.ceil((64 * MiB) / VALUE_BYTES);
    while ((await member.dbSize()) < bytes && Date.now() < deadline) {
      const end = next + batch;
      const worker = async () => {
        while (next < end) {
          const i = next++;
          // Random bytes: etcd does not compress, but the file system and page cache see real data.
          const v = Buffer.from(value);
          v.writeUInt32LE(i, 0);
          for (let o = 4; o < v.length; o += 4096) v.writeUInt32LE((i * 2654435761 + o) >>> 0, o);
          await c.put(`/bench/${String(i).padStart(8, '0')}`).value(v);
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
    }
  } finally {
    c.close();
  }
  return next;
}

async function etcdctlSave(member: Member, file: string): Promise<Measured> {
  const r = await measure([member.etcdctl, `--endpoints=${member.endpoint}`, 'snapshot', 'save', file], { ...process.env, ETCDCTL_API: '3' });
  if (r.code !== 0) throw new Error(`etcdctl snapshot save failed: ${r.stderr}`);
  return { tool: 'etcdctl snapshot save', dbBytes: 0, fileBytes: fs.statSync(file).size, wallMs: r.wallMs, cpuMs: r.cpuMs, peakRssKb: r.peakRssKb };
}

function tuiEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCDCTL_') && k !== 'ETCD_TUI_SNAPSHOT_CLIENT'));
  return { ...env, XDG_CONFIG_HOME: '/nonexistent', ...extra };
}

async function tuiSave(member: Member, file: string, audit: string, bin = BIN, tool = 'etcd-tui snapshot save', extraEnv: NodeJS.ProcessEnv = {}): Promise<Measured> {
  // The save marks its phases (src/diagnostics/startup-trace.ts) in a file of its own.
  const trace = `${file}.trace`;
  fs.rmSync(trace, { force: true });
  const r = await measure([bin, 'snapshot', 'save', file, '--endpoints', member.endpoint, '--audit-log', audit], tuiEnv({ ...extraEnv, ETCD_TUI_TRACE_STARTUP: trace }));
  if (r.code !== 0) throw new Error(`etcd-tui snapshot save failed (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  const detail = /\[1\/1\] ok: (.*)$/m.exec(r.stdout)?.[1];
  const phases: Record<string, number> = {};
  try {
    for (const m of fs.readFileSync(trace, 'utf8').matchAll(/^etcd-tui startup (\S+) ([\d.]+)/gm)) phases[m[1]] = Number(m[2]);
  } catch {
    // another build may not mark its phases
  }
  fs.rmSync(trace, { force: true });
  return { tool, dbBytes: 0, fileBytes: fs.statSync(file).size, wallMs: r.wallMs, cpuMs: r.cpuMs, peakRssKb: r.peakRssKb, detail, phases };
}

/** Where an etcd-tui save's time went outside the stream: before its first byte, and after its last. */
function phaseText(m: Measured): string | undefined {
  const p = m.phases ?? {};
  if (p['snapshot-first-chunk'] === undefined || p['snapshot-streamed'] === undefined) return undefined;
  return `first byte at ${p['snapshot-first-chunk'].toFixed(0)} ms (bundle started at ${(p['bundle-start'] ?? NaN).toFixed(0)} ms, member observed by ${(p['snapshot-observed'] ?? NaN).toFixed(0)} ms), stream ${(p['snapshot-streamed'] - p['snapshot-first-chunk']).toFixed(0)} ms, then ${(m.wallMs - p['snapshot-streamed']).toFixed(0)} ms to the exit`;
}

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  return v[Math.floor((v.length - 1) / 2)];
}

/**
 * What each tool costs besides the stream: saves from a second, empty member (a DB of a few dozen
 * KB), alternately, BENCH_FIXED_ROUNDS times (default 5). etcdctl is one Go binary; etcd-tui starts
 * Node, loads its modules, looks at the member and plans before its first byte.
 */
async function fixedCost(dir: string, audit: string): Promise<void> {
  const rounds = Number(process.env.BENCH_FIXED_ROUNDS ?? 5);
  if (rounds <= 0) return;
  const cluster = await startCluster({ members: 1, version: '3.4' });
  const member: Member = { endpoint: cluster.endpoints[0], etcdctl: cluster.binaries.etcdctl, dbSize: async () => 0, stop: () => cluster.stop() };
  const file = path.join(dir, 'empty.db');
  const ctl: Measured[] = [];
  const tui: Measured[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? ['ctl', 'tui'] : ['tui', 'ctl'];
      for (const t of order) {
        if (t === 'ctl') ctl.push(await etcdctlSave(member, file));
        else tui.push(await tuiSave(member, file, audit));
        rm(file);
      }
    }
  } finally {
    await member.stop();
  }
  const first = median(tui.map((m) => m.phases?.['snapshot-first-chunk'] ?? NaN));
  const boot = median(tui.map((m) => m.phases?.['bundle-start'] ?? NaN));
  console.log(`\n== fixed cost: a save from an empty member (${(tui[0].fileBytes / 1024).toFixed(0)} KiB), median of ${rounds}`);
  console.log(`  etcdctl snapshot save   ${median(ctl.map((m) => m.wallMs)).toFixed(0).padStart(5)} ms, CPU ${median(ctl.map((m) => m.cpuMs)).toFixed(0)} ms`);
  console.log(`  etcd-tui snapshot save  ${median(tui.map((m) => m.wallMs)).toFixed(0).padStart(5)} ms, CPU ${median(tui.map((m) => m.cpuMs)).toFixed(0)} ms (Node started, bundle loading at ${boot.toFixed(0)} ms; first byte at ${first.toFixed(0)} ms)`);
  console.log(`  (at 300 MB the stream takes about a second: this difference is most of the gap there)`);
}

/** Peak RSS of `etcd-tui status` against the member: Node, the bundle and connected gRPC clients, no snapshot. */
async function baselineRss(member: Member): Promise<number> {
  const r = await measure([BIN, 'status', '--endpoints', member.endpoint], tuiEnv());
  return r.peakRssKb;
}

function rm(file: string): void {
  for (const f of [file, `${file}.json`, `${file}.part`]) fs.rmSync(f, { force: true });
}

function row(m: Measured): string {
  const mbps = m.fileBytes / MiB / (m.wallMs / 1000);
  return `${m.tool.padEnd(26)} ${(m.fileBytes / MiB).toFixed(0).padStart(7)} MiB ${(m.wallMs / 1000).toFixed(2).padStart(7)} s ${(m.cpuMs / 1000).toFixed(2).padStart(6)} s CPU ${mbps.toFixed(0).padStart(6)} MiB/s ${(m.peakRssKb / 1024).toFixed(0).padStart(6)} MiB RSS${m.detail ? `   (${m.detail})` : ''}`;
}

/** Sizes measured, in order (the DB only grows): BENCH_SNAPSHOT_SIZES_MB, default 300 MB and 1 GiB. */
const SIZES = (process.env.BENCH_SNAPSHOT_SIZES_MB ?? `300,${(TARGET / 1e6).toFixed(0)}`).split(',').map((mb) => Math.round(Number(mb) * 1e6));
const TARGET_RSS_MB = 100;

function summary(results: Measured[], tools: string[]): void {
  const mids: Record<string, Measured> = {};
  for (const tool of tools) {
    const runs = results.filter((r) => r.tool === tool).sort((a, b) => a.wallMs - b.wallMs);
    const mid = runs[Math.floor((runs.length - 1) / 2)];
    mids[tool] = mid;
    console.log(`  ${row(mid)}`);
  }
  const ctl = mids['etcdctl snapshot save'];
  for (const tool of tools.filter((t) => t !== 'etcdctl snapshot save')) {
    const m = mids[tool];
    const peak = Math.max(...results.filter((r) => r.tool === tool).map((r) => r.peakRssKb)) / 1024;
    const cpu = [...results.filter((r) => r.tool === tool).map((r) => r.cpuMs)].sort((a, b) => a - b);
    console.log(`  ${tool}: ${(ctl.wallMs / m.wallMs).toFixed(2)}x etcdctl's speed (target >= 1.00x), CPU ${(cpu[Math.floor((cpu.length - 1) / 2)] / 1000).toFixed(2)} s (etcdctl ${(ctl.cpuMs / 1000).toFixed(2)} s), peak RSS ${peak.toFixed(0)} MiB (target <= ${TARGET_RSS_MB} MB; etcdctl ${(ctl.peakRssKb / 1024).toFixed(0)} MiB)`);
  }
}

const GRPCJS = process.env.BENCH_SNAPSHOT_GRPCJS !== '0';
const DATA_DIR = process.env.BENCH_SNAPSHOT_DATA_DIR;

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-snapbench-'));
  const free = fs.statfsSync(dir).bavail * fs.statfsSync(dir).bsize;
  // The member holds the DB and its WAL (each value passes through both), plus two snapshot files.
  const cap = Math.floor(free / 5);
  console.log(`etcd-tui: ${BIN}${COMPARE ? `; compare: ${COMPARE}` : ''}${DATA_DIR ? `; member data dir kept in ${DATA_DIR}` : ''}`);
  console.log(`free space in ${os.tmpdir()}: ${(free / GiB).toFixed(1)} GiB; sizes ${SIZES.map((b) => `${(Math.min(b, cap) / 1e6).toFixed(0)} MB`).join(', ')}; ${os.cpus().length} CPUs; load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${TIME ? '/usr/bin/time' : 'VmHWM polling'} for peak RSS`);
  const member = DATA_DIR ? await keptMember(DATA_DIR) : await freshMember();
  const audit = path.join(dir, 'audit.jsonl');
  const file = path.join(dir, 'bench.db');
  const tools = ['etcdctl snapshot save', 'etcd-tui snapshot save', ...(GRPCJS ? ['etcd-tui, grpc-js stream'] : []), ...(COMPARE ? ['compare snapshot save'] : [])];
  try {
    const t0 = Date.now();
    const deadline = t0 + FILL_SECONDS * 1000;
    let next = DATA_DIR ? await countValues(member) : 0;
    for (const target of SIZES.map((b) => Math.min(b, cap))) {
      next = await fill(member, target, deadline, next);
      const size = await member.dbSize();
      const fillSeconds = (Date.now() - t0) / 1000;
      console.log(`\n== DB ${(size / 1e6).toFixed(0)} MB (${next} values of 256 KiB, filled by ${fillSeconds.toFixed(0)} s)${size < target ? ` — stopped at the ${FILL_SECONDS} s bound, below the target` : ''}${DATA_DIR && size > target * 1.1 ? ' — the kept data dir is larger than this size' : ''}`);
      const results: Measured[] = [];
      type Saver = (m: Member, f: string, a: string) => Promise<Measured>;
      const savers: Saver[] = [
        etcdctlSave,
        (m, f, a) => tuiSave(m, f, a, BIN, 'etcd-tui snapshot save'),
        ...(GRPCJS ? [(m: Member, f: string, a: string) => tuiSave(m, f, a, BIN, 'etcd-tui, grpc-js stream', { ETCD_TUI_SNAPSHOT_CLIENT: 'grpc-js' })] : []),
        ...(COMPARE ? [(m: Member, f: string, a: string) => tuiSave(m, f, a, COMPARE, 'compare snapshot save')] : []),
      ];
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate the order, so neither tool always reads a cache the other warmed.
        const order = round % 2 === 0 ? savers : [...savers].reverse();
        for (const save of order) {
          const m = await save(member, file, audit);
          m.dbBytes = size;
          results.push(m);
          console.log(`round ${round + 1}: ${row(m)}`);
          const phases = phaseText(m);
          if (phases) console.log(`         ${phases}`);
          rm(file);
        }
      }
      const base = await baselineRss(member);
      console.log('summary (median of the rounds; of two, the faster):');
      summary(results, tools);
      console.log(`  before the first byte: \`etcd-tui status\` against this member peaks at ${(base / 1024).toFixed(0)} MiB (Node, the bundle, gRPC clients)`);
    }
    await fixedCost(dir, audit);
  } finally {
    await member.stop();
    await stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
