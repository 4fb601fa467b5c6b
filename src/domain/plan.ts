/**
 * Plans: what a flow will do, as data. A planner (pure) turns a cluster view and the operator's input
 * into a Plan; the executor carries out its steps' actions one at a time. Tests compare plans by value.
 */
import type { AlarmType, MemberId } from './types.js';

export type FlowId = 'add-learner' | 'promote' | 'remove' | 'replace' | 'move-leader' | 'defrag' | 'compact' | 'recover-nospace' | 'snapshot-save' | 'bootstrap-join' | 'bootstrap-cluster' | 'snapshot-restore' | 'recover-quorum' | 'rolling-restart' | 'upgrade' | 'config-change' | 'rotate-certs';

/** Actions of the maintenance and snapshot flows (src/run/maintenance-actions.ts, src/run/snapshot-actions.ts). */
export type MaintenanceAction =
  /** Compact to `revision`, or to the current revision minus `retain` (computed when the step runs). */
  | { kind: 'compact'; retain?: number; revision?: number }
  /**
   * Defragment one member, with health gates before (quorum without it) and after (answers, caught up).
   * expectAlarms: alarms that do not fail the gates (the NOSPACE recovery); gateTimeoutMs: how long the
   * gate before waits for a healthy cluster (default 10 s).
   */
  | { kind: 'defrag-member'; memberId: MemberId; name: string; timeoutMs: number; gapThreshold: number; expectAlarms?: AlarmType[]; gateTimeoutMs?: number }
  /** Every member's DB is below `maxRatio` of the quota. */
  | { kind: 'check-quota'; quotaBytes: number; maxRatio: number }
  /** Disarm the NOSPACE alarm of every member that has it (never CORRUPT). */
  | { kind: 'disarm-nospace' };

export type SnapshotAction = { kind: 'snapshot-save'; memberId: MemberId; name: string; file: string; timeoutMs: number };

/** Where an uploaded file's bytes come from. */
export type UploadSource =
  /** Rendered text (env file, unit). */
  | { kind: 'text'; text: string; template?: string }
  /** A file on the bastion (certificate, key, etcd binary). */
  | { kind: 'local'; path: string }
  /** One member of a release tarball on the bastion (etcd-vX.Y.Z-linux-ARCH/etcd). */
  | { kind: 'tarball'; path: string; member: string };

/**
 * Actions on remote hosts (src/run/remote-actions.ts), by inventory host name. Each one records how
 * to undo itself; a plan with rollbackOnFailure undoes them all, newest first, when a step fails.
 */
export type RemoteAction =
  /** mkdir -p with a mode; the data dir's undo moves it aside (never deletes it). */
  | { kind: 'remote-mkdir'; host: string; path: string; mode: number; dataDir?: boolean }
  /** Put a file in place atomically, the earlier file copied aside; undo restores it (or removes the new one). */
  | { kind: 'remote-upload'; host: string; source: UploadSource; remotePath: string; mode: number; what: string; unit?: boolean }
  /** systemctl VERB [UNIT]; start waits for the unit (or not, with noBlock) and shows the journal when it fails. */
  | { kind: 'remote-systemctl'; host: string; verb: 'daemon-reload' | 'enable' | 'start' | 'stop'; unit?: string; noBlock?: boolean; timeoutMs: number }
  /** A new cluster has formed: every member answers, one leader, one cluster ID, `members` voters. */
  | { kind: 'wait-cluster-formed'; hosts: string[]; members: number; timeoutMs: number };

/**
 * Actions of disaster recovery (src/run/recovery-actions.ts), by inventory host name. Each records
 * its undo; a `point-of-no-return` step drops them (after it, a failure stops the run and says so).
 */
export type RecoveryAction =
  /** Stop a unit when it runs; undo starts it again (only when it ran). */
  | { kind: 'remote-service-stop'; host: string; unit: string; timeoutMs: number }
  /** The file on the host has this sha256 (checked after an upload). */
  | { kind: 'remote-sha256'; host: string; path: string; sha256: string }
  /** Run the restore command into fresh dirs (which must not exist); undo moves what it wrote aside. */
  | { kind: 'remote-restore'; host: string; argv: string[]; restoreDir: string; restoreWalDir?: string; timeoutMs: number }
  /** Move the live data (and WAL) dir aside and the restored one into place; undo swaps them back. */
  | { kind: 'remote-swap-data'; host: string; dataDir: string; asideDir: string; restoreDir: string; walDir?: string; asideWalDir?: string; restoreWalDir?: string }
  /** Move a directory aside (PATH.etcd-tui-before-recovery-<stamp>) when it is there; never deleted. */
  | { kind: 'remote-move-aside'; host: string; path: string; suffix: string }
  /** From here on a failure is not rolled back (the restored cluster has started): the run stops and says where things are. */
  | { kind: 'point-of-no-return'; reason: string }
  /** The restored cluster: a cluster ID other than the old one on every member, revisions >= minRevision, one HashKV. */
  | { kind: 'verify-restore'; hosts: string[]; oldClusterId?: string; minRevision: number; timeoutMs: number };

/**
 * Actions of the rolling engine (src/run/rolling-actions.ts): one member at a time, gated, changed,
 * restarted, waited for; `rolling-member-done` is each member's point of no return, so a failure
 * rolls back only the member in flight.
 */
export type RollingAction =
  /** Wait until the cluster may lose this member for a restart (healthy verdict, quorum without it, applies caught up). */
  | { kind: 'rolling-gate'; memberId: MemberId; name: string; gapThreshold: number; timeoutMs: number }
  /** Swap the etcd binary (the old one kept as a backup); undo puts it back and restarts the member. */
  | { kind: 'rolling-swap-binary'; host: string; source: UploadSource; remotePath: string; unit: string; what: string }
  /** systemctl restart; no undo of its own (the swap's undo restarts). */
  | { kind: 'remote-service-restart'; host: string; unit: string; timeoutMs: number }
  /** The member answers again, on `expectVersion` when given, applied within the threshold of the leader, the cluster healthy. */
  | { kind: 'wait-member-back'; host: string; memberId: MemberId; name: string; expectVersion?: string; gapThreshold: number; timeoutMs: number }
  /** The member is done: its undo no longer applies (the run goes on to the next member). */
  | { kind: 'rolling-member-done'; name: string }
  /** Every member reports the cluster version `minor` (etcd's /version etcdcluster). */
  | { kind: 'wait-cluster-version'; minor: string; timeoutMs: number };

/** A setting a member must show after a config change: its env file line and, where etcd exposes it, a metric. */
export interface SettingCheck {
  /** ETCD_QUOTA_BACKEND_BYTES */
  env: string;
  /** The value as rendered in the env file. */
  value: string;
  /** A gauge on the member's /metrics that must equal `value` (etcd_server_quota_backend_bytes). */
  metric?: string;
}

/**
 * Actions of the rolling engine's changes (src/run/rolling-change-actions.ts): files put in place with
 * backups (undo: the old files back, the member restarted), and what the member shows afterwards.
 */
export type RollingChangeAction =
  /** Upload these files with backups; undo puts every old file back and restarts the member. */
  | { kind: 'rolling-put-files'; host: string; unit: string; files: Array<{ source: UploadSource; remotePath: string; mode: number; what: string }> }
  /** The env file on the host is the one uploaded, and each checked setting is what the member shows. */
  | { kind: 'verify-member-settings'; host: string; name: string; envFile: string; sha256: string; checks: SettingCheck[]; timeoutMs: number }
  /** The certificate the member presents on its client URL (TLS handshake) has this serial (hex, upper case). */
  | { kind: 'verify-member-cert'; host: string; name: string; serial: string; tls: { cacert?: string; cert?: string; key?: string }; timeoutMs: number; what?: string };

/** The bastion's side of a CA change (src/plans/ca-rotation.ts, handlers in src/run/ca-rotation.ts). */
export type CaRotationAction =
  /** A CA change (src/plans/ca-rotation.ts): the bastion's CA bundle written (when `bundle`), then the run's cluster connection switched to these TLS files. */
  | { kind: 'client-tls-switch'; tls: { cacert?: string; cert?: string; key?: string }; bundle?: { path: string; pem: string }; why: string }
  /** A CA change's end: the context in the contexts file points at these TLS files (and CA dir), the old file kept as `backup`. */
  | { kind: 'contexts-update'; path: string; context: string; backup: string; set: { cacert: string; cert?: string; key?: string; caDir?: string } };

/** What one step does, as data the executor interprets. */
export type Action =
  | { kind: 'member-add'; name: string; peerURLs: string[]; isLearner: boolean }
  /** Wait until the member with these peer URLs has started and answers Status (the operator starts it). */
  | { kind: 'wait-started'; name: string; peerURLs: string[]; timeoutMs: number; downAfterMs?: number }
  /**
   * Wait until the learner's applied index reaches `ratio` of the leader's index. downAfterMs (both
   * waits, promote): stop early once nothing has listened on the member's peer URL for this long.
   */
  | { kind: 'wait-caught-up'; name: string; memberId?: MemberId; peerURLs?: string[]; ratio: number; timeoutMs: number; downAfterMs?: number }
  /** Promote, retrying with backoff while etcd answers "not in sync", for at most waitMs. */
  | { kind: 'member-promote'; name: string; memberId?: MemberId; peerURLs?: string[]; waitMs: number }
  | { kind: 'member-remove'; name: string; memberId: MemberId }
  | { kind: 'move-leader'; fromId: MemberId; toId: MemberId; toName: string; timeoutMs: number }
  /** The member must keep failing its status call for forMs (down, not just slow). */
  | { kind: 'confirm-down'; name: string; memberId: MemberId; forMs: number }
  /** Wait until the health verdict is healthy again. */
  | { kind: 'verify-health'; timeoutMs: number; allowSmallCluster?: boolean }
  | MaintenanceAction
  | SnapshotAction
  | RemoteAction
  | RecoveryAction
  | RollingAction
  | RollingChangeAction
  | CaRotationAction;

export interface PlanStep {
  id: string;
  title: string;
  /** What must hold before the step runs. */
  preconditions: string[];
  /** The equivalent etcdctl (or shell) command, for the operator's runbook. */
  command: string;
  action: Action;
}

export interface Plan {
  flow: FlowId;
  title: string;
  /** Preview lines shown before confirming (quorum preview, sizes, what will change). */
  preview: string[];
  warnings: string[];
  steps: PlanStep[];
  /** Type-to-confirm: the operator types this (the member's name) for destructive flows. */
  confirmPhrase?: string;
  /** The arguments as the operator gave them (for the audit record). */
  args: Record<string, unknown>;
  /** Undo every step done so far when one fails or the run is aborted (bootstrap flows). */
  rollbackOnFailure?: boolean;
}

/** A planner's answer: a plan, or a refusal that says why and what to do. Nothing changes on refusal. */
export type PlanResult = { ok: true; plan: Plan } | { ok: false; refusal: string };

export type StepState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

/** What the executor reports while it runs. */
export type RunEvent =
  | { type: 'step-start'; index: number; at: number }
  | { type: 'step-done'; index: number; at: number; detail?: string; data?: StepData }
  | { type: 'step-failed'; index: number; at: number; error: string }
  | { type: 'progress'; index: number; ratio?: number; text: string }
  | { type: 'output'; index: number; lines: string[] }
  | { type: 'retry'; index: number; attempt: number; error: string; nextInMs: number }
  /** One undo of a rollback: what was undone, or why it could not be. */
  | { type: 'rollback'; text: string; ok: boolean };

/**
 * Typed data a step produced, beside its one-line detail: what a flow shows when done, what the
 * headless summary adds up, what the console writes to a file. Never parsed back out of messages.
 */
export type StepData =
  /** A member was added: its ID and the env block it must start with (name, initial cluster, peer URLs, state). */
  | { kind: 'member-added'; memberId: MemberId; name: string; peerURLs: string[]; isLearner: boolean; initialCluster: string; env: Array<{ key: string; value: string }> }
  /** A member was defragmented: its DB size before and after. */
  | { kind: 'defragmented'; memberId: MemberId; name: string; beforeBytes: number; afterBytes: number; reclaimedBytes: number }
  /** A snapshot was restored: the new cluster's ID, its revision and the hash every member agrees on. */
  | { kind: 'restored'; clusterId: string; revision: number; hash: string; members: number }
  /** A snapshot was saved and verified. */
  | { kind: 'snapshot-saved'; file: string; sidecarFile?: string; size: number; revision: number; totalKey: number; hash: number };

export type Outcome = 'succeeded' | 'failed' | 'aborted' | 'refused';

export interface RunResult {
  outcome: Outcome;
  /** Index of the step that failed or was running when aborted. */
  failedStep?: number;
  error?: string;
  /** Lines the operator needs afterwards (env block of a new member, next steps). */
  output: string[];
  durationMs: number;
  /** After a failure with rollbackOnFailure: what was undone, and what could not be (do it by hand). */
  rollback?: { done: string[]; failed: string[] };
  /** The typed data of the steps that produced some, by step index. */
  data?: Record<number, StepData>;
}

/** Membership and leader as recorded in the audit log. */
export interface TopologyRecord {
  members: Array<{ id: MemberId; hexId: string; name: string; isLearner: boolean; peerURLs: string[] }>;
  leader?: { id: MemberId; hexId: string; name: string };
}

/** One line of the append-only audit log (JSON lines). Never passwords or key material. */
export interface AuditRecord {
  time: string;
  user: string;
  context: string;
  command: string;
  arguments: Record<string, unknown>;
  clusterId?: string;
  before?: TopologyRecord;
  after?: TopologyRecord;
  outcome: Outcome;
  steps?: Array<{ title: string; state: StepState }>;
  error?: string;
  durationMs?: number;
  /** What a rollback undid, and what it could not. */
  rollback?: { done: string[]; failed: string[] };
}
