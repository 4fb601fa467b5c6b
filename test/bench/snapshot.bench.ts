/**
 * Benchmark (not a test: it prints figures and gates nothing). One etcd 3.4 member filled with large
 * values to 300 MB, then to BENCH_SNAPSHOT_GIB (default 1 GiB; BENCH_SNAPSHOT_SIZES_MB=300,1074 to
 * choose; less when the disk is short or filling passes BENCH_FILL_SECONDS, default 180 s); at each
 * size, in one run, alternately:
 *   etcdctl snapshot save FILE   vs   etcd-tui snapshot save FILE (sha256 while streaming, fsync,
 *   bbolt read-back, sidecar)   [vs BENCH_COMPARE_BIN snapshot save: another build, side by side]
 * each BENCH_ROUNDS times (default 2): wall time, throughput (file size / wall time) and peak RSS of
 * the process (/usr/bin/time -f %M, else VmHWM polled from /proc), with the targets beside them
 * (at least etcdctl's speed, peak RSS <= 100 MB).
 *
 *   npm run build && node dist/test/bench/snapshot.bench.js
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { repoRoot } from '../harness/binaries.js';
import { stopAll } from '../harness/registry.js';

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

interface Measured {
  tool: string;
  dbBytes: number;
  fileBytes: number;
  wallMs: number;
  peakRssKb: number;
  /** etcd-tui's own line: stream + verify time and rate. */
  detail?: string;
}

/** Runs argv, returns wall time and peak RSS of that process. */
function measure(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; wallMs: number; peakRssKb: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const cmd = TIME ? TIME : argv[0];
    const args = TIME ? ['-f', 'PEAK_RSS_KB=%M', ...argv] : argv.slice(1);
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
      resolve({ code: code ?? -1, wallMs, peakRssKb: m ? Number(m[1]) : hwm, stdout, stderr });
    });
  });
}

async function dbSize(cluster: TestCluster): Promise<number> {
  return (await cluster.endpointStatus('m1')).Status.dbSize ?? 0;
}

/** Puts 256 KiB values, 16 at a time, until the DB reaches `bytes` or the time is up. */
async function fill(cluster: TestCluster, bytes: number, deadline: number, start: number): Promise<number> {
  const c = new Etcd3({ hosts: cluster.endpoints, faultHandling: { host: () => noop, global: noop }, defaultCallOptions: () => ({ deadline: Date.now() + 60_000 }) });
  const value = Buffer.alloc(VALUE_BYTES);
  let next = start;
  try {
    const batch = Math.ceil((64 * MiB) / VALUE_BYTES);
    while ((await dbSize(cluster)) < bytes && Date.now() < deadline) {
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

async function etcdctlSave(cluster: TestCluster, file: string): Promise<Measured> {
  const r = await measure([cluster.binaries.etcdctl, `--endpoints=${cluster.endpoints[0]}`, 'snapshot', 'save', file], { ...process.env, ETCDCTL_API: '3' });
  if (r.code !== 0) throw new Error(`etcdctl snapshot save failed: ${r.stderr}`);
  return { tool: 'etcdctl snapshot save', dbBytes: 0, fileBytes: fs.statSync(file).size, wallMs: r.wallMs, peakRssKb: r.peakRssKb };
}

async function tuiSave(cluster: TestCluster, file: string, audit: string, bin = BIN, tool = 'etcd-tui snapshot save'): Promise<Measured> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCDCTL_')));
  const r = await measure([bin, 'snapshot', 'save', file, '--endpoints', cluster.endpoints[0], '--audit-log', audit], { ...env, XDG_CONFIG_HOME: '/nonexistent' });
  if (r.code !== 0) throw new Error(`etcd-tui snapshot save failed (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  const detail = /\[1\/1\] ok: (.*)$/m.exec(r.stdout)?.[1];
  return { tool, dbBytes: 0, fileBytes: fs.statSync(file).size, wallMs: r.wallMs, peakRssKb: r.peakRssKb, detail };
}

function rm(file: string): void {
  for (const f of [file, `${file}.json`, `${file}.part`]) fs.rmSync(f, { force: true });
}

function row(m: Measured): string {
  const mbps = m.fileBytes / MiB / (m.wallMs / 1000);
  return `${m.tool.padEnd(24)} ${(m.fileBytes / MiB).toFixed(0).padStart(7)} MiB ${(m.wallMs / 1000).toFixed(2).padStart(7)} s ${mbps.toFixed(0).padStart(6)} MiB/s ${(m.peakRssKb / 1024).toFixed(0).padStart(6)} MiB RSS${m.detail ? `   (${m.detail})` : ''}`;
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
    console.log(`  ${tool}: ${(ctl.wallMs / m.wallMs).toFixed(2)}x etcdctl's speed (target >= 1.00x), peak RSS ${peak.toFixed(0)} MiB (target <= ${TARGET_RSS_MB} MB; etcdctl ${(ctl.peakRssKb / 1024).toFixed(0)} MiB)`);
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-snapbench-'));
  const free = fs.statfsSync(dir).bavail * fs.statfsSync(dir).bsize;
  // The member holds the DB and its WAL (each value passes through both), plus two snapshot files.
  const cap = Math.floor(free / 5);
  console.log(`etcd-tui: ${BIN}${COMPARE ? `; compare: ${COMPARE}` : ''}`);
  console.log(`free space in ${os.tmpdir()}: ${(free / GiB).toFixed(1)} GiB; sizes ${SIZES.map((b) => `${(Math.min(b, cap) / 1e6).toFixed(0)} MB`).join(', ')}; ${os.cpus().length} CPUs; ${TIME ? '/usr/bin/time -f %M' : 'VmHWM polling'} for peak RSS`);
  const cluster = await startCluster({ members: 1, version: '3.4', quotaBytes: 8 * GiB, extraArgs: ['--snapshot-count', '1000000'] });
  const audit = path.join(dir, 'audit.jsonl');
  const file = path.join(dir, 'bench.db');
  const tools = ['etcdctl snapshot save', 'etcd-tui snapshot save', ...(COMPARE ? ['compare snapshot save'] : [])];
  try {
    const t0 = Date.now();
    const deadline = t0 + FILL_SECONDS * 1000;
    let next = 0;
    for (const target of SIZES.map((b) => Math.min(b, cap))) {
      next = await fill(cluster, target, deadline, next);
      const size = await dbSize(cluster);
      const fillSeconds = (Date.now() - t0) / 1000;
      console.log(`\n== DB ${(size / 1e6).toFixed(0)} MB (${next} values of 256 KiB, filled by ${fillSeconds.toFixed(0)} s)${size < target ? ` — stopped at the ${FILL_SECONDS} s bound, below the target` : ''}`);
      const results: Measured[] = [];
      const savers: Array<(c: TestCluster, f: string, a: string) => Promise<Measured>> = [etcdctlSave, (c, f, a) => tuiSave(c, f, a, BIN, 'etcd-tui snapshot save'), ...(COMPARE ? [(c: TestCluster, f: string, a: string) => tuiSave(c, f, a, COMPARE, 'compare snapshot save')] : [])];
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate the order, so neither tool always reads a cache the other warmed.
        const order = round % 2 === 0 ? savers : [...savers].reverse();
        for (const save of order) {
          const m = await save(cluster, file, audit);
          m.dbBytes = size;
          results.push(m);
          console.log(`round ${round + 1}: ${row(m)}`);
          rm(file);
        }
      }
      console.log('summary (median of the rounds; of two, the faster):');
      summary(results, tools);
    }
  } finally {
    await cluster.stop();
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
