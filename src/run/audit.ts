/** The audit log: append-only JSON lines, one record per flow run or refusal. Never secrets. */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { homedir, userInfo } from 'node:os';
import type { AuditRecord, TopologyRecord } from '../domain/plan.js';
import type { ClusterView } from '../health/view.js';
import { leaderAgreement } from '../health/verdict.js';
import { hexId, memberLabel } from '../format/ids.js';

/** Default: $XDG_STATE_HOME/etcd-tui/audit.jsonl, else ~/.local/state/etcd-tui/audit.jsonl. */
export function defaultAuditPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'etcd-tui', 'audit.jsonl');
}

export function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/** Membership and leader of a view, for the record. */
export function topology(view: ClusterView): TopologyRecord {
  const agreed = leaderAgreement(view.members, view.probes).leaderId;
  // A leader that does not answer itself is not named (it was killed, and the others still name it until they elect another).
  const leaderId = agreed && view.probes[agreed]?.ok ? agreed : undefined;
  const leader = view.members.find((m) => m.id === leaderId);
  return {
    members: view.members.map((m) => ({ id: m.id, hexId: hexId(m.id), name: m.name, isLearner: m.isLearner, peerURLs: m.peerURLs })),
    leader: leaderId ? { id: leaderId, hexId: hexId(leaderId), name: memberLabel(leader, leaderId) } : undefined,
  };
}

const SECRET_KEYS = /pass|secret|token|key$/i;

export class AuditLog {
  constructor(readonly path: string) {}

  append(record: AuditRecord): void {
    const clean: AuditRecord = { ...record, arguments: Object.fromEntries(Object.entries(record.arguments).filter(([k]) => !SECRET_KEYS.test(k))) };
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    appendFileSync(this.path, JSON.stringify(clean) + '\n', { mode: 0o600 });
  }
}
