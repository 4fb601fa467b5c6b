/** A fake cluster gateway for screen tests: members and statuses held in memory, hangs on demand. */
import { Readable } from 'node:stream';
import type { ClusterGateway, HashKVResult, InspectGateway, MemberListResult, RangePage } from '../../src/cluster/gateway.js';
import type { Alarm, Member, MemberStatus } from '../../src/domain/types.js';
import type { TlsFiles } from '../../src/domain/config.js';
import { ClusterError } from '../../src/domain/errors.js';
import { member, status, IDS } from './fixtures.js';

export class FakeGateway implements ClusterGateway, InspectGateway {
  members: Member[] = [member('m1'), member('m2'), member('m3')];
  statuses = new Map<string, MemberStatus>();
  down = new Set<string>();
  alarmList: Alarm[] = [];
  clusterId = '14841639068965178418';
  calls: string[] = [];
  closed = false;
  /** MemberPromote answers "not in sync" this many times before it succeeds. */
  promoteNotInSync = 0;

  /** The TLS files each useTls switched to, in order (a CA change's bastion steps). */
  tlsSwitches: TlsFiles[] = [];

  useTls(tls: TlsFiles): void {
    this.calls.push(`useTls ${tls.cacert ?? ''}`);
    this.tlsSwitches.push(tls);
  }

  constructor() {
    for (const m of this.members) this.statuses.set(m.clientURLs[0], status({ memberId: m.id, leader: IDS.m1 }));
  }

  async memberList(): Promise<MemberListResult> {
    this.calls.push('memberList');
    return { clusterId: this.clusterId, memberId: IDS.m1, members: this.members };
  }

  async status(url: string): Promise<MemberStatus> {
    this.calls.push(`status ${url}`);
    if (this.down.has(url)) throw new ClusterError(`connection refused at ${url}: is etcd running and listening there?`, 'unreachable');
    const s = this.statuses.get(url);
    if (!s) throw new ClusterError(`no such endpoint ${url}`, 'unreachable');
    return s;
  }

  /** The cluster version /version reports (etcdcluster). */
  clusterVersion = '3.4.0';

  async version(url: string): Promise<{ server: string; cluster: string }> {
    this.calls.push(`version ${url}`);
    if (this.down.has(url)) throw new ClusterError(`connection refused at ${url}: is etcd running and listening there?`, 'unreachable');
    return { server: this.statuses.get(url)?.version ?? '', cluster: this.clusterVersion };
  }

  async alarms(): Promise<Alarm[]> {
    return this.alarmList;
  }

  async memberAdd(peerURLs: string[], isLearner: boolean): Promise<{ member: Member; members: Member[] }> {
    this.calls.push(`memberAdd ${peerURLs.join(',')} ${isLearner}`);
    const member: Member = { id: String(1000 + this.members.length), name: '', peerURLs, clientURLs: [], isLearner };
    this.members = [...this.members, member];
    return { member, members: this.members };
  }

  async memberPromote(id: string): Promise<void> {
    this.calls.push(`memberPromote ${id}`);
    if (this.promoteNotInSync > 0) {
      this.promoteNotInSync -= 1;
      throw new ClusterError('learner is not in sync with the leader: wait until it has caught up', 'not-in-sync');
    }
    this.members = this.members.map((m) => (m.id === id ? { ...m, isLearner: false } : m));
  }

  async memberRemove(id: string): Promise<void> {
    this.calls.push(`memberRemove ${id}`);
    this.members = this.members.filter((m) => m.id !== id);
  }

  async moveLeader(url: string, id: string): Promise<void> {
    this.calls.push(`moveLeader ${url} ${id}`);
    for (const [u, s] of this.statuses) this.statuses.set(u, { ...s, leader: id });
  }

  /** Add a started learner whose applied index is `applied` (the leader's index is 100). */
  addLearner(name = 'm4', applied = 10): Member {
    const m = member(name, { isLearner: true });
    this.members = [...this.members, m];
    this.statuses.set(m.clientURLs[0], status({ memberId: m.id, leader: IDS.m1, isLearner: true, raftAppliedIndex: applied, raftIndex: applied }));
    return m;
  }

  defragged: string[] = [];
  compactedTo?: number;
  disarmed: string[] = [];

  async defragment(url: string): Promise<void> {
    this.calls.push(`defragment ${url}`);
    this.defragged.push(url);
    const s = this.statuses.get(url);
    if (s) this.statuses.set(url, { ...s, dbSize: s.dbSizeInUse });
  }

  async compact(revision: number): Promise<void> {
    this.calls.push(`compact ${revision}`);
    this.compactedTo = revision;
  }

  async alarmDisarm(memberId: string, alarm: string): Promise<void> {
    this.calls.push(`alarmDisarm ${memberId} ${alarm}`);
    this.disarmed.push(`${memberId}/${alarm}`);
    this.alarmList = this.alarmList.filter((a) => !(a.memberId === memberId && a.alarm === alarm));
  }

  async snapshot(): Promise<Readable> {
    this.calls.push('snapshot');
    return Readable.from([Buffer.alloc(0)]);
  }

  /** Inspection: HashKV answer by client URL (default '1111'), metrics text by URL, keys in memory. */
  hashes = new Map<string, string>();
  metricsText = new Map<string, string>();
  keys = new Map<string, string>();

  async hashKV(url: string, revision: number): Promise<HashKVResult> {
    this.calls.push(`hashKV ${url} ${revision}`);
    if (this.down.has(url)) throw new ClusterError(`connection refused at ${url}: is etcd running and listening there?`, 'unreachable');
    const s = this.statuses.get(url);
    return { memberId: s?.memberId ?? '', hash: this.hashes.get(url) ?? '1111', compactRevision: -1, headerRevision: revision };
  }

  async rangePage(url: string, start: Buffer, end: Buffer, limit: number): Promise<RangePage> {
    this.calls.push(`rangePage ${url}`);
    const all = [...this.keys.keys()].sort().filter((k) => Buffer.compare(Buffer.from(k), start) >= 0 && (end.equals(Buffer.from([0])) || Buffer.compare(Buffer.from(k), end) < 0));
    const page = all.slice(0, limit);
    return { kvs: page.map((k) => ({ key: Buffer.from(k), keySize: Buffer.byteLength(k), valueSize: Buffer.byteLength(this.keys.get(k) ?? '') })), more: all.length > limit, count: all.length, revision: 42 };
  }

  async metrics(url: string): Promise<string> {
    this.calls.push(`metrics ${url}`);
    return this.metricsText.get(url) ?? '';
  }

  syncEndpoints(): void {}

  close(): void {
    this.closed = true;
  }
}

/** The fake cluster with five healthy voters: m1..m3 of the fixtures, then m4 and m5 (ID 5), m1 leading. */
export function fiveMemberGateway(): FakeGateway {
  const gateway = new FakeGateway();
  for (const [name, id] of [
    ['m4', IDS.m4],
    ['m5', '5'],
  ]) {
    const m = member(name, { id });
    gateway.members = [...gateway.members, m];
    gateway.statuses.set(m.clientURLs[0], status({ memberId: m.id, leader: IDS.m1 }));
  }
  return gateway;
}
