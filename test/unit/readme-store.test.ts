/**
 * README claim (src/store/store.ts): the store folds every batch into `latest` but publishes `view`
 * to the screens only when something a person can see changed (status latency by a factor of 3),
 * or when the published view is 30 s old (at each multiple of 30 s on the clock). Batches are built by hand so time and latency are exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAppStore } from '../../src/store/store.js';
import type { Refresh } from '../../src/health/view.js';
import { member, status, IDS } from '../fakes/fixtures.js';

const connection = { contextName: 'test', endpoints: ['http://127.0.0.1:2389'], readOnly: false, refreshMs: 1000, secure: false };
const MEMBERS = [member('m1'), member('m2'), member('m3')];

/** A full round at `at`: the member list, each member's status (leader, index) with the given latency, no alarms. */
function round(at: number, opts: { latencyMs?: number; leader?: string; raftIndex?: number } = {}): Refresh[] {
  return [
    { type: 'membership', at, result: { ok: true, clusterId: '14841639068965178418', members: MEMBERS } },
    ...MEMBERS.map(
      (m): Refresh => ({
        type: 'probe',
        at,
        memberId: m.id,
        probe: { ok: true, latencyMs: opts.latencyMs ?? 2, at, status: status({ memberId: m.id, leader: opts.leader ?? IDS.m1, raftIndex: opts.raftIndex ?? 100, raftAppliedIndex: opts.raftIndex ?? 100 }) },
      }),
    ),
    { type: 'alarms', at, result: { ok: true, alarms: [] } },
  ];
}

function watched() {
  // On a multiple of 30 s: the view is republished at each multiple of 30 s on the clock.
  let t = 1_020_000;
  const store = createAppStore({ connection, now: () => t });
  let published = 0;
  let folded = 0;
  store.subscribe((s, prev) => {
    if (s.view !== prev.view) published++;
    if (s.latest !== prev.latest) folded++;
  });
  return { store, counts: () => ({ published, folded }), at: (ms: number) => (t = 1_020_000 + ms) };
}

test('the same picture again is folded into latest but not published; latency within its bucket is noise', () => {
  const w = watched();
  w.store.getState().applyBatch(round(w.at(0), { latencyMs: 2 }));
  assert.deepEqual(w.counts(), { published: 1, folded: 1 });
  const first = w.store.getState().view;
  for (let i = 1; i <= 10; i++) w.store.getState().applyBatch(round(w.at(i * 1000), { latencyMs: 2 + (i % 7) }));
  assert.equal(w.counts().published, 1, 'ten identical rounds (latency 2-8 ms) publish nothing');
  assert.equal(w.counts().folded, 11, 'each round is folded into latest');
  assert.equal(w.store.getState().view, first);
  assert.equal(w.store.getState().latest.updatedAt, w.at(10_000));
});

test('a visible change publishes at once: a latency bucket, a new leader, a moved raft index', () => {
  const w = watched();
  w.store.getState().applyBatch(round(w.at(0), { latencyMs: 2 }));
  w.store.getState().applyBatch(round(w.at(1000), { latencyMs: 120 }));
  assert.equal(w.counts().published, 2, '2 ms -> 120 ms is another bucket');
  w.store.getState().applyBatch(round(w.at(2000), { latencyMs: 120, leader: IDS.m2 }));
  assert.equal(w.counts().published, 3, 'a new leader');
  assert.equal(w.store.getState().view.leader.id, IDS.m2);
  w.store.getState().applyBatch(round(w.at(3000), { latencyMs: 120, leader: IDS.m2, raftIndex: 130 }));
  assert.equal(w.counts().published, 4, 'the INDEX column changed');
});

test('with nothing visible changing, the view is published again once it is 30 s old', () => {
  const w = watched();
  w.store.getState().applyBatch(round(w.at(0)));
  for (let s = 1; s < 30; s++) w.store.getState().applyBatch(round(w.at(s * 1000)));
  assert.equal(w.counts().published, 1, 'nothing for 29 s');
  w.store.getState().applyBatch(round(w.at(30_000)));
  assert.equal(w.counts().published, 2, 'at 30 s');
  assert.equal(w.store.getState().view.updatedAt, w.at(30_000));
});
