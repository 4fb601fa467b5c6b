/** Rows for the members table and the member detail, computed from the view. Pure. */
import type { HealthOptions, Member, MemberId } from '../domain/types.js';
import type { ClusterView } from '../health/view.js';
import { catchUpRatio, leaderAgreement, leaderIndex } from '../health/verdict.js';
import { hexId, memberLabel } from './ids.js';
import { formatBytes, formatDuration, formatPercent } from './units.js';

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
  const agreement = leaderAgreement(view.members, view.probes);
  const lIndex = leaderIndex(view.members, view.probes, agreement.leaderId);
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
    const role: MemberRow['role'] = m.isLearner ? 'learner' : isLeader ? 'leader' : probe?.ok ? 'follower' : '?';
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
      roleText: role === 'leader' ? 'leader' : role,
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

/** "m1 (8e9e05c52164694d)" for the leader line, or "none". */
export function leaderLine(view: ClusterView, now: number): string {
  const { leader } = view;
  if (!leader.id) return 'no leader known';
  const m = view.members.find((x) => x.id === leader.id);
  const since = leader.since !== undefined ? ` since ${new Date(leader.since).toTimeString().slice(0, 8)} (${formatDuration(Math.max(0, now - leader.since))})` : '';
  return `${memberLabel(m, leader.id)} (${hexId(leader.id)}), term ${leader.term ?? '?'}${since}; leader changes seen: ${leader.changes}`;
}
