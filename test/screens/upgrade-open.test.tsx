/**
 * The console opens the upgrade's form (a hosts flow with a declared form, src/flows/openings.ts): at
 * 80x24, `G` with no words shows the form, not a refusal; a binary that is not there is refused in the
 * form (fixable, no preflight); the binary typed, enter runs the preflight on the (fake) hosts and the
 * preview shows the plan: the path 3.4.23 -> 3.4.99, the order, the snapshot first. `:upgrade PATH`
 * with the binary named skips the form and goes straight to the preview. A refusal of the preflight
 * itself (a member not in the cluster) leaves the form open to fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ETCD_SETTINGS } from '../../src/domain/hosts.js';
import { FakeGateway } from '../fakes/fake-gateway.js';
import { fakeConsole, flat } from '../fakes/console.js';
import { fakeHostPort, fakeHostsOf } from '../fakes/host-port.js';

/** A stand-in etcd binary: says its version, prints no --help (the flag check is skipped then). */
function fakeEtcd(dir: string): string {
  const path = join(dir, 'etcd-new');
  writeFileSync(path, '#!/bin/sh\n[ "$1" = --version ] && echo "etcd Version: 3.4.99"\nexit 0\n');
  chmodSync(path, 0o755);
  return path;
}

async function setup() {
  const gateway = new FakeGateway();
  const fake = fakeHostsOf(gateway, { ...DEFAULT_ETCD_SETTINGS, tls: false });
  const requests: string[] = [];
  const t = await fakeConsole({ gateway, dirPrefix: 'etcd-tui-upgrade-open-', size: { columns: 80, rows: 24 }, plain: true, frameTimeoutMs: 10_000, deps: () => ({ hosts: fakeHostPort(fake.inventory, fake.hosts, requests) }) });
  return { ...t, requests };
}

test('G with no words opens the upgrade form at 80x24; the binary typed, enter runs the preflight and the preview shows the plan', async () => {
  const t = await setup();
  try {
    await t.frame('dashboard', (x) => x.includes('MEMBERS (3)'));
    await t.press('G');
    let f = await t.frame('the form', (x) => x.includes('[form]') && /Snapshots/.test(x));
    assert.doesNotMatch(f, /REFUSED|give :upgrade/, f);
    assert.match(f, /Binary/);
    for (const l of f.split('\n')) assert.ok([...l].length <= 80, `row wider than 80: "${l}"`);
    // Not there: refused in the form, which stays open to fix; no preflight.
    for (const ch of join(t.dir, 'nope')) await t.press(ch);
    await t.press('\r');
    f = await t.frame('the refusal in the form', (x) => /does not exist on this machine/.test(x));
    assert.match(f, /\[form\]/);
    assert.deepEqual(t.requests, []);
    for (let i = 0; i < 'nope'.length; i++) await t.press('\x7f');
    fakeEtcd(t.dir);
    for (const ch of 'etcd-new') await t.press(ch);
    await t.press('\r');
    f = await t.frame('the preview', (x) => x.includes('[preview]') && x.includes('order:')).catch((e: Error) => assert.fail(`${e.message}\n${t.ui.lastFrame() ?? ''}\n${JSON.stringify(t.store.getState().flow?.refusal)}`));
    assert.deepEqual(t.requests, ['upgrade']);
    const text = flat(f);
    assert.doesNotMatch(text, /REFUSED/, text);
    const titles = (t.store.getState().flow?.plan?.steps ?? []).map((s) => s.title);
    assert.match(titles[0] ?? '', /^Save a verified snapshot from m1/, titles.join('\n'));
    assert.ok(titles.includes('Put etcd 3.4.99 in place on m2 (the old binary kept as a backup)'), titles.join('\n'));
    const preview = (t.store.getState().flow?.plan?.preview ?? []).join('\n');
    assert.match(preview, /3\.4\.23 -> 3\.4\.99/, preview);
    assert.match(preview, /order: m2, m3, m1/, preview);
    // enter goes on to the typed confirmation (the context's name: every member).
    await t.press('\r');
    await t.frame('the confirmation', (x) => x.includes("Type the context's name (test)"));
  } finally {
    t.done();
  }
});

test(':upgrade PATH with the binary named skips the form: straight to the preflight and the preview', async () => {
  const t = await setup();
  try {
    await t.frame('dashboard', (x) => x.includes('MEMBERS (3)'));
    const binary = fakeEtcd(t.dir);
    await t.press(':');
    for (const ch of `upgrade ${binary}`) await t.press(ch);
    await t.press('\r');
    const f = await t.frame('the preview', (x) => x.includes('[preview]') && x.includes('order:')).catch((e: Error) => assert.fail(`${e.message}\n${t.ui.lastFrame() ?? ''}\n${JSON.stringify(t.store.getState().flow?.refusal)}`));
    assert.doesNotMatch(f, /\[form\]/);
    assert.deepEqual(t.requests, ['upgrade']);
    assert.match((t.store.getState().flow?.plan?.preview ?? []).join('\n'), /3\.4\.23 -> 3\.4\.99/);
  } finally {
    t.done();
  }
});

test('a preflight refusal (a member that is not in the cluster) stays in the form to fix; fixed, enter reaches the preview', async () => {
  const t = await setup();
  try {
    await t.frame('dashboard', (x) => x.includes('MEMBERS (3)'));
    const binary = fakeEtcd(t.dir);
    await t.press('G');
    await t.frame('the form', (x) => x.includes('[form]') && /Snapshots/.test(x));
    for (const ch of binary) await t.press(ch);
    await t.press('\t');
    await t.press('\t');
    for (const ch of 'zz') await t.press(ch);
    await t.press('\r');
    const f = await t.frame('the refusal in the form', (x) => x.includes('REFUSED'));
    assert.match(f, /\[form\]/, f);
    assert.match(flat(f), /zz/, f);
    assert.deepEqual(t.requests, ['upgrade']);
    for (let i = 0; i < 2; i++) await t.press('\x7f');
    await t.press('\r');
    await t.frame('the preview', (x) => x.includes('[preview]') && x.includes('order:'));
    assert.deepEqual(t.requests, ['upgrade', 'upgrade']);
  } finally {
    t.done();
  }
});
