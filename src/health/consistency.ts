/**
 * The consistency check, pure part: HashKV answers of every member at one revision, compared. A
 * member whose hash differs from the majority is named (with the revision) as critical, with
 * "replace this member" as the fix. Answers computed over different compacted revisions are not
 * comparable and are reported as such rather than as a mismatch.
 */
import type { VerdictReason } from '../domain/types.js';

export type HashAnswer =
  | { memberId: string; member: string; ok: true; hash: string; compactRevision: number; ms: number }
  | { memberId: string; member: string; ok: false; error: string; ms: number };

export interface ConsistencyResult {
  /** The common revision every member hashed at (the leader's revision when the check began). */
  revision: number;
  /** Who gave the revision. */
  revisionFrom: string;
  answers: HashAnswer[];
  at: number;
}

export interface ConsistencyVerdict {
  /** Every answering member agrees (and at least two answered). */
  agree: boolean;
  /** The hash most members gave. */
  majorityHash?: string;
  /** Members whose hash differs from the majority. */
  differing: string[];
  /** Members that did not answer. */
  missing: string[];
  /** Answers that hashed from another compacted revision than the majority (not comparable). */
  incomparable: string[];
  reasons: VerdictReason[];
}

/** Compare the answers. */
export function compareHashes(result: ConsistencyResult): ConsistencyVerdict {
  const ok = result.answers.filter((a): a is Extract<HashAnswer, { ok: true }> => a.ok);
  const missing = result.answers.filter((a) => !a.ok).map((a) => a.member);
  const reasons: VerdictReason[] = [];
  for (const a of result.answers) if (!a.ok) reasons.push({ level: 'warn', text: `consistency check: ${a.member} gave no hash at revision ${result.revision}: ${a.error}` });
  // Group by compacted revision first: only hashes over the same range can be compared.
  const byCompact = new Map<number, typeof ok>();
  for (const a of ok) byCompact.set(a.compactRevision, [...(byCompact.get(a.compactRevision) ?? []), a]);
  const mainGroup = [...byCompact.values()].sort((x, y) => y.length - x.length)[0] ?? [];
  const incomparable = ok.filter((a) => !mainGroup.includes(a)).map((a) => a.member);
  for (const name of incomparable) reasons.push({ level: 'info', text: `consistency check: ${name} hashed from another compacted revision (a compaction ran meanwhile?): run the check again` });
  const counts = new Map<string, number>();
  for (const a of mainGroup) counts.set(a.hash, (counts.get(a.hash) ?? 0) + 1);
  const ranked = [...counts.entries()].sort((x, y) => y[1] - x[1]);
  const tie = ranked.length > 1 && ranked[0][1] === ranked[1][1];
  const majorityHash = ranked.length && !tie ? ranked[0][0] : undefined;
  const differing = majorityHash ? mainGroup.filter((a) => a.hash !== majorityHash).map((a) => a.member) : ranked.length > 1 ? mainGroup.map((a) => a.member) : [];
  for (const a of mainGroup) {
    if (majorityHash && a.hash !== majorityHash) {
      reasons.push({ level: 'crit', text: `${a.member}: KV hash ${a.hash} at revision ${result.revision} differs from the other members' ${majorityHash}: its data diverged; replace this member (remove it, wipe its data dir, add it back)` });
    }
  }
  if (!majorityHash && ranked.length > 1) {
    reasons.push({ level: 'crit', text: `consistency check: no majority hash at revision ${result.revision} (${mainGroup.map((a) => `${a.member} ${a.hash}`).join(', ')}): compare with a snapshot before replacing any member` });
  }
  const agree = ranked.length === 1 && mainGroup.length >= 2 && missing.length === 0 && incomparable.length === 0;
  if (ranked.length === 1 && differing.length === 0) {
    reasons.push({ level: 'ok', text: `consistency check: ${mainGroup.length} member${mainGroup.length === 1 ? '' : 's'} agree on KV hash ${ranked[0][0]} at revision ${result.revision}` });
  }
  return { agree, majorityHash, differing, missing, incomparable, reasons };
}

/** `etcd-tui check consistency` exit codes: 0 all agree, 2 a member differs, 3 no hash to compare, 1 some member did not answer. */
export function consistencyExitCode(v: ConsistencyVerdict, answered: number): number {
  if (v.differing.length > 0) return 2;
  if (answered === 0) return 3;
  if (v.missing.length > 0 || v.incomparable.length > 0) return 1;
  return 0;
}
