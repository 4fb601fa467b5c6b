/**
 * What the flow dialog says about a plan beyond its steps, pure: the down-time the console has already
 * seen, a local start the sandbox cannot do, and the learner a failed promote (or add, or replace)
 * left behind, whose removal the done stage offers.
 */
import type { Plan, RunResult } from '../domain/plan.js';
import type { ClusterView } from '../health/view.js';
import type { FlowFollowUp, FlowView } from './state.js';
import { memberLabel } from '../format/ids.js';
import { formatDuration } from '../format/units.js';

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
  } catch {
    return false;
  }
}

/** The peer URLs of the member a plan adds, if it adds one. */
export function addedPeerURLs(plan: Plan): string[] | undefined {
  for (const s of plan.steps) if (s.action.kind === 'member-add') return s.action.peerURLs;
  return undefined;
}

/** The member a plan promotes by ID (a promote of an existing learner), if it does. */
export function promotedMember(plan: Plan): string | undefined {
  if (addedPeerURLs(plan)) return undefined;
  for (const s of plan.steps) if (s.action.kind === 'member-promote' && s.action.memberId) return s.action.memberId;
  return undefined;
}

/** Why the sandbox cannot start the new member itself with the typed peer URL. */
export function localStartProblem(f: Pick<FlowView, 'startLocally' | 'plan'>): string | undefined {
  if (!f.startLocally || !f.plan) return undefined;
  const urls = addedPeerURLs(f.plan);
  if (!urls || urls.every(isLoopback)) return undefined;
  return 'the sandbox starts members on 127.0.0.1 only: use a 127.0.0.1 peer URL (b edits), or press l and start it yourself';
}

/** What the preview must point out beyond the plan: the down-time already seen; a local start that cannot work. */
export function previewNotice(f: Pick<FlowView, 'startLocally' | 'plan'>, downSince: Record<string, number>, now: number): string | undefined {
  const lines: string[] = [];
  for (const s of f.plan?.steps ?? []) {
    if (s.action.kind !== 'confirm-down') continue;
    const seen = downSince[s.action.memberId];
    if (seen !== undefined) {
      const forMs = s.action.forMs;
      lines.push(`the console has seen ${s.action.name} down for ${formatDuration(now - seen)}: step 1 ${forMs > 0 ? `checks it for ${formatDuration(forMs)} more` : 'checks it once'}`);
    }
  }
  const problem = localStartProblem(f);
  if (problem) lines.push(problem);
  return lines.length > 0 ? lines.join('\n') : undefined;
}

/**
 * The learner a failed promote (or add, or replace) left behind, to offer its removal. From the
 * newest view: the run's own looks at the cluster have just refreshed it, and asking again would
 * keep the operator waiting on the member that is slow or down.
 */
export function leftoverLearner(plan: Plan, result: Pick<RunResult, 'outcome'>, view: Pick<ClusterView, 'members'>): FlowFollowUp | undefined {
  if (result.outcome !== 'failed' && result.outcome !== 'aborted') return undefined;
  const promotedId = promotedMember(plan);
  const peerURLs = addedPeerURLs(plan);
  if (!promotedId && !peerURLs) return undefined;
  const learner = view.members.find((m) => m.isLearner && (promotedId ? m.id === promotedId : m.peerURLs.some((u) => peerURLs?.includes(u))));
  return learner ? { member: learner.id, label: memberLabel(learner) } : undefined;
}
