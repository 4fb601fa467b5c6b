/** The cluster gateway: the one narrow interface through which everything talks to etcd. */
import type { Readable } from 'node:stream';
import type { Alarm, AlarmType, Member, MemberId, MemberStatus } from '../domain/types.js';
import type { TlsFiles } from '../domain/config.js';

export interface MemberListResult {
  clusterId: string;
  /** The member that answered. */
  memberId: MemberId;
  members: Member[];
}

export interface ClusterGateway {
  /** Linearizable member list from any member that answers (fails without quorum). */
  memberList(): Promise<MemberListResult>;
  /** Status of the member behind one client URL (its local view). Deadline: the status deadline. */
  status(clientURL: string): Promise<MemberStatus>;
  /** Active alarms, from any member that answers. */
  alarms(): Promise<Alarm[]>;
  /** MemberAdd (as a learner or a voter), sent to any member; returns the new member and the new list. */
  memberAdd(peerURLs: string[], isLearner: boolean): Promise<{ member: Member; members: Member[] }>;
  /**
   * MemberPromote of a learner, sent to the leader's client URL when given: a follower forwards it
   * to the leader without the caller's credentials, which fails with auth on (etcd issue 20757).
   */
  memberPromote(id: MemberId, leaderURL?: string): Promise<void>;
  /** MemberRemove. */
  memberRemove(id: MemberId): Promise<void>;
  /** MoveLeader, sent to the leader's client URL (etcd answers "not leader" otherwise). */
  moveLeader(leaderURL: string, targetId: MemberId): Promise<void>;
  /** Defragment the member behind one client URL (blocks that member while it runs). */
  defragment(clientURL: string, timeoutMs: number): Promise<void>;
  /** Compact the key-value history up to `revision` (cluster-wide, replicated, irreversible). */
  compact(revision: number, physical: boolean): Promise<void>;
  /** Disarm one alarm of one member (never "all alarms", as etcdctl's alarm disarm does). */
  alarmDisarm(memberId: MemberId, alarm: AlarmType): Promise<void>;
  /**
   * Stream a snapshot from the member behind one client URL: the bbolt database followed by its
   * 32-byte sha256. The stream honours backpressure; destroy it to cancel.
   */
  snapshot(clientURL: string, timeoutMs: number): Promise<Readable>;
  /**
   * The versions behind one client URL, from etcd's HTTP `/version` endpoint: the member's server
   * version and the cluster version (the lowest minor every member supports). Optional: a gateway
   * without it shows no cluster version.
   */
  version?(clientURL: string): Promise<{ server: string; cluster: string }>;
  /**
   * Whether anything listens on a member's peer URL: false only when the connection is refused (no
   * process there), undefined when it cannot tell (timeout, no route, a firewall). Optional.
   */
  peerListening?(peerURL: string): Promise<boolean | undefined>;
  /**
   * Connect with other TLS files from now on (a CA change: the bundle of both CAs, then the new client
   * certificate); the open clients are made again. Optional: a gateway without it cannot run a CA change.
   */
  useTls?(tls: TlsFiles): void;
  /** Keep one client per member: open clients for these URLs, close the ones no longer listed. */
  syncEndpoints(clientURLs: string[]): void;
  /** Close every client. */
  close(): void;
}

/** HashKV of one member: the hash of its MVCC keys up to a revision. */
export interface HashKVResult {
  /** The member that answered (decimal uint64 string). */
  memberId: string;
  /** uint32 as a decimal string. */
  hash: string;
  /** The member's compacted revision when hashing began. */
  compactRevision: number;
  /** The member's current revision (response header). */
  headerRevision: number;
}

/** One page of a serializable range read on one member. */
export interface RangePage {
  kvs: Array<{ key: Buffer; keySize: number; valueSize: number }>;
  /** More keys follow the last one in the range. */
  more: boolean;
  /** Keys in the whole range (etcd counts them for the request). */
  count: number;
  /** The revision the member read at. */
  revision: number;
}

/**
 * Read-only inspection calls used by the visibility checks (consistency, keyspace, metrics), kept
 * apart from ClusterGateway so existing gateways and fakes need not implement them.
 */
export interface InspectGateway {
  /** HashKV on the member behind one client URL at `revision` (0: its current revision). Reads the whole DB. */
  hashKV(clientURL: string, revision: number, timeoutMs: number): Promise<HashKVResult>;
  /**
   * A serializable (local, never forwarded to the leader) range read of [start, end) on one member,
   * at most `limit` keys, at `revision` (0: current). Values are read to measure them, not kept.
   */
  rangePage(clientURL: string, start: Buffer, end: Buffer, limit: number, revision: number, timeoutMs: number): Promise<RangePage>;
  /** The Prometheus text exposition of `metricsURL` (default: the client URL's /metrics) with the client TLS settings. */
  metrics(url: string, timeoutMs: number): Promise<string>;
}
