/**
 * The cluster view: everything the console shows, folded from partial refresh results
 * (a member list, one member's probe, the alarm list). Each fold recomputes the verdict and
 * records the events that happened between the previous view and the new one. Pure.
 */
import type {
  Alarm,
  ClusterEvent,
  ErrorKind,
  HealthOptions,
  Member,
  MemberId,
  Probe,
  Verdict,
} from '../domain/types.js';
import { memberLabel } from '../format/ids.js';
import { computeVerdict, leaderAgreement } from './verdict.js';

const HISTORY = 60;
const MAX_EVENTS = 200;

export interface MemberHistory {
  raftIndex: number[];
  dbSize: number[];
}

export interface LeaderTrack {
  id?: MemberId;
  term?: number;
  since?: number;
  /** Leader changes seen since the console started (the first leader seen is not a change). */
  changes: number;
  changeTimes: number[];
}

export interface ClusterView {
  clusterId?: string;
  members: Member[];
  membershipError?: { error: string; kind: ErrorKind };
  probes: Record<MemberId, Probe>;
  /** When each member last answered; when it stopped answering. */
  lastSeen: Record<MemberId, number>;
  downSince: Record<MemberId, number>;
  history: Record<MemberId, MemberHistory>;
  alarms: Alarm[];
  alarmsError?: string;
  leader: LeaderTrack;
  events: ClusterEvent[];
  verdict: Verdict;
  updatedAt: number;
  /** True once a member list has been read. */
  loaded: boolean;
}

export function emptyView(options: HealthOptions, now = Date.now()): ClusterView {
  const base = {
    members: [],
    probes: {},
    lastSeen: {},
    downSince: {},
    history: {},
    alarms: [],
    leader: { changes: 0, changeTimes: [] },
    events: [],
    updatedAt: now,
    loaded: false,
  };
  return { ...base, verdict: computeVerdict({ ...base, leaderChangeTimes: [], now, options }) };
}

export type Refresh =
  | { type: 'membership'; at: number; result: { ok: true; clusterId: string; members: Member[] } | { ok: false; error: string; kind: ErrorKind } }
  | { type: 'probe'; at: number; memberId: MemberId; probe: Probe }
  | { type: 'alarms'; at: number; result: { ok: true; alarms: Alarm[] } | { ok: false; error: string; kind: ErrorKind } };

/** Fold a batch of refresh results into the view. */
export function applyRefreshes(prev: ClusterView, refreshes: Refresh[], options: HealthOptions): ClusterView {
  if (refreshes.length === 0) return prev;
  let next: ClusterView = { ...prev, probes: { ...prev.probes }, lastSeen: { ...prev.lastSeen }, downSince: { ...prev.downSince }, history: { ...prev.history } };
  let now = prev.updatedAt;
  for (const r of refreshes) {
    now = Math.max(now, r.at);
    next = applyOne(next, r);
  }
  next.updatedAt = now;
  next = trackLeader(prev, next, now);
  next.verdict = computeVerdict({
    members: next.members,
    probes: next.probes,
    alarms: next.alarms,
    alarmsError: next.alarmsError,
    membershipError: next.membershipError?.error,
    leaderChangeTimes: next.leader.changeTimes,
    now,
    options,
  });
  const events = detectEvents(prev, next, now);
  if (events.length > 0) next.events = [...prev.events, ...events].slice(-MAX_EVENTS);
  return next;
}

function applyOne(view: ClusterView, r: Refresh): ClusterView {
  switch (r.type) {
    case 'membership': {
      if (!r.result.ok) return { ...view, membershipError: { error: r.result.error, kind: r.result.kind } };
      const ids = new Set(r.result.members.map((m) => m.id));
      // Forget probes of members that left.
      for (const id of Object.keys(view.probes)) if (!ids.has(id)) delete view.probes[id];
      return { ...view, clusterId: r.result.clusterId, members: r.result.members, membershipError: undefined, loaded: true };
    }
    case 'probe': {
      if (!view.members.some((m) => m.id === r.memberId)) return view;
      view.probes[r.memberId] = r.probe;
      if (r.probe.ok) {
        view.lastSeen[r.memberId] = r.at;
        delete view.downSince[r.memberId];
        const h = view.history[r.memberId] ?? { raftIndex: [], dbSize: [] };
        view.history[r.memberId] = {
          raftIndex: [...h.raftIndex, r.probe.status.raftIndex].slice(-HISTORY),
          dbSize: [...h.dbSize, r.probe.status.dbSize].slice(-HISTORY),
        };
      } else if (view.downSince[r.memberId] === undefined) {
        view.downSince[r.memberId] = r.at;
      }
      return view;
    }
    case 'alarms':
      return r.result.ok ? { ...view, alarms: r.result.alarms, alarmsError: undefined } : { ...view, alarmsError: r.result.error };
  }
}

function trackLeader(prev: ClusterView, next: ClusterView, now: number): ClusterView {
  const agreement = leaderAgreement(next.members, next.probes);
  const id = agreement.leaderId;
  const lp = id ? next.probes[id] : undefined;
  const term = lp?.ok ? lp.status.raftTerm : prev.leader.term;
  if (!id || id === prev.leader.id) {
    return { ...next, leader: { ...prev.leader, term: id ? term : prev.leader.term } };
  }
  const isChange = prev.leader.id !== undefined;
  return {
    ...next,
    leader: {
      id,
      term,
      since: now,
      changes: prev.leader.changes + (isChange ? 1 : 0),
      changeTimes: isChange ? [...prev.leader.changeTimes, now].slice(-50) : prev.leader.changeTimes,
    },
  };
}

/** The events between two views: leader, term, membership, reachability, alarms, quorum. */
export function detectEvents(prev: ClusterView, next: ClusterView, at: number): ClusterEvent[] {
  const events: ClusterEvent[] = [];
  const name = (id: MemberId) => memberLabel(next.members.find((m) => m.id === id) ?? prev.members.find((m) => m.id === id), id);

  if (next.leader.id !== prev.leader.id && next.leader.id) {
    events.push({
      at,
      kind: 'leader-changed',
      memberId: next.leader.id,
      text: prev.leader.id ? `leader changed: ${name(prev.leader.id)} -> ${name(next.leader.id)} (term ${next.leader.term ?? '?'})` : `leader is ${name(next.leader.id)} (term ${next.leader.term ?? '?'})`,
    });
  } else if (prev.leader.term !== undefined && next.leader.term !== undefined && next.leader.term !== prev.leader.term) {
    events.push({ at, kind: 'term-changed', text: `raft term ${prev.leader.term} -> ${next.leader.term}` });
  }

  if (prev.loaded && next.loaded) {
    const before = new Map(prev.members.map((m) => [m.id, m]));
    const after = new Map(next.members.map((m) => [m.id, m]));
    for (const [id, m] of after) {
      const old = before.get(id);
      if (!old) events.push({ at, kind: 'member-joined', memberId: id, text: `${name(id)} joined${m.isLearner ? ' as a learner' : ''}` });
      else if (old.isLearner && !m.isLearner) events.push({ at, kind: 'member-promoted', memberId: id, text: `${name(id)} promoted to voter` });
    }
    for (const id of before.keys()) if (!after.has(id)) events.push({ at, kind: 'member-left', memberId: id, text: `${name(id)} left the cluster` });
  }

  for (const m of next.members) {
    const was = prev.probes[m.id];
    const now = next.probes[m.id];
    if (!now || was === now) continue;
    if (!now.ok && (was === undefined || was.ok)) events.push({ at, kind: 'member-unreachable', memberId: m.id, text: `${name(m.id)} unreachable: ${now.error}` });
    if (now.ok && was && !was.ok) events.push({ at, kind: 'member-back', memberId: m.id, text: `${name(m.id)} answers again` });
  }

  const key = (a: Alarm) => `${a.memberId}/${a.alarm}`;
  const oldAlarms = new Set(prev.alarms.map(key));
  const newAlarms = new Set(next.alarms.map(key));
  for (const a of next.alarms) if (!oldAlarms.has(key(a))) events.push({ at, kind: 'alarm-raised', memberId: a.memberId, text: `alarm ${a.alarm} raised on ${name(a.memberId)}` });
  for (const a of prev.alarms) if (!newAlarms.has(key(a))) events.push({ at, kind: 'alarm-cleared', memberId: a.memberId, text: `alarm ${a.alarm} cleared on ${name(a.memberId)}` });

  const hadQuorum = prev.verdict.quorum.hasQuorum;
  const hasQuorum = next.verdict.quorum.hasQuorum;
  if (prev.loaded && next.members.length > 0 && Object.keys(next.probes).length > 0) {
    if (hadQuorum && !hasQuorum) events.push({ at, kind: 'quorum-lost', text: `quorum lost: ${next.verdict.quorum.healthyVoters} of ${next.verdict.quorum.voters} voters answer (needs ${next.verdict.quorum.quorum})` });
    if (!hadQuorum && hasQuorum && Object.keys(prev.probes).length > 0) events.push({ at, kind: 'quorum-back', text: 'quorum restored' });
  }
  return events;
}

/** How long a member has been unreachable, in ms (0 when it answers). */
export function downFor(view: ClusterView, id: MemberId, now: number): number {
  const since = view.downSince[id];
  return since === undefined ? 0 : now - since;
}

export type { Verdict };
