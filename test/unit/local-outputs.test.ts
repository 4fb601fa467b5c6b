/**
 * Issue 13 items 2 and 14, the pure parts: the check of a local output (real files in a temp dir), and
 * how a member is found by the name an add flow gave it or by a hex ID made of decimal digits only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localOutputProblem, localOutputsProblem, planOutputs } from '../../src/run/local-files.js';
import { applyRefreshes, emptyView, type Refresh, type ClusterView } from '../../src/health/view.js';
import { DEFAULT_HEALTH_OPTIONS, type Member, type Probe } from '../../src/domain/types.js';
import { planPromote, resolveMember } from '../../src/plans/membership.js';
import { member, up, IDS } from '../fakes/fixtures.js';

test('localOutputProblem: missing directory, a directory for a file, an existing file, a file for a directory; fine paths pass; nothing is written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-outputs-unit-'));
  try {
    const file = join(dir, 'plain');
    writeFileSync(file, 'x');
    mkdirSync(join(dir, 'sub'));
    const envOut = (path: string) => localOutputProblem({ kind: 'new-file', path, what: 'the env file', existing: 'refuse' });
    assert.match(envOut(join(dir, 'missing', 'm4.env')) ?? '', /^the env file .*missing\/m4\.env cannot be written: the directory .*missing does not exist$/);
    assert.match(envOut(join(dir, 'sub')) ?? '', /is a directory, not a file/);
    assert.match(envOut(file) ?? '', /exists: it is never overwritten/);
    assert.equal(localOutputProblem({ kind: 'new-file', path: file, what: 'the snapshot file', existing: 'planner' }), undefined);
    assert.match(envOut(join(file, 'x.env')) ?? '', /plain is not a directory/);
    assert.equal(envOut(join(dir, 'sub', 'm4.env')), undefined);

    const log = (path: string) => localOutputProblem({ kind: 'append', path, what: 'the audit log' });
    assert.match(log(join(dir, 'sub')) ?? '', /^the audit log .*sub is a directory, not a file$/);
    assert.match(log(join(file, 'audit.jsonl')) ?? '', /cannot be created: .*plain is not a directory/);
    assert.equal(log(file), undefined);
    // Missing directories of a log are created when it is written (as the default path's are).
    assert.equal(log(join(dir, 'new', 'deeper', 'audit.jsonl')), undefined);

    const runs = (path: string) => localOutputProblem({ kind: 'dir', path, what: 'the run-journal directory' });
    assert.match(runs(file) ?? '', /is a file, not a directory/);
    assert.equal(runs(join(dir, 'sub')), undefined);

    assert.match(localOutputsProblem([{ kind: 'append', path: file, what: 'the audit log' }, { kind: 'dir', path: file, what: 'the run-journal directory' }]) ?? '', /run-journal directory/);
    assert.deepEqual(
      planOutputs({ steps: [{ action: { kind: 'snapshot-save', file: '/b/s.db' } }], rollbackOnFailure: true }, '/s/audit.jsonl').map((o) => `${o.kind} ${o.path}`),
      ['append /s/audit.jsonl', 'dir /s/runs', 'new-file /b/s.db'],
    );
    // Nothing was created by the checks, and no probe file was left behind.
    assert.ok(!existsSync(join(dir, 'new')) && !existsSync(join(dir, 'missing')), 'a check created a directory');
    assert.deepEqual(readdirSync(dir).sort(), ['plain', 'sub']);
    assert.deepEqual(readdirSync(join(dir, 'sub')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('localOutputProblem: a directory where nothing can be created is refused also for root, whose access(2) says yes (/proc)', () => {
  const notWritable = /is not writable \((permission denied|files cannot be created there: [A-Z]+)\)/;
  const snapshot = localOutputProblem({ kind: 'new-file', path: '/proc/etcd-tui-test.db', what: 'the snapshot file', existing: 'planner' }) ?? '';
  assert.match(snapshot, /^the snapshot file \/proc\/etcd-tui-test\.db cannot be written: the directory \/proc /);
  assert.match(snapshot, notWritable);
  assert.match(localOutputProblem({ kind: 'append', path: '/proc/etcd-tui-test/audit.jsonl', what: 'the audit log' }) ?? '', /^the audit log \/proc\/etcd-tui-test\/audit\.jsonl cannot be created: \/proc /);
  assert.match(localOutputProblem({ kind: 'dir', path: '/proc', what: 'the render directory' }) ?? '', notWritable);
});

function viewOf(members: Member[], probes: Record<string, Probe>): ClusterView {
  const batch: Refresh[] = [{ type: 'membership', at: 1000, result: { ok: true, clusterId: '7', members } }, ...Object.entries(probes).map(([id, probe]): Refresh => ({ type: 'probe', at: 1000, memberId: id, probe }))];
  return applyRefreshes(emptyView(DEFAULT_HEALTH_OPTIONS, 0), batch, DEFAULT_HEALTH_OPTIONS);
}

test('resolveMember: an unstarted learner by the name its add gave it; a hex ID of decimal digits only is read as hex', () => {
  const unstarted = member('m4', { name: '', clientURLs: [], isLearner: true });
  const view = viewOf([member('m1'), member('m2'), member('m3'), unstarted], { [IDS.m1]: up(), [IDS.m2]: up(), [IDS.m3]: up() });
  const names = { '10000000000001': 'm4' };
  const byName = resolveMember(view, 'm4', names);
  assert.ok(byName.ok && byName.member.id === IDS.m4);
  assert.ok(!resolveMember(view, 'm4').ok, 'without the names the learner has no name');
  // IDS.m4 is 0x10000000000001: etcdctl prints "10000000000001", which is also a decimal number.
  const byHex = resolveMember(view, '10000000000001');
  assert.ok(byHex.ok && byHex.member.id === IDS.m4);
  const plan = planPromote(view, { member: 'm4', waitMs: 60_000, names });
  assert.ok(plan.ok);
  assert.equal(plan.plan.title, 'Promote learner m4');
  assert.deepEqual(plan.plan.steps.map((s) => [s.action.kind, 'downAfterMs' in s.action ? s.action.downAfterMs : undefined]), [['wait-started', 5000], ['wait-caught-up', 5000], ['member-promote', undefined]]);
});

test('a promote wait stops early for a learner nothing listens for, but not when a voter does not answer on its peer port either (a firewall)', async () => {
  const { MEMBERSHIP_HANDLERS } = await import('../../src/run/membership-actions.js');
  const unstarted = member('m4', { name: '', clientURLs: [], isLearner: true });
  const view = viewOf([member('m1'), member('m2'), member('m3'), unstarted], { [IDS.m1]: up(), [IDS.m2]: up(), [IDS.m3]: up() });
  const voterPeer = member('m1').peerURLs[0];
  const run = async (voterAnswers: boolean | undefined) => {
    let clock = 0;
    const deps = {
      gateway: { peerListening: async (url: string) => (url === voterPeer ? voterAnswers : false) },
      observe: async () => view,
      onEvent: () => undefined,
      signal: new AbortController().signal,
      pollMs: 1,
      // Every look at the clock is 400 ms later: the 5 s of refusals pass in a few polls.
      now: () => (clock += 400),
    } as unknown as Parameters<(typeof MEMBERSHIP_HANDLERS)['wait-started']>[2];
    const ctx = { added: new Map(), output: [], recordUndo: () => undefined, commit: () => 0 };
    const action = { kind: 'wait-started' as const, name: 'm4', peerURLs: unstarted.peerURLs, timeoutMs: 60_000, downAfterMs: 5000 };
    return MEMBERSHIP_HANDLERS['wait-started'](action, 0, deps, ctx).then(
      () => 'started',
      (error: Error) => error.message,
    );
  };
  assert.equal(await run(true), 'm4 is not running: start it on its host, or remove it (`etcd-tui member remove m4`)');
  assert.match(await run(undefined), /^m4 did not start within 1m0s/);
  assert.match(await run(false), /^m4 did not start within 1m0s/);
});
