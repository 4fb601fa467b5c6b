/** Domain types shared by every layer. Pure data: no I/O, no UI. */

/** A member ID: the decimal string of etcd's uint64 (never a JS number: IDs exceed 2^53). */
export type MemberId = string;

/** One entry of the member list. */
export interface Member {
  id: MemberId;
  /** Empty for a member that was added but never started. */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

/** What one member says about itself (its local view) in answer to Status. */
export interface MemberStatus {
  version: string;
  dbSize: number;
  dbSizeInUse: number;
  /** The leader as this member sees it ("0" = no leader). */
  leader: MemberId;
  raftIndex: number;
  raftTerm: number;
  raftAppliedIndex: number;
  isLearner: boolean;
  /** Alarm and health strings the member reports. */
  errors: string[];
  /** The member ID in the response header (who actually answered). */
  memberId: MemberId;
  /** The key-value store's current revision, from the response header. */
  revision: number;
  clusterId: string;
}

/** The kinds of failure an operator must act on differently. */
export type ErrorKind =
  | 'unreachable'
  | 'timeout'
  | 'tls'
  | 'auth'
  | 'no-quorum'
  | 'not-leader'
  | 'learner'
  | 'nospace'
  | 'not-found'
  | 'not-in-sync'
  | 'refused'
  | 'invalid'
  | 'unknown';

/** The result of probing one member's Status. */
export type Probe =
  | { ok: true; status: MemberStatus; latencyMs: number; at: number }
  | { ok: false; error: string; kind: ErrorKind; latencyMs: number; at: number };

export type AlarmType = 'NOSPACE' | 'CORRUPT';

export interface Alarm {
  memberId: MemberId;
  alarm: AlarmType;
}

/** One observation of the cluster: what a refresh round brought back. */
export interface Observation {
  at: number;
  /** Member list, or an error when it could not be read (e.g. no quorum). */
  membership: { ok: true; clusterId: string; members: Member[] } | { ok: false; error: string; kind: ErrorKind };
  /** Probes keyed by member ID; a member without a client URL has none. */
  probes: Record<MemberId, Probe>;
  alarms: { ok: true; alarms: Alarm[] } | { ok: false; error: string; kind: ErrorKind };
}

export type VerdictLevel = 'healthy' | 'degraded' | 'critical' | 'unknown';

export interface VerdictReason {
  /** 'unknown': a check that cannot be decided now (e.g. one that needs a leader while there is none). */
  level: 'ok' | 'warn' | 'crit' | 'info' | 'unknown';
  /** What was checked and found. Screens may shorten it from the middle. */
  text: string;
  /** A shorter `text` for narrow screens (e.g. without the URL the member name already stands for). */
  brief?: string;
  /** For a failing check: the next step, with the console key for it ("A: compact, defragment, disarm"). Never shortened. */
  fix?: string;
}

export interface QuorumSummary {
  voters: number;
  healthyVoters: number;
  learners: number;
  quorum: number;
  /** healthyVoters - quorum; negative when quorum is lost. */
  tolerance: number;
  hasQuorum: boolean;
}

export interface Verdict {
  level: VerdictLevel;
  /** One line for the header ("healthy", "degraded: 1 member unreachable"). */
  summary: string;
  reasons: VerdictReason[];
  quorum: QuorumSummary;
}

export type ClusterEventKind =
  | 'leader-changed'
  | 'leader-lost'
  | 'term-changed'
  | 'member-joined'
  | 'member-left'
  | 'member-unreachable'
  | 'member-back'
  | 'member-promoted'
  | 'alarm-raised'
  | 'alarm-cleared'
  | 'quorum-lost'
  | 'quorum-back'
  /** A flow run from this bastion, from the audit log. */
  | 'operator';

export interface ClusterEvent {
  at: number;
  kind: ClusterEventKind;
  text: string;
  memberId?: MemberId;
}

/** Thresholds and settings the verdict uses. */
export interface HealthOptions {
  /** DB quota in bytes (from the context or a flag; etcd 3.4/3.5 do not report it). */
  quotaBytes: number;
  /** Warn when a member's committed index trails the leader's by more than this. */
  indexGapThreshold: number;
  /** Warn at this many leader changes within leaderChangeWindowMs. */
  leaderChangeWarn: number;
  leaderChangeWindowMs: number;
  /** Warn at this share of the quota (0.8 = 80 %). */
  quotaWarnRatio: number;
  /**
   * True when the quota was neither given nor read (quotaBytes is then etcd's default), false when
   * it was; undefined: assumed exactly when quotaBytes is the default (see isQuotaAssumed).
   */
  quotaAssumed?: boolean;
}

export const DEFAULT_HEALTH_OPTIONS: HealthOptions = {
  quotaBytes: 2 * 1024 * 1024 * 1024,
  indexGapThreshold: 50,
  leaderChangeWarn: 4,
  leaderChangeWindowMs: 15 * 60 * 1000,
  quotaWarnRatio: 0.8,
};
