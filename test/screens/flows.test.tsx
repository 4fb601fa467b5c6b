import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pollOnce } from '../../src/monitor/poller.js';
import { CommandRegistry } from '../../src/commands/registry.js';
import { suggestMemberName } from '../../src/flows/controller.js';
import { FakeGateway } from '../fakes/fake-gateway.js';
import { fakeConsole, flat } from '../fakes/console.js';
import { IDS, hostSpec, member } from '../fakes/fixtures.js';
import { holdsFor, waitFor } from '../harness/wait.js';
import type { HostPort } from '../../src/run/host-port.js';
import type { Plan } from '../../src/domain/plan.js';
import { FakeHost } from '../fakes/fake-host.js';
import { DEFAULT_ETCD_SETTINGS, type HostSpec } from '../../src/domain/hosts.js';

const FLOW_IDS = ['add-learner', 'promote', 'remove', 'replace', 'move-leader'];

function setup(opts: { readOnly?: boolean; gateway?: FakeGateway; startMember?: (name: string, peerURLs: string[], initialCluster: string) => Promise<void>; bootstrap?: HostPort } = {}) {
  return fakeConsole({ gateway: opts.gateway, readOnly: opts.readOnly, dirPrefix: 'etcd-tui-flows-', deps: () => ({ context: () => 'test', startMember: opts.startMember, hosts: opts.bootstrap }) });
}

/** The frame with the terminal's line wrapping undone (a long env line wraps at 100 columns). */
const unwrap = (f: string) => f.replace(/\n/g, '');

/** Select a member on the dashboard by name (j moves down; the list is sorted by name). */
async function selectMember(t: Awaited<ReturnType<typeof setup>>, name: string) {
  await t.frame('dashboard', (x) => x.includes('MEMBERS'));
  for (let i = 0; i < 6 && t.store.getState().latest.members.find((m) => m.id === t.store.getState().ui.selectedId)?.name !== name; i++) await t.press('j');
  await waitFor(() => t.store.getState().latest.members.find((m) => m.id === t.store.getState().ui.selectedId)?.name === name, { what: `${name} selected`, timeoutMs: 2000 });
}

test('add-learner: form, preview with the env block, run: the gateway got MemberAdd(learner); audit record; env file', async () => {
  const t = await setup();
  await t.frame('dashboard', (x) => x.includes('MEMBERS (3)'));
  await t.press('a');
  let f = await t.frame('form', (x) => x.includes('Add a learner') && x.includes('peer URLs'));
  assert.match(f, /name\s+m4/, 'the name is prefilled with m<N+1>');
  await t.press('\t');
  await t.press('http://127.0.0.1:2420');
  await t.frame('typed URL', (x) => x.includes('http://127.0.0.1:2420'));
  await t.press('\r');
  f = await t.frame('preview', (x) => x.includes('[preview]'));
  assert.match(f, /ETCD_NAME="m4"/);
  assert.match(unwrap(f), /ETCD_INITIAL_CLUSTER="m1=http:\/\/127\.0\.0\.1:2390,m2=http:\/\/127\.0\.0\.1:2400,m3=http:\/\/127\.0\.0\.1:2410,m4=http:\/\/127\.0\.0\.1:2420"/);
  assert.match(f, /ETCD_INITIAL_ADVERTISE_PEER_URLS="http:\/\/127\.0\.0\.1:2420"/);
  assert.match(f, /ETCD_INITIAL_CLUSTER_STATE="existing"/);
  assert.match(f, /\$ etcdctl member add m4 --peer-urls=http:\/\/127\.0\.0\.1:2420 --learner/);
  assert.ok(!t.gateway.calls.some((c) => c.startsWith('memberAdd')), 'nothing sent before the run');
  await t.press('\r');
  f = await t.frame('done', (x) => x.includes('SUCCEEDED'));
  assert.ok(t.gateway.calls.includes('memberAdd http://127.0.0.1:2420 true'), t.gateway.calls.join('\n'));
  assert.match(f, /✓ 1\. Add m4/);
  assert.match(f, /audit record appended to/);
  assert.deepEqual(
    t.records().map((r) => [r.command, r.outcome]),
    [['add-learner', 'succeeded']],
  );
  await t.press('w');
  await waitFor(() => existsSync(join(t.dir, 'etcd-m4.env')), { what: 'env file', timeoutMs: 2000 });
  assert.match(readFileSync(join(t.dir, 'etcd-m4.env'), 'utf8'), /^ETCD_NAME="m4"\nETCD_INITIAL_CLUSTER="m1=.*m4=http:\/\/127\.0\.0\.1:2420"\n/);
  await t.press('\x1b');
  await t.frame('closed', (x) => x.includes('MEMBERS (4)') && !x.includes('[done]'));
  t.done();
});

test('add-learner: a bad URL is refused in the form with a sentence; nothing is sent', async () => {
  const t = await setup();
  await t.frame('dashboard', (x) => x.includes('MEMBERS (3)'));
  await t.press('a');
  await t.frame('form', (x) => x.includes('[form]'));
  await t.press('\t');
  await t.press('http://127.0.0.1');
  await t.press('\r');
  await t.frame('refusal', (x) => x.includes('REFUSED: peer URL "http://127.0.0.1" has no port'));
  assert.ok(!t.gateway.calls.some((c) => c.startsWith('memberAdd')));
  assert.equal(t.records()[0]?.outcome, 'refused');
  t.done();
});

test('add-learner in the sandbox: the console starts the new member through the hook (l toggles)', async () => {
  const started: Array<[string, string[], string]> = [];
  const t = await setup({ startMember: async (name, peerURLs, initial) => void started.push([name, peerURLs, initial]) });
  await t.frame('dashboard', (x) => x.includes('MEMBERS (3)'));
  await t.press(':');
  await t.press('add-learner m4 http://127.0.0.1:2420');
  await t.press('\r');
  let f = await t.frame('preview', (x) => x.includes('[preview]'));
  assert.match(f, /\[x\] the console starts it locally/);
  await t.press('l');
  await t.frame('toggled off', (x) => x.includes('[ ] you start it yourself'));
  await t.press('l');
  await t.frame('toggled on', (x) => x.includes('[x] the console starts it locally'));
  await t.press('\r');
  f = await t.frame('done', (x) => x.includes('SUCCEEDED'));
  assert.deepEqual(started, [['m4', ['http://127.0.0.1:2420'], 'm1=http://127.0.0.1:2390,m2=http://127.0.0.1:2400,m3=http://127.0.0.1:2410,m4=http://127.0.0.1:2420']]);
  t.done();
});

test('remove: the quorum preview comes first, the typed name confirms; a wrong name does nothing', async () => {
  const t = await setup();
  await selectMember(t, 'm2');
  await t.press('x');
  let f = await t.frame('preview', (x) => x.includes('[preview]'));
  assert.match(f, /now: 3 voters, 3 healthy, quorum 2, tolerates 1 failure/);
  assert.match(f, /after removing m2: 2 voters, 2 healthy, quorum 2, tolerates 0 failure/);
  assert.match(f, /\$ etcdctl member remove 91bc3c398fb3c146/);
  await t.press('\r');
  await t.frame('confirm', (x) => x.includes("Type the member's name (m2) to go ahead"));
  await t.press('m3');
  await t.press('\r');
  await t.frame('mismatch', (x) => x.includes('"m3" is not "m2"'));
  // A removal triggered by mistake would reach the gateway a moment later: nothing for 1 s.
  await holdsFor(() => !t.gateway.calls.some((c) => c.startsWith('memberRemove')), { forMs: 1000, intervalMs: 20, what: 'a wrong name removes nothing' });
  assert.equal(t.store.getState().flow?.stage, 'confirm');
  await t.press('\x7f');
  await t.press('2');
  await t.press('\r');
  f = await t.frame('done', (x) => x.includes('SUCCEEDED'));
  assert.ok(t.gateway.calls.includes(`memberRemove ${IDS.m2}`));
  assert.deepEqual(t.records().map((r) => r.outcome), ['succeeded']);
  t.done();
});

test('remove the leader: the plan moves leadership first and says so', async () => {
  const t = await setup();
  await t.frame('dashboard', (x) => x.includes('MEMBERS (3)'));
  await t.press(':');
  await t.press('remove m1');
  await t.press('\r');
  const f = await t.frame('preview', (x) => x.includes('[preview]'));
  assert.match(f, /1\. Move leadership from m1 to m2/);
  assert.match(f, /2\. Remove m1/);
  t.done();
});

test('remove of a healthy member while another is down is refused with the quorum sentence', async () => {
  const gateway = new FakeGateway();
  gateway.down.add(gateway.members[2].clientURLs[0]);
  const t = await setup({ gateway });
  await selectMember(t, 'm2');
  await t.press('x');
  const f = await t.frame('refusal', (x) => x.includes('REFUSED'));
  assert.match(flat(f), /removing m2 would leave 1 healthy voter\(s\) of 2, below quorum 2/);
  assert.match(f, /nothing was changed/);
  await t.press('\r');
  await t.press('m2\r');
  assert.ok(!gateway.calls.some((c) => c.startsWith('memberRemove')));
  assert.equal(t.records()[0]?.outcome, 'refused');
  await t.press('\x1b');
  await t.frame('closed', (x) => !x.includes('REFUSED'));
  t.done();
});

test('the cluster is looked at again before running: a removal that became unsafe is refused, a changed plan is shown again', async () => {
  const gateway = new FakeGateway();
  const t = await setup({ gateway });
  await selectMember(t, 'm2');
  await t.press('x');
  await t.frame('preview', (x) => x.includes('[preview]'));
  await t.press('\r');
  await t.frame('confirm', (x) => x.includes('to go ahead'));
  gateway.down.add(gateway.members[2].clientURLs[0]);
  await t.press('m2\r');
  let f = await t.frame('refused at run time', (x) => x.includes('[done]'));
  assert.match(flat(f), /REFUSED: removing m2 would leave 1 healthy voter\(s\) of 2, below quorum 2.*the cluster changed since the preview; nothing was changed/);
  assert.ok(!gateway.calls.some((c) => c.startsWith('memberRemove')));
  await t.press('\x1b');
  gateway.down.clear();
  await t.store.getState().applyBatch(await pollOnce(gateway));
  // Removing the leader moves leadership first; if another member leads by the time of the run, the plan changes.
  await t.press(':');
  await t.press('remove m1\r');
  await t.frame('preview with the move', (x) => x.includes('Move leadership from m1 to m2'));
  await t.press('\r');
  await gateway.moveLeader(gateway.members[0].clientURLs[0], IDS.m3);
  await t.press('m1\r');
  f = await t.frame('new plan', (x) => x.includes('the cluster changed since the preview'));
  assert.match(f, /\[preview\]/);
  assert.doesNotMatch(f, /Move leadership/);
  assert.ok(!gateway.calls.some((c) => c.startsWith('memberRemove')), 'nothing ran');
  t.done();
});

test('read-only: no flow command exists, and their keys do nothing', async () => {
  const registry = new CommandRegistry({ readOnly: true });
  for (const id of FLOW_IDS) assert.equal(registry.byId(id), undefined, id);
  assert.ok(registry.commands.every((c) => !c.screens?.includes('flow')), 'no flow dialog keys either');
  const full = new CommandRegistry({ readOnly: false });
  for (const id of FLOW_IDS) assert.equal(full.byId(id)?.dangerous, true, id);
  const t = await setup({ readOnly: true });
  await t.frame('dashboard', (x) => x.includes('MEMBERS (3)'));
  await t.press('x');
  await t.press('a');
  await t.press(':');
  await t.press('remove m2\r');
  await t.frame('read-only refusal', (x) => x.includes('read-only: remove changes the cluster'));
  assert.equal(t.store.getState().flow, undefined);
  t.done();
});

test('move-leader: to a learner it is refused with the reason; to a voter it moves', async () => {
  const gateway = new FakeGateway();
  gateway.addLearner('m4', 100);
  const t = await setup({ gateway });
  await t.frame('dashboard', (x) => x.includes('MEMBERS (4)'));
  await t.press(':');
  await t.press('move-leader m4\r');
  let f = await t.frame('refusal', (x) => x.includes('REFUSED'));
  assert.match(f, /m4 cannot take over leadership: a learner cannot lead \(promote it first\)/);
  assert.match(f, /m2 \(91bc3c398fb3c146\): can lead/);
  await t.press('\x1b');
  await selectMember(t, 'm2');
  await t.press('m');
  f = await t.frame('preview', (x) => x.includes('[preview]'));
  assert.match(f, /Move leadership from m1 to m2/);
  await t.press('\r');
  f = await t.frame('done', (x) => x.includes('SUCCEEDED'));
  assert.match(f, /m2 leads \(took/);
  assert.ok(gateway.calls.some((c) => c === `moveLeader http://127.0.0.1:2389 ${IDS.m2}`), gateway.calls.join('\n'));
  t.done();
});

test('promote: disabled on a voter with the reason; retries on "not in sync" are shown, then it succeeds', async () => {
  const gateway = new FakeGateway();
  gateway.addLearner('m4', 95);
  gateway.promoteNotInSync = 1;
  const t = await setup({ gateway });
  await selectMember(t, 'm1');
  await t.press('p');
  await t.frame('disabled reason', (x) => x.includes('Promote: select a learner to promote (m1 is a voting member)'));
  await selectMember(t, 'm4');
  await t.press('p');
  let f = await t.frame('preview', (x) => x.includes('[preview]'));
  assert.match(f, /Promote learner m4/);
  assert.match(f, /\$ etcdctl member promote /);
  await t.press('\r');
  await t.frame('retry', (x) => x.includes('↻ try 1: learner is not in sync'));
  f = await t.frame('done', (x) => x.includes('SUCCEEDED'));
  assert.match(f, /✓ 2\. Promote m4/);
  assert.equal(gateway.calls.filter((c) => c === `memberPromote ${IDS.m4}`).length, 2);
  t.done();
});

test('abort during the catch-up wait stops the run; the done stage offers removing the learner, with its confirmation', async () => {
  const gateway = new FakeGateway();
  gateway.addLearner('m4', 10);
  const t = await setup({ gateway });
  await t.frame('dashboard', (x) => x.includes('MEMBERS (4)'));
  await t.press(':');
  await t.press('promote m4\r');
  await t.frame('preview', (x) => x.includes('[preview]'));
  await t.press('\r');
  const running = await t.frame('catch-up gauge', (x) => x.includes('m4: applied 10 of 100, 90 behind (10%; in sync at 90%)'));
  // The gauge runs from where the learner stood when the wait began: nothing gained yet.
  assert.match(running, /░+\s+0%/);
  assert.match(running, /\[running\]/);
  await t.press('\x1b');
  await t.frame('esc refused while running', (x) => x.includes('the flow is running: press a to abort it first'));
  await t.press('a');
  const f = await t.frame('aborted', (x) => x.includes('ABORTED'));
  assert.match(f, /x: remove learner m4/);
  assert.match(f, /– 2\. Promote m4/, 'the promote step never ran');
  assert.ok(!gateway.calls.some((c) => c.startsWith('memberPromote')), gateway.calls.join('\n'));
  assert.deepEqual(t.records().map((r) => [r.command, r.outcome]), [['promote', 'aborted']]);
  await t.press('x');
  await t.frame('remove preview', (x) => x.includes('Remove member m4') && x.includes('after removing learner m4: voters and quorum unchanged'));
  await t.press('\r');
  await t.press('m4\r');
  await t.frame('removed', (x) => x.includes('SUCCEEDED'));
  assert.ok(gateway.calls.includes(`memberRemove ${IDS.m4}`));
  t.done();
});

test('replace: the failed member, down long enough already, is replaced end to end', async () => {
  const gateway = new FakeGateway();
  const m3 = gateway.members[2];
  gateway.down.add(m3.clientURLs[0]);
  const t = await setup({ gateway });
  // The console saw m3 go down 40 s ago: no new 30 s wait.
  t.store.setState({ latest: { ...t.store.getState().latest, downSince: { [m3.id]: Date.now() - 40_000 } } });
  await selectMember(t, 'm3');
  await t.press('R');
  let f = await t.frame('form', (x) => x.includes('[form]'));
  assert.match(f, /name\s+m3/);
  assert.match(f, /peer URLs\s+http:\/\/127\.0\.0\.1:2410/);
  // The fake starts the replacement when it is added: a member with that peer URL answers.
  const realAdd = gateway.memberAdd.bind(gateway);
  gateway.memberAdd = async (peerURLs, isLearner) => {
    const res = await realAdd(peerURLs, isLearner);
    const started = member('m3', { id: res.member.id, isLearner: true, clientURLs: ['http://127.0.0.1:2499'], peerURLs });
    gateway.members = gateway.members.map((m) => (m.id === res.member.id ? started : m));
    gateway.statuses.set('http://127.0.0.1:2499', { ...gateway.statuses.get(gateway.members[0].clientURLs[0])!, memberId: started.id, isLearner: true });
    return res;
  };
  await t.press('\r');
  f = await t.frame('preview', (x) => x.includes('[preview]'));
  assert.match(f, /1\. Confirm m3 is down/);
  assert.match(f, /the console has seen m3 down for 4\d\.\ds: step 1 checks it once/);
  assert.match(unwrap(f), /ETCD_INITIAL_CLUSTER="m1=http:\/\/127\.0\.0\.1:2390,m2=http:\/\/127\.0\.0\.1:2400,m3=http:\/\/127\.0\.0\.1:2410"/);
  await t.press('\r');
  await t.press('m3\r');
  f = await t.frame('done', (x) => x.includes('[done]'));
  assert.match(f, /SUCCEEDED/, f);
  assert.ok(gateway.calls.includes(`memberRemove ${IDS.m3}`));
  assert.ok(gateway.calls.includes('memberAdd http://127.0.0.1:2410 true'));
  assert.ok(gateway.calls.some((c) => c.startsWith('memberPromote')));
  t.done();
});

test('suggested names follow the members\' pattern', () => {
  assert.equal(suggestMemberName([member('m1'), member('m2'), member('m3')]), 'm4');
  assert.equal(suggestMemberName(['etcd-1', 'etcd-2', 'etcd-5'].map((n) => ({ id: n, name: n, peerURLs: [], clientURLs: [], isLearner: false }))), 'etcd-6');
  assert.equal(suggestMemberName(['alpha', 'beta'].map((n) => ({ id: n, name: n, peerURLs: [], clientURLs: [], isLearner: false }))), 'm3');
});

test('maintenance from the palette: :compact needs a revision; :defrag all plans followers first, leader last, and runs', async () => {
  const t = await setup();
  await t.frame('dashboard', (x) => x.includes('MEMBERS (3)'));
  await t.press(':');
  await t.press('compact\r');
  await t.frame('compact form', (x) => x.includes('[form]') && x.includes('current revision'));
  await t.press('\r');
  await t.frame('compact refusal', (x) => flat(x).includes('give the revision to compact up to: :compact REV (0 keeps only the newest revision)'));
  await t.press('\x1b');
  await t.press(':');
  await t.press('defrag all\r');
  const f = await t.frame('defrag preview', (x) => x.includes('[preview]'));
  assert.match(flat(f), /Rolling defrag/);
  assert.match(flat(f), /order: m2, m3, m1/);
  await t.press('\r');
  await t.frame('done', (x) => x.includes('SUCCEEDED'));
  assert.deepEqual(t.gateway.defragged, [t.gateway.members[1].clientURLs[0], t.gateway.members[2].clientURLs[0], t.gateway.members[0].clientURLs[0]]);
  assert.equal(t.records().at(-1)?.command, 'defrag');
  t.done();
});

const HOST4: HostSpec = hostSpec('etcd-4', '10.9.0.14');

/** A bootstrap port with one fake host: the first preflight meets an unknown host key; after t, a plan whose start fails. */
function fakeBootstrap(host: FakeHost) {
  let trusted = false;
  const calls: string[] = [];
  const plan: Plan = {
    flow: 'bootstrap-join',
    title: 'Join etcd-4 (10.9.0.14) to the cluster',
    preview: ['preflight:', '  ✓ etcd-4: ssh: root@10.9.0.14:22'],
    warnings: [],
    args: { host: 'etcd-4' },
    confirmPhrase: 'etcd-4',
    rollbackOnFailure: true,
    steps: [
      { id: 'd', title: 'etcd-4: create /var/lib/etcd', command: 'ssh root@10.9.0.14 mkdir -p -m 0700 -- /var/lib/etcd', preconditions: [], action: { kind: 'remote-mkdir', host: 'etcd-4', path: '/var/lib/etcd', mode: 0o700, dataDir: true } },
      { id: 'e', title: 'etcd-4: write the env file /etc/etcd/etcd.env', command: 'scp ...', preconditions: [], action: { kind: 'remote-upload', host: 'etcd-4', source: { kind: 'text', text: 'ETCD_NAME=etcd-4\n' }, remotePath: '/etc/etcd/etcd.env', mode: 0o644, what: 'env file' } },
      { id: 's', title: 'etcd-4: start etcd.service', command: 'ssh root@10.9.0.14 systemctl start etcd.service', preconditions: [], action: { kind: 'remote-systemctl', host: 'etcd-4', verb: 'start', unit: 'etcd', timeoutMs: 1000 } },
    ],
  };
  const port: HostPort = {
    hosts: () => ['etcd-4'],
    async prepare(request) {
      calls.push(`prepare ${request.flow} ${request.argument ?? ''}`);
      if (!trusted) {
        const refusal = 'preflight failed, nothing was changed:\netcd-4: ssh: host key of 10.9.0.14:22 is not in known_hosts';
        return { planned: { ok: false, refusal }, replan: () => ({ ok: false, refusal }), unknownKeys: [{ host: 'etcd-4', address: '10.9.0.14:22', keyType: 'ssh-ed25519', fingerprint: 'SHA256:abcdefFAKE' }] };
      }
      return { planned: { ok: true, plan }, replan: () => ({ ok: true, plan }), unknownKeys: [] };
    },
    async trust(hosts) {
      calls.push(`trust ${hosts.join(' ')}`);
      trusted = true;
    },
    access: () => ({ spec: () => HOST4, settings: DEFAULT_ETCD_SETTINGS, connection: async () => host }),
  };
  return { port, calls };
}

test('bootstrap-join in the console: unknown host key shown, t trusts it, preview, typed name, a failed start rolled back on screen', async () => {
  const fake = new FakeHost(HOST4.ssh);
  fake.dirs.add('/etc/etcd');
  fake.files.set('/etc/etcd/etcd.env', { content: Buffer.from('OLD=1\n'), mode: 0o644 });
  fake.failStart = 'listen tcp 10.9.0.14:2379: bind: address already in use';
  const b = fakeBootstrap(fake);
  const t = await setup({ bootstrap: b.port });
  await t.frame('dashboard', (x) => x.includes('MEMBERS (3)'));
  // J alone: etcd-4 is the one host of the inventory that is not a member.
  await t.press('J');
  let f = await t.frame('unknown key', (x) => x.includes('UNKNOWN HOST KEYS'));
  assert.match(f, /Join a host over SSH: etcd-4/);
  assert.match(flat(f), /etcd-4 \(10\.9\.0\.14:22\): ssh-ed25519 SHA256:abcdefFAKE/);
  assert.match(flat(f), /REFUSED: preflight failed, nothing was changed/);
  assert.match(flat(f), /t: trust these keys/);
  await t.press('t');
  f = await t.frame('plan after trust', (x) => x.includes('[preview]') && x.includes('STEPS'));
  assert.deepEqual(b.calls, ['prepare bootstrap-join etcd-4', 'trust etcd-4', 'prepare bootstrap-join etcd-4']);
  assert.doesNotMatch(f, /UNKNOWN HOST KEYS/);
  assert.match(flat(f), /\$ ssh root@10\.9\.0\.14 systemctl start etcd\.service/);
  await t.press('\r');
  await t.frame('confirm', (x) => x.includes('Type the member') && x.includes('etcd-4'));
  await t.press('etcd-4');
  await t.press('\r');
  f = await t.frame('done', (x) => x.includes('[done]') && x.includes('FAILED'));
  const text = flat(f);
  assert.match(text, /systemctl start etcd\.service failed/);
  assert.match(text, /ROLLBACK: everything this run changed was undone/);
  assert.match(text, /↺ etcd-4: stopped etcd\.service/);
  assert.match(text, /↺ etcd-4: restored \/etc\/etcd\/etcd\.env from/);
  assert.equal(fake.files.get('/etc/etcd/etcd.env')?.content.toString(), 'OLD=1\n');
  const rec = t.records();
  assert.deepEqual(rec.map((r) => `${r.command}:${r.outcome}`), ['bootstrap-join:refused', 'bootstrap-join:failed']);
  t.done();
});

test('bootstrap flows without hosts in the context: a clear refusal, nothing runs', async () => {
  const t = await setup();
  await t.frame('dashboard', (x) => x.includes('MEMBERS (3)'));
  await t.press(':');
  await t.press('bootstrap-cluster\r');
  const f = await t.frame('refusal', (x) => x.includes('REFUSED'));
  assert.match(flat(f), /this context has no hosts: add a hosts list/);
  t.done();
});

test('an encrypted key asks for its passphrase in the dialog, masked; the passphrase never enters the store', async () => {
  const fake = new FakeHost(HOST4.ssh);
  const b = fakeBootstrap(fake);
  const answers: Array<string | undefined> = [];
  const port: HostPort = {
    ...b.port,
    async prepare(request, use, onHost, askSecret) {
      const typed = await askSecret?.('Passphrase for /home/op/.ssh/id_ed25519');
      answers.push(typed);
      await b.port.trust(['etcd-4']);
      return b.port.prepare(request, use, onHost);
    },
  };
  const t = await setup({ bootstrap: port });
  await t.frame('dashboard', (x) => x.includes('MEMBERS (3)'));
  await t.press('J');
  await t.frame('passphrase prompt', (x) => x.includes('Passphrase for /home/op/.ssh/id_ed25519'));
  await t.press('open sesame');
  let f = await t.frame('masked', (x) => x.includes('*'.repeat(11)));
  assert.doesNotMatch(f, /open sesame/);
  assert.doesNotMatch(JSON.stringify(t.store.getState()), /open sesame/);
  await t.press('\r');
  f = await t.frame('plan', (x) => x.includes('[preview]') && x.includes('STEPS'));
  assert.deepEqual(answers, ['open sesame']);
  assert.doesNotMatch(f, /Passphrase for/);
  // esc at the prompt skips the key (undefined), and the dialog stays.
  await t.press('\u001b');
  await t.frame('closed', (x) => !x.includes('[preview]'));
  await t.press('J');
  await t.frame('asked again', (x) => x.includes('Passphrase for'));
  await t.press('\u001b');
  await t.frame('plan after skip', (x) => x.includes('[preview]'));
  assert.deepEqual(answers, ['open sesame', undefined]);
  t.done();
});
