/**
 * etcd 3.4/3.5 refuse every member add (a learner too) while a voter is disconnected. The planners
 * know it: with a second voter down, `member replace` and `member add-learner` are refused before
 * anything changes (the replace used to remove the dead member and then fail the add, leaving 4
 * voters that tolerate no failure). Real etcd 3.4, five members, two killed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type MemberListJson, type TestCluster } from '../harness/cluster.js';
import { runCli, showCli as show } from '../harness/cli.js';

describe('adds refused while a second voter is down (etcd 3.4, 5 members, 2 killed)', () => {
  let cluster: TestCluster;
  let dir: string;

  before(async () => {
    cluster = await startCluster({ members: 5, version: '3.4' });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-voter-down-'));
  });
  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('replace and add-learner exit 5 naming the other dead voter; membership unchanged; etcd itself refuses such an add', async () => {
    const leader = await cluster.leaderName();
    const [deadA, deadB] = cluster.members.map((m) => m.name).filter((n) => n !== leader).slice(-2);
    await cluster.kill(deadA);
    await cluster.kill(deadB);
    const audit = join(dir, 'audit.jsonl');
    const common = ['--endpoints', cluster.liveEndpoints().join(','), '--audit-log', audit];
    const members = async () => (await cluster.etcdctlJson<MemberListJson>(['member', 'list'])).members.map((m) => `${m.ID} ${m.name} ${m.isLearner ? 'learner' : 'voter'}`).sort();
    const before = await members();
    assert.equal(before.length, 5);

    // What the refusal rests on: etcd refuses the add while a voter is disconnected.
    const planned = await cluster.planMember('m9');
    const raw = await cluster.etcdctl(['member', 'add', 'm9', `--peer-urls=${planned.peerURL}`, '--learner']);
    assert.notEqual(raw.code, 0, `etcd accepted an add with two voters down:\n${raw.stdout}`);
    assert.match(raw.stderr, /unhealthy cluster/i);

    const replace = await runCli(['member', 'replace', deadB, '--down-for', '1s', '--wait', '10s', '--yes', ...common], { timeoutMs: 60_000 });
    assert.equal(replace.code, 5, show(replace));
    const line = replace.stdout.split('\n').find((l) => l.startsWith('REFUSED:'));
    assert.ok(line, show(replace));
    assert.match(line, new RegExp(`${deadA} \\([0-9a-f]+\\) does not answer`));
    assert.match(line, new RegExp(`:remove ${deadA}`));

    const add = await runCli(['member', 'add-learner', '--name', 'm9', '--peer-urls', planned.peerURL, '--yes', ...common], { timeoutMs: 60_000 });
    assert.equal(add.code, 5, show(add));
    assert.match(add.stdout, /REFUSED: .*refuses any member add \(a learner too\) while a voter is disconnected/);

    // Nothing changed: the same five members, the dead ones still in, no m9.
    assert.deepEqual(await members(), before);
    const records = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { command: string; outcome: string });
    assert.deepEqual(records.map((r) => [r.command, r.outcome]), [['replace', 'refused'], ['add-learner', 'refused']]);
  });
});
