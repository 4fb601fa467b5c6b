/**
 * An idle console does not redraw (issue 13, idle CPU: a redraw costs more than a refresh round),
 * and what an operator watches still shows within one refresh of a change. The whole App is
 * rendered with ink-testing-library and fed complete rounds (pollOnce against a fake gateway) on a
 * hand-moved clock; frames written are counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render } from 'ink-testing-library';
import { App } from '../../screens/App.js';
import { createAppStore, latencyMoved } from '../../src/store/store.js';
import { pollOnce } from '../../src/monitor/poller.js';
import { fiveMemberGateway } from '../fakes/fake-gateway.js';
import { member, status, IDS } from '../fakes/fixtures.js';
import { waitFor } from '../harness/wait.js';
import type { MemberStatus, Probe } from '../../src/domain/types.js';

const connection = { contextName: 'test', endpoints: ['http://127.0.0.1:2389'], readOnly: false, refreshMs: 1000, secure: false };
// eslint-disable-next-line no-control-regex
const plain = (f: string) => f.replace(/\x1b\[[0-9;]*m/g, '');

async function setup() {
  const gateway = fiveMemberGateway();
  // 12:00:00 on the clock: the rounds below stay within one step of the header's "updated".
  const start = new Date(2026, 0, 1, 12, 0, 0).getTime();
  let clock = start;
  const now = () => clock;
  const store = createAppStore({ connection, now });
  store.getState().applyBatch(await pollOnce(gateway, now));
  const ui = render(<App store={store} actions={{ quit: () => undefined, refreshNow: () => undefined, switchContext: () => undefined }} />);
  Object.defineProperty(ui.stdout, 'columns', { value: 160, configurable: true });
  Object.defineProperty(ui.stdout, 'rows', { value: 40, configurable: true });
  ui.stdout.emit('resize');
  const frame = (what: string, check: (f: string) => boolean) =>
    waitFor(
      () => {
        const f = plain(ui.lastFrame() ?? '');
        return check(f) ? f : undefined;
      },
      { what, timeoutMs: 3000, intervalMs: 10 },
    );
  await frame('the dashboard with 5 members', (f) => /HEALTHY\s+5 voters/.test(f) && f.includes('MEMBERS (5)'));
  /** One refresh round `ms` after the start; resolves once React had its chance to redraw. */
  const round = async (ms: number) => {
    clock = start + ms;
    store.getState().applyBatch(await pollOnce(gateway, now));
    await new Promise((r) => setImmediate(r));
  };
  const setStatus = (name: string, patch: Partial<MemberStatus>) => {
    const url = gateway.members.find((m) => m.name === name)!.clientURLs[0];
    gateway.statuses.set(url, { ...gateway.statuses.get(url)!, ...patch });
  };
  const setAll = (patch: Partial<MemberStatus>) => {
    for (const m of gateway.members) setStatus(m.name, patch);
  };
  return { gateway, store, ui, frame, round, setStatus, setAll };
}

test('ten unchanged rounds draw nothing; each change an operator watches draws within its round', async () => {
  const { gateway, ui, frame, round, setStatus, setAll } = await setup();
  try {
    // Let the first frames settle (the resize), then count.
    await round(500);
    const before = ui.frames.length;
    for (let s = 1; s <= 10; s++) await round(s * 1000);
    assert.equal(ui.frames.length, before, 'ten rounds with the same figures: no frame written');

    // Each change shows after one round.
    let at = 10_000;
    const changed = async (what: string, change: () => void, check: (f: string) => boolean, steady = true) => {
      change();
      const frames = ui.frames.length;
      await round((at += 1000));
      const f = await frame(what, check);
      assert.ok(ui.frames.length > frames, `${what}: a frame was written`);
      // And the round after, unchanged, draws nothing again.
      if (!steady) return f;
      const after = ui.frames.length;
      await round((at += 1000));
      assert.equal(ui.frames.length, after, `${what}: the next unchanged round draws nothing`);
      return f;
    };
    await changed('raft index moved', () => setAll({ raftIndex: 2345, raftAppliedIndex: 2345 }), (f) => /\b2345\b/.test(f));
    await changed('raft term moved', () => setAll({ raftTerm: 77 }), (f) => /\b77\b/.test(f));
    await changed('new leader', () => setAll({ leader: IDS.m2 }), (f) => /leader m2\b/.test(f) || /m2\s+\S+\s+leader/.test(f));
    await changed('DB size grew', () => setStatus('m3', { dbSize: 987_000_000 }), (f) => f.includes('987 MB'));
    await changed('NOSPACE alarm', () => (gateway.alarmList = [{ memberId: IDS.m1, alarm: 'NOSPACE' }]), (f) => f.includes('NOSPACE'));
    await changed('member down', () => gateway.down.add(gateway.members.find((m) => m.name === 'm4')!.clientURLs[0]), (f) => /m4\s.*DOWN/.test(f), false); // its "DOWN 2s" counts on
  } finally {
    ui.unmount();
  }
});

test('status-call latency redraws only when it moves by a factor of 3 (on latency + 50 ms)', () => {
  const probe = (latencyMs: number): Probe => ({ ok: true, latencyMs, at: 0, status: status() });
  const members = [member('m1')];
  const view = (ms: number) => ({ members, probes: { [IDS.m1]: probe(ms) } });
  assert.equal(latencyMoved(view(2), view(30)), false, '2 ms -> 30 ms is noise');
  assert.equal(latencyMoved(view(30), view(2)), false);
  assert.equal(latencyMoved(view(5), view(120)), true, '5 ms -> 120 ms shows');
  assert.equal(latencyMoved(view(300), view(40)), true, '300 ms -> 40 ms shows');
  assert.equal(latencyMoved(view(5), view(80)), false, 'a 5 ms -> 80 ms blip on a busy bastion is noise');
  assert.equal(latencyMoved(view(2000), view(1500)), false);
  assert.equal(latencyMoved({ probes: {} }, view(3)), true, 'a first probe shows');
});
