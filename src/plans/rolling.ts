/**
 * The rolling engine's pure part (seed 001 §9.2; ETCD-OPS.md "Upgrades"): the order in which members
 * are changed and restarted one at a time, where leadership moves, and the gate before each member.
 * Shared by the rolling upgrade, certificate rotation, config change and rolling restart.
 */
import type { Member, MemberId } from '../domain/types.js';
import type { ClusterView } from '../health/view.js';
import { leaderAgreement, leaderIndex } from '../health/verdict.js';
import { quorumOf } from '../health/quorum.js';
import { memberLabel } from '../format/ids.js';
import { maintenanceBlocker } from './maintenance.js';

export interface RollingOrder {
  /** Members in the order they are done: followers, then learners, the leader last. */
  order: Member[];
  /** The leader when planned (done last, after leadership moved to a member already done). */
  leader?: Member;
  /** Notes for the preview. */
  notes: string[];
}

/**
 * Followers first (by name, so the order is stable), then learners (they cannot lead, they are never
 * counted for quorum, but they run the same binary), the leader last. `only` limits the run to some
 * members by name (the others are left as they are).
 */
export function rollingOrder(view: ClusterView, only?: string[]): RollingOrder | { refusal: string } {
  const leaderId = leaderAgreement(view.members, view.probes).leaderId;
  let members = view.members.filter((m) => m.clientURLs.length > 0);
  if (only && only.length > 0) {
    const unknown = only.filter((n) => !members.some((m) => m.name === n));
    if (unknown.length > 0) return { refusal: `unknown member(s) ${unknown.join(', ')}; members: ${members.map((m) => m.name).join(', ')}` };
    members = members.filter((m) => only.includes(m.name));
  }
  const byName = (a: Member, b: Member) => a.name.localeCompare(b.name);
  const followers = members.filter((m) => !m.isLearner && m.id !== leaderId).sort(byName);
  const learners = members.filter((m) => m.isLearner).sort(byName);
  const leader = members.find((m) => m.id === leaderId);
  const order = [...followers, ...learners, ...(leader ? [leader] : [])];
  const notes = [`order: ${order.map((m) => memberLabel(m)).join(', ')} (followers first${learners.length ? ', learners (not counted for quorum)' : ''}${leader ? ', the leader last' : ''})`];
  if (leader) {
    if (followers.length > 0) notes.push(`before ${memberLabel(leader)}'s turn, leadership moves to a member already done (${followers.map((m) => m.name).join(' or ')}), and the move is verified`);
    else notes.push(`${memberLabel(leader)} leads and no other voter is in this run: it is restarted while leading (writes pause for one election)`);
  }
  return { order, leader, notes };
}

/** The voter leadership moves to before the leader's turn: the first member already done that answers and is caught up. */
export function moveLeaderTarget(view: ClusterView, done: MemberId[], gapThreshold: number): Member | undefined {
  const agreement = leaderAgreement(view.members, view.probes);
  const lIndex = leaderIndex(view.members, view.probes, agreement.leaderId);
  for (const id of done) {
    const m = view.members.find((x) => x.id === id);
    const p = view.probes[id];
    if (!m || m.isLearner || !p?.ok || m.id === agreement.leaderId) continue;
    if (lIndex !== undefined && lIndex - p.status.raftIndex > gapThreshold) continue;
    return m;
  }
  return undefined;
}

/**
 * Why the run must not go on to this member now, or undefined when the gate passes: the cluster
 * healthy by the verdict (no alarm, one leader, indexes within the threshold), and it tolerates losing
 * this member while it restarts. A learner's restart costs no quorum.
 */
export function rollingGate(view: ClusterView, memberId: MemberId, opts: { gapThreshold: number }): string | undefined {
  const blocker = maintenanceBlocker(view, { gapThreshold: opts.gapThreshold });
  if (blocker) return blocker;
  const target = view.members.find((m) => m.id === memberId);
  if (!target) return `the member is not in the member list any more`;
  for (const [id, p] of Object.entries(view.probes)) {
    if (!p.ok) continue;
    const lag = p.status.raftIndex - p.status.raftAppliedIndex;
    if (lag > opts.gapThreshold) return `${memberLabel(view.members.find((m) => m.id === id), id)} has ${lag} committed entries not applied yet (more than ${opts.gapThreshold}): wait until it catches up`;
  }
  if (target.isLearner) return undefined;
  const voters = view.members.filter((m) => !m.isLearner);
  const healthyWithout = voters.filter((m) => m.id !== memberId && view.probes[m.id]?.ok === true).length;
  const q = quorumOf(voters.length);
  if (healthyWithout < q) {
    return `restarting ${memberLabel(target)} would leave ${healthyWithout} healthy voter(s) of ${voters.length}, below quorum ${q}: a rolling run needs 3 voters or more, all healthy`;
  }
  return undefined;
}
