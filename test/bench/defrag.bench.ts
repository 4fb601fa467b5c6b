/**
 * Benchmark (not a test: it prints figures and gates nothing). On a real 3-member etcd 3.4 cluster
 * with a fragmented DB of a few hundred MB: a rolling defrag through the executor (the same plan and
 * gates as `etcd-tui defrag --all`) against the sum of the members' own defragment calls, timed at the
 * gateway. Target: the gates (status rounds before and after each member) add under 10 %.
 *
 *   npx tsc -p tsconfig.json && node dist/test/bench/defrag.bench.js
 *
 * BENCH_DEFRAG_LIVE_MIB (default 64) and BENCH_DEFRAG_DROP_MIB (default 320) size the DB;
 * BENCH_DEFRAG_ROUNDS (default 2) runs the fragment + defrag cycle that often (the second with --move-leader).
 */
import { Etcd3 } from 'etcd3';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { stopAll } from '../harness/registry.js';
import { EtcdGateway } from '../../src/cluster/etcd-gateway.js';
import { deadlinesFor } from '../../src/cli/deadlines.js';
import { collectStatus } from '../../src/monitor/observe.js';
import { runPlan } from '../../src/run/executor.js';
import { planDefrag } from '../../src/plans/maintenance.js';
import { DEFAULT_HEALTH_OPTIONS } from '../../src/domain/types.js';
import type { ConnectionSettings } from '../../src/domain/config.js';
import type { ClusterGateway } from '../../src/cluster/gateway.js';
import type { RunEvent } from '../../src/domain/plan.js';
import { formatBytes } from '../../src/format/units.js';

const MiB = 2 ** 20;
const LIVE_MIB = Number(process.env.BENCH_DEFRAG_LIVE_MIB ?? 64);
const DROP_MIB = Number(process.env.BENCH_DEFRAG_DROP_MIB ?? 320);
const ROUNDS = Number(process.env.BENCH_DEFRAG_ROUNDS ?? 2);

const ms = (x: number) => `${x.toFixed(0)} ms`;

/** Write `live` MiB that stay and `drop` MiB that are deleted, then compact: the deleted pages become free space. */
async function fragment(cluster: TestCluster, round: number): Promise<number> {
  const c = new Etcd3({ hosts: cluster.liveEndpoints() });
  const t0 = performance.now();
  try {
    const value = Buffer.alloc(16 * 1024, 'b');
    const write = async (prefix: string, mib: number) => {
      const count = Math.ceil((mib * MiB) / value.length);
      let next = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < count) await c.put(`${prefix}/${next++}`).value(value);
        }),
      );
    };
    await c.delete().prefix('live/');
    await write('live', LIVE_MIB);
    await write(`drop${round}`, DROP_MIB);
    await c.delete().prefix(`drop${round}/`);
    const rev = Number((await c.get('live/0').exec()).header.revision);
    await c.kv.compact({ revision: rev, physical: true });
  } finally {
    c.close();
  }
  return performance.now() - t0;
}

/** The gateway with each defragment call timed. */
function timedGateway(inner: EtcdGateway, calls: Array<{ url: string; ms: number }>): ClusterGateway {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'defragment') {
        return async (url: string, timeoutMs: number) => {
          const t = performance.now();
          try {
            return await target.defragment(url, timeoutMs);
          } finally {
            calls.push({ url, ms: performance.now() - t });
          }
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function round(cluster: TestCluster, n: number, moveLeader: boolean): Promise<void> {
  const fillMs = await fragment(cluster, n);
  const settings: ConnectionSettings = { contextName: 'bench', endpoints: cluster.endpoints, tls: {}, dialTimeoutMs: 2000, commandTimeoutMs: 60_000, refreshMs: 1000, readOnly: false };
  const gateway = new EtcdGateway(settings, deadlinesFor(settings));
  try {
    const observe = (opts?: { alarms?: boolean }) => collectStatus(gateway, DEFAULT_HEALTH_OPTIONS, Date.now, opts);
    const view = await observe();
    const planned = planDefrag(view, { all: true, moveLeader, quotaBytes: DEFAULT_HEALTH_OPTIONS.quotaBytes, gapThreshold: 50, timeouts: { commandMs: 60_000, moveLeaderMs: 10_000 } });
    if (!planned.ok) throw new Error(planned.refusal);
    const plan = planned.plan;
    const sizes = plan.steps.map((s) => {
      if (s.action.kind !== 'defrag-member') return undefined;
      const p = view.probes[s.action.memberId];
      return p?.ok ? p.status : undefined;
    });
    const calls: Array<{ url: string; ms: number }> = [];
    const starts: Record<number, number> = {};
    const steps: Array<{ title: string; ms: number; detail?: string }> = [];
    const onEvent = (e: RunEvent) => {
      if (e.type === 'step-start') starts[e.index] = performance.now();
      if (e.type === 'step-done') steps.push({ title: plan.steps[e.index].title, ms: performance.now() - starts[e.index], detail: e.detail });
      if (e.type === 'step-failed') throw new Error(`${plan.steps[e.index].title}: ${e.error}`);
    };
    const t0 = performance.now();
    const result = await runPlan(plan, { gateway: timedGateway(gateway, calls), observe, onEvent, signal: new AbortController().signal });
    const total = performance.now() - t0;
    if (result.outcome !== 'succeeded') throw new Error(`run ${result.outcome}: ${result.error}`);
    const defragSum = calls.reduce((a, c) => a + c.ms, 0);
    const db = sizes.filter((s) => s !== undefined);
    console.log(`\nround ${n}${moveLeader ? ' (--move-leader)' : ''}: fragmented in ${ms(fillMs)}; DB before: ${db.map((s) => `${formatBytes(s.dbSize)} (${formatBytes(s.dbSizeInUse)} in use)`).join(', ')}`);
    for (const s of steps) console.log(`  ${s.title.padEnd(76)} ${ms(s.ms).padStart(9)}  ${s.detail ?? ''}`);
    console.log(`  defragment calls: ${calls.map((c) => ms(c.ms)).join(' + ')} = ${ms(defragSum)}`);
    console.log(`  rolling defrag total: ${ms(total)}; gates and leadership move: ${ms(total - defragSum)} = ${((100 * (total - defragSum)) / defragSum).toFixed(1)} % of the defrag time (target < 10 %)`);
  } finally {
    gateway.close();
  }
}

async function main(): Promise<void> {
  console.log(`defrag bench: 3 members of etcd 3.4 on loopback, ${LIVE_MIB} MiB live + ${DROP_MIB} MiB written and deleted per round, ${ROUNDS} round(s)`);
  const cluster = await startCluster({ members: 3, version: '3.4', quotaBytes: 8 * 2 ** 30, startTimeoutMs: 60_000 });
  try {
    for (let n = 1; n <= ROUNDS; n++) await round(cluster, n, n % 2 === 0);
  } finally {
    await cluster.stop();
  }
}

main().then(
  () => process.exit(0),
  async (error: unknown) => {
    console.error(error);
    await stopAll();
    process.exit(1);
  },
);
