// Finishing an unfinished run (src/run/undo-run.ts), shared by `etcd-tui undo RUN` and the console's
// `:undo RUN`: which runs are offered, the offer line, the undo steps in order, carrying them out with
// the journal and the audit log told, and the patient member removal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRun } from '../../src/run/journal.js';
import { carryOutUndo, cutMemberRemovals, describeRun, offerLine, removeMemberPatiently, undoSteps, unfinishedRunsOf, UndoNotDescribed } from '../../src/run/undo-run.js';
import type { AuditRecord } from '../../src/domain/plan.js';
import type { SshTarget } from '../../src/domain/hosts.js';
import { FakeHost } from '../fakes/fake-host.js';
import { writeDeadRun } from '../fakes/journals.js';
import { waitFor } from '../harness/wait.js';

const TARGET: SshTarget = { address: '10.9.0.14', port: 22, user: 'root', identityFiles: [], agent: false, knownHosts: '/dev/null', sudo: false, connectTimeoutMs: 1000 };

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'etcd-tui-undo-run-'));
}

const joinSteps = [
  { title: 'Add etcd-4 as a learner', undo: { title: 'remove etcd-4', spec: { kind: 'member-remove' as const, name: 'etcd-4', memberId: '42' } } },
  { title: 'Make /etc/etcd on etcd-4', undo: { title: 'rmdir', spec: { kind: 'rmdir' as const, host: 'etcd-4', path: '/etc/etcd' } } },
  { title: 'Put the env file', undo: { title: 'rm env', spec: { kind: 'remove-file' as const, host: 'etcd-4', path: '/etc/etcd/etcd.env', unit: false } } },
];

test('the runs offered: unfinished, of this context, process gone; a live one, a finished one and another context are not', async () => {
  const dir = tempDir();
  // A process whose command line says etcd-tui, as a live run's would.
  const alive = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'etcd-tui'], { stdio: 'ignore' });
  try {
    await waitFor(() => (alive.pid && existsSync(`/proc/${alive.pid}/cmdline`) && readFileSync(`/proc/${alive.pid}/cmdline`, 'utf8').includes('etcd-tui') ? true : undefined), { what: 'the stand-in process', timeoutMs: 10_000 });
    const offered = writeDeadRun(dir, { context: 'prod', steps: joinSteps });
    writeDeadRun(dir, { context: 'staging', steps: joinSteps });
    // A run whose etcd-tui process still runs is not offered (someone else may be finishing it).
    const live = writeDeadRun(dir, { context: 'prod', steps: joinSteps, pid: alive.pid });
    const finished = writeDeadRun(dir, { context: 'prod', steps: joinSteps });
    writeFileSync(finished.path, readFileSync(finished.path, 'utf8') + JSON.stringify({ t: 'end', outcome: 'succeeded', time: new Date().toISOString() }) + '\n');
    const ids = unfinishedRunsOf(dir, 'prod').map((r) => r.id);
    assert.ok(ids.includes(offered.id));
    assert.ok(!ids.includes(finished.id), 'a run that succeeded keeps what it did');
    assert.equal(readRun(live.path).host, hostname());
    assert.ok(!ids.includes(live.id), 'a run whose process lives is not offered');
    assert.deepEqual(unfinishedRunsOf(dir, 'nowhere'), []);
    assert.deepEqual(unfinishedRunsOf(join(dir, 'missing'), 'prod'), [], 'no journal dir: nothing offered');
  } finally {
    alive.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the offer line names the run, its flow, when it started and how many steps are left; read-only does not say u', () => {
  const dir = tempDir();
  try {
    const r = writeDeadRun(dir, { context: 'prod', flow: 'bootstrap-join', started: new Date(2026, 11, 3, 14, 5), steps: joinSteps });
    const run = readRun(r.path);
    assert.equal(offerLine(run), `unfinished run ${r.id} (bootstrap-join, started 14:05, 3 steps to undo): u to undo, see etcd-tui runs`);
    assert.equal(offerLine(run, { readOnly: true }), `unfinished run ${r.id} (bootstrap-join, started 14:05, 3 steps to undo): undo it outside read-only mode, see etcd-tui runs`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('undo steps are newest first, a cut-off member add found by its peer URL comes last, and the list is the one etcd-tui undo prints', () => {
  const dir = tempDir();
  try {
    const r = writeDeadRun(dir, { context: 'prod', steps: joinSteps });
    const run = readRun(r.path);
    const specs = undoSteps(run, []);
    assert.deepEqual(specs.map((s) => s.kind), ['remove-file', 'rmdir', 'member-remove']);
    const lines = describeRun(run, specs);
    assert.equal(lines[0], `RUN ${r.id}: add-learner (test)`);
    assert.ok(lines.includes('WHAT IT DID:'));
    assert.ok(lines.includes('  1. Add etcd-4 as a learner: done'));
    const at = lines.indexOf('TO UNDO (in this order):');
    assert.deepEqual(lines.slice(at + 1), ['  1. remove /etc/etcd/etcd.env from etcd-4', '  2. remove the empty directory /etc/etcd on etcd-4', '  3. remove etcd-4 (2a) from the cluster']);

    const cut = { ...run, cutMemberAdds: [{ name: 'etcd-5', peerURLs: ['https://10.9.0.15:2380'] }, { name: 'etcd-6', peerURLs: ['https://10.9.0.16:2380'] }] };
    const found = cutMemberRemovals(cut, [
      { id: '77', name: '', peerURLs: ['https://10.9.0.15:2380'] },
      { id: '78', name: 'etcd-6', peerURLs: ['https://10.9.0.16:2380'] },
    ]);
    assert.deepEqual(found.found, [{ kind: 'member-remove', name: 'etcd-5', memberId: '77' }]);
    assert.match(found.notes[0], /the add of etcd-6 was cut off: no unstarted member with https:\/\/10\.9\.0\.16:2380/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an undo record without its description cannot be replayed: a typed error naming it', () => {
  const dir = tempDir();
  try {
    const r = writeDeadRun(dir, { context: 'prod', steps: joinSteps });
    const run = readRun(r.path);
    const broken = { ...run, pending: [{ n: 9, title: 'something odd' }] };
    assert.throws(() => undoSteps(broken, []), (e: unknown) => e instanceof UndoNotDescribed && /the undo step "something odd" has no description/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('carrying out the undo: each step in the journal as it happens; a failure leaves the run unfinished and is retried next time; then the run ends "undone"; one audit record each time', async () => {
  const dir = tempDir();
  try {
    const r = writeDeadRun(dir, { context: 'prod', steps: joinSteps });
    const host = new FakeHost(TARGET);
    host.dirs.add('/etc/etcd');
    host.files.set('/etc/etcd/etcd.env', { content: Buffer.from('X=1\n'), mode: 0o644 });
    const removed: string[] = [];
    let clusterUp = false;
    const env = {
      connection: async () => host,
      removeMember: async (id: string) => {
        if (!clusterUp) throw new Error('connection refused');
        removed.push(id);
      },
    };
    const audit: AuditRecord[] = [];
    const events: string[] = [];
    let run = readRun(r.path);
    let outcome = await carryOutUndo(run, undoSteps(run, []), env, { audit: { append: (x) => audit.push(x) }, by: 'test', onStep: (i, state) => events.push(`${i}:${state}`) });
    assert.deepEqual(events, ['0:start', '0:done', '1:start', '1:done', '2:start', '2:failed']);
    assert.equal(outcome.failed.length, 1);
    assert.match(outcome.failed[0], /^could not remove etcd-4 \(2a\) from the cluster: connection refused$/);
    assert.equal(host.files.has('/etc/etcd/etcd.env'), false);
    assert.equal(host.dirs.has('/etc/etcd'), false);
    run = readRun(r.path);
    assert.equal(run.unfinished, true, 'a failed undo step leaves the run unfinished');
    assert.deepEqual(run.pending.map((u) => u.spec?.kind), ['member-remove'], 'only the failed step is left');
    assert.equal(audit.at(-1)?.outcome, 'failed');
    assert.deepEqual(audit.at(-1)?.arguments, { run: r.id });

    clusterUp = true;
    outcome = await carryOutUndo(run, undoSteps(run, []), env, { audit: { append: (x) => audit.push(x) }, by: 'test' });
    assert.deepEqual(outcome.failed, []);
    assert.deepEqual(removed, ['42']);
    run = readRun(r.path);
    assert.equal(run.unfinished, false);
    assert.equal(run.ended, 'undone');
    assert.deepEqual(audit.map((a) => [a.command, a.outcome]), [['undo', 'failed'], ['undo', 'succeeded']]);
    assert.deepEqual(unfinishedRunsOf(dir, 'prod'), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('member removal for undo: gone already is fine, an unhealthy cluster is tried again within the bound, anything else fails', async () => {
  const gone = new Error('member not found');
  const busy = new Error('unhealthy');
  const opts = { isGone: (e: unknown) => e === gone, isTransient: (e: unknown) => e === busy, sleep: async () => undefined, retryMs: 60_000 };
  let calls = 0;
  await removeMemberPatiently(async () => {
    calls++;
    if (calls < 3) throw busy;
  }, '1', opts);
  assert.equal(calls, 3);
  await removeMemberPatiently(async () => {
    throw gone;
  }, '1', opts);
  await assert.rejects(
    removeMemberPatiently(async () => {
      throw new Error('permission denied');
    }, '1', opts),
    /permission denied/,
  );
  await assert.rejects(
    removeMemberPatiently(async () => {
      throw busy;
    }, '1', { ...opts, retryMs: 0 }),
    (e: unknown) => e === busy,
    'past the bound, the transient error is the answer',
  );
});
