/**
 * Runs the consistency check: the leader's current revision, then HashKV at that revision on every
 * member with a client URL, in parallel, each bounded, with progress and an abort signal.
 */
import type { Member } from '../domain/types.js';
import type { ClusterGateway, InspectGateway } from '../cluster/gateway.js';
import { memberLabel } from '../format/ids.js';
import { ClusterError } from '../domain/errors.js';
import type { ConsistencyResult, HashAnswer } from '../health/consistency.js';

export interface ConsistencyProgress {
  done: number;
  total: number;
  revision?: number;
}

export class CheckAborted extends Error {
  constructor() {
    super('consistency check aborted');
    this.name = 'CheckAborted';
  }
}

/** The common revision: the one the leader reports (its status header); any member's when no leader answers. */
async function commonRevision(gateway: ClusterGateway, members: Member[]): Promise<{ revision: number; from: string }> {
  const statuses = await Promise.all(
    members
      .filter((m) => m.clientURLs.length > 0)
      .map(async (m) => {
        try {
          return { m, s: await gateway.status(m.clientURLs[0]) };
        } catch {
          return undefined;
        }
      }),
  );
  const answered = statuses.filter((x): x is NonNullable<typeof x> => x !== undefined);
  if (answered.length === 0) throw new ClusterError('no member answered Status: cannot choose a revision to hash at', 'unreachable');
  const leader = answered.find((x) => x.s.leader === x.s.memberId);
  const pick = leader ?? answered.sort((a, b) => b.s.revision - a.s.revision)[0];
  return { revision: pick.s.revision, from: `${memberLabel(pick.m)}${leader ? ' (leader)' : ''}` };
}

export async function runConsistencyCheck(
  gateway: ClusterGateway & InspectGateway,
  timeoutMs: number,
  onProgress: (p: ConsistencyProgress) => void = () => undefined,
  signal?: AbortSignal,
  now: () => number = Date.now,
): Promise<ConsistencyResult> {
  const { members } = await gateway.memberList();
  const targets = members.filter((m) => m.clientURLs.length > 0);
  const { revision, from } = await commonRevision(gateway, targets);
  let done = 0;
  onProgress({ done, total: targets.length, revision });
  const aborted = new Promise<never>((_, reject) => {
    if (signal?.aborted) reject(new CheckAborted());
    signal?.addEventListener('abort', () => reject(new CheckAborted()), { once: true });
  });
  aborted.catch(() => undefined);
  const answers = await Promise.race([
    Promise.all(
      targets.map(async (m): Promise<HashAnswer> => {
        const t0 = now();
        try {
          const r = await gateway.hashKV(m.clientURLs[0], revision, timeoutMs);
          return { memberId: m.id, member: memberLabel(m), ok: true, hash: r.hash, compactRevision: r.compactRevision, ms: now() - t0 };
        } catch (error) {
          return { memberId: m.id, member: memberLabel(m), ok: false, error: (error as Error).message, ms: now() - t0 };
        } finally {
          done += 1;
          onProgress({ done, total: targets.length, revision });
        }
      }),
    ),
    aborted,
  ]);
  return { revision, revisionFrom: from, answers, at: now() };
}
