/** Quorum math: q(n) = floor(n/2) + 1; failure tolerance = healthy voters - q(N). Pure. */
import type { Member, MemberId, Probe, QuorumSummary } from '../domain/types.js';

export function quorumOf(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/** Voters, healthy voters (answering Status), quorum and tolerance of the current membership. */
export function summarizeQuorum(members: Member[], probes: Record<MemberId, Probe | undefined>): QuorumSummary {
  const voters = members.filter((m) => !m.isLearner);
  const healthyVoters = voters.filter((m) => probes[m.id]?.ok === true).length;
  const quorum = quorumOf(voters.length);
  return {
    voters: voters.length,
    healthyVoters,
    learners: members.length - voters.length,
    quorum,
    tolerance: healthyVoters - quorum,
    hasQuorum: voters.length > 0 && healthyVoters >= quorum,
  };
}

/** "3 voters, 3 healthy, tolerates 1 failure" */
export function describeQuorum(q: QuorumSummary): string {
  const voters = `${q.voters} voter${q.voters === 1 ? '' : 's'}, ${q.healthyVoters} healthy`;
  const learners = q.learners > 0 ? `, ${q.learners} learner${q.learners === 1 ? '' : 's'}` : '';
  if (!q.hasQuorum) return `${voters}${learners}: QUORUM LOST (needs ${q.quorum})`;
  const tolerance = `tolerates ${q.tolerance} failure${q.tolerance === 1 ? '' : 's'}`;
  return `${voters}${learners}, ${tolerance}`;
}
