/**
 * The maintenance forms (C compact, S snapshot, D defrag), `:alarms N`, the console-syntax refusals,
 * and the dashboard's offer to undo an unfinished run (u / `:undo RUN`), against the fake gateway.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { journalDir, listRuns } from '../../src/run/journal.js';
import { CommandRegistry } from '../../src/commands/registry.js';
import { FakeGateway } from '../fakes/fake-gateway.js';
import { TEST_CONNECTION as connection, fakeConsole, flat } from '../fakes/console.js';
import { writeDeadRun } from '../fakes/journals.js';
import { IDS, hostSpec } from '../fakes/fixtures.js';
import { waitFor } from '../harness/wait.js';
import type { HostPort } from '../../src/run/host-port.js';
import { FakeHost } from '../fakes/fake-host.js';
import { DEFAULT_ETCD_SETTINGS } from '../../src/domain/hosts.js';

/** A console on the fake gateway; `before` runs once the state dir exists and before the controller (the journals it scans). */
function setup(opts: { revision?: number; before?: (dir: string) => void; readOnly?: boolean; cluster?: (g: FakeGateway) => void; hosts?: HostPort } = {}) {
  const gateway = new FakeGateway();
  opts.cluster?.(gateway);
  for (const [url, s] of gateway.statuses) gateway.statuses.set(url, { ...s, revision: opts.revision ?? 5000 });
  return fakeConsole({
    gateway,
    readOnly: opts.readOnly,
    dirPrefix: 'etcd-tui-forms-',
    before: opts.before,
    deps: (dir) => ({
      // Local files against the test's own directory (the snapshot's default name lands there).
      files: {
        existing: (paths) => paths.filter((p) => existsSync(p)),
        write: (path, text, mode) => writeFileSync(path, text, { mode }),
        resolve: (path) => resolve(dir, path),
        cwd: () => dir,
      },
      hosts: opts.hosts,
    }),
  });
}

test('C opens the compact form with the current revision; a bad value is refused in the console syntax; 0 keeps only the newest, with the watchers warning, and compacts at the current revision', async () => {
  const t = await setup({ revision: 5000 });
  await t.frame('dashboard', (x) => x.includes('MEMBERS (3)'));
  await t.press('C');
  let f = await t.frame('compact form', (x) => x.includes('[form]'));
  assert.match(flat(f), /current revision: 5000/);
  assert.match(flat(f), /compacted revision: not known/);
  await t.press('ten');
  await t.press('\r');
  f = await t.frame('refusal', (x) => flat(x).includes('REFUSED'));
  assert.match(flat(f), /"ten" is not a revision: give a whole number, :compact REV \(0 keeps only the newest revision\)/);
  assert.doesNotMatch(f, /--revision|--retain/, 'the console names its own syntax, not a CLI flag');
  assert.match(f, /\[form\]/, 'the refusal stays in the form');
  for (let i = 0; i < 3; i++) await t.press('\x7f');
  await t.press('9000');
  await t.press('\r');
  f = await t.frame('future refusal', (x) => flat(x).includes('in the future'));
  assert.match(flat(f), /revision 9000 is in the future: the current revision is 5000/);
  for (let i = 0; i < 4; i++) await t.press('\x7f');
  await t.press('0');
  await t.press('\r');
  f = await t.frame('preview', (x) => x.includes('[preview]'));
  assert.match(flat(f), /:compact 0 keeps only the newest revision: the whole history before revision 5000 is gone for good/);
  assert.match(flat(f), /must relist/);
  assert.match(flat(f), /etcdctl compact 5000 --physical/);
  assert.doesNotMatch(f, /prefer --retain/);
  await t.press('\r');
  await t.frame('done', (x) => x.includes('SUCCEEDED'));
  assert.equal(t.gateway.compactedTo, 5000);
  assert.deepEqual(t.records().at(-1)?.arguments, { revision: 5000, currentRevision: 5000, newest: true });
  t.done();
});

test(':compact REV plans at once; :compact 0 goes straight to the preview with the warning', async () => {
  const t = await setup({ revision: 5000 });
  await t.frame('dashboard', (x) => x.includes('MEMBERS (3)'));
  await t.press(':');
  await t.press('compact 4000\r');
  let f = await t.frame('preview', (x) => x.includes('[preview]'));
  assert.match(flat(f), /keeps revisions 4000 to 5000/);
  assert.doesNotMatch(flat(f), /keeps only the newest/);
  await t.press('\x1b');
  await t.frame('closed', (x) => !x.includes('[preview]'));
  await t.press(':');
  await t.press('compact 0\r');
  f = await t.frame('preview 0', (x) => x.includes('[preview]'));
  assert.match(flat(f), /:compact 0 keeps only the newest revision/);
  assert.ok(!t.gateway.calls.some((c) => c.startsWith('compact')), 'nothing compacted before enter');
  t.done();
});

test('S opens the snapshot form with ./etcd-CONTEXT-STAMP.db; an existing file is refused in the form; a member that does not answer is named with the form field, not --from', async () => {
  const t = await setup();
  await t.frame('dashboard', (x) => x.includes('MEMBERS (3)'));
  await t.press('S');
  let f = await t.frame('snapshot form', (x) => x.includes('[form]'));
  const name = /etcd-test-\d{8}T\d{6}Z\.db/.exec(f)?.[0];
  assert.ok(name, `the default name is etcd-test-STAMP.db:\n${f}`);
  assert.match(flat(f), /from the leader \(or a member name or ID\)/);
  assert.ok(flat(f).includes(`saved in ${t.dir}`), 'the form says where the file goes');
  // The file exists already: refused in the form, nothing streamed.
  writeFileSync(join(t.dir, name), 'old');
  await t.press('\r');
  f = await t.frame('exists refusal', (x) => flat(x).includes('REFUSED'));
  assert.match(flat(f), /exists: a snapshot is never overwritten; choose another file name/);
  assert.match(f, /\[form\]/);
  // Another file, from a member that does not answer: the refusal points at the form's field.
  t.gateway.down.add(t.gateway.members[1].clientURLs[0]);
  await t.refresh();
  await t.press('\x7f\x7f\x7f');
  await t.press('x.db');
  await t.press('\t');
  await t.press('m2');
  await t.press('\r');
  f = await t.frame('unreachable refusal', (x) => flat(x).includes('REFUSED') && flat(x).includes('unreachable')).catch((e: unknown) => {
    throw new Error(`${String(e)}\n${t.ui.lastFrame()}`);
  });
  assert.match(flat(f), /choose another member in the "from" field/);
  assert.doesNotMatch(f, /--from/);
  // Back to the leader: the preview saves to the file under the test's directory.
  await t.press('\x7f\x7f');
  await t.press('\r');
  f = await t.frame('preview', (x) => x.includes('[preview]'));
  assert.ok(flat(f).includes(join(t.dir, `${name.slice(0, -3)}x.db`)), flat(f));
  assert.ok(!t.gateway.calls.includes('snapshot'), 'nothing streamed before enter');
  t.done();
});

test('D opens the defrag form: the default rule, move leader as a choice; one member by name; all with move leader; refusals name the form, not --all', async () => {
  const t = await setup();
  await t.frame('dashboard', (x) => x.includes('MEMBERS (3)'));
  await t.press('D');
  let f = await t.frame('defrag form', (x) => x.includes('[form]'));
  assert.match(f, /members\s+free >= 100MB \|\| inUse\/size < 0\.55/);
  assert.match(f, /move leader\s+\(•\) no \( \) yes/);
  // The default rule selects no member of the fake cluster (20 kB, 80 % in use).
  await t.press('\r');
  f = await t.frame('nothing refusal', (x) => flat(x).includes('nothing to defragment'));
  assert.match(flat(f), /put all in the "members" field to defragment every voter anyway/);
  assert.doesNotMatch(f, /--all/);
  // One member by name.
  for (let i = 0; i < 40; i++) await t.press('\x7f');
  await t.press('m2');
  await t.press('\r');
  f = await t.frame('one member preview', (x) => x.includes('[preview]'));
  assert.match(flat(f), /Defragment m2/);
  assert.match(flat(f), /members: m2 only \(a follower\), DB 20 kB, in use 16 kB/);
  await t.press('\r');
  await t.frame('done', (x) => x.includes('SUCCEEDED'));
  assert.deepEqual(t.gateway.defragged, [t.gateway.members[1].clientURLs[0]]);
  await t.press('\x1b');
  await t.frame('closed', (x) => !x.includes('[done]'));
  // all, move leader switched with space: followers first, leadership moved before the leader's turn.
  await t.press('D');
  await t.frame('form again', (x) => x.includes('[form]'));
  for (let i = 0; i < 40; i++) await t.press('\x7f');
  await t.press('all');
  await t.press('\t');
  await t.press(' ');
  f = await t.frame('yes chosen', (x) => /\(•\) yes/.test(x));
  await t.press('\r');
  f = await t.frame('all preview', (x) => x.includes('[preview]'));
  assert.match(flat(f), /order: m2, m3, m1/);
  assert.match(flat(f), /Move leadership from m1 to m2/);
  t.done();
});

test(':alarms N keeps N revisions; a word that is not a number is refused with :alarms N', async () => {
  const t = await setup({ revision: 5000, cluster: (g) => (g.alarmList = [{ memberId: IDS.m1, alarm: 'NOSPACE' }]) });
  await t.frame('dashboard', (x) => x.includes('MEMBERS (3)'));
  await t.press(':');
  await t.press('alarms lots\r');
  let f = await t.frame('refusal', (x) => flat(x).includes('REFUSED'));
  assert.match(flat(f), /"lots" is not a number of revisions to keep: :alarms N \(e\.g\. :alarms 10000\)/);
  await t.press('\x1b');
  await t.frame('closed', (x) => !x.includes('REFUSED'));
  await t.press(':');
  await t.press('alarms 300\r');
  f = await t.frame('plan', (x) => x.includes('[preview]') || flat(x).includes('REFUSED'));
  assert.match(flat(f), /keep the last 300 revisions/);
  await t.press('\x1b');
  await t.frame('closed', (x) => !x.includes('[preview]'));
  // More than the history holds: the warning names :alarms N, not --compact-retain.
  await t.press(':');
  await t.press('alarms 9000\r');
  f = await t.frame('plan 9000', (x) => x.includes('[preview]'));
  assert.match(flat(f), /:alarms 9000: the history has only 5000 revisions/);
  assert.doesNotMatch(f, /--compact-retain/);
  t.done();
});

test('an unfinished run of this context is offered on the dashboard; u shows what it did and the undo, the run ID typed undoes it; the line goes', async () => {
  const learner = { name: 'm4', id: '' };
  let runId = '';
  const t = await setup({
    before: (dir) => {
      const runs = journalDir(join(dir, 'audit.jsonl'));
      // Another context's run and a finished run are not offered.
      writeDeadRun(runs, { context: 'other', steps: [{ title: 'Add x', undo: { title: 'remove x', spec: { kind: 'member-remove', name: 'x', memberId: '1' } } }] });
      runId = writeDeadRun(runs, { context: 'test', started: new Date(2026, 11, 3, 9, 7), steps: [{ title: 'Add m4 as a learner', undo: { title: 'remove m4', spec: { kind: 'member-remove', name: 'm4', memberId: '1003' } } }, { title: 'Wait for m4' }], cutAtLast: true }).id;
    },
  });
  const m = t.gateway.addLearner('m4');
  learner.id = m.id;
  // The journal names the member the fake added.
  const path = join(journalDir(t.audit.path), `${runId}.jsonl`);
  writeFileSync(path, readFileSync(path, 'utf8').replace('"memberId":"1003"', `"memberId":"${m.id}"`));
  let f = await t.frame('offer', (x) => flat(x).includes('unfinished run'));
  assert.ok(flat(f).includes(`unfinished run ${runId} (add-learner, started 09:07, 1 step to undo): u to undo, see etcd-tui runs`), flat(f));
  assert.doesNotMatch(f, /other/);
  await t.press('u');
  f = await t.frame('undo preview', (x) => x.includes('[preview]'));
  assert.match(flat(f), /WHAT IT DID: 1\. Add m4 as a learner: done 2\. Wait for m4: CUT OFF in the middle/);
  assert.match(flat(f), /remove m4 \(/);
  assert.match(flat(f), /enter: go on to confirm by typing the run ID/);
  assert.ok(!t.gateway.calls.some((c) => c.startsWith('memberRemove')), 'nothing undone before the confirmation');
  await t.press('\r');
  await t.frame('confirm', (x) => x.includes('Type the run ID'));
  await t.press('nope\r');
  await waitFor(() => (t.store.getState().ui.message?.text.includes('is not') ? true : undefined), { what: 'a wrong ID is refused', timeoutMs: 2000 });
  for (let i = 0; i < 4; i++) await t.press('\x7f');
  await t.press(runId);
  await t.press('\r');
  f = await t.frame('undone', (x) => x.includes('SUCCEEDED'));
  assert.ok(t.gateway.calls.includes(`memberRemove ${learner.id}`), t.gateway.calls.join('\n'));
  assert.match(flat(f), /everything run \S+ changed was undone/);
  await t.press('\x1b');
  await t.frame('line gone', (x) => x.includes('MEMBERS (3)') && !flat(x).includes('unfinished run'));
  const after = listRuns(journalDir(t.audit.path)).find((r) => r.id === runId);
  assert.equal(after?.unfinished, false, 'the journal says the run is finished');
  assert.equal(after?.ended, 'undone');
  assert.deepEqual(t.records().map((r) => [r.command, r.outcome, r.arguments.run]), [['undo', 'succeeded', runId]]);
  // Nothing left: u says so.
  await t.press('u');
  await waitFor(() => (t.store.getState().ui.message?.text.includes('no unfinished run') ? true : undefined), { what: 'u without a run', timeoutMs: 2000 });
  t.done();
});

test('read-only: the undo command is hidden (and its key says read-only)', async () => {
  const full = new CommandRegistry({ readOnly: false });
  const ro = new CommandRegistry({ readOnly: true });
  assert.ok(full.byId('undo'));
  assert.equal(ro.byId('undo'), undefined);
  const t = await setup({
    readOnly: true,
    before: (dir) => {
      mkdirSync(journalDir(join(dir, 'audit.jsonl')), { recursive: true });
      writeDeadRun(journalDir(join(dir, 'audit.jsonl')), { context: 'test', steps: [{ title: 'Add m9', undo: { title: 'remove m9', spec: { kind: 'member-remove', name: 'm9', memberId: '77' } } }] });
    },
  });
  await t.frame('dashboard', (x) => x.includes('MEMBERS (3)'));
  await t.press('u');
  await waitFor(() => (t.store.getState().ui.message?.text.startsWith('read-only') ? true : undefined), { what: 'read-only message', timeoutMs: 2000 });
  assert.equal(t.store.getState().flow, undefined);
  t.done();
});

const HOST4 = hostSpec('etcd-4', '10.9.0.14');

test('an unfinished bootstrap of this context: its undo steps on the host go through the console\'s host port', async () => {
  const host = new FakeHost(HOST4.ssh);
  host.dirs.add('/etc/etcd');
  host.files.set('/etc/etcd/etcd.env', { content: Buffer.from('ETCD_NAME=etcd-4\n'), mode: 0o644 });
  const calls: string[] = [];
  const port: HostPort = {
    hosts: () => ['etcd-4'],
    async prepare(request) {
      calls.push(`prepare ${request.flow} ${request.argument ?? ''}`);
      return { planned: { ok: false, refusal: 'not used' }, replan: () => ({ ok: false, refusal: 'not used' }), unknownKeys: [] };
    },
    trust: async () => undefined,
    access: () => ({ spec: () => HOST4, settings: DEFAULT_ETCD_SETTINGS, connection: async () => host }),
  };
  let runId = '';
  const t = await setup({
    hosts: port,
    before: (dir) => {
      runId = writeDeadRun(journalDir(join(dir, 'audit.jsonl')), {
        context: 'test',
        flow: 'bootstrap-join',
        steps: [
          { title: 'etcd-4: create /etc/etcd', undo: { title: 'rmdir', spec: { kind: 'rmdir', host: 'etcd-4', path: '/etc/etcd' } } },
          { title: 'etcd-4: write the env file', undo: { title: 'rm', spec: { kind: 'remove-file', host: 'etcd-4', path: '/etc/etcd/etcd.env', unit: false } } },
        ],
      }).id;
    },
  });
  await t.frame('offer', (x) => flat(x).includes('unfinished run'));
  await t.press(':');
  await t.press(`undo ${runId}\r`);
  const f = await t.frame('preview', (x) => x.includes('[preview]'));
  assert.match(flat(f), /1\. remove \/etc\/etcd\/etcd\.env from etcd-4/);
  assert.match(flat(f), /2\. remove the empty directory \/etc\/etcd on etcd-4/);
  await t.press('\r');
  await t.frame('confirm', (x) => x.includes('Type the run ID'));
  await t.press(runId);
  await t.press('\r');
  await t.frame('undone', (x) => x.includes('SUCCEEDED'));
  assert.equal(host.files.has('/etc/etcd/etcd.env'), false);
  assert.equal(host.dirs.has('/etc/etcd'), false);
  assert.deepEqual(calls, [`prepare bootstrap-join ${runId}`]);
  t.done();
});

test('switching context offers that context\'s unfinished runs, and only those', async () => {
  let otherId = '';
  const t = await setup({
    before: (dir) => {
      otherId = writeDeadRun(journalDir(join(dir, 'audit.jsonl')), { context: 'other', started: new Date(Date.now() - 60_000), steps: [{ title: 'Add x', undo: { title: 'remove x', spec: { kind: 'member-remove', name: 'x', memberId: '5' } } }] }).id;
      writeDeadRun(journalDir(join(dir, 'audit.jsonl')), { context: 'other', steps: [{ title: 'Add y', undo: { title: 'remove y', spec: { kind: 'member-remove', name: 'y', memberId: '6' } } }] });
    },
  });
  await t.frame('dashboard', (x) => x.includes('MEMBERS (3)'));
  assert.equal(t.store.getState().inspect.unfinishedRuns, undefined);
  t.store.getState().resetView({ ...connection, contextName: 'other' });
  await waitFor(() => (t.store.getState().inspect.unfinishedRuns?.[0]?.id === otherId ? true : undefined), { what: 'the other context\'s run offered', timeoutMs: 2000 });
  const f = await t.frame('offer of the oldest, and how many more', (x) => flat(x).includes('unfinished run'));
  assert.ok(flat(f).includes(`unfinished run ${otherId} (add-learner, started`), flat(f));
  assert.match(flat(f), /see etcd-tui runs \(1 more: :undo RUN\)/);
  t.store.getState().resetView(connection);
  await waitFor(() => (t.store.getState().inspect.unfinishedRuns === undefined ? true : undefined), { what: 'back: nothing offered', timeoutMs: 2000 });
  t.done();
});
