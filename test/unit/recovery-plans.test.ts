import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyRefreshes, emptyView, type Refresh, type ClusterView } from '../../src/health/view.js';
import { DEFAULT_HEALTH_OPTIONS, type Member, type Probe } from '../../src/domain/types.js';
import { asideDir, chooseSurvivor, quorumPresentRefusal, restoreBlockers, restoreLayout, restoreStamp, restoreTool } from '../../src/plans/recovery.js';
import { member, up, down, IDS, hostSpec } from '../fakes/fixtures.js';

function viewOf(members: Member[], probes: Record<string, Probe>): ClusterView {
  const batch: Refresh[] = [{ type: 'membership', at: 1000, result: { ok: true, clusterId: '7', members } }, ...Object.entries(probes).map(([id, probe]): Refresh => ({ type: 'probe', at: 1000, memberId: id, probe }))];
  return applyRefreshes(emptyView(DEFAULT_HEALTH_OPTIONS, 0), batch, DEFAULT_HEALTH_OPTIONS);
}

const host = hostSpec;

const hosts = [host('etcd-1', '10.9.0.1'), host('etcd-2', '10.9.0.2', { walDir: '/var/lib/etcd-wal' }), host('etcd-3', '10.9.0.3')];

test('the restore tool follows the version: etcdutl from 3.5, etcdctl on 3.4', () => {
  assert.equal(restoreTool('3.5.16'), 'etcdutl');
  assert.equal(restoreTool('3.6.0'), 'etcdutl');
  assert.equal(restoreTool('3.4.23'), 'etcdctl');
  assert.equal(restoreTool('?'), undefined);
  assert.equal(restoreStamp(new Date('2026-12-03T13:15:00.123Z')), '20261203T131500Z');
  assert.equal(asideDir('/var/lib/etcd/', '20261203T131500Z'), '/var/lib/etcd.etcd-tui-before-restore-20261203T131500Z');
});

test('restore layout: one initial cluster, a new token, each host its own name and peer URL, fresh dirs next to the live ones', () => {
  const r = restoreLayout(hosts, { tls: true }, { token: 'etcd-restore-1', stamp: 'S', remoteSnapshot: '/var/tmp/snap.db', versions: { 'etcd-1': '3.5.16', 'etcd-2': '3.5.16', 'etcd-3': '3.4.23' }, bumpRevision: undefined });
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.initialCluster, 'etcd-1=https://10.9.0.1:2380,etcd-2=https://10.9.0.2:2380,etcd-3=https://10.9.0.3:2380');
  assert.deepEqual(r.hosts[0].argv, [
    '/usr/local/bin/etcdutl', 'snapshot', 'restore', '/var/tmp/snap.db',
    '--name', 'etcd-1',
    '--initial-cluster', r.initialCluster,
    '--initial-cluster-token', 'etcd-restore-1',
    '--initial-advertise-peer-urls', 'https://10.9.0.1:2380',
    '--data-dir', '/var/lib/etcd.etcd-tui-restore-S',
  ]);
  assert.equal(r.hosts[0].asideDir, '/var/lib/etcd.etcd-tui-before-restore-S');
  assert.ok(r.hosts[1].argv.includes('--wal-dir') && r.hosts[1].argv.includes('/var/lib/etcd-wal.etcd-tui-restore-S'));
  assert.equal(r.hosts[1].asideWalDir, '/var/lib/etcd-wal.etcd-tui-before-restore-S');
  assert.equal(r.hosts[2].tool, 'etcdctl');
  assert.equal(r.hosts[2].argv[0], '/usr/local/bin/etcdctl');
  assert.ok(r.notes.some((n) => /3\.4 has no etcdutl/.test(n)));
});

test('restore layout: --bump-revision only where etcdutl has it; --skip-hash-check said in the notes; bad input refused', () => {
  const bumped = restoreLayout(hosts.slice(0, 2), { tls: false }, { token: 't', stamp: 'S', remoteSnapshot: '/s.db', versions: { 'etcd-1': '3.5.16', 'etcd-2': '3.5.16' }, bumpRevision: 1_000_000, skipHashCheck: true });
  assert.ok(bumped.ok);
  assert.deepEqual(bumped.hosts[0].argv.slice(-4), ['--skip-hash-check', '--bump-revision', '1000000', '--mark-compacted']);
  assert.ok(bumped.notes.some((n) => /relist/.test(n)) && bumped.notes.some((n) => /no sha256 trailer/.test(n)));
  const on34 = restoreLayout(hosts, { tls: true }, { token: 't', stamp: 'S', remoteSnapshot: '/s.db', versions: { 'etcd-1': '3.5.16', 'etcd-2': '3.5.16', 'etcd-3': '3.4.23' }, bumpRevision: 10 });
  assert.ok(!on34.ok && /etcd-3 runs etcd 3\.4\.23: its etcdctl cannot --bump-revision/.test(on34.refusal));
  const unknown = restoreLayout(hosts, { tls: true }, { token: 't', stamp: 'S', remoteSnapshot: '/s.db', versions: {} });
  assert.ok(!unknown.ok && /unknown etcd version/.test(unknown.refusal));
  const twice = restoreLayout([hosts[0], hosts[0]], { tls: true }, { token: 't', stamp: 'S', remoteSnapshot: '/s.db', versions: { 'etcd-1': '3.5.16' } });
  assert.ok(!twice.ok && /named twice/.test(twice.refusal));
  const badToken = restoreLayout(hosts, { tls: true }, { token: 'a b', stamp: 'S', remoteSnapshot: '/s.db', versions: {} });
  assert.ok(!badToken.ok && /token/.test(badToken.refusal));
});

test('a restore is blocked while a member outside the restored set still answers', () => {
  const three = [member('m1'), member('m2'), member('m3')];
  const v = viewOf(three, { [IDS.m1]: down(), [IDS.m2]: down(), [IDS.m3]: up() });
  const all = three.flatMap((m) => m.peerURLs);
  assert.deepEqual(restoreBlockers(v, all), [], 'every member is restored: nothing outside the set');
  const two = restoreBlockers(v, [three[0].peerURLs[0], three[1].peerURLs[0]]);
  assert.equal(two.length, 1);
  assert.match(two[0], /m3 \([0-9a-f]+, http:\/\/127\.0\.0\.1:2410\) is not restored and still answers: .*two clusters/);
  assert.deepEqual(restoreBlockers(v, [three[0].peerURLs[0], three[2].peerURLs[0]]), [], 'm2 is down: not a blocker');
});

test('the survivor is the most advanced answering member; naming another is allowed and says what it costs', () => {
  const c = [
    { name: 'm1', indexNow: 900, indexLastSeen: 900, isHost: true },
    { name: 'm2', indexNow: undefined, indexLastSeen: 1200, isHost: true },
    { name: 'm3', indexNow: 1000, indexLastSeen: 990, isHost: true },
  ];
  const r = chooseSurvivor(c);
  assert.ok(r.ok && r.survivor.name === 'm3' && r.index === 1000, JSON.stringify(r));
  assert.deepEqual(r.lossLines, ['m1: 100 entries behind m3, nothing lost from it', 'm2 was 200 entries ahead when last seen: those entries may be lost']);
  const named = chooseSurvivor(c, { named: 'm1' });
  assert.ok(named.ok && named.survivor.name === 'm1');
  assert.match(named.lossLines[0], /m1 was named explicitly although m3 is 100 entries further ahead/);
  const dead = chooseSurvivor(c, { named: 'm2' });
  assert.ok(!dead.ok && /does not answer now/.test(dead.refusal));
  const none = chooseSurvivor(c.map((x) => ({ ...x, indexNow: undefined })));
  assert.ok(!none.ok && /restore from a snapshot instead/.test(none.refusal));
  const notHost = chooseSurvivor([{ name: 'x', indexNow: 5, isHost: false }]);
  assert.ok(!notHost.ok && /not a host of this context/.test(notHost.refusal));
});

test('recovery from a survivor is refused while quorum is present', () => {
  const three = [member('m1'), member('m2'), member('m3')];
  const oneDown = viewOf(three, { [IDS.m1]: up(), [IDS.m2]: up(), [IDS.m3]: down() });
  assert.match(quorumPresentRefusal(oneDown) ?? '', /quorum is present \(2 of 3 voters answer, quorum 2\)/);
  const twoDown = viewOf(three, { [IDS.m1]: up(), [IDS.m2]: down(), [IDS.m3]: down() });
  assert.equal(quorumPresentRefusal(twoDown), undefined);
});
