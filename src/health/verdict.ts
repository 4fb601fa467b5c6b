/**
 * The health verdict: the post-install checklist of the source documents (every member reachable,
 * exactly one leader that all agree on, the same raft term, index close, no alarms, DB below 80 % of
 * the quota, no frequent leader changes) plus quorum and failure tolerance. Pure.
 */
import type { Alarm, HealthOptions, Member, MemberId, MemberStatus, Probe, Verdict, VerdictReason } from '../domain/types.js';
import { formatBytes, formatPercent } from '../format/units.js';
import { DEFAULT_HEALTH_OPTIONS } from '../domain/types.js';
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
  /** The cluster version (etcd's /version "etcdcluster"), when read. */
  clusterVersion?: string;
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

/** How a member reports an active alarm in its status errors. */
const ALARM_ECHO = /memberID:\s*(\d+)\s+alarm:\s*([A-Za-z]+)/;

/** Whether the quota is etcd's default taken for want of the real one (see HealthOptions.quotaAssumed). */
export function isQuotaAssumed(options: HealthOptions): boolean {
  return options.quotaAssumed ?? options.quotaBytes === DEFAULT_HEALTH_OPTIONS.quotaBytes;
}

/** "the 8.6 GB quota", or "the 2.1 GB quota (assumed: etcd's default; give --quota-bytes)". */
export function quotaPhrase(options: HealthOptions): string {
  return `the ${formatBytes(options.quotaBytes)} quota${isQuotaAssumed(options) ? " (assumed: etcd's default; give --quota-bytes)" : ''}`;
}

/** The next steps for the checks that fail, each with the console key when there is one. */
export const FIX = {
  memberDown: 'restart etcd on its host (o does it over SSH), or R to replace it',
  memberDownNoQuorum: 'restart etcd on its host (its data is kept)',
  learnerDown: 'restart etcd on its host (o does it over SSH), or x to remove the learner',
  unstarted: 'start etcd on its host with the env block the add printed, or x to remove it',
  quorumLost:
    'restart the DOWN voters on their hosts (no data lost); if they are gone for good: Q to recover from the most advanced survivor ' +
    '(--force-new-cluster; loses the writes only the lost members had) or O to restore the last snapshot on every member ' +
    '(loses every write since it)',
  noLeader: 'an election should end within seconds; if not, check the network between the members',
  disagree: 'the members that see another leader are cut off: check their network',
  lagging: "check its disk and network; a member restarted a moment ago is catching up",
  backlog: "check its disk (apply is slow): etcd refuses requests above 5000",
  nospace: 'A: compact, defragment every member, disarm NOSPACE',
  corrupt: 'R to replace the member (its data differs from the others), or restore a snapshot',
  nearQuota: 'C to compact the history, then D to defragment',
  nearQuotaArmed: 'A: compact, defragment every member, disarm NOSPACE',
  leaderChanges: 'check the disks (fsync latency) and the network between the members',
  mixedVersions: 'finish the rolling upgrade one member at a time, followers first, the leader last (or roll the upgraded ones back)',
} as const;

/** "m1 3.5.16; m2, m3 3.4.23" when the answering members run more than one server version, else undefined. */
export function mixedVersions(answering: Array<[Member, MemberStatus]>, name: (id: MemberId) => string): string | undefined {
  const byVersion = new Map<string, string[]>();
  for (const [m, s] of answering) {
    if (!s.version) continue;
    byVersion.set(s.version, [...(byVersion.get(s.version) ?? []), name(m.id)]);
  }
  if (byVersion.size < 2) return undefined;
  return [...byVersion.entries()]
    .sort(([a], [b]) => compareVersions(b, a))
    .map(([v, names]) => `${names.join(', ')} ${v}`)
    .join('; ');
}

/** Compare dotted versions numerically ("3.10.0" > "3.9.1"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function computeVerdict(input: VerdictInput): Verdict {
  const { members, probes, options } = input;
  const reasons: VerdictReason[] = [];
  const add = (level: VerdictReason['level'], text: string, fix?: string) => reasons.push(fix ? { level, text, fix } : { level, text });
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
  add(!quorum.hasQuorum ? 'crit' : quorum.tolerance < 1 ? 'warn' : 'ok', describeQuorum(quorum), quorum.hasQuorum ? undefined : FIX.quorumLost);
  if (input.membershipError) {
    add(quorum.hasQuorum ? 'warn' : 'crit', `member list failed (${input.membershipError}); showing the last known membership`);
  }

  // Reachability.
  const unreachable = members.filter((m) => probes[m.id] && !probes[m.id]?.ok);
  const unstarted = members.filter((m) => m.clientURLs.length === 0);
  for (const m of unreachable) {
    const p = probes[m.id];
    const fix = m.isLearner ? FIX.learnerDown : quorum.hasQuorum ? FIX.memberDown : FIX.memberDownNoQuorum;
    const error = p && !p.ok ? p.error : '';
    // For narrow screens: the error's first clause, without the URL the name stands for.
    const brief = `${name(m.id)} DOWN: ${error.split(/ at |: /)[0]}`;
    reasons.push({ level: 'warn', text: `${name(m.id)} unreachable: ${error}`, brief, fix });
  }
  for (const m of unstarted) add('warn', `${name(m.id)} added but not started (no client URL yet)`, FIX.unstarted);
  if (unreachable.length === 0 && unstarted.length === 0) add('ok', `all ${members.length} members reachable`);

  // Leader: exactly one, agreed on by every answering member. Without quorum no leader can be
  // trusted (a minority member may still name the old one): the checks that need one are unknown.
  const agreement = leaderAgreement(members, probes);
  if (answering.length > 0 && !quorum.hasQuorum) {
    add('unknown', 'one leader: unknown while quorum is lost (no leader can be elected)');
    add('unknown', `raft index within ${options.indexGapThreshold} of the leader: unknown without a leader`);
  } else if (answering.length > 0) {
    if (!agreement.leaderId) {
      add('crit', 'no leader: no answering member reports one', FIX.noLeader);
    } else if (agreement.dissenters.length > 0) {
      const detail = agreement.dissenters.map((id) => `${name(id)} sees ${agreement.claims[id] === '0' ? 'no leader' : name(agreement.claims[id])}`);
      add('warn', `members disagree on the leader: most see ${name(agreement.leaderId)}; ${detail.join(', ')}`, FIX.disagree);
    } else if (!members.some((m) => m.id === agreement.leaderId)) {
      add('warn', `leader ${name(agreement.leaderId)} is not in the member list`);
    } else {
      add('ok', `one leader: ${name(agreement.leaderId)}, agreed by all ${answering.length} answering members`);
    }
  }

  if (answering.length > 0) {
    // Raft term: the same everywhere.
    const terms = new Set(answering.map(([, s]) => s.raftTerm));
    if (terms.size > 1) {
      add('warn', `raft term differs: ${answering.map(([m, s]) => `${name(m.id)} ${s.raftTerm}`).join(', ')}`);
    } else {
      add('ok', `same raft term ${answering[0][1].raftTerm} on every answering member`);
    }
  }

  if (answering.length > 0 && quorum.hasQuorum) {
    // Index gap (voters) and catch-up (learners): measured against the leader, so only with one.
    const lIndex = agreement.leaderId ? leaderIndex(members, probes, agreement.leaderId) : undefined;
    if (lIndex === undefined) {
      add('unknown', `raft index within ${options.indexGapThreshold} of the leader: unknown without a leader`);
    } else {
      let lagging = 0;
      for (const [m, s] of answering) {
        if (m.isLearner) {
          const ratio = catchUpRatio(s, lIndex);
          add('info', `learner ${name(m.id)} catching up: ${formatPercent(ratio)}`);
          continue;
        }
        const gap = lIndex - s.raftIndex;
        if (gap > options.indexGapThreshold) {
          lagging += 1;
          add('warn', `${name(m.id)} trails the leader by ${gap} entries (threshold ${options.indexGapThreshold})`, FIX.lagging);
        }
        const backlog = s.raftIndex - s.raftAppliedIndex;
        if (backlog > 5000) add('warn', `${name(m.id)} has ${backlog} committed entries not yet applied`, FIX.backlog);
      }
      if (lagging === 0) add('ok', `raft index within ${options.indexGapThreshold} of the leader on every voter`);
    }
  }

  // Versions: one server version everywhere, except in the middle of a rolling upgrade.
  const mixed = mixedVersions(answering, name);
  const clusterVersion = input.clusterVersion ? ` (cluster version ${input.clusterVersion})` : '';
  if (mixed) add('warn', `mixed versions: ${mixed}${clusterVersion}`, FIX.mixedVersions);
  else if (answering.length > 0 && answering[0][1].version) add('ok', `every answering member runs etcd ${answering[0][1].version}${clusterVersion}`);

  // Alarms.
  if (input.alarmsError) add('warn', `alarm list failed: ${input.alarmsError}`);
  if (input.alarms.length > 0) {
    for (const a of input.alarms) {
      if (a.alarm === 'NOSPACE') add('crit', `alarm NOSPACE on ${name(a.memberId)}: the DB reached the quota, the cluster accepts only reads and deletes`, FIX.nospace);
      else add('crit', `alarm CORRUPT on ${name(a.memberId)}: its data differs from the other members'`, FIX.corrupt);
    }
  } else if (!input.alarmsError) {
    add('ok', 'no alarms');
  }
  // Members echo active alarms in their status ("memberID:<decimal> alarm:NOSPACE"): said once, by
  // name, and only when the alarm list did not already say it.
  const echoed = new Set<string>();
  for (const [m, s] of answering) {
    for (const e of s.errors) {
      const echo = ALARM_ECHO.exec(e);
      if (!echo) {
        add('warn', `${name(m.id)} reports: ${e}`);
        continue;
      }
      const [, id, alarm] = echo;
      const key = `${id}/${alarm.toUpperCase()}`;
      if (echoed.has(key) || input.alarms.some((a) => a.memberId === id && a.alarm === alarm.toUpperCase())) continue;
      echoed.add(key);
      const known = alarm.toUpperCase() === 'NOSPACE' || alarm.toUpperCase() === 'CORRUPT';
      add(known ? 'crit' : 'warn', `alarm ${alarm.toUpperCase()} on ${name(id)} (from the members' status)`, alarm.toUpperCase() === 'NOSPACE' ? FIX.nospace : alarm.toUpperCase() === 'CORRUPT' ? FIX.corrupt : undefined);
    }
  }

  // DB size against the quota.
  const nospaceArmed = input.alarms.some((a) => a.alarm === 'NOSPACE');
  let overQuota = 0;
  for (const [m, s] of answering) {
    const ratio = s.dbSize / options.quotaBytes;
    const of = `${name(m.id)} DB ${formatBytes(s.dbSize)} is ${formatPercent(ratio)} of ${quotaPhrase(options)}`;
    if (ratio >= 0.95) {
      overQuota += 1;
      add('crit', nospaceArmed ? of : `${of}: NOSPACE soon`, nospaceArmed ? FIX.nearQuotaArmed : FIX.nearQuota);
    } else if (ratio >= options.quotaWarnRatio) {
      overQuota += 1;
      add('warn', `${of} (above ${formatPercent(options.quotaWarnRatio)})`, nospaceArmed ? FIX.nearQuotaArmed : FIX.nearQuota);
    }
  }
  if (answering.length > 0 && overQuota === 0) {
    add('ok', `DB below ${formatPercent(options.quotaWarnRatio)} of ${quotaPhrase(options)} on every member`);
  }

  // Leader changes.
  const recent = input.leaderChangeTimes.filter((t) => input.now - t <= options.leaderChangeWindowMs).length;
  if (recent >= options.leaderChangeWarn) {
    add('warn', `${recent} leader changes in the last ${Math.round(options.leaderChangeWindowMs / 60000)} min`, FIX.leaderChanges);
  }

  const crit = reasons.filter((r) => r.level === 'crit');
  const warn = reasons.filter((r) => r.level === 'warn');
  const level = crit.length > 0 ? 'critical' : warn.length > 0 ? 'degraded' : 'healthy';
  const first = crit[0] ?? warn[0];
  const summary = first ? `${level}: ${reasonLine(first)}` : `healthy: ${describeQuorum(quorum)}`;
  return { level, summary, reasons, quorum };
}

/** A reason as one line of text: what was found, then " -> " and the next step. */
export function reasonLine(r: VerdictReason): string {
  return r.fix ? `${r.text} -> ${r.fix}` : r.text;
}
