/**
 * Issue 13 item 14, headless against real etcd 3.4: a learner is promoted by the name the add flow
 * gave it, even before it has started (etcd lists it without a name; the name comes from the audit
 * log). A promote that waits for a learner that is not running stops early (not after --wait) with
 * the way out; the removal it offers works by that name too; a learner started meanwhile is promoted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type MemberListJson, type TestCluster } from '../harness/cluster.js';
import { runCli, showCli as show } from '../harness/cli.js';

describe('member promote NAME of a learner that has not started (etcd 3.4)', () => {
  let cluster: TestCluster;
  let dir: string;
  let common: string[];

  before(async () => {
    cluster = await startCluster({ members: 3, version: '3.4' });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-promote-name-'));
    common = ['--endpoints', cluster.endpoints.join(','), '--audit-log', join(dir, 'audit.jsonl')];
  });
  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const run = (args: string[], timeoutMs = 120_000) => runCli([...args, ...common], { timeoutMs });
  const members = async () => (await cluster.etcdctlJson<MemberListJson>(['member', 'list'])).members;

  /** add-learner NAME, headless; returns the printed ETCD_INITIAL_CLUSTER. */
  async function addLearner(name: string, peerURL: string): Promise<string> {
    const r = await run(['member', 'add-learner', '--name', name, '--peer-urls', peerURL, '--yes']);
    assert.equal(r.code, 0, show(r));
    const initial = /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(r.stdout)?.[1];
    assert.ok(initial, show(r));
    return initial;
  }

  test('promote m4 before it starts: found by its given name, stops early with "m4 is not running"; remove m4 by that name', async () => {
    const m4 = await cluster.planMember('m4');
    await addLearner('m4', m4.peerURL);
    const unstarted = (await members()).find((m) => m.peerURLs?.includes(m4.peerURL));
    assert.ok(unstarted?.isLearner && !unstarted.name, `etcd lists the learner without a name: ${JSON.stringify(unstarted)}`);

    // --wait 5m: the early stop must come from the learner being down, not from the wait running out.
    const r = await run(['member', 'promote', 'm4', '--wait', '5m', '--yes']);
    assert.equal(r.code, 6, show(r));
    assert.match(r.stdout, /PLAN: Promote learner m4/, show(r));
    assert.match(r.stdout, /m4 is not running: start it on its host, or remove it \(`etcd-tui member remove m4`\)/, show(r));
    assert.ok(r.ms < 60_000, `the promote waited ${r.ms} ms for a learner that does not run`);
    assert.ok((await members()).some((m) => m.ID === unstarted.ID && m.isLearner), 'the learner is still a learner');

    // The way out it offers works as printed.
    const removed = await run(['member', 'remove', 'm4', '--yes']);
    assert.equal(removed.code, 0, show(removed));
    assert.ok(!(await members()).some((m) => m.ID === unstarted.ID), 'm4 is still a member');
  });

  test('promote m5 by its given name while it starts: promoted to a voter', async () => {
    const m5 = await cluster.planMember('m5');
    const initial = await addLearner('m5', m5.peerURL);
    // Started now (the operator on its host); the promote is typed at once, by the name the add gave.
    const started = cluster.addProcess(m5, { initialCluster: initial, state: 'existing', learner: true, wait: false });
    const r = await run(['member', 'promote', 'm5', '--wait', '2m', '--yes']);
    await started;
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /m5 is a voting member/, show(r));
    const m = (await members()).find((x) => x.peerURLs?.includes(m5.peerURL));
    assert.ok(m && !m.isLearner, `m5 is not a voter: ${JSON.stringify(m)}`);
  });

  test('promote m6, a learner that started and was stopped: stops early with "m6 is not running"', async () => {
    const m6 = await cluster.planMember('m6');
    const initial = await addLearner('m6', m6.peerURL);
    await cluster.addProcess(m6, { initialCluster: initial, state: 'existing', learner: true, timeoutMs: 30_000 });
    await cluster.kill('m6');
    const r = await run(['member', 'promote', 'm6', '--wait', '5m', '--yes']);
    assert.equal(r.code, 6, show(r));
    assert.match(r.stdout, /m6 is not running: start it on its host, or remove it \(`etcd-tui member remove m6`\)/, show(r));
    assert.ok(r.ms < 60_000, `the promote waited ${r.ms} ms for a stopped learner`);
    assert.ok((await members()).some((m) => m.peerURLs?.includes(m6.peerURL) && m.isLearner), 'm6 is still a learner');
  });
});
