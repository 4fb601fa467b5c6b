import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyRefreshes, emptyView, type Refresh, type ClusterView } from '../../src/health/view.js';
import { DEFAULT_HEALTH_OPTIONS, type Member, type Probe } from '../../src/domain/types.js';
import { envBlock, initialClusterString, planAddLearner, planMoveLeader, planPromote, planRemove, planReplace, resolveMember, validatePeerURLs } from '../../src/plans/membership.js';
import { member, up, down, IDS } from '../fakes/fixtures.js';

const opts = DEFAULT_HEALTH_OPTIONS;

function viewOf(members: Member[], probes: Record<string, Probe>): ClusterView {
  const batch: Refresh[] = [{ type: 'membership', at: 1000, result: { ok: true, clusterId: '7', members } }, ...Object.entries(probes).map(([id, probe]): Refresh => ({ type: 'probe', at: 1000, memberId: id, probe }))];
  return applyRefreshes(emptyView(opts, 0), batch, opts);
}

const three = [member('m1'), member('m2'), member('m3')];
const healthy = viewOf(three, { [IDS.m1]: up(), [IDS.m2]: up(), [IDS.m3]: up() });
const oneDown = viewOf(three, { [IDS.m1]: up(), [IDS.m2]: up(), [IDS.m3]: down() });

test('resolveMember by name, hex and decimal ID; unknown and ambiguous names are refused', () => {
  assert.equal((resolveMember(healthy, 'm2') as { member: Member }).member.id, IDS.m2);
  assert.equal((resolveMember(healthy, '8e9e05c52164694d') as { member: Member }).member.name, 'm1');
  assert.equal((resolveMember(healthy, IDS.m3) as { member: Member }).member.name, 'm3');
  const unknown = resolveMember(healthy, 'm9');
  assert.ok(!unknown.ok && /unknown member "m9"; members: m1/.test(unknown.refusal));
  const twins = viewOf([member('m1'), { ...member('m2'), name: 'm1' }], { [IDS.m1]: up(), [IDS.m2]: up() });
  const amb = resolveMember(twins, 'm1');
  assert.ok(!amb.ok && /ambiguous/.test(amb.refusal));
});

test('peer URLs: syntax, port, path, scheme of the other members, not already used', () => {
  assert.deepEqual(validatePeerURLs('http://127.0.0.1:2455', three), { ok: true, urls: ['http://127.0.0.1:2455'] });
  for (const [text, re] of [
    ['nope', /not a URL/],
    ['ftp://a:1', /http:\/\/ or https:\/\//],
    ['http://a', /no port/],
    ['http://a:1/x', /without a path/],
    ['https://a:2380', /uses https:\/\/ but the other members use http:\/\//],
    [three[1].peerURLs[0], /already used by m2/],
  ] as Array<[string, RegExp]>) {
    const r = validatePeerURLs(text, three);
    assert.ok(!r.ok && re.test(r.refusal), `${text}: ${JSON.stringify(r)}`);
  }
});

test('the env block has the form etcdctl member add prints', () => {
  const block = envBlock(three, 'm4', ['http://127.0.0.1:2420']);
  assert.deepEqual(block, [
    'ETCD_NAME="m4"',
    `ETCD_INITIAL_CLUSTER="m1=${three[0].peerURLs[0]},m2=${three[1].peerURLs[0]},m3=${three[2].peerURLs[0]},m4=http://127.0.0.1:2420"`,
    'ETCD_INITIAL_ADVERTISE_PEER_URLS="http://127.0.0.1:2420"',
    'ETCD_INITIAL_CLUSTER_STATE="existing"',
  ]);
  assert.equal(initialClusterString([], 'a', ['http://x:1', 'http://y:1']), 'a=http://x:1,a=http://y:1');
});

test('add-learner: plan with the etcdctl command; refusals for a used name, a second learner, an unstarted member, no quorum', () => {
  const r = planAddLearner(healthy, { name: 'm4', peerURLs: 'http://127.0.0.1:2420' });
  assert.ok(r.ok);
  assert.equal(r.plan.steps.length, 1);
  assert.equal(r.plan.steps[0].command, 'etcdctl member add m4 --peer-urls=http://127.0.0.1:2420 --learner');
  assert.deepEqual(r.plan.steps[0].action, { kind: 'member-add', name: 'm4', peerURLs: ['http://127.0.0.1:2420'], isLearner: true });
  assert.ok(r.plan.preview.some((l) => l.includes('ETCD_INITIAL_CLUSTER_STATE="existing"')));

  const used = planAddLearner(healthy, { name: 'm2', peerURLs: 'http://127.0.0.1:2420' });
  assert.ok(!used.ok && /already used/.test(used.refusal));
  const withLearner = viewOf([...three, member('m4', { isLearner: true })], { [IDS.m1]: up(), [IDS.m2]: up(), [IDS.m3]: up(), [IDS.m4]: up() });
  const second = planAddLearner(withLearner, { name: 'm5', peerURLs: 'http://127.0.0.1:2450' });
  assert.ok(!second.ok && /at most one learner/.test(second.refusal) && /promote or remove it first/.test(second.refusal));
  const pending = viewOf([...three, { ...member('m4'), name: '', clientURLs: [] }], { [IDS.m1]: up(), [IDS.m2]: up(), [IDS.m3]: up() });
  const p = planAddLearner(pending, { name: 'm5', peerURLs: 'http://127.0.0.1:2450' });
  assert.ok(!p.ok && /never started/.test(p.refusal));
  const noQuorum = viewOf(three, { [IDS.m1]: up(), [IDS.m2]: down(), [IDS.m3]: down() });
  const q = planAddLearner(noQuorum, { name: 'm4', peerURLs: 'http://127.0.0.1:2420' });
  assert.ok(!q.ok && /no quorum/.test(q.refusal));
});

test('promote: a learner only, started; catch-up then promote', () => {
  const v = viewOf([...three, member('m4', { isLearner: true })], { [IDS.m1]: up(), [IDS.m2]: up(), [IDS.m3]: up(), [IDS.m4]: up({ isLearner: true }) });
  const r = planPromote(v, { member: 'm4', waitMs: 60_000 });
  assert.ok(r.ok);
  assert.deepEqual(r.plan.steps.map((s) => s.action.kind), ['wait-caught-up', 'member-promote']);
  assert.equal(r.plan.steps[1].command, `etcdctl member promote ${BigInt(IDS.m4).toString(16)}`);
  assert.ok(r.plan.warnings.some((w) => /4 voters is an even number/.test(w)));
  const voter = planPromote(v, { member: 'm2', waitMs: 1 });
  assert.ok(!voter.ok && /already a voting member/.test(voter.refusal));
});

test('remove: quorum preview; refusals for below-quorum, 2-member and last-voter; a learner always', () => {
  const r = planRemove(oneDown, { member: 'm3', moveLeaderFirst: true, gapThreshold: 50, moveTimeoutMs: 1000 });
  assert.ok(r.ok);
  assert.equal(r.plan.confirmPhrase, 'm3');
  assert.deepEqual(r.plan.preview, [
    'now: 3 voters, 2 healthy, quorum 2, tolerates 0 failure(s)',
    'after removing m3: 2 voters, 2 healthy, quorum 2, tolerates 0 failure(s)',
  ]);
  const healthyTarget = planRemove(oneDown, { member: 'm2', moveLeaderFirst: true, gapThreshold: 50, moveTimeoutMs: 1000 });
  assert.ok(!healthyTarget.ok && /would leave 1 healthy voter\(s\) of 2, below quorum 2/.test(healthyTarget.refusal));
  const two = viewOf([member('m1'), member('m2')], { [IDS.m1]: up(), [IDS.m2]: up() });
  const t = planRemove(two, { member: 'm2', moveLeaderFirst: true, gapThreshold: 50, moveTimeoutMs: 1000 });
  assert.ok(!t.ok && /2-member cluster/.test(t.refusal));
  const one = viewOf([member('m1')], { [IDS.m1]: up() });
  const last = planRemove(one, { member: 'm1', moveLeaderFirst: true, gapThreshold: 50, moveTimeoutMs: 1000 });
  assert.ok(!last.ok && /last voting member/.test(last.refusal));
  const learnerView = viewOf([member('m1'), member('m2'), member('m4', { isLearner: true })], { [IDS.m1]: up(), [IDS.m2]: up(), [IDS.m4]: down() });
  const learner = planRemove(learnerView, { member: 'm4', moveLeaderFirst: true, gapThreshold: 50, moveTimeoutMs: 1000 });
  assert.ok(learner.ok, 'a learner can always be removed');
});

test('remove of the leader moves leadership first, to a healthy voter', () => {
  const r = planRemove(healthy, { member: 'm1', moveLeaderFirst: true, gapThreshold: 50, moveTimeoutMs: 1000 });
  assert.ok(r.ok);
  assert.deepEqual(r.plan.steps.map((s) => s.action.kind), ['move-leader', 'member-remove']);
  const a = r.plan.steps[0].action;
  assert.ok(a.kind === 'move-leader' && a.fromId === IDS.m1 && a.toId !== IDS.m1);
  const noMove = planRemove(healthy, { member: 'm1', moveLeaderFirst: false, gapThreshold: 50, moveTimeoutMs: 1000 });
  assert.ok(noMove.ok && noMove.plan.steps.length === 1 && noMove.plan.warnings.some((w) => /forces an election/.test(w)));
});

test('move-leader: to a healthy follower; not to a learner, an unreachable member or the leader', () => {
  const v = viewOf([...three, member('m4', { isLearner: true })], { [IDS.m1]: up(), [IDS.m2]: up(), [IDS.m3]: down(), [IDS.m4]: up({ isLearner: true }) });
  const r = planMoveLeader(v, { member: 'm2', timeoutMs: 1000, gapThreshold: 50 });
  assert.ok(r.ok);
  assert.equal(r.plan.steps[0].command, `etcdctl --endpoints=${three[0].clientURLs[0]} move-leader ${BigInt(IDS.m2).toString(16)}`);
  for (const [target, re] of [['m4', /learner cannot lead/], ['m3', /unreachable/], ['m1', /already the leader/]] as Array<[string, RegExp]>) {
    const x = planMoveLeader(v, { member: target, timeoutMs: 1000, gapThreshold: 50 });
    assert.ok(!x.ok && re.test(x.refusal), `${target}: ${JSON.stringify(x)}`);
  }
});

test('replace: only a member that is down; confirm down, remove, add, start, catch up, promote, verify', () => {
  const r = planReplace(oneDown, { member: 'm3', downForMs: 30_000, waitMs: 60_000, downSinceMs: 10_000 });
  assert.ok(r.ok);
  assert.deepEqual(r.plan.steps.map((s) => s.action.kind), ['confirm-down', 'member-remove', 'member-add', 'wait-started', 'wait-caught-up', 'member-promote', 'verify-health']);
  const first = r.plan.steps[0].action;
  assert.ok(first.kind === 'confirm-down' && first.forMs === 20_000, 'time already seen down counts');
  const add = r.plan.steps[2].action;
  assert.ok(add.kind === 'member-add' && add.name === 'm3' && add.peerURLs[0] === three[2].peerURLs[0], 'same name and peer URL by default');
  const upMember = planReplace(oneDown, { member: 'm2', downForMs: 1, waitMs: 1 });
  assert.ok(!upMember.ok && /answers \(it is up\)/.test(upMember.refusal));
});

test('add-learner and replace refuse while another voter is down: etcd refuses every add then, and nothing is changed first', () => {
  // add-learner with one voter down: refused before anything changes, with what to do.
  const add = planAddLearner(oneDown, { name: 'm4', peerURLs: 'http://127.0.0.1:2420' });
  assert.ok(!add.ok, 'an add with a voter down is refused');
  assert.match(add.refusal, /refuses any member add \(a learner too\) while a voter is disconnected/);
  assert.match(add.refusal, /m3 \([0-9a-f]+\) does not answer/);
  assert.match(add.refusal, /:remove m3/, 'quorum allows removing it: the refusal says so');
  // A down learner does not block an add (etcd checks the voters only) - the one-learner rule does.
  const five = ['m1', 'm2', 'm3', 'm4', 'm5'].map((n, i) => member(n, { id: String(1001 + i) }));
  const ids = five.map((m) => m.id);
  const twoDown = viewOf(five, { [ids[0]]: up({ leader: ids[0] }), [ids[1]]: up({ leader: ids[0] }), [ids[2]]: up({ leader: ids[0] }), [ids[3]]: down(), [ids[4]]: down() });
  // The replace of m5 with m4 also down: it would remove m5 and then fail the add, leaving 4 voters that tolerate 0 failures.
  const r = planReplace(twoDown, { member: 'm5', downForMs: 1, waitMs: 1 });
  assert.ok(!r.ok, 'replace with a second voter down is refused before the removal');
  assert.match(r.refusal, /m4 \([0-9a-f]+\) does not answer/);
  assert.match(r.refusal, /\(:remove m4\), then add/);
  assert.match(r.refusal, /nothing has been changed/);
  // Both dead in a 3-member cluster is no quorum: the quorum refusal comes first.
  const threeTwoDown = viewOf(three, { [IDS.m1]: up(), [IDS.m2]: down(), [IDS.m3]: down() });
  const r3 = planReplace(threeTwoDown, { member: 'm3', downForMs: 1, waitMs: 1 });
  assert.ok(!r3.ok && /below quorum|no quorum/.test(r3.refusal), JSON.stringify(r3));
  // With only the target down, replace still plans.
  assert.ok(planReplace(oneDown, { member: 'm3', downForMs: 1, waitMs: 1 }).ok);
});

test('replace warns that a hung member (deadline, not refused) may still hold its port', () => {
  const hung = viewOf(three, { [IDS.m1]: up(), [IDS.m2]: up(), [IDS.m3]: { ok: false, error: 'no answer within the deadline', kind: 'timeout', latencyMs: 2000, at: 1000 } });
  const r = planReplace(hung, { member: 'm3', downForMs: 1, waitMs: 1 });
  assert.ok(r.ok);
  assert.ok(r.plan.warnings.some((w) => /may still be running/.test(w) && /cannot bind/.test(w)), JSON.stringify(r.plan.warnings));
  const refused = planReplace(oneDown, { member: 'm3', downForMs: 1, waitMs: 1 });
  assert.ok(refused.ok && refused.plan.warnings.length === 0, 'a member whose port refuses connections gets no such warning');
});
