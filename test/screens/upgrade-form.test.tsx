/**
 * The upgrade's form at 80x24 (src/flows/modules/upgrade.ts upgradeForm): every field and the note fit;
 * tab moves between fields, space switches a choice (step mode, snapshots), typed text edits the binary;
 * enter with a binary that is not on this machine is refused with the field named (in view, under the
 * fields) and no preflight; with
 * the file there, enter goes to the hosts' preflight. The form is put in the store as the controller
 * would; opening it from `G` / `:upgrade` is tested in upgrade-open.test.tsx.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostPort } from '../../src/run/host-port.js';
import { DEFAULT_ETCD_SETTINGS } from '../../src/domain/hosts.js';
import { upgradeForm } from '../../src/flows/modules/upgrade.js';
import type { FormEnv } from '../../src/flows/flow.js';
import { hostSpec } from '../fakes/fixtures.js';
import { fakeConsole } from '../fakes/console.js';
import { waitFor } from '../harness/wait.js';

test('the upgrade form at 80x24: fields, choices, the binary checked on this machine before the preflight', async () => {
  const requests: string[] = [];
  const port: HostPort = {
    hosts: () => ['m1', 'm2', 'm3'],
    async prepare(request) {
      requests.push(request.flow);
      return { planned: { ok: false, refusal: 'preflight seen by the fake port' }, replan: () => ({ ok: false, refusal: 'fake' }), unknownKeys: [] };
    },
    async trust() {},
    access: () => ({ spec: (name: string) => hostSpec(name, '10.9.0.1'), settings: DEFAULT_ETCD_SETTINGS, connection: async () => Promise.reject(new Error('no SSH in this test')) }),
  };
  const { store, ui, frame, press, dir, done } = await fakeConsole({
    dirPrefix: 'etcd-tui-upgrade-form-',
    size: { columns: 80, rows: 24 },
    plain: true,
    deps: (dir) => ({
      context: () => 'test',
      pollMs: 10,
      hosts: port,
      files: { existing: (paths) => paths.filter((p) => p === join(dir, 'etcd')), write: () => undefined, resolve: (p) => (p.startsWith('/') ? p : join(dir, p)), cwd: () => dir },
    }),
  });
  try {
    const form = upgradeForm(undefined, ['m1', 'm2', 'm3'], { context: 'test' } as unknown as FormEnv);
    store.getState().setFlow({ kind: 'upgrade', title: 'Rolling upgrade over SSH', stage: 'form', fields: form.fields, focus: 0, formNotes: form.notes, typed: '', steps: [] });
    let f = await frame('the form', (x) => /Snapshots/.test(x));
    for (const label of ['Binary', 'Version', 'Members', 'Pause', 'Step mode', 'Snapshots']) assert.match(f, new RegExp(`${label}`), f);
    assert.match(f, /before the first member/);
    const lines = f.split('\n');
    assert.ok(lines.length <= 23, `${lines.length} rows for a 24-row terminal:\n${f}`);
    for (const l of lines) assert.ok([...l].length <= 80, `row wider than 80: "${l}"`);
    // Type a binary that is not there: refused with the field named, no preflight.
    for (const ch of 'nope') await press(ch);
    await frame('the typed binary', (x) => /Binary\s+nope/.test(x));
    await press('\r');
    f = await frame('the refusal', (x) => /does not exist on this machine/.test(x)).catch((e: Error) => assert.fail(`${e.message}\n${ui.lastFrame() ?? ''}\n${JSON.stringify(store.getState().flow)}`));
    assert.match(f, /REFUSED: preflight could not run: Binary:\s+\S*nope does not exist on this machine/);
    assert.deepEqual(requests, [], 'no preflight for a binary that is not here');
    // The real file; step mode on and a snapshot before every member (tab to the choice, space switches).
    writeFileSync(join(dir, 'etcd'), '');
    for (let i = 0; i < 4; i++) await press('\x7f');
    for (const ch of 'etcd') await press(ch);
    for (let i = 0; i < 4; i++) await press('\t');
    await press(' ');
    await press('\t');
    await press(' ');
    f = await frame('the choices switched', (x) => /\(•\) before every member/.test(x) && /\(•\) on/.test(x));
    await press('\r');
    await waitFor(() => (requests.length > 0 ? true : undefined), { what: 'the preflight asked of the host port', timeoutMs: 5000, intervalMs: 10 });
    assert.deepEqual(requests, ['upgrade']);
    await frame('the fake preflight refusal', (x) => /preflight seen by the fake port/.test(x));
  } finally {
    done();
  }
});
