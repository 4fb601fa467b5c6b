/**
 * The executor's maintenance actions: compact, defragment one member with health gates, the quota
 * check and the NOSPACE-only disarm. A failure throws an Error whose message is the sentence the
 * operator reads; the executor stops the run there.
 */
import type { MaintenanceAction } from '../domain/plan.js';
import type { AlarmType, MemberStatus } from '../domain/types.js';
import type { ClusterView } from '../health/view.js';
import type { ActionHandlers, ExecutorDeps, StepResult } from './types.js';
import { ClusterError, errorMessage as message } from '../domain/errors.js';
import { sleep } from './wait.js';
import { leaderAgreement, leaderIndex } from '../health/verdict.js';
import { currentRevision, maintenanceBlocker, quorumWithoutBlocker, MAINTENANCE_DEFAULTS } from '../plans/maintenance.js';
import { formatBytes, formatDuration, formatPercent } from '../format/units.js';
import { memberLabel } from '../format/ids.js';

type DefragAction = Extract<MaintenanceAction, { kind: 'defrag-member' }>;

function nameOf(view: ClusterView, id: string): string {
  return memberLabel(view.members.find((m) => m.id === id), id);
}

export const MAINTENANCE_HANDLERS: ActionHandlers<MaintenanceAction['kind']> = {
  'defrag-member': (action, index, deps) => defragMember(action, index, deps),
  compact: (action, _index, deps) => compact(action, deps),
  'check-quota': (action, _index, deps) => checkQuota(action, deps),
  'disarm-nospace': (_action, index, deps) => disarmNospace(index, deps),
};

/**
 * The gate before a member: the cluster is healthy apart from the expected alarms, the member answers,
 * and the other healthy voters keep quorum without it. Waits up to gateTimeoutMs for that (an election
 * right after the previous member settles by itself); an abort ends the wait.
 */
async function gateBefore(action: DefragAction, index: number, deps: ExecutorDeps): Promise<{ view: ClusterView; status: MemberStatus; url: string }> {
  const now = deps.now ?? Date.now;
  const bound = action.gateTimeoutMs ?? MAINTENANCE_DEFAULTS.gateTimeoutMs;
  const t0 = now();
  let why = '';
  for (;;) {
    let view: ClusterView | undefined;
    try {
      view = await deps.observe({ alarms: false });
    } catch (error) {
      why = `the cluster could not be read: ${message(error)}`;
    }
    if (view) {
      const member = view.members.find((m) => m.id === action.memberId);
      const probe = view.probes[action.memberId];
      if (!member) throw new Error(`${action.name} is no longer in the member list; it was not defragmented`);
      if (member.isLearner) throw new Error(`${action.name} is a learner now: etcd rejects online defrag of a learner ("rpc not supported for learner"); it was not defragmented`);
      const url = member.clientURLs[0];
      if (!url || !probe?.ok) {
        why = `${action.name} does not answer${probe && !probe.ok ? ` (${probe.error})` : ''}`;
      } else {
        const blocker = maintenanceBlocker(view, { gapThreshold: action.gapThreshold, expectAlarms: action.expectAlarms }) ?? quorumWithoutBlocker(view, action.memberId);
        if (!blocker) return { view, status: probe.status, url };
        why = blocker;
      }
    }
    const waited = now() - t0;
    if (waited >= bound) throw new Error(`gate before ${action.name} not passed within ${formatDuration(bound)}: ${why}; ${action.name} was not defragmented`);
    deps.onEvent({ type: 'progress', index, text: `${action.name}: waiting for the gate (${formatDuration(waited)}): ${why}` });
    await sleep(deps.pollMs ?? 250, deps.signal);
  }
}

/**
 * The gate after a member: it answers Status again and its applied index is within gapThreshold of
 * the leader's. Not cut short by an abort: a defragmented member is always verified (the abort acts
 * before the next member).
 */
async function gateAfter(action: DefragAction, index: number, deps: ExecutorDeps, boundMs: number): Promise<MemberStatus> {
  const now = deps.now ?? Date.now;
  const t0 = now();
  let why = '';
  for (;;) {
    try {
      const view = await deps.observe({ alarms: false });
      const probe = view.probes[action.memberId];
      if (probe?.ok) {
        const leaderId = leaderAgreement(view.members, view.probes).leaderId;
        const lIndex = leaderIndex(view.members, view.probes, leaderId);
        const gap = lIndex === undefined ? undefined : lIndex - probe.status.raftAppliedIndex;
        if (gap !== undefined && gap <= action.gapThreshold) return probe.status;
        why = gap === undefined ? 'no leader seen yet' : `applied index ${probe.status.raftAppliedIndex}, ${gap} behind the leader's ${lIndex}`;
      } else {
        why = `does not answer${probe && !probe.ok ? ` (${probe.error})` : ''}`;
      }
    } catch (error) {
      why = `the cluster could not be read: ${message(error)}`;
    }
    const waited = now() - t0;
    if (waited >= boundMs) throw new Error(`${action.name} did not answer and catch up within ${formatDuration(boundMs)} after its defrag: ${why}; the run stops so that no other member is blocked meanwhile`);
    deps.onEvent({ type: 'progress', index, text: `${action.name}: waiting to answer and catch up (${formatDuration(waited)}): ${why}` });
    await sleep(deps.pollMs ?? 250);
  }
}

async function defragMember(action: DefragAction, index: number, deps: ExecutorDeps): Promise<StepResult> {
  const now = deps.now ?? Date.now;
  const { status: before, url } = await gateBefore(action, index, deps);
  deps.onEvent({ type: 'progress', index, text: `${action.name}: defragmenting ${formatBytes(before.dbSize)} (${formatBytes(before.dbSizeInUse)} in use), timeout ${formatDuration(action.timeoutMs)}` });
  const t0 = now();
  const ticker = setInterval(() => {
    const elapsed = now() - t0;
    // No ratio: etcd reports no progress of a defrag, only the elapsed time is known.
    deps.onEvent({ type: 'progress', index, text: `${action.name}: defragmenting, ${formatDuration(elapsed)} elapsed (timeout ${formatDuration(action.timeoutMs)})` });
  }, 1000);
  ticker.unref?.();
  let timedOut = false;
  try {
    await deps.gateway.defragment(url, action.timeoutMs);
  } catch (error) {
    if (error instanceof ClusterError && error.kind === 'timeout') {
      timedOut = true;
    } else {
      throw new Error(`defragment of ${action.name} failed: ${message(error)}`);
    }
  } finally {
    clearInterval(ticker);
  }
  const defragMs = now() - t0;
  if (timedOut) {
    deps.onEvent({ type: 'progress', index, text: `${action.name}: no answer to the defragment call within ${formatDuration(action.timeoutMs)}; etcd may still be defragmenting: waiting for ${action.name} to answer again` });
  }
  // The member may have stalled its applies while it ran: give it at least a minute to catch up.
  const after = await gateAfter(action, index, deps, Math.max(action.timeoutMs, 60_000));
  const reclaimed = before.dbSize - after.dbSize;
  const sizes = `${formatBytes(before.dbSize)} -> ${formatBytes(after.dbSize)}, reclaimed ${formatBytes(Math.max(0, reclaimed))} (${Math.max(0, reclaimed)} bytes)`;
  const data = { kind: 'defragmented' as const, memberId: action.memberId, name: action.name, beforeBytes: before.dbSize, afterBytes: after.dbSize, reclaimedBytes: Math.max(0, reclaimed) };
  if (timedOut) {
    // Only a defrag shrinks the DB file: a smaller file means etcd finished it.
    if (reclaimed > 0) return { detail: `${action.name}: the defragment call timed out after ${formatDuration(action.timeoutMs)} but etcd finished it: ${sizes}`, data };
    throw new Error(
      `the defragment call to ${action.name} timed out after ${formatDuration(action.timeoutMs)} and its DB has not shrunk (${formatBytes(after.dbSize)}): etcd may still be defragmenting it; ${action.name} answers again, the run stops so that no second member is blocked at the same time (check etcdctl endpoint status, then run again)`,
    );
  }
  return { detail: `${action.name}: ${sizes} in ${formatDuration(defragMs)}`, data };
}

const COMPACTED = /required revision has been compacted/i;
const FUTURE = /required revision is a future revision/i;
const CORRUPT = /corrupt cluster/i;

async function compact(action: Extract<MaintenanceAction, { kind: 'compact' }>, deps: ExecutorDeps): Promise<string> {
  const view = await deps.observe({ alarms: false });
  const current = currentRevision(view);
  if (current === 0) throw new Error('no member reports a revision: the cluster is not reachable; nothing was compacted');
  const target = action.revision ?? current - (action.retain ?? 0);
  if (target < 1) throw new Error(`nothing to compact: the current revision is ${current} and --retain ${action.retain} keeps all of it`);
  if (target > current) throw new Error(`revision ${target} is in the future: the current revision is ${current}; nothing was compacted`);
  const done = `compacted up to revision ${target} (current revision ${current}${action.retain !== undefined ? `, the last ${action.retain} revisions kept` : ''})`;
  try {
    await deps.gateway.compact(target, true);
    return done;
  } catch (error) {
    const text = message(error);
    if (COMPACTED.test(text)) {
      throw new Error(`revision ${target} is already compacted: etcd has compacted its history up to revision ${target} or beyond, so there is nothing older to drop; nothing was changed (choose a higher revision or a smaller --retain)`);
    }
    if (FUTURE.test(text)) throw new Error(`revision ${target} is in the future for etcd (its current revision is lower); nothing was compacted`);
    if (CORRUPT.test(text)) {
      throw new Error('etcd refuses the compaction because a CORRUPT alarm is armed ("corrupt cluster"): replace or restore the corrupt member first (etcd-tui member replace NAME), then disarm CORRUPT; nothing was compacted');
    }
    if (error instanceof ClusterError && error.kind === 'timeout') {
      // The request may have been committed with the answer lost: asking again tells (etcd answers
      // "already compacted" if it was). A physical compaction of a long history can outlast the deadline.
      try {
        await deps.gateway.compact(target, false);
        return `${done}; the first call timed out, the second went through`;
      } catch (again) {
        if (COMPACTED.test(message(again))) return `${done}; the call timed out but etcd had committed it (it may still be freeing pages in the background)`;
        throw new Error(`compaction to revision ${target} did not answer within the command timeout (${text}); etcd may or may not have compacted: check etcdctl endpoint status and try again`);
      }
    }
    throw new Error(`compaction to revision ${target} failed: ${text}`);
  }
}

async function checkQuota(action: Extract<MaintenanceAction, { kind: 'check-quota' }>, deps: ExecutorDeps): Promise<string> {
  const view = await deps.observe({ alarms: false });
  const limit = Math.floor(action.quotaBytes * action.maxRatio);
  const voters = view.members.filter((m) => !m.isLearner);
  const over: string[] = [];
  const sizes: string[] = [];
  for (const m of voters) {
    const p = view.probes[m.id];
    if (!p?.ok) {
      over.push(`${memberLabel(m)} does not answer (its DB size is unknown)`);
      continue;
    }
    sizes.push(`${memberLabel(m)} ${formatBytes(p.status.dbSize)}`);
    if (p.status.dbSize >= limit) over.push(`${memberLabel(m)} ${formatBytes(p.status.dbSize)} (${formatPercent(p.status.dbSize / action.quotaBytes)})`);
  }
  const what = `${formatBytes(limit)} (${formatPercent(action.maxRatio)} of the ${formatBytes(action.quotaBytes)} quota)`;
  if (over.length > 0) {
    throw new Error(
      `not below ${what}: ${over.join(', ')}; NOSPACE stays armed (disarming now would let the next writes raise it again): compact more (a smaller --compact-retain), delete data, or raise --quota-backend-bytes, then run again`,
    );
  }
  return `every voter below ${what}: ${sizes.join(', ')}`;
}

async function disarmNospace(index: number, deps: ExecutorDeps): Promise<string> {
  const now = deps.now ?? Date.now;
  const view = await deps.observe({ alarms: false });
  const alarms = await deps.gateway.alarms();
  const nospace = alarms.filter((a) => a.alarm === 'NOSPACE');
  for (const a of nospace) await deps.gateway.alarmDisarm(a.memberId, 'NOSPACE' satisfies AlarmType);
  // Verify: NOSPACE gone from the alarm list (it can take a moment to apply on the member asked).
  const deadline = now() + 10_000;
  let left = await deps.gateway.alarms();
  while (left.some((a) => a.alarm === 'NOSPACE')) {
    if (now() >= deadline) throw new Error(`NOSPACE is still armed after the disarm (${left.filter((a) => a.alarm === 'NOSPACE').map((a) => nameOf(view, a.memberId)).join(', ')})`);
    await sleep(deps.pollMs ?? 250);
    left = await deps.gateway.alarms();
  }
  const corrupt = left.filter((a) => a.alarm === 'CORRUPT').map((a) => nameOf(view, a.memberId));
  const lines = corrupt.map((m) => `CORRUPT on ${m} left armed: it is never disarmed here; replace the member (etcd-tui member replace ${m}) or restore it from a snapshot, then disarm CORRUPT`);
  if (lines.length) deps.onEvent({ type: 'output', index, lines });
  const disarmed = nospace.length ? `NOSPACE disarmed on ${nospace.map((a) => nameOf(view, a.memberId)).join(', ')}` : 'NOSPACE was no longer armed';
  return `${disarmed}; no NOSPACE alarm left${corrupt.length ? `; CORRUPT left armed on ${corrupt.join(', ')} (replace the member)` : ''}`;
}
