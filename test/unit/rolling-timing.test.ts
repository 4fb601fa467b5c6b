/**
 * The rolling engine's waits (src/run/rolling-actions.ts): how soon a gate or a wait looks again
 * (pollDelay, pure), and pollFor driven by the first success, bounded by its deadline on the run's
 * clock (a fake clock here: no test waits for real seconds).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pollDelay, pollFor } from '../../src/run/rolling-actions.js';
import { StepError } from '../../src/domain/errors.js';
import type { ExecutorDeps } from '../../src/run/types.js';
import type { RunEvent } from '../../src/domain/plan.js';

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
