import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render } from 'ink-testing-library';
import { App } from '../../screens/App.js';
import { createAppStore, type AppStore } from '../../src/store/store.js';
import { pollOnce } from '../../src/monitor/poller.js';
import { FakeGateway } from '../fakes/fake-gateway.js';
import { waitFor } from '../harness/wait.js';
import { CommandRegistry } from '../../src/commands/registry.js';

const connection = { contextName: 'test', endpoints: ['http://127.0.0.1:2389'], readOnly: false, refreshMs: 1000, secure: false };

async function setup(opts: { readOnly?: boolean; gateway?: FakeGateway } = {}) {
  const gateway = opts.gateway ?? new FakeGateway();
  const store: AppStore = createAppStore({ connection: { ...connection, readOnly: opts.readOnly ?? false }, contexts: ['test', 'prod'] });
  store.getState().applyBatch(await pollOnce(gateway));
  const actions = { quit: () => (quitCalled = true), refreshNow: () => (refreshed += 1), switchContext: (name: string) => switched.push(name) };
  let quitCalled = false;
  let refreshed = 0;
  const switched: string[] = [];
  const ui = render(<App store={store} actions={actions} />);
  const frame = (what: string, test: (f: string) => boolean) => waitFor(() => { const f = ui.lastFrame() ?? ''; return test(f) ? f : undefined; }, { what, timeoutMs: 3000, intervalMs: 10 });
  // ink-testing-library delivers keys asynchronously: wait for the input handler to be attached.
  const press = async (key: string) => { ui.stdin.write(key); await new Promise((r) => setImmediate(r)); };
  return { gateway, store, ui, frame, press, state: () => ({ quitCalled, refreshed, switched }) };
}

test('the dashboard shows members, hex IDs, the leader mark and a healthy verdict', async () => {
  const { frame, ui } = await setup();
  const f = await frame('members', (x) => x.includes('m3'));
  assert.match(f, /HEALTHY/);
  assert.match(f, /3 voters, 3 healthy, tolerates 1 failure/);
  assert.match(f, /8e9e05c52164694d/);
  assert.match(f, /m1\s+8e9e05c52164694d\s+leader ★/);
  assert.match(f, /Leader m1 \(8e9e05c52164694d\), term 2/);
  ui.unmount();
});

test('a member that does not answer is DOWN and the verdict degraded', async () => {
  const gateway = new FakeGateway();
  gateway.down.add(gateway.members[2].clientURLs[0]);
  const { frame, ui } = await setup({ gateway });
  const f = await frame('down member', (x) => x.includes('DOWN'));
  assert.match(f, /DEGRADED/);
  assert.match(f, /m3 unreachable: connection refused/);
  assert.match(f, /tolerates 0 failures/);
  ui.unmount();
});

test('j moves the selection, enter opens the detail, esc goes back', async () => {
  const { frame, press, ui, store } = await setup();
  await frame('dashboard', (x) => x.includes('MEMBERS'));
  assert.equal(store.getState().ui.selectedId, '10276657743932975437');
  await press('j');
  await waitFor(() => store.getState().ui.selectedId === '10501334649042878790', { what: 'selection on m2', timeoutMs: 2000 });
  await press('\r');
  const detail = await frame('detail', (x) => x.includes('MEMBER m2'));
  assert.match(detail, /decimal ID\s+10501334649042878790/);
  assert.match(detail, /index history/);
  await press('\x1b');
  await frame('back on the dashboard', (x) => x.includes('MEMBERS (3)'));
  ui.unmount();
});

test('? shows every registry command; the palette runs commands by id', async () => {
  const { frame, press, ui } = await setup();
  await frame('dashboard', (x) => x.includes('MEMBERS'));
  await press('?');
  const help = await frame('help', (x) => x.includes('HELP'));
  for (const c of new CommandRegistry({ readOnly: false }).commands) assert.ok(help.includes(':' + c.id), `help lists ${c.id}`);
  await press('\x1b');
  await frame('dashboard', (x) => x.includes('MEMBERS'));
  await press(':');
  for (const ch of 'events') await press(ch);
  await press('\r');
  await frame('events screen', (x) => x.includes('leader-changed'));
  await press(':');
  for (const ch of 'nope') await press(ch);
  await press('\r');
  await frame('error', (x) => x.includes('no command "nope"'));
  ui.unmount();
});

test('/ filters members; q quits; c opens the context switcher and enter switches', async () => {
  const { frame, press, ui, state } = await setup();
  await frame('dashboard', (x) => x.includes('MEMBERS'));
  await press('/');
  for (const ch of 'm2') await press(ch);
  const filtered = await frame('filtered', (x) => x.includes('MEMBERS (1 of 3'));
  assert.doesNotMatch(filtered.split('MEMBERS')[1].split('HEALTH')[0], /m3 /);
  await press('\r');
  await press('\x1b');
  await frame('filter cleared', (x) => x.includes('MEMBERS (3)'));
  await press('c');
  await frame('contexts', (x) => x.includes('CONTEXTS'));
  await press('j');
  await press('\r');
  await waitFor(() => state().switched[0] === 'prod', { what: 'switch to prod', timeoutMs: 2000 });
  await press('\x1b');
  await press('q');
  await waitFor(() => state().quitCalled, { what: 'quit', timeoutMs: 2000 });
  ui.unmount();
});

test('read-only shows a banner and the registry drops dangerous commands', async () => {
  const { frame, ui } = await setup({ readOnly: true });
  const f = await frame('banner', (x) => x.includes('READ-ONLY'));
  assert.match(f, /commands that change the cluster are disabled/);
  const dangerous = { id: 'remove', title: 'Remove', description: 'x', keys: ['x'], category: 'cluster' as const, dangerous: true, run: () => {} };
  assert.equal(new CommandRegistry({ readOnly: true, extra: [dangerous] }).byId('remove'), undefined);
  assert.ok(new CommandRegistry({ readOnly: false, extra: [dangerous] }).byId('remove'));
  ui.unmount();
});

test('a disabled command says why', async () => {
  const gateway = new FakeGateway();
  gateway.members = [];
  const { press, frame, ui } = await setup({ gateway });
  await frame('empty', (x) => x.includes('MEMBERS (0)'));
  await press('\r');
  await frame('reason', (x) => x.includes('Detail: no member to show'));
  ui.unmount();
});
