import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { pollUntil, sleep } from '../../src/run/wait.js';
import { AbortedError, StepError, errorMessage } from '../../src/domain/errors.js';
import { runRemoteAction, type HostAccess } from '../../src/run/remote-actions.js';
import type { ClusterGateway } from '../../src/cluster/gateway.js';
import type { HostConnection } from '../../src/hosts/gateway.js';

/** Collect the process warnings emitted while `run` runs (and one macrotask after). */
async function warningsDuring(run: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (w: Error) => seen.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  try {
    await run().catch(() => undefined);
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

test('sleep leaves no abort listener behind, and an abort ends it with AbortedError', async () => {
  const controller = new AbortController();
  for (let i = 0; i < 30; i++) await sleep(1, controller.signal);
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  const pending = sleep(60_000, controller.signal);
  controller.abort();
  await assert.rejects(pending, AbortedError);
  await assert.rejects(sleep(1, controller.signal), AbortedError);
});

test('pollUntil returns the first value, fails with StepError at the deadline, and leaves no listener', async () => {
  const controller = new AbortController();
  let n = 0;
  assert.equal(await pollUntil(async () => (++n >= 20 ? n : undefined), { timeoutMs: 10_000, intervalMs: 1, signal: controller.signal, what: () => 'never' }), 20);
  await assert.rejects(pollUntil(async () => undefined, { timeoutMs: 30, intervalMs: 1, signal: controller.signal, what: () => `gave up after ${n}` }), (e: unknown) => e instanceof StepError && /gave up/.test(e.message));
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
});

test('errorMessage gives the one line of anything thrown', () => {
  assert.equal(errorMessage(new Error('boom')), 'boom');
  assert.equal(errorMessage('text'), 'text');
});

test('a long new-cluster wait polls without MaxListenersExceededWarning (no listener piles up on the signal)', async () => {
  const controller = new AbortController();
  // Every host is down (refused), its service active: the wait polls until its deadline.
  const gateway = {
    status: async () => {
      throw new Error('connect ECONNREFUSED');
    },
    memberList: async () => {
      throw new Error('unused');
    },
  } as unknown as ClusterGateway;
  const conn = { run: async (argv: string[]) => ({ argv, code: 0, stdout: argv[1] === 'is-active' ? 'active\n' : '', stderr: '', durationMs: 1 }) } as unknown as HostConnection;
  const hosts = {
    spec: (name: string) => ({ name, etcdAddress: '10.9.9.1', clientPort: 2379, unitName: 'etcd', ssh: {} }),
    settings: { clientPort: 2379, peerPort: 2380, tls: false },
    connection: async () => conn,
  } as unknown as HostAccess;
  let polls = 0;
  const counting = { ...gateway, status: async () => (polls++, gateway.status('')) } as unknown as ClusterGateway;
  const warnings = await warningsDuring(async () => {
    await assert.rejects(
      runRemoteAction({ kind: 'wait-cluster-formed', hosts: ['h1'], members: 1, timeoutMs: 400 }, 0, { gateway: counting, hosts, onEvent: () => undefined, signal: controller.signal, pollMs: 2 }, () => undefined),
      /did not form within/,
    );
  });
  assert.ok(polls > 15, `the wait polled ${polls} times (more than the 10 listeners Node warns at)`);
  assert.deepEqual(warnings.filter((w) => /MaxListeners/.test(w)), []);
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
});
