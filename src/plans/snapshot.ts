/**
 * The snapshot-save planner: which member to stream from (the leader unless told), and whether it can
 * serve a snapshot now. Pure: the caller says which of the files already exist (ETCD-OPS.md,
 * "Snapshots and restore").
 */
import type { Plan, PlanResult } from '../domain/plan.js';
import type { ClusterView } from '../health/view.js';
import { leaderAgreement } from '../health/verdict.js';
import { hexId, memberLabel } from '../format/ids.js';
import { formatBytes, formatDuration } from '../format/units.js';
import { resolveMember } from './membership.js';

const GiB = 1024 ** 3;

/** A word for a POSIX shell: as is when safe, else single-quoted (the runbook line may be pasted). */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The stream's deadline, sized to the DB: 60 s, plus 60 s per GiB. */
export function snapshotTimeoutMs(dbSize: number): number {
  return Math.ceil(60_000 + (60_000 * Math.max(0, dbSize)) / GiB);
}

/** True for a version below 3.5 ("3.4.23"); unknown forms count as new enough. */
function olderThan35(version: string): boolean {
  const m = /^v?(\d+)\.(\d+)\./.exec(version);
  return m !== null && (Number(m[1]) < 3 || (Number(m[1]) === 3 && Number(m[2]) < 5));
}

/**
 * A CORRUPT alarm on the member, from the alarm list or from any member's Status errors (each member
 * reports the cluster's alarms there as "memberID:<id> alarm:CORRUPT"): the snapshot flow reads no
 * alarm list, since on etcd 3.4/3.5 an alarm GET is a raft entry and a save should add none.
 */
export function hasCorruptAlarm(view: ClusterView, memberId: string): boolean {
  if (view.alarms.some((a) => a.memberId === memberId && a.alarm === 'CORRUPT')) return true;
  return Object.values(view.probes).some((p) => p.ok && p.status.errors.some((e) => new RegExp(`memberID:${memberId}\\b.*alarm:CORRUPT`).test(e)));
}

export interface SnapshotSaveInput {
  /** The member to stream from, by name or ID (default: the leader). */
  from?: string;
  /** The snapshot file (an absolute path: the caller resolves it). */
  file: string;
  /** Which of FILE, FILE.part, FILE.json exist already (a save never overwrites). */
  existing: string[];
  /** The connection authenticates (--user): a learner refuses Authenticate, so it cannot serve then. */
  withAuth: boolean;
}

export function planSnapshotSave(view: ClusterView, input: SnapshotSaveInput): PlanResult {
  const file = input.file.trim();
  if (!file) return { ok: false, refusal: 'no snapshot file given (usage: etcd-tui snapshot save FILE)' };
  if (input.existing.length > 0) {
    return { ok: false, refusal: `${input.existing.join(', ')} exist${input.existing.length === 1 ? 's' : ''}: a snapshot is never overwritten; choose another file name (or move the old one aside)` };
  }
  if (view.members.length === 0) {
    return {
      ok: false,
      refusal: `no member list (${view.membershipError?.error ?? 'no answer'}): without quorum, save from one member directly with etcdctl --endpoints=URL snapshot save FILE`,
    };
  }
  const leaderId = leaderAgreement(view.members, view.probes).leaderId;
  let member;
  let role: string;
  if (input.from !== undefined) {
    const found = resolveMember(view, input.from);
    if (!found.ok) return found;
    member = found.member;
    role = member.id === leaderId ? 'the leader' : member.isLearner ? 'a learner' : 'a follower';
  } else {
    member = view.members.find((m) => m.id === leaderId);
    if (!member) return { ok: false, refusal: 'no leader agreed on by the members that answer: name the member to save from with --from ID|NAME' };
    role = 'the leader';
  }
  const label = memberLabel(member);
  const url = member.clientURLs[0];
  if (!url) return { ok: false, refusal: `${label} (${hexId(member.id)}) has never started: it has no client URL to stream from` };
  const probe = view.probes[member.id];
  if (!probe?.ok) {
    return { ok: false, refusal: `${label} is unreachable${probe && !probe.ok ? `: ${probe.error}` : ''}; choose another member with --from ID|NAME` };
  }
  if (hasCorruptAlarm(view, member.id)) {
    return { ok: false, refusal: `${label} has a CORRUPT alarm: its data may differ from the other members'; save from another member with --from ID|NAME` };
  }
  const status = probe.status;
  // Seen here: etcd 3.4 refuses every stream RPC on a learner, Snapshot included; 3.5 serves Snapshot
  // (its one exception), but a learner refuses Authenticate, so with auth on no token can be sent.
  if (member.isLearner && olderThan35(status.version)) {
    return { ok: false, refusal: `${label} is a learner on etcd ${status.version}: etcd 3.4 refuses Snapshot on a learner ("rpc not supported for learner"); save from a voter` };
  }
  if (member.isLearner && input.withAuth) {
    return { ok: false, refusal: `${label} is a learner: it refuses authentication ("rpc not supported for learner"), so with --user it cannot serve a snapshot; save from a voter` };
  }
  const timeoutMs = snapshotTimeoutMs(status.dbSize);
  const warnings: string[] = [];
  if (member.isLearner) warnings.push(`${label} is a learner: its data may trail the leader's (applied index ${status.raftAppliedIndex}); a voter's snapshot is more recent`);
  const plan: Plan = {
    flow: 'snapshot-save',
    title: `Save a snapshot of ${label} to ${file}`,
    preview: [
      `from ${label} (${hexId(member.id)}), ${role}, at ${url}: etcd ${status.version}, DB ${formatBytes(status.dbSize)} (in use ${formatBytes(status.dbSizeInUse)}), revision ${status.revision}`,
      `to ${file}: streamed to ${file}.part (mode 0600), sha256 checked against etcd's trailer, fsynced, read back, then renamed; a sidecar ${file}.json records cluster, member, revision and sha256`,
      'the cluster is not changed: a snapshot reads one member\'s database (it costs that member disk reads and network)',
      `the stream must end within ${formatDuration(timeoutMs)} (60 s + 60 s per GiB of DB)`,
    ],
    warnings,
    steps: [
      {
        id: 'save',
        title: `Save a snapshot of ${label} to ${file}`,
        preconditions: [`${label} answers`, `${file}, ${file}.part and ${file}.json do not exist`],
        command: `etcdctl --endpoints=${url} snapshot save ${shellWord(file)}`,
        action: { kind: 'snapshot-save', memberId: member.id, name: label, file, timeoutMs },
      },
    ],
    args: { file, from: label, id: member.id },
  };
  return { ok: true, plan };
}
