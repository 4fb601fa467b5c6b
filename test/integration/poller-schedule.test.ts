/**
 * The poller's schedule (README, "How it is built") against a real etcd 3.4 cluster, counted at the
 * gateway: every call the poller makes goes through a counting wrapper around the real EtcdGateway.
 *  - status of every member every round; the member list every 5 s, or in the next rounds when a raft
 *    index moved (a write); the alarm list every 60 s (ALARM_EVERY_MS);
 *  - never two status calls at once for one member: a SIGSTOPped member is asked again only after its
 *    call has timed out, and the others keep being asked every round.
 * Each test starts its own cluster.
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../harness/cluster.js';
import { waitFor } from '../harness/wait.js';
import { EtcdGateway } from '../../src/cluster/etcd-gateway.js';
import type { ClusterGateway } from '../../src/cluster/gateway.js';
import { ALARM_EVERY_MS, Poller } from '../../src/monitor/poller.js';
import { deadlinesFor } from '../../src/cli/deadlines.js';
import { settingsFor } from './live.js';

interface Call {
  method: 'memberList' | 'status' | 'alarms';
  url?: string;
  start: number;
  end?: number;
}

/** The real gateway with memberList, status and alarms counted, and the most calls in flight per key. */
function counting(gateway: EtcdGateway): { gateway: ClusterGateway; calls: Call[]; maxInFlight: Map<string, number> } {
  const calls: Call[] = [];
  const inFlight = new Map<string, number>();
  const maxInFlight = new Map<string, number>();
  const counted = new Set(['memberList', 'status', 'alarms']);
  const wrapped = new Proxy(gateway, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (typeof prop !== 'string' || !counted.has(prop)) return fn.bind(target);
      return async (...args: unknown[]) => {
        const call: Call = { method: prop as Call['method'], url: prop === 'status' ? String(args[0]) : undefined, start: Date.now() };
        const key = call.url ? `status ${call.url}` : prop;
        calls.push(call);
        inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
        maxInFlight.set(key, Math.max(maxInFlight.get(key) ?? 0, inFlight.get(key)!));
        try {
          return await fn.apply(target, args);
        } finally {
          call.end = Date.now();
          inFlight.set(key, inFlight.get(key)! - 1);
        }
      };
    },
  });
  return { gateway: wrapped as unknown as ClusterGateway, calls, maxInFlight };
}

async function setup(t: TestContext, refreshMs: number) {
  const cluster = await startCluster({ members: 3, version: '3.4' });
  const settings = settingsFor(cluster, { refreshMs });
  const real = new EtcdGateway(settings, deadlinesFor(settings));
  const c = counting(real);
  const poller = new Poller(c.gateway, () => undefined, refreshMs);
  t.after(async () => {
    poller.stop();
    real.close();
    await cluster.stop();
  });
  return { cluster, settings, poller, ...c };
}

const count = (calls: Call[], method: Call['method'], from = 0, url?: string) => calls.filter((c) => c.method === method && c.start >= from && (url === undefined || c.url === url)).length;

describe('the poller against a real cluster, counted at the gateway', () => {
  test('idle: status every round, member list every 5 s, alarms every 60 s, at most one call per member at a time', async (t) => {
    const { cluster, poller, calls, maxInFlight } = await setup(t, 250);
    const t0 = Date.now();
    poller.start();
    const url = cluster.endpoints[0];
    // About 12 s of rounds: 48 status calls of one member at 250 ms.
    await waitFor(() => count(calls, 'status', t0, url) >= 48, { what: '48 rounds of status calls', timeoutMs: 60_000, intervalMs: 100 });
    const elapsed = Date.now() - t0;
    const lists = count(calls, 'memberList');
    const alarms = count(calls, 'alarms');
    t.diagnostic(`${elapsed} ms: ${count(calls, 'status')} status, ${lists} member lists, ${alarms} alarm lists`);
    // Alarms: at the start and every ALARM_EVERY_MS (60 s: members report alarms in their status).
    assert.ok(alarms >= 1 && alarms <= Math.ceil(elapsed / ALARM_EVERY_MS) + 1, `${alarms} alarm lists in ${elapsed} ms`);
    // Member list: at the start, every 5 s, and once after each alarm list (an alarm GET is a raft
    // entry: the index moves). Never every round.
    assert.ok(lists >= Math.floor(elapsed / 5000), `${lists} member lists in ${elapsed} ms`);
    assert.ok(lists <= Math.ceil(elapsed / 5000) + alarms + 1, `${lists} member lists in ${elapsed} ms with ${alarms} alarm lists`);
    for (const u of cluster.endpoints) {
      assert.ok(count(calls, 'status', t0, u) >= 24, `${u} is asked about every round`);
      assert.equal(maxInFlight.get(`status ${u}`), 1, `never two status calls at once for ${u}`);
    }
    assert.equal(maxInFlight.get('memberList'), 1);
    assert.equal(maxInFlight.get('alarms'), 1);
  });

  test('a write moves the raft index: the member list is read within a few rounds, not 5 s later', async (t) => {
    const { cluster, poller, calls } = await setup(t, 250);
    poller.start();
    let gap: number | undefined;
    for (let attempt = 0; attempt < 3 && gap === undefined; attempt++) {
      // Just after a member list: the next one is not due by the clock for 5 s.
      const before = count(calls, 'memberList');
      await waitFor(() => count(calls, 'memberList') > before, { what: 'a member list', timeoutMs: 15_000, intervalMs: 20 });
      // Let the rounds after it settle (the index they saw is the one at that list).
      await waitFor(() => count(calls, 'status', Date.now() - 600) >= 6, { what: 'two more rounds', timeoutMs: 10_000, intervalMs: 20 });
      const put = await cluster.etcdctl(['put', `/poller/${attempt}`, 'x']);
      assert.equal(put.code, 0, put.stderr);
      const wrote = Date.now();
      const list = await waitFor(() => calls.find((c) => c.method === 'memberList' && c.start >= wrote), { what: 'a member list after the write', timeoutMs: 10_000, intervalMs: 20 });
      // An alarm list in between also moves the index; measure again then.
      if (calls.some((c) => c.method === 'alarms' && c.start >= wrote - 1000 && c.start <= list.start)) continue;
      gap = list.start - wrote;
    }
    assert.ok(gap !== undefined, 'every attempt overlapped an alarm list');
    t.diagnostic(`member list ${gap} ms after the write`);
    assert.ok(gap < 2500, `the member list followed the write after ${gap} ms (the clock would have waited up to 5 s)`);
  });

  test('a SIGSTOPped member: its status calls never overlap (one per deadline), the others are asked every round', async (t) => {
    const { cluster, poller, calls, maxInFlight, settings } = await setup(t, 250);
    poller.start();
    const leader = await cluster.leaderName();
    const victim = cluster.members.find((m) => m.name !== leader)!;
    const other = cluster.members.find((m) => m.name !== leader && m.name !== victim.name)!;
    await waitFor(() => count(calls, 'status', 0, victim.clientURL) >= 4, { what: 'a few rounds', timeoutMs: 15_000, intervalMs: 20 });
    await cluster.pause(victim.name);
    const paused = Date.now();
    try {
      // About 6 s of rounds for the others.
      await waitFor(() => count(calls, 'status', paused, other.clientURL) >= 24, { what: '24 rounds while one member hangs', timeoutMs: 60_000, intervalMs: 50 });
    } finally {
      await cluster.resume(victim.name);
    }
    const elapsed = Date.now() - paused;
    const hung = count(calls, 'status', paused, victim.clientURL);
    const deadline = deadlinesFor(settings).statusMs;
    t.diagnostic(`${elapsed} ms paused: ${hung} status calls to ${victim.name} (deadline ${deadline} ms), ${count(calls, 'status', paused, other.clientURL)} to ${other.name}`);
    assert.equal(maxInFlight.get(`status ${victim.clientURL}`), 1, 'never two status calls at once for the hung member');
    assert.ok(hung <= Math.ceil(elapsed / deadline) + 1, `${hung} calls to the hung member in ${elapsed} ms: one per ${deadline} ms deadline at most`);
    const rounds = Math.floor(elapsed / 250);
    assert.ok(hung < rounds / 2, `the hung member is asked less often than every round (${hung} of ${rounds})`);
  });
});
