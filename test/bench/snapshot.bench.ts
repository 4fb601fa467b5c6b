/**
 * Benchmark (not a test: it prints figures and gates nothing). One etcd 3.4 member filled with large
 * values up to BENCH_SNAPSHOT_GIB (default 1 GiB, less when the disk is short or filling passes
 * BENCH_FILL_SECONDS, default 180 s), then, in one run, alternately:
 *   etcdctl snapshot save FILE   vs   etcd-tui snapshot save FILE (sha256 while streaming, fsync,
 *   bbolt read-back, sidecar)
 * each BENCH_ROUNDS times (default 2): wall time, throughput (file size / wall time) and peak RSS of
 * the process (/usr/bin/time -f %M, else VmHWM polled from /proc). To show that memory does not grow
 * with the snapshot, etcd-tui also saves once when the DB is still small (~64 MiB).
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

async function tuiSave(cluster: TestCluster, file: string, audit: string): Promise<Measured> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCDCTL_')));
  const r = await measure([process.execPath, BIN, 'snapshot', 'save', file, '--endpoints', cluster.endpoints[0], '--audit-log', audit], { ...env, XDG_CONFIG_HOME: '/nonexistent' });
  if (r.code !== 0) throw new Error(`etcd-tui snapshot save failed (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  const detail = /\[1\/1\] ok: (.*)$/m.exec(r.stdout)?.[1];
  return { tool: 'etcd-tui snapshot save', dbBytes: 0, fileBytes: fs.statSync(file).size, wallMs: r.wallMs, peakRssKb: r.peakRssKb, detail };
}

function rm(file: string): void {
  for (const f of [file, `${file}.json`, `${file}.part`]) fs.rmSync(f, { force: true });
}

function row(m: Measured): string {
  const mbps = m.fileBytes / MiB / (m.wallMs / 1000);
  return `${m.tool.padEnd(24)} ${(m.fileBytes / MiB).toFixed(0).padStart(7)} MiB ${(m.wallMs / 1000).toFixed(2).padStart(7)} s ${mbps.toFixed(0).padStart(6)} MiB/s ${(m.peakRssKb / 1024).toFixed(0).padStart(6)} MiB RSS${m.detail ? `   (${m.detail})` : ''}`;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-snapbench-'));
  const free = fs.statfsSync(dir).bavail * fs.statfsSync(dir).bsize;
  // The member holds the DB and its WAL (each value passes through both), plus two snapshot files.
  const target = Math.min(TARGET, Math.floor(free / 5));
  console.log(`etcd-tui: ${BIN}`);
  console.log(`free space in ${os.tmpdir()}: ${(free / GiB).toFixed(1)} GiB; target DB ${(target / GiB).toFixed(2)} GiB; ${os.cpus().length} CPUs; ${TIME ? '/usr/bin/time -f %M' : 'VmHWM polling'} for peak RSS`);
  const cluster = await startCluster({ members: 1, version: '3.4', quotaBytes: 8 * GiB, extraArgs: ['--snapshot-count', '1000000'] });
  const audit = path.join(dir, 'audit.jsonl');
  const file = path.join(dir, 'bench.db');
  const results: Measured[] = [];
  try {
    const t0 = Date.now();
    const deadline = t0 + FILL_SECONDS * 1000;
    let next = await fill(cluster, 64 * MiB, deadline, 0);
    let size = await dbSize(cluster);
    const small = await tuiSave(cluster, file, audit);
    small.dbBytes = size;
    rm(file);
    console.log(`small DB (${(size / MiB).toFixed(0)} MiB): ${row(small)}`);
    next = await fill(cluster, target, deadline, next);
    size = await dbSize(cluster);
    const fillSeconds = (Date.now() - t0) / 1000;
    console.log(`filled ${next} values of 256 KiB: DB ${(size / GiB).toFixed(2)} GiB in ${fillSeconds.toFixed(0)} s (${(size / MiB / fillSeconds).toFixed(0)} MiB/s)${size < target ? ` — stopped at the ${FILL_SECONDS} s bound, below the target` : ''}`);
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate the order, so neither tool always reads a cache the other warmed.
      const order = round % 2 === 0 ? [etcdctlSave, tuiSave] : [tuiSave, etcdctlSave];
      for (const save of order) {
        const m = await save(cluster, file, audit);
        m.dbBytes = size;
        results.push(m);
        console.log(`round ${round + 1}: ${row(m)}`);
        rm(file);
      }
    }
    console.log('\nsummary (median of the rounds; of two, the faster):');
    for (const tool of ['etcdctl snapshot save', 'etcd-tui snapshot save']) {
      const runs = results.filter((r) => r.tool === tool).sort((a, b) => a.wallMs - b.wallMs);
      const mid = runs[Math.floor((runs.length - 1) / 2)];
      console.log(`  ${row(mid)}`);
    }
    const tuiPeak = Math.max(...results.filter((r) => r.tool.startsWith('etcd-tui')).map((r) => r.peakRssKb));
    console.log(`  etcd-tui peak RSS: ${(small.peakRssKb / 1024).toFixed(0)} MiB at ${(small.fileBytes / MiB).toFixed(0)} MiB vs ${(tuiPeak / 1024).toFixed(0)} MiB at ${(size / MiB).toFixed(0)} MiB`);
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
