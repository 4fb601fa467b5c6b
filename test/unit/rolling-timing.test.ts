/**
 * The rolling engine's waits (src/run/rolling-actions.ts): how soon a gate or a wait looks again
 * (pollDelay, pure), and pollFor driven by the first success, bounded by its deadline on the run's
 * clock (a fake clock here: no test waits for real seconds).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pollDelay, pollFor, ROLLING_HANDLERS } from '../../src/run/rolling-actions.js';
import { StepError } from '../../src/domain/errors.js';
import type { ExecutorDeps } from '../../src/run/types.js';
import type { RollingAction, RunEvent } from '../../src/domain/plan.js';
import { applyRefreshes, emptyView, type Refresh, type ClusterView } from '../../src/health/view.js';
import { DEFAULT_HEALTH_OPTIONS, type Member, type Probe } from '../../src/domain/types.js';
import { member, up, status, hostSpec, IDS } from '../fakes/fixtures.js';

test('pollDelay: 25 ms first, doubling, never above the run interval, never below 1 ms', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 50].map((a) => pollDelay(a, 200)), [25, 50, 100, 200, 200, 200, 200]);
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((a) => pollDelay(a, 500)), [25, 50, 100, 200, 400, 500]);
  assert.equal(pollDelay(0, 10), 10, 'an interval shorter than the first wait wins');
  assert.equal(pollDelay(1e9, 200), 200, 'a long wait does not overflow');
  assert.equal(pollDelay(0, 0), 1);
});

/** Deps with a fake clock (the looks move it), a 1 ms run interval, events recorded. */
function fakeDeps(): { deps: ExecutorDeps; events: RunEvent[]; clock: { t: number } } {
  const clock = { t: 1_000_000 };
  const events: RunEvent[] = [];
  const deps = { now: () => clock.t, pollMs: 1, onEvent: (e: RunEvent) => events.push(e), signal: new AbortController().signal } as unknown as ExecutorDeps;
  return { deps, events, clock };
}

test('pollFor: the first success ends the wait at once, with no progress said', async () => {
  const { deps, events } = fakeDeps();
  let looks = 0;
  const got = await pollFor(deps, 10_000, () => 'never', async () => (++looks, 'back'), 3, () => 'waiting');
  assert.equal(got, 'back');
  assert.equal(looks, 1);
  assert.deepEqual(events, []);
});

test('pollFor: looks again until a look succeeds, saying the progress between looks', async () => {
  const { deps, events } = fakeDeps();
  let looks = 0;
  const got = await pollFor(deps, 10_000, () => 'never', async () => (++looks >= 4 ? looks : undefined), 7, () => `look ${looks}`);
  assert.equal(got, 4);
  assert.deepEqual(events.map((e) => ('text' in e ? e.text : '')), ['look 1', 'look 2', 'look 3']);
  assert.ok(events.every((e) => e.type === 'progress' && e.index === 7));
});

test('pollFor: past its deadline on the run clock, a StepError saying why (and the look at the deadline still counts)', async () => {
  const { deps, clock } = fakeDeps();
  let looks = 0;
  await assert.rejects(
    pollFor(deps, 2_500, () => `not back after ${looks} looks`, async () => {
      looks++;
      clock.t += 1_000;
      return undefined;
    }, 0),
    (e: unknown) => e instanceof StepError && e.message === 'not back after 3 looks',
  );
  // A look that succeeds right at the deadline wins over the timeout.
  let late = 0;
  const got = await pollFor(deps, 2_000, () => 'timed out', async () => {
    clock.t += 1_000;
    return ++late === 2 ? 'just in time' : undefined;
  }, 0);
  assert.equal(got, 'just in time');
});

test('pollFor: an abort ends the wait between looks', async () => {
  const ac = new AbortController();
  const deps = { now: Date.now, pollMs: 60_000, onEvent: () => undefined, signal: ac.signal } as unknown as ExecutorDeps;
  let looks = 0;
  const waiting = pollFor(deps, 600_000, () => 'never', async () => {
    if (++looks === 2) ac.abort();
    return undefined;
  }, 0);
  await assert.rejects(waiting, (e: unknown) => e instanceof Error && e.name === 'AbortedError');
  assert.equal(looks, 2);
});

// ---- the wait until a member is back: the member's status and the cluster's view read side by side ----

const three = [member('m1'), member('m2'), member('m3')];
const healthy = viewOf(three, { [IDS.m1]: up({ memberId: IDS.m1 }), [IDS.m2]: up({ memberId: IDS.m2 }), [IDS.m3]: up({ memberId: IDS.m3 }) });

function viewOf(members: Member[], probes: Record<string, Probe>): ClusterView {
  const batch: Refresh[] = [{ type: 'membership', at: 1000, result: { ok: true, clusterId: '7', members } }, ...Object.entries(probes).map(([id, probe]): Refresh => ({ type: 'probe', at: 1000, memberId: id, probe }))];
  return applyRefreshes(emptyView(DEFAULT_HEALTH_OPTIONS, 1000), batch, DEFAULT_HEALTH_OPTIONS);
}

/** Deps for wait-member-back: m2's status fails `failures` times (the cluster read fails with it), then answers. */
function backDeps(failures: number, version = '3.4.23') {
  const calls = { status: 0, observe: 0, inFlight: 0, maxInFlight: 0 };
  const events: RunEvent[] = [];
  const clock = { t: 5_000_000 };
  const track = async <T>(fn: () => T): Promise<T> => {
    calls.inFlight++;
    calls.maxInFlight = Math.max(calls.maxInFlight, calls.inFlight);
    await new Promise((r) => setImmediate(r));
    calls.inFlight--;
    return fn();
  };
  const deps = {
    now: () => clock.t,
    pollMs: 1,
    signal: new AbortController().signal,
    onEvent: (e: RunEvent) => events.push(e),
    hosts: { spec: (name: string) => hostSpec(name, '10.0.0.2'), settings: { tls: false }, connection: () => Promise.reject(new Error('no SSH here')) },
    gateway: {
      status: (url: string) =>
        track(() => {
          calls.status++;
          assert.equal(url, 'http://10.0.0.2:2379');
          if (calls.status <= failures) throw new Error('connect ECONNREFUSED 10.0.0.2:2379');
          return status({ memberId: IDS.m2, version });
        }),
    },
    observe: () =>
      track(() => {
        calls.observe++;
        if (calls.observe <= failures) throw new Error('the cluster read failed too');
        return healthy;
      }),
  } as unknown as ExecutorDeps;
  return { deps, calls, events, clock };
}

const backAction = (extra: Partial<Extract<RollingAction, { kind: 'wait-member-back' }>> = {}) => ({ kind: 'wait-member-back' as const, host: 'h2', memberId: IDS.m2, name: 'm2', gapThreshold: 50, timeoutMs: 60_000, ...extra });

test('wait until back: status and cluster read in parallel each look; failures of both are said, never unhandled', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const { deps, calls, events } = backDeps(2);
    const said = await ROLLING_HANDLERS['wait-member-back'](backAction(), 4, deps, {} as never);
    assert.match(String(said), /^m2 is back on 3\.4\.23, caught up, the cluster healthy/);
    assert.equal(calls.status, 3);
    assert.equal(calls.observe, 3, 'one cluster read a look, started with the status call');
    assert.equal(calls.maxInFlight, 2, 'the two reads overlap');
    assert.deepEqual(events.map((e) => ('text' in e ? e.text : '')), ['connect ECONNREFUSED 10.0.0.2:2379', 'connect ECONNREFUSED 10.0.0.2:2379']);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('wait until back: a member on the wrong version is not back; at the deadline the failure says what it runs', async () => {
  const { deps, clock } = backDeps(0, '3.4.23');
  const slow = deps.gateway.status.bind(deps.gateway);
  (deps.gateway as { status: typeof slow }).status = async (url: string) => {
    clock.t += 20_000;
    return slow(url);
  };
  await assert.rejects(ROLLING_HANDLERS['wait-member-back'](backAction({ expectVersion: '3.5.16' }), 0, deps, {} as never), (e: unknown) => e instanceof StepError && /m2 did not come back within 1m0s: it runs 3\.4\.23, not 3\.5\.16/.test(e.message));
});
