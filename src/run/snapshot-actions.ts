/** The executor's snapshot action: a verified snapshot save from one member (src/run/snapshot-save.ts). */
import type { SnapshotAction } from '../domain/plan.js';
import type { ActionHandlers, ExecutorDeps, StepResult } from './types.js';
import { formatBytes, formatDuration, formatPercent } from '../format/units.js';
import { hexId } from '../format/ids.js';
import { saveSnapshot, SnapshotSaveError, type SavedSnapshot } from './snapshot-save.js';
import { hasCorruptAlarm } from '../plans/snapshot.js';
import { traceStartup } from '../diagnostics/startup-trace.js';

/** No byte for this long fails the step before the (DB-sized) deadline would. */
export const SNAPSHOT_STALL_MS = 30_000;

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** The step's result line: size, time and rate, where the time went, and what was checked. */
export function savedDetail(saved: Pick<SavedSnapshot, 'size' | 'durationMs' | 'bytesPerSecond' | 'streamMs' | 'verifyMs'> & { status: Pick<SavedSnapshot['status'], 'digestedLeaves' | 'revision' | 'totalKey' | 'hash'> }): string {
  const streamRate = (saved.size * 1000) / Math.max(1, saved.streamMs);
  const leaves = saved.status.digestedLeaves;
  const digested = leaves ? `, ${leaves} large ${leaves === 1 ? 'leaf' : 'leaves'} hashed in the stream` : '';
  return `${formatBytes(saved.size)} in ${formatDuration(saved.durationMs)} (${formatRate(saved.bytesPerSecond)}; stream ${formatDuration(saved.streamMs)} at ${formatRate(streamRate)}, read-back ${formatDuration(saved.verifyMs)}${digested}), sha256 ok, revision ${saved.status.revision}, ${saved.status.totalKey} keys, hash ${saved.status.hash.toString(16)}`;
}

export async function runSnapshotAction(action: SnapshotAction, index: number, deps: ExecutorDeps): Promise<StepResult> {
  // A fresh look: the member must still answer at its URL, as itself, without a CORRUPT alarm. No
  // alarm list: on etcd 3.4/3.5 an alarm GET is a raft entry (Status errors carry the alarms).
  traceStartup('snapshot-observe');
  const view = await deps.observe({ alarms: false });
  traceStartup('snapshot-observed');
  const member = view.members.find((m) => m.id === action.memberId);
  if (!member) throw new Error(`${action.name} (${hexId(action.memberId)}) is no longer in the member list`);
  const url = member.clientURLs[0];
  const probe = view.probes[member.id];
  if (!url || !probe?.ok) throw new Error(`${action.name} does not answer${probe && !probe.ok ? `: ${probe.error}` : ''}; nothing was saved`);
  if (probe.status.memberId && probe.status.memberId !== action.memberId) {
    throw new Error(`${url} now answers as member ${hexId(probe.status.memberId)}, not ${action.name} (${hexId(action.memberId)}); nothing was saved`);
  }
  if (hasCorruptAlarm(view, member.id)) {
    throw new Error(`${action.name} has a CORRUPT alarm: its data may differ from the others'; nothing was saved`);
  }
  const status = probe.status;
  const total = status.dbSize + 32;
  const stream = await deps.gateway.snapshot(url, action.timeoutMs);
  traceStartup('snapshot-stream-open');
  const saved = await saveSnapshot({
    stream,
    file: action.file,
    expectedSize: status.dbSize,
    signal: deps.signal,
    stallMs: SNAPSHOT_STALL_MS,
    source: { clusterId: view.clusterId ?? status.clusterId, memberId: member.id, memberName: member.name, endpoint: url, etcdVersion: status.version },
    onProgress: (bytes, rate) => {
      // The member's DB may grow while it streams: the gauge stops short of full until the end.
      const ratio = Math.min(0.99, bytes / total);
      deps.onEvent({ type: 'progress', index, ratio, text: `${formatBytes(bytes)} of ~${formatBytes(total)} (${formatPercent(ratio)}), ${formatRate(rate)}` });
    },
    onVerify: () => deps.onEvent({ type: 'progress', index, ratio: 0.99, text: 'stream complete, sha256 ok; reading the file back (bbolt check)' }),
  }).catch((error: unknown) => {
    if (error instanceof SnapshotSaveError) throw new Error(error.message, { cause: error });
    throw error;
  });
  const lines = [`snapshot: ${saved.file}`, ...(saved.sidecarFile ? [`sidecar:  ${saved.sidecarFile}`] : [])];
  deps.onEvent({ type: 'output', index, lines });
  return {
    detail: savedDetail(saved),
    data: { kind: 'snapshot-saved', file: saved.file, ...(saved.sidecarFile ? { sidecarFile: saved.sidecarFile } : {}), size: saved.size, revision: saved.status.revision, totalKey: saved.status.totalKey, hash: saved.status.hash },
  };
}

export const SNAPSHOT_HANDLERS: ActionHandlers<'snapshot-save'> = {
  'snapshot-save': (action, index, deps) => runSnapshotAction(action, index, deps),
};
