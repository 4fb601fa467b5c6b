import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAppStore, INFO_MESSAGE_MS } from '../../src/store/store.js';
import { Session } from '../../src/monitor/session.js';
import { pollOnce } from '../../src/monitor/poller.js';
import type { ConnectionSettings } from '../../src/domain/config.js';
import { DEFAULT_HEALTH_OPTIONS } from '../../src/domain/types.js';
import { FakeGateway } from '../fakes/fake-gateway.js';

const settings = (name: string, quotaBytes?: number): ConnectionSettings => ({
  contextName: name,
  endpoints: ['http://127.0.0.1:2389'],
  tls: {},
  dialTimeoutMs: 1000,
  commandTimeoutMs: 1000,
  refreshMs: 60_000,
  readOnly: false,
  quotaBytes,
});

test('switching context never keeps the previous context\'s quota', async () => {
  const store = createAppStore({ connection: { contextName: 'big', endpoints: [], readOnly: false, refreshMs: 1000, secure: false } });
  const contexts: Record<string, ConnectionSettings> = { big: settings('big', 8 * 2 ** 30), plain: settings('plain') };
  const session = new Session(store, () => new FakeGateway(), async (name) => contexts[name]);
  try {
    session.start(contexts.big);
    assert.equal(store.getState().health.quotaBytes, 8 * 2 ** 30);
    assert.equal(store.getState().health.quotaAssumed, false);
    await session.switchContext('plain');
    assert.equal(store.getState().connection.contextName, 'plain');
    assert.equal(store.getState().health.quotaBytes, DEFAULT_HEALTH_OPTIONS.quotaBytes);
    assert.equal(store.getState().health.quotaAssumed, true);
  } finally {
    session.stop();
  }
});

test('"refreshing" and other info messages go with the first refresh a few seconds later; warnings stay', async () => {
  let clock = 1_000_000;
  const store = createAppStore({ connection: { contextName: 't', endpoints: [], readOnly: false, refreshMs: 1000, secure: false }, now: () => clock });
  const gateway = new FakeGateway();
  store.getState().say('refreshing');
  store.getState().applyBatch(await pollOnce(gateway, () => clock));
  assert.equal(store.getState().ui.message?.text, 'refreshing', 'not gone at once');
  clock += INFO_MESSAGE_MS;
  // Nothing visible changed in this batch: the message goes all the same.
  store.getState().applyBatch(await pollOnce(gateway, () => clock));
  assert.equal(store.getState().ui.message, undefined);
  store.getState().say('Defrag: the member list has not been read yet', 'warn');
  clock += 10 * INFO_MESSAGE_MS;
  store.getState().applyBatch(await pollOnce(gateway, () => clock));
  assert.equal(store.getState().ui.message?.level, 'warn');
});

test('the newest refresh time moves while nothing visible changes', async () => {
  let clock = 1_000_000;
  const store = createAppStore({ connection: { contextName: 't', endpoints: [], readOnly: false, refreshMs: 1000, secure: false }, now: () => clock });
  const gateway = new FakeGateway();
  store.getState().applyBatch(await pollOnce(gateway, () => clock));
  const published = store.getState().view.updatedAt;
  clock += 5000;
  store.getState().applyBatch(await pollOnce(gateway, () => clock));
  assert.equal(store.getState().view.updatedAt, published, 'the published view stays (nothing visible changed)');
  assert.equal(store.getState().latest.updatedAt, clock, 'the header reads this one');
});
