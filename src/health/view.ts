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
import { summarizeQuorum } from './quorum.js';

const HISTORY = 60;
const MAX_EVENTS = 200;

export interface MemberHistory {
  raftIndex: number[];
  dbSize: number[];
}

export interface LeaderTrack {
  /** The leader now: set only while quorum holds and the answering members agree on one. */
  id?: MemberId;
  term?: number;
  since?: number;
  /** When the last leader was lost (no leader agreed on, or quorum lost), and who it was. */
  lostAt?: number;
  lastId?: MemberId;
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
  /** The cluster version (etcd's /version "etcdcluster"), when read. */
  clusterVersion?: string;
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
  | { type: 'alarms'; at: number; result: { ok: true; alarms: Alarm[] } | { ok: false; error: string; kind: ErrorKind } }
  | { type: 'version'; at: number; result: { ok: true; cluster: string } | { ok: false; error: string; kind: ErrorKind } };

/** Members in the order every screen and `status` lists them: by name, then by ID (unstarted ones, nameless, first). */
export function sortMembers(members: Member[]): Member[] {
  return [...members].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

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
    clusterVersion: next.clusterVersion,
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
      return { ...view, clusterId: r.result.clusterId, members: sortMembers(r.result.members), membershipError: undefined, loaded: true };
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
    case 'version':
      // A failed read keeps the last known version: it changes only at the end of an upgrade.
      return r.result.ok ? { ...view, clusterVersion: r.result.cluster || undefined } : view;
  }
}

/** Every voter with a client URL has been probed at least once: quorum can be judged. */
function probedAll(view: ClusterView): boolean {
  return view.members.length > 0 && view.members.every((m) => m.isLearner || m.clientURLs.length === 0 || view.probes[m.id] !== undefined);
}

/**
 * The leader as the view shows it. A leader counts only while quorum holds (a minority member may
 * name the old leader for a while); once it is gone the view says since when, and who it was.
 */
function trackLeader(prev: ClusterView, next: ClusterView, now: number): ClusterView {
  const agreement = leaderAgreement(next.members, next.probes);
  const quorum = summarizeQuorum(next.members, next.probes);
  if (!probedAll(next)) return { ...next, leader: prev.leader };
  const id = quorum.hasQuorum ? agreement.leaderId : undefined;
  if (!id) {
    if (prev.leader.id === undefined) return { ...next, leader: prev.leader };
    return { ...next, leader: { ...prev.leader, id: undefined, since: undefined, lostAt: now, lastId: prev.leader.id } };
  }
  const lp = next.probes[id];
  const term = lp?.ok ? lp.status.raftTerm : prev.leader.term;
  if (id === prev.leader.id) return { ...next, leader: { ...prev.leader, term } };
  // A leader after none counts as a change when there was one before it (a new election happened).
  const isChange = (prev.leader.id ?? prev.leader.lastId) !== undefined;
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

  const before = prev.leader.id ?? prev.leader.lastId;
  if (next.leader.id !== prev.leader.id && next.leader.id) {
    events.push({
      at,
      kind: 'leader-changed',
      memberId: next.leader.id,
      text: before ? `leader changed: ${name(before)} -> ${name(next.leader.id)} (term ${next.leader.term ?? '?'})` : `leader is ${name(next.leader.id)} (term ${next.leader.term ?? '?'})`,
    });
  } else if (prev.leader.id && !next.leader.id) {
    events.push({ at, kind: 'leader-lost', memberId: prev.leader.id, text: `no leader (was ${name(prev.leader.id)})${next.verdict.quorum.hasQuorum ? '' : ': quorum lost'}` });
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
  // Only between two views where every voter was probed: a first round arriving member by member is no loss or return.
  if (prev.loaded && probedAll(prev) && probedAll(next)) {
    if (hadQuorum && !hasQuorum) events.push({ at, kind: 'quorum-lost', text: `quorum lost: ${next.verdict.quorum.healthyVoters} of ${next.verdict.quorum.voters} voters answer (needs ${next.verdict.quorum.quorum})` });
    if (!hadQuorum && hasQuorum) events.push({ at, kind: 'quorum-back', text: 'quorum restored' });
  }
  return events;
}

/** How long a member has been unreachable, in ms (0 when it answers). */
export function downFor(view: ClusterView, id: MemberId, now: number): number {
  const since = view.downSince[id];
  return since === undefined ? 0 : now - since;
}

export type { Verdict };
