/**
 * The visibility panes' slice of the store: certificates, metrics, the consistency check and the
 * keyspace triage, plus the health lines each source adds to the verdict. Plain data.
 */
import type { ClusterEvent, VerdictReason } from '../domain/types.js';
import type { BackupEvidence } from '../health/backup.js';
import type { CertReport } from '../health/certs.js';
import type { ConsistencyResult } from '../health/consistency.js';
import type { MemberFigures } from '../health/metrics.js';
import type { KeyspaceReport } from '../plans/keyspace.js';

/** A long read-only task the console runs on request (consistency check, keyspace scan). */
export interface TaskState<T> {
  running: boolean;
  /** One line of progress ("2/3 members hashed"). */
  progress?: string;
  /** 0..1 when known. */
  ratio?: number;
  result?: T;
  error?: string;
  startedAt?: number;
}

export interface InspectState {
  certs?: CertReport;
  /** Member ID -> its recent figures (newest last), for the metrics pane and sparklines. */
  metrics: Record<string, MemberFigures[]>;
  metricsError?: string;
  consistency: TaskState<ConsistencyResult>;
  keyspace: TaskState<KeyspaceReport>;
  /** Flows run from this bastion (audit log), for the event timeline. */
  operatorEvents: ClusterEvent[];
  /** Hex ID -> the name a flow gave a member it added (audit log), for members not started yet. */
  memberNames: Record<string, string>;
  /** The newest verified snapshot found (backup directory or audit log). */
  newestBackup?: BackupEvidence;
  /** Health lines by source ('certs', 'metrics', 'consistency', 'backup'); the verdict appends them. */
  checks: Record<string, VerdictReason[]>;
  /** Unfinished runs of this context whose process is gone (run journals): the dashboard offers to undo them. */
  unfinishedRuns?: Array<{ id: string; line: string }>;
}

export function emptyInspect(): InspectState {
  return { metrics: {}, operatorEvents: [], memberNames: {}, consistency: { running: false }, keyspace: { running: false }, checks: {} };
}
