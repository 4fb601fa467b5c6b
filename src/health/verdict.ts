/**
 * The health verdict: the post-install checklist of the source documents (every member reachable,
 * exactly one leader that all agree on, the same raft term, index close, no alarms, DB below 80 % of
 * the quota, no frequent leader changes) plus quorum and failure tolerance. Pure.
 */
import type { Alarm, HealthOptions, Member, MemberId, MemberStatus, Probe, Verdict, VerdictReason } from '../domain/types.js';
import { formatBytes, formatPercent } from '../format/units.js';
import { memberLabel } from '../format/ids.js';
import { describeQuorum, summarizeQuorum } from './quorum.js';

export interface VerdictInput {
  members: Member[];
  probes: Record<MemberId, Probe | undefined>;
  alarms: Alarm[];
  alarmsError?: string;
  /** Set when the latest member list failed (the members shown are the last known). */
  membershipError?: string;
  /** Times of the leader changes seen. */
  leaderChangeTimes: number[];
  now: number;
  options: HealthOptions;
}

/** The leader as the majority of answering members see it, and who disagrees. */
export interface LeaderAgreement {
  leaderId?: MemberId;
  /** member ID -> the leader it reports ("0" for none). */
  claims: Record<MemberId, MemberId>;
  dissenters: MemberId[];
}

/** Statuses of the members that answered. */
export function answeringStatuses(members: Member[], probes: Record<MemberId, Probe | undefined>): Array<[Member, MemberStatus]> {
  const out: Array<[Member, MemberStatus]> = [];
  for (const m of members) {
    const p = probes[m.id];
    if (p?.ok) out.push([m, p.status]);
  }
  return out;
}

/** Cross-check the leader between members: the most reported non-zero leader wins; ties go to the higher term. */
export function leaderAgreement(members: Member[], probes: Record<MemberId, Probe | undefined>): LeaderAgreement {
  const claims: Record<MemberId, MemberId> = {};
  const votes = new Map<MemberId, { count: number; term: number }>();
  for (const [m, s] of answeringStatuses(members, probes)) {
    claims[m.id] = s.leader;
    if (s.leader === '0') continue;
    const v = votes.get(s.leader) ?? { count: 0, term: 0 };
    v.count += 1;
    v.term = Math.max(v.term, s.raftTerm);
    votes.set(s.leader, v);
  }
  let leaderId: MemberId | undefined;
  let best = { count: 0, term: -1 };
  for (const [id, v] of votes) {
    if (v.count > best.count || (v.count === best.count && v.term > best.term)) {
      leaderId = id;
      best = v;
    }
  }
  const dissenters = Object.entries(claims)
    .filter(([, claim]) => claim !== leaderId)
    .map(([id]) => id);
  return { leaderId, claims, dissenters };
}

/** The leader's committed index, as reported by the leader itself (or the highest seen). */
export function leaderIndex(members: Member[], probes: Record<MemberId, Probe | undefined>, leaderId?: MemberId): number | undefined {
  const lp = leaderId ? probes[leaderId] : undefined;
  if (lp?.ok) return lp.status.raftIndex;
  const indexes = answeringStatuses(members, probes).map(([, s]) => s.raftIndex);
  return indexes.length ? Math.max(...indexes) : undefined;
}

/** How far a learner has caught up: applied index / leader index, in [0, 1]. */
export function catchUpRatio(status: MemberStatus, leaderRaftIndex: number | undefined): number | undefined {
  if (leaderRaftIndex === undefined || leaderRaftIndex <= 0) return undefined;
  return Math.min(1, status.raftAppliedIndex / leaderRaftIndex);
}

export function computeVerdict(input: VerdictInput): Verdict {
  const { members, probes, options } = input;
  const reasons: VerdictReason[] = [];
  const name = (id: MemberId) => memberLabel(members.find((m) => m.id === id), id);
  const quorum = summarizeQuorum(members, probes);
  const answering = answeringStatuses(members, probes);

  if (members.length === 0) {
    const why = input.membershipError ?? 'no member list yet';
    return {
      level: 'unknown',
      summary: `no cluster data: ${why}`,
      reasons: [{ level: 'crit', text: `member list unavailable: ${why}` }],
      quorum,
    };
  }

  // Quorum first: it decides everything else.
  reasons.push({ level: !quorum.hasQuorum ? 'crit' : quorum.tolerance < 1 ? 'warn' : 'ok', text: describeQuorum(quorum) });
  if (input.membershipError) {
    reasons.push({
      level: quorum.hasQuorum ? 'warn' : 'crit',
      text: `member list failed (${input.membershipError}); showing the last known membership`,
    });
  }

  // Reachability.
  const unreachable = members.filter((m) => probes[m.id] && !probes[m.id]?.ok);
  const unstarted = members.filter((m) => m.clientURLs.length === 0);
  for (const m of unreachable) {
    const p = probes[m.id];
    reasons.push({ level: m.isLearner ? 'warn' : 'warn', text: `${name(m.id)} unreachable: ${p && !p.ok ? p.error : ''}` });
  }
  for (const m of unstarted) reasons.push({ level: 'warn', text: `${name(m.id)} added but not started (no client URL yet)` });
  if (unreachable.length === 0 && unstarted.length === 0) reasons.push({ level: 'ok', text: `all ${members.length} members reachable` });

  // Leader: exactly one, agreed on by every answering member.
  const agreement = leaderAgreement(members, probes);
  if (answering.length > 0) {
    if (!agreement.leaderId) {
      reasons.push({ level: 'crit', text: 'no leader: no answering member reports one' });
    } else if (agreement.dissenters.length > 0) {
      const detail = agreement.dissenters.map((id) => `${name(id)} sees ${agreement.claims[id] === '0' ? 'no leader' : name(agreement.claims[id])}`);
      reasons.push({ level: 'warn', text: `members disagree on the leader: most see ${name(agreement.leaderId)}; ${detail.join(', ')}` });
    } else if (!members.some((m) => m.id === agreement.leaderId)) {
      reasons.push({ level: 'warn', text: `leader ${name(agreement.leaderId)} is not in the member list` });
    } else {
      reasons.push({ level: 'ok', text: `one leader: ${name(agreement.leaderId)}, agreed by all ${answering.length} answering members` });
    }

    // Raft term: the same everywhere.
    const terms = new Set(answering.map(([, s]) => s.raftTerm));
    if (terms.size > 1) {
      reasons.push({ level: 'warn', text: `raft term differs: ${answering.map(([m, s]) => `${name(m.id)} ${s.raftTerm}`).join(', ')}` });
    } else {
      reasons.push({ level: 'ok', text: `same raft term ${answering[0][1].raftTerm} on every answering member` });
    }

    // Index gap (voters) and catch-up (learners).
    const lIndex = leaderIndex(members, probes, agreement.leaderId);
    if (lIndex !== undefined) {
      let lagging = 0;
      for (const [m, s] of answering) {
        if (m.isLearner) {
          const ratio = catchUpRatio(s, lIndex);
          reasons.push({ level: 'info', text: `learner ${name(m.id)} catching up: ${formatPercent(ratio)}` });
          continue;
        }
        const gap = lIndex - s.raftIndex;
        if (gap > options.indexGapThreshold) {
          lagging += 1;
          reasons.push({ level: 'warn', text: `${name(m.id)} trails the leader by ${gap} entries (threshold ${options.indexGapThreshold})` });
        }
        const backlog = s.raftIndex - s.raftAppliedIndex;
        if (backlog > 5000) reasons.push({ level: 'warn', text: `${name(m.id)} has ${backlog} committed entries not yet applied (etcd answers "too many requests" above 5000)` });
      }
      if (lagging === 0) reasons.push({ level: 'ok', text: `raft index within ${options.indexGapThreshold} of the leader on every voter` });
    }
  }

  // Alarms.
  if (input.alarmsError) reasons.push({ level: 'warn', text: `alarm list failed: ${input.alarmsError}` });
  if (input.alarms.length > 0) {
    for (const a of input.alarms) {
      const what = a.alarm === 'NOSPACE' ? 'the cluster accepts only reads and deletes' : 'data inconsistency detected; replace or restore the member';
      reasons.push({ level: 'crit', text: `alarm ${a.alarm} on ${name(a.memberId)}: ${what}` });
    }
  } else if (!input.alarmsError) {
    reasons.push({ level: 'ok', text: 'no alarms' });
  }
  for (const [m, s] of answering) {
    for (const e of s.errors) reasons.push({ level: 'warn', text: `${name(m.id)} reports: ${e}` });
  }

  // DB size against the quota.
  let overQuota = 0;
  for (const [m, s] of answering) {
    const ratio = s.dbSize / options.quotaBytes;
    if (ratio >= 0.95) {
      overQuota += 1;
      reasons.push({ level: 'crit', text: `${name(m.id)} DB ${formatBytes(s.dbSize)} is ${formatPercent(ratio)} of the ${formatBytes(options.quotaBytes)} quota (NOSPACE soon): compact and defragment` });
    } else if (ratio >= options.quotaWarnRatio) {
      overQuota += 1;
      reasons.push({ level: 'warn', text: `${name(m.id)} DB ${formatBytes(s.dbSize)} is ${formatPercent(ratio)} of the ${formatBytes(options.quotaBytes)} quota (above ${formatPercent(options.quotaWarnRatio)})` });
    }
  }
  if (answering.length > 0 && overQuota === 0) {
    reasons.push({ level: 'ok', text: `DB below ${formatPercent(options.quotaWarnRatio)} of the ${formatBytes(options.quotaBytes)} quota on every member` });
  }

  // Leader changes.
  const recent = input.leaderChangeTimes.filter((t) => input.now - t <= options.leaderChangeWindowMs).length;
  if (recent >= options.leaderChangeWarn) {
    reasons.push({ level: 'warn', text: `${recent} leader changes in the last ${Math.round(options.leaderChangeWindowMs / 60000)} min (network or disk trouble?)` });
  }

  const crit = reasons.filter((r) => r.level === 'crit');
  const warn = reasons.filter((r) => r.level === 'warn');
  const level = crit.length > 0 ? 'critical' : warn.length > 0 ? 'degraded' : 'healthy';
  const first = crit[0] ?? warn[0];
  const summary = first ? `${level}: ${first.text}` : `healthy: ${describeQuorum(quorum)}`;
  return { level, summary, reasons, quorum };
}
