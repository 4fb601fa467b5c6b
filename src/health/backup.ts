/**
 * Backup age and operator actions, pure part: the newest verified snapshot of this cluster (from the
 * snapshot sidecars of the context's backup directory and from the audit log's successful
 * snapshot-save records), the health line when it is older than a threshold, and the audit records
 * as events for the timeline ("08:12 you: remove m3 (succeeded)").
 */
import type { ClusterEvent, VerdictReason } from '../domain/types.js';

export interface BackupEvidence {
  source: 'sidecar' | 'audit';
  /** When the snapshot was taken (ms since the epoch). */
  at: number;
  /** The snapshot file. */
  file: string;
  clusterId?: string;
  revision?: number;
  member?: string;
}

export const DEFAULT_BACKUP_MAX_AGE_MS = 24 * 3_600_000;

/** The newest snapshot of this cluster (evidence of another cluster is ignored when the ID is known). */
export function newestBackup(evidence: BackupEvidence[], clusterId?: string): BackupEvidence | undefined {
  return evidence.filter((e) => !clusterId || !e.clusterId || e.clusterId === clusterId).sort((a, b) => b.at - a.at)[0];
}

function age(ms: number): string {
  const hours = ms / 3_600_000;
  return hours >= 48 ? `${Math.floor(hours / 24)} days` : `${Math.floor(hours)} h`;
}

/**
 * The backup-age line: warn when the newest verified snapshot is older than maxAgeMs, or when a
 * backup directory is named but holds none. Nothing when there is no backup directory and the audit
 * log never saved one (the check is not set up for this cluster).
 */
export function backupReasons(evidence: BackupEvidence[], opts: { now: number; maxAgeMs?: number; backupDir?: string; clusterId?: string }): VerdictReason[] {
  const maxAge = opts.maxAgeMs ?? DEFAULT_BACKUP_MAX_AGE_MS;
  const newest = newestBackup(evidence, opts.clusterId);
  if (!newest) {
    if (!opts.backupDir) return [];
    return [{ level: 'warn', text: `no verified snapshot of this cluster in ${opts.backupDir} or the audit log: press S to save one` }];
  }
  const old = opts.now - newest.at;
  const what = `newest verified snapshot ${newest.file} (${new Date(newest.at).toISOString().slice(0, 16).replace('T', ' ')} UTC${newest.member ? `, from ${newest.member}` : ''})`;
  if (old > maxAge) return [{ level: 'warn', text: `${what} is ${age(old)} old (older than ${age(maxAge)}): press S to save one` }];
  return [{ level: 'ok', text: `${what} is ${age(old)} old` }];
}

/** An audit record as the audit log holds it (only the fields the timeline reads). */
export interface AuditLine {
  time: string;
  user: string;
  context: string;
  command: string;
  arguments: Record<string, unknown>;
  clusterId?: string;
  outcome: string;
  error?: string;
}

/** What the flow acted on, from its arguments: a member, a file, a host. */
function target(args: Record<string, unknown>): string {
  for (const k of ['member', 'target', 'name', 'host', 'file', 'rule']) {
    const v = args[k];
    if (typeof v === 'string' && v !== '') return ` ${v}`;
  }
  if (Array.isArray(args.hosts)) return ` ${args.hosts.join(' ')}`;
  return '';
}

/** The audit records of this cluster (or context) as timeline events. */
export function operatorEvents(lines: AuditLine[], opts: { clusterId?: string; context: string; me: string }): ClusterEvent[] {
  return lines
    .filter((l) => (opts.clusterId && l.clusterId ? l.clusterId === opts.clusterId : l.context === opts.context))
    .map((l) => ({
      at: Date.parse(l.time),
      kind: 'operator' as const,
      text: `${l.user === opts.me ? 'you' : l.user}: ${l.command.replace(/-/g, ' ')}${target(l.arguments)} (${l.outcome})`,
    }))
    .filter((e) => Number.isFinite(e.at));
}

/**
 * Names the flows gave to members they added (add-learner, replace), by hex ID: the record's
 * arguments hold the name and peer URLs, its `after` topology the new member's ID. The timeline
 * uses them for members that have not started yet ("(unstarted 7dbe...)").
 */
export function namesFromAudit(lines: AuditLine[]): Record<string, string> {
  const names: Record<string, string> = {};
  for (const l of lines) {
    const after = (l as AuditLine & { after?: { members?: Array<{ hexId: string; name: string; peerURLs: string[] }> } }).after;
    const name = typeof l.arguments.name === 'string' ? l.arguments.name : typeof l.arguments.newName === 'string' ? l.arguments.newName : undefined;
    const urls = Array.isArray(l.arguments.peerURLs) ? (l.arguments.peerURLs as unknown[]).map(String) : [];
    if (!name || urls.length === 0 || !after?.members) continue;
    const added = after.members.find((m) => m.peerURLs.length > 0 && m.peerURLs.every((u) => urls.includes(u)));
    if (added) names[added.hexId] = name;
  }
  return names;
}

/** An event text with "(unstarted HEX)" replaced by the name a flow gave that member. */
export function nameUnstarted(text: string, names: Record<string, string>): string {
  return text.replace(/\(unstarted ([0-9a-f]+)\)/g, (whole, hex: string) => (names[hex] ? `${names[hex]} (${hex})` : whole));
}
