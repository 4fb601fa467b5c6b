/**
 * The console at a given terminal size (80x24 unless said): what always stays on screen, the
 * VERSION column, the one-line footer, help scrolling, quorum loss in the header, read-only keys,
 * palette suggestions, an empty filter, a moving "updated", and the detail's "last answered".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render } from 'ink-testing-library';
import { App } from '../../screens/App.js';
import { createAppStore, type AppStore } from '../../src/store/store.js';
import { pollOnce } from '../../src/monitor/poller.js';
import { FakeGateway, fiveMemberGateway } from '../fakes/fake-gateway.js';
import { status, IDS } from '../fakes/fixtures.js';
import { waitFor } from '../harness/wait.js';
import { formatClock } from '../../src/format/units.js';
import { UPDATED_STEP_MS } from '../../screens/components/Header.js';

const connection = { contextName: 'test', endpoints: ['http://127.0.0.1:2389'], readOnly: false, refreshMs: 1000, secure: false };

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const plain = (f: string) => f.replace(ANSI, '');


async function setup(opts: { gateway?: FakeGateway; readOnly?: boolean; columns?: number; rows?: number; now?: () => number } = {}) {
  const gateway = opts.gateway ?? new FakeGateway();
  const store: AppStore = createAppStore({ connection: { ...connection, readOnly: opts.readOnly ?? false }, now: opts.now });
  store.getState().applyBatch(await pollOnce(gateway, opts.now));
  const actions = { quit: () => undefined, refreshNow: () => undefined, switchContext: () => undefined };
  const ui = render(<App store={store} actions={actions} />);
  // ink-testing-library's terminal is 100 columns and has no height: give it a size, as a terminal does.
  Object.defineProperty(ui.stdout, 'columns', { value: opts.columns ?? 80, configurable: true });
  Object.defineProperty(ui.stdout, 'rows', { value: opts.rows ?? 24, configurable: true });
  ui.stdout.emit('resize');
  const columns = opts.columns ?? 80;
  await waitFor(() => ((ui.lastFrame() ?? '').split('\n').every((l) => [...plain(l)].length <= columns) ? true : undefined), {
    what: `a frame ${columns} columns wide`,
    timeoutMs: 3000,
    intervalMs: 10,
  });
  const frame = (what: string, check: (f: string) => boolean) =>
    waitFor(
      () => {
        const f = ui.lastFrame() ?? '';
        return check(f) ? f : undefined;
      },
      { what, timeoutMs: 3000, intervalMs: 10 },
    );
  const press = async (key: string) => {
    ui.stdin.write(key);
    await new Promise((r) => setImmediate(r));
  };
  return { gateway, store, ui, frame, press };
}


/** Every row fits the terminal; the header's three rows lead, the footer is the last row. */
function assertFits(f: string, columns: number, rows: number): string[] {
  const lines = plain(f).split('\n');
  assert.ok(lines.length <= rows - 1, `${lines.length} rows for a ${rows}-row terminal:\n${f}`);
  for (const l of lines) assert.ok([...l].length <= columns, `row wider than ${columns}: "${l}"`);
  assert.match(lines[0], /^etcd-tui {2}context test/);
  assert.match(lines[1], /^● (HEALTHY|DEGRADED|CRITICAL|UNKNOWN) {2}/);
  assert.match(lines[2], /^(Leader|No leader)/);
  assert.match(lines[lines.length - 1], /^<\?> Help/);
  return lines;
}

test('80x24 with 5 members: header, verdict and leader on screen, every member with its VERSION, one-line footer', async () => {
  const { frame, ui } = await setup({ gateway: fiveMemberGateway() });
  const f = await frame('5 members at 80 columns', (x) => x.includes('m5') && x.includes('VERSION'));
  const lines = assertFits(f, 80, 24);
  assert.match(lines[0], /cluster version 3\.4\.0/);
  assert.match(lines[2], /^Leader m1 \(8e9e05c52164694d\), term 2/);
  for (const name of ['m1', 'm2', 'm3', 'm4', 'm5']) assert.ok(lines.some((l) => new RegExp(`^[> ] ${name} .*3\\.4\\.23`).test(l)), `${name} and its version`);
  ui.unmount();
});

test('a terminal too short for every member scrolls the members table around the selection', async () => {
  const { frame, press, ui, store } = await setup({ gateway: fiveMemberGateway(), rows: 12 });
  let f = await frame('a window of members', (x) => /MEMBERS \(5; 1-3 shown, j\/k scroll\)/.test(x));
  assertFits(f, 80, 12);
  for (let i = 0; i < 4; i++) await press('j');
  await waitFor(() => store.getState().ui.selectedId === '5', { what: 'm5 selected', timeoutMs: 2000 });
  f = await frame('m5 in sight', (x) => /> m5 /.test(x));
  assertFits(f, 80, 12);
  ui.unmount();
});

test('help scrolls at 80x24 and the header stays', async () => {
  const { frame, press, ui } = await setup();
  await frame('dashboard', (x) => x.includes('MEMBERS'));
  await press('?');
  let f = await frame('help, first lines', (x) => /HELP: keys.*lines 1-\d+ of \d+/.test(x));
  assertFits(f.replace(/\n<esc> Back$/, '\n<?> Help'), 80, 24);
  for (let i = 0; i < 50; i++) await press('j');
  f = await frame('help, last lines', (x) => x.includes(':quit'));
  assert.match(f, /^● HEALTHY/m);
  await press('k');
  await frame('one line back up at once', (x) => !x.includes(':quit') || /lines \d+-\d+ of (\d+)/.exec(x)?.[0] !== undefined);
  ui.unmount();
});

test('quorum lost: no old leader in the header or the table, and the guide in the health lines', async () => {
  const gateway = new FakeGateway();
  const { frame, ui, store } = await setup({ gateway });
  await frame('healthy', (x) => x.includes('HEALTHY'));
  gateway.down.add(gateway.members[1].clientURLs[0]);
  gateway.down.add(gateway.members[2].clientURLs[0]);
  store.getState().applyBatch(await pollOnce(gateway));
  const f = await frame('quorum lost', (x) => x.includes('No leader since'));
  const lines = assertFits(f, 80, 24);
  assert.match(lines[1], /^● CRITICAL {2}3 voters, 1 healthy: QUORUM LOST \(needs 2\)/);
  assert.match(lines[2], /^No leader since \d\d:\d\d:\d\d .*was m1 \(8e9e05c52164694d\); quorum lost/);
  assert.doesNotMatch(f, /leader ★/);
  assert.match(f, /^\? one leader: unknown while quorum is lost/m);
  assert.match(plain(f).replace(/\n {2,}/g, ' '), /restart the DOWN voters on their hosts .*Q to recover/);
  ui.unmount();
});

test('mixed versions: the header says so, the verdict is degraded, the VERSION column shows both at 80 columns', async () => {
  const gateway = new FakeGateway();
  gateway.statuses.set(gateway.members[0].clientURLs[0], status({ memberId: IDS.m1, leader: IDS.m1, version: '3.5.16' }));
  const { frame, ui } = await setup({ gateway });
  const f = await frame('mixed', (x) => x.includes('DEGRADED'));
  const lines = assertFits(f, 80, 24);
  assert.match(lines[0], /cluster version 3\.4\.0 \(mixed versions\)/);
  assert.match(lines[1], /mixed versions: m1 3\.5\.16; m2, m3 3\.4\.23/);
  assert.match(f, /m1 .*3\.5\.16/);
  assert.match(f, /m2 .*3\.4\.23/);
  ui.unmount();
});

test('NOSPACE: the headline says why, by name; the health line gives the key', async () => {
  const gateway = new FakeGateway();
  gateway.alarmList = [{ memberId: IDS.m2, alarm: 'NOSPACE' }];
  const { frame, ui } = await setup({ gateway });
  const f = await frame('critical', (x) => x.includes('CRITICAL'));
  const lines = assertFits(f, 80, 24);
  assert.match(lines[1], /^● CRITICAL {2}alarm NOSPACE on m2: /);
  assert.doesNotMatch(f, new RegExp(IDS.m2));
  assert.match(f, /→ A: compact, defragment every member, disarm NOSPACE/);
  ui.unmount();
});

test('read-only: a hidden key says read-only instead of nothing; the palette suggests the nearest command', async () => {
  const ro = await setup({ readOnly: true });
  await ro.frame('dashboard', (x) => x.includes('MEMBERS'));
  await ro.press('D');
  await ro.frame('read-only message', (x) => x.includes('read-only: Defrag (D) changes the cluster; this console is read-only'));
  ro.ui.unmount();
  const rw = await setup();
  await rw.frame('dashboard', (x) => x.includes('MEMBERS'));
  await rw.press(':');
  for (const ch of 'defarg') await rw.press(ch);
  await rw.press('\r');
  await rw.frame('suggestion', (x) => x.includes('no command "defarg": did you mean defrag?'));
  rw.ui.unmount();
});

test('a filter that matches nothing says so, not "connecting…"', async () => {
  const { frame, press, ui } = await setup();
  await frame('dashboard', (x) => x.includes('MEMBERS (3)'));
  await press('/');
  for (const ch of 'zz') await press(ch);
  const f = await frame('nothing matches', (x) => x.includes('MEMBERS (0 of 3'));
  assert.match(f, /no member matches the filter "zz" \(esc clears it\)/);
  assert.doesNotMatch(f, /connecting/);
  ui.unmount();
});

test('"updated" moves while refreshes arrive, in UPDATED_STEP_MS (15 s) steps when nothing visible changed (no redraw a second)', async () => {
  const start = new Date(2026, 0, 1, 12, 0, 0).getTime();
  let clock = start;
  const now = () => clock;
  const { frame, ui, store, gateway } = await setup({ now });
  await frame('first update', (x) => x.includes(`updated ${formatClock(clock)}`));
  const frames = () => ui.frames.length;
  // A refresh 1 s later with nothing else changed: no redraw, the clock stays.
  clock += 1000;
  const before = frames();
  store.getState().applyBatch(await pollOnce(gateway, now));
  await new Promise((r) => setImmediate(r));
  assert.equal(frames(), before, 'no redraw for a refresh that changed nothing visible within the step');
  assert.ok((ui.lastFrame() ?? '').includes(`updated ${formatClock(start)}`));
  // A step and 2 s after the first: the clock has moved to the last step (never later than the newest refresh).
  clock = start + UPDATED_STEP_MS + 2000;
  store.getState().applyBatch(await pollOnce(gateway, now));
  await frame('a later update', (x) => x.includes(`updated ${formatClock(start + UPDATED_STEP_MS)}`));
  ui.unmount();
});

test('the detail counts "last answered" on the clock', async () => {
  const { frame, press, ui } = await setup();
  await frame('dashboard', (x) => x.includes('MEMBERS'));
  await press('\r');
  const f = await waitFor(
    () => {
      const x = ui.lastFrame() ?? '';
      return /last answered +\d\d:\d\d:\d\d \((1\.\d|2\.\d)s ago\)/.test(x) ? x : undefined;
    },
    { what: 'a second or more ago', timeoutMs: 4000, intervalMs: 50 },
  );
  assert.match(f, /MEMBER m1/);
  ui.unmount();
});

test('where the QUOTA column shows, an assumed quota is said to be assumed', async () => {
  const { frame, ui } = await setup({ columns: 120, rows: 40 });
  const f = await frame('QUOTA column', (x) => /NAME .*QUOTA/.test(x));
  assert.match(f, /MEMBERS \(3\) {2}QUOTA: % of an assumed 2\.1 GB \(etcd's default\)/);
  ui.unmount();
});
