/** Rows for the members table and the member detail, computed from the view. Pure. */
import type { HealthOptions, Member, MemberId } from '../domain/types.js';
import type { ClusterView } from '../health/view.js';
import { catchUpRatio, leaderAgreement, leaderIndex } from '../health/verdict.js';
import { hexId, memberLabel } from './ids.js';
import { formatBytes, formatClock, formatDuration, formatPercent } from './units.js';
import { describeQuorum } from '../health/quorum.js';
import type { Verdict } from '../domain/types.js';

export type Tone = 'ok' | 'warn' | 'crit' | 'dim' | 'normal' | 'accent';

export interface MemberRow {
  id: MemberId;
  name: string;
  hexId: string;
  role: 'leader' | 'follower' | 'learner' | '?';
  roleText: string;
  state: string;
  stateTone: Tone;
  version: string;
  clientURL: string;
  peerURL: string;
  dbSize: string;
  dbInUse: string;
  quota: string;
  quotaTone: Tone;
  term: string;
  index: string;
  applied: string;
  lag: string;
  lagTone: Tone;
  latency: string;
  errors: string;
  /** The member's own leader claim differs from the majority's. */
  disagrees: boolean;
}

export function memberRows(view: ClusterView, members: Member[], options: HealthOptions, now: number): MemberRow[] {
  // Without quorum no member leads, whatever a survivor still reports: no row is marked leader.
  const agreed = leaderAgreement(view.members, view.probes);
  const agreement = view.verdict.quorum.hasQuorum ? agreed : { ...agreed, leaderId: undefined };
  const lIndex = agreement.leaderId ? leaderIndex(view.members, view.probes, agreement.leaderId) : undefined;
  return members.map((m) => {
    const probe = view.probes[m.id];
    const base = {
      id: m.id,
      name: memberLabel(m),
      hexId: hexId(m.id),
      clientURL: m.clientURLs[0] ?? '-',
      peerURL: m.peerURLs[0] ?? '-',
    };
    const isLeader = agreement.leaderId === m.id;
    // A member that answers is a follower only while there is a leader to follow.
    const role: MemberRow['role'] = m.isLearner ? 'learner' : isLeader ? 'leader' : probe?.ok && agreement.leaderId ? 'follower' : '?';
    if (!probe?.ok) {
      const down = view.downSince[m.id];
      const state = m.clientURLs.length === 0 ? 'unstarted' : probe ? `DOWN ${down !== undefined ? formatDuration(now - down) : ''}`.trim() : 'waiting';
      return {
        ...base,
        role,
        roleText: m.isLearner ? 'learner' : isLeader ? 'leader*' : 'voter',
        state,
        stateTone: probe ? 'crit' : 'dim',
        version: '-',
        dbSize: '-',
        dbInUse: '-',
        quota: '-',
        quotaTone: 'dim',
        term: '-',
        index: '-',
        applied: '-',
        lag: '-',
        lagTone: 'dim',
        latency: probe ? formatDuration(probe.latencyMs) : '-',
        errors: probe && !probe.ok ? probe.error : '',
        disagrees: false,
      };
    }
    const s = probe.status;
    const quotaRatio = s.dbSize / options.quotaBytes;
    const gap = lIndex !== undefined ? Math.max(0, lIndex - s.raftIndex) : undefined;
    let lag = gap === undefined ? '-' : String(gap);
    let lagTone: Tone = gap !== undefined && gap > options.indexGapThreshold ? 'warn' : 'normal';
    if (m.isLearner) {
      const ratio = catchUpRatio(s, lIndex);
      lag = `catch ${formatPercent(ratio)}`;
      lagTone = ratio !== undefined && ratio >= 0.9 ? 'ok' : 'accent';
    }
    const disagrees = agreement.leaderId !== undefined && s.leader !== agreement.leaderId;
    return {
      ...base,
      role,
      roleText: role === '?' ? 'voter' : role,
      state: disagrees ? `up, sees ${s.leader === '0' ? 'no leader' : memberLabel(view.members.find((x) => x.id === s.leader), s.leader)}` : 'up',
      stateTone: disagrees ? 'warn' : 'ok',
      version: s.version,
      dbSize: formatBytes(s.dbSize),
      dbInUse: formatBytes(s.dbSizeInUse),
      quota: formatPercent(quotaRatio),
      quotaTone: quotaRatio >= 0.95 ? 'crit' : quotaRatio >= options.quotaWarnRatio ? 'warn' : 'normal',
      term: String(s.raftTerm),
      index: String(s.raftIndex),
      applied: String(s.raftAppliedIndex),
      lag,
      lagTone,
      latency: formatDuration(probe.latencyMs),
      errors: s.errors.join('; '),
      disagrees,
    };
  });
}

/**
 * The leader line of the header: "Leader m1 (8e9e05c52164694d), term 2 since 13:05:12 (5m2s); leader
 * changes seen: 0", or, once the leader is gone (no leader agreed on, or quorum lost), "No leader
 * since 13:20:01 (12s), was m2 (…); quorum lost" — never the old leader.
 */
export function leaderLine(view: ClusterView, now: number): string {
  const { leader } = view;
  const changes = `leader changes seen: ${leader.changes}`;
  if (!leader.id) {
    if (leader.lostAt === undefined) return view.loaded ? 'No leader known yet' : 'Leader: connecting…';
    const was = leader.lastId ? `, was ${memberLabel(view.members.find((x) => x.id === leader.lastId), leader.lastId)} (${hexId(leader.lastId)})` : '';
    const why = view.verdict.quorum.hasQuorum ? '' : '; quorum lost';
    return `No leader since ${formatClock(leader.lostAt)} (${formatDuration(Math.max(0, now - leader.lostAt))})${was}${why}; ${changes}`;
  }
  const m = view.members.find((x) => x.id === leader.id);
  const since = leader.since !== undefined ? ` since ${formatClock(leader.since)} (${formatDuration(Math.max(0, now - leader.since))})` : '';
  return `Leader ${memberLabel(m, leader.id)} (${hexId(leader.id)}), term ${leader.term ?? '?'}${since}; ${changes}`;
}

/**
 * The verdict's headline for the header: healthy, the quorum; otherwise the first problem (critical
 * before degraded), names not IDs, and how many more there are.
 */
export function verdictHeadline(verdict: Verdict, loaded: boolean): string {
  if (!loaded) return verdict.summary;
  const problems = verdict.reasons.filter((r) => r.level === 'crit').concat(verdict.reasons.filter((r) => r.level === 'warn'));
  if (problems.length === 0) return describeQuorum(verdict.quorum);
  const more = problems.length > 1 ? ` (+${problems.length - 1} more)` : '';
  return `${problems[0].text}${more}`;
}
