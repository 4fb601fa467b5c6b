/**
 * The executor: carries out a plan's steps one at a time through the cluster gateway, reports
 * progress, honours an abort signal between steps and inside waits, verifies each step, and never
 * continues past a failed one.
 */
import type { Action, Plan, RunEvent, RunResult } from '../domain/plan.js';
import type { Member, MemberId } from '../domain/types.js';
import type { ClusterGateway } from '../cluster/gateway.js';
import type { ClusterView } from '../health/view.js';
import { ClusterError } from '../domain/errors.js';
import { leaderAgreement, leaderIndex, catchUpRatio } from '../health/verdict.js';
import { envBlock } from '../plans/membership.js';
import { formatDuration, formatPercent } from '../format/units.js';
import { hexId } from '../format/ids.js';
import { UNHEALTHY_CLUSTER } from '../cluster/classify.js';
import { runMaintenanceAction } from './maintenance-actions.js';
import { runSnapshotAction } from './snapshot-actions.js';
import { runRemoteAction, type HostAccess, type UndoEntry } from './remote-actions.js';
import type { RunJournal } from './journal.js';

export interface ExecutorDeps {
  gateway: ClusterGateway;
  /**
   * A fresh look at the cluster: member list and every status; the alarms too when asked (an alarm
   * GET is a raft request, so the frequent gates of a wait leave it out).
   */
  observe(opts?: { alarms?: boolean }): Promise<ClusterView>;
  onEvent(event: RunEvent): void;
  signal: AbortSignal;
  /** Poll interval of waits (default 250 ms). */
  pollMs?: number;
  now?: () => number;
  /** Sandbox only: start the new member's etcd locally with its env block. */
  startMember?(name: string, peerURLs: string[], initialCluster: string): Promise<void>;
  /** SSH access to the inventory's hosts (bootstrap flows). */
  hosts?: HostAccess;
  /** The run journal (src/run/journal.ts): steps and undo entries written down as they happen. */
  journal?: RunJournal;
}

class StepFailure extends Error {}
class Aborted extends Error {}

interface RunContext {
  /** Members added during this run, by name. */
  added: Map<string, Member>;
  output: string[];
  /** With plan.rollbackOnFailure: how to undo what the run did so far, oldest first. */
  undo?: UndoEntry[];
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Aborted('aborted'));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new Aborted('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Run every step of the plan in order. */
export async function runPlan(plan: Plan, deps: ExecutorDeps): Promise<RunResult> {
  const now = deps.now ?? Date.now;
  const started = now();
  if (deps.journal) deps = { ...deps, onEvent: deps.journal.onEvent(deps.onEvent) };
  const ctx: RunContext = { added: new Map(), output: [], undo: plan.rollbackOnFailure ? (deps.journal?.undoList() ?? []) : undefined };
  const end = async (result: Omit<RunResult, 'durationMs' | 'output'>): Promise<RunResult> => {
    const rollback = ctx.undo && ctx.undo.length > 0 ? await rollBack(ctx.undo, deps) : undefined;
    return { ...result, output: ctx.output, durationMs: now() - started, ...(rollback ? { rollback } : {}) };
  };
  for (let index = 0; index < plan.steps.length; index++) {
    if (deps.signal.aborted) return end({ outcome: 'aborted', failedStep: index, error: `aborted before step ${index + 1}` });
    deps.onEvent({ type: 'step-start', index, at: now() });
    try {
      const detail = await runAction(plan.steps[index].action, index, deps, ctx);
      deps.onEvent({ type: 'step-done', index, at: now(), detail });
    } catch (error) {
      if (error instanceof Aborted || deps.signal.aborted) {
        deps.onEvent({ type: 'step-failed', index, at: now(), error: 'aborted' });
        return end({ outcome: 'aborted', failedStep: index, error: `aborted during step ${index + 1}: ${plan.steps[index].title}` });
      }
      const text = message(error);
      deps.onEvent({ type: 'step-failed', index, at: now(), error: text });
      return end({ outcome: 'failed', failedStep: index, error: text });
    }
  }
  return { outcome: 'succeeded', output: ctx.output, durationMs: now() - started };
}

/**
 * Undo what the run did, newest first. Every undo is tried even when one fails (the operator gets
 * the list of what is left to do by hand). Not abortable: this is the way back.
 */
async function rollBack(undo: UndoEntry[], deps: ExecutorDeps): Promise<{ done: string[]; failed: string[] }> {
  const done: string[] = [];
  const failed: string[] = [];
  for (const u of [...undo].reverse()) {
    try {
      const text = await u.run();
      done.push(text);
      deps.onEvent({ type: 'rollback', text, ok: true });
    } catch (error) {
      const text = `could not ${u.title}: ${message(error)}`;
      failed.push(text);
      deps.onEvent({ type: 'rollback', text, ok: false });
    }
  }
  return { done, failed };
}

/** Poll `check` until it returns a value, or fail with `what` after timeoutMs. */
async function until<T>(deps: ExecutorDeps, timeoutMs: number, what: () => string, check: () => Promise<T | undefined>): Promise<T> {
  const now = deps.now ?? Date.now;
  const deadline = now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (now() >= deadline) throw new StepFailure(what());
    await sleep(deps.pollMs ?? 250, deps.signal);
  }
}

/**
 * How long a membership change is retried while etcd answers "unhealthy cluster" (its strict
 * reconfiguration check wants the receiving member connected to every voter for 5 s, which fails for
 * a few seconds after a member starts). etcd changed nothing then, so trying again is safe.
 */
const UNHEALTHY_RETRY_MS = 15_000;

async function reconfigure<T>(deps: ExecutorDeps, index: number, change: () => Promise<T>, alreadyDone?: () => Promise<boolean>): Promise<T> {
  const now = deps.now ?? Date.now;
  const deadline = now() + UNHEALTHY_RETRY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await change();
    } catch (error) {
      // A retry that finds the change already made (an earlier try went through although its answer
      // was a refusal or was lost): the wanted state holds.
      if (attempt > 1 && alreadyDone && error instanceof ClusterError && error.kind === 'not-found') {
        if (await alreadyDone().catch(() => false)) {
          deps.onEvent({ type: 'retry', index, attempt, error: `${error.message}: an earlier try went through`, nextInMs: 0 });
          // alreadyDone is given only for changes without a result (remove).
          return undefined as T;
        }
      }
      const wait = 1000;
      if (!(error instanceof ClusterError) || !error.message.startsWith(UNHEALTHY_CLUSTER) || now() + wait > deadline) throw error;
      deps.onEvent({ type: 'retry', index, attempt, error: error.message, nextInMs: wait });
      await sleep(wait, deps.signal);
    }
  }
}

function findMember(view: ClusterView, ref: { memberId?: MemberId; peerURLs?: string[]; name: string }, ctx: RunContext): Member | undefined {
  const id = ref.memberId ?? ctx.added.get(ref.name)?.id;
  if (id) return view.members.find((m) => m.id === id);
  return view.members.find((m) => ref.peerURLs?.some((u) => m.peerURLs.includes(u)));
}

async function runAction(action: Action, index: number, deps: ExecutorDeps, ctx: RunContext): Promise<string | undefined> {
  const now = deps.now ?? Date.now;
  switch (action.kind) {
    case 'member-add': {
      const res = await reconfigure(deps, index, () => deps.gateway.memberAdd(action.peerURLs, action.isLearner));
      ctx.added.set(action.name, res.member);
      ctx.undo?.push({
        title: `remove ${action.name} (${hexId(res.member.id)}) from the cluster`,
        spec: { kind: 'member-remove', name: action.name, memberId: res.member.id },
        run: async () => {
          const calm = { ...deps, signal: new AbortController().signal };
          await reconfigure(calm, index, () => deps.gateway.memberRemove(res.member.id));
          return `removed ${action.name} (${hexId(res.member.id)}) from the cluster`;
        },
      });
      const others = res.members.filter((m) => m.id !== res.member.id);
      const block = envBlock(others, action.name, action.peerURLs);
      ctx.output.push(`# env block for ${action.name} (member ${hexId(res.member.id)}):`, ...block);
      deps.onEvent({ type: 'output', index, lines: block });
      await until(deps, 10_000, () => `${action.name} does not show in the member list after the add`, async () => {
        const v = await deps.observe({ alarms: false });
        return v.members.some((m) => m.id === res.member.id) ? true : undefined;
      });
      if (deps.startMember) {
        const initial = /ETCD_INITIAL_CLUSTER="([^"]*)"/.exec(block[1])?.[1] ?? '';
        await deps.startMember(action.name, action.peerURLs, initial);
      }
      return `member ${hexId(res.member.id)} added${action.isLearner ? ' as a learner' : ''}`;
    }
    case 'wait-started': {
      const t0 = now();
      await until(
        deps,
        action.timeoutMs,
        () =>
          deps.hosts
            ? `${action.name} did not answer within ${formatDuration(action.timeoutMs)}: its service runs but etcd does not serve yet (see systemctl status and journalctl -u on the host: certificates, peer connectivity)`
            : `${action.name} did not start within ${formatDuration(action.timeoutMs)}: start etcd on the new node with the env block (empty data dir), then run the flow's remaining steps`,
        async () => {
          const v = await deps.observe({ alarms: false });
          const m = findMember(v, { name: action.name, peerURLs: action.peerURLs }, ctx);
          deps.onEvent({ type: 'progress', index, text: `waiting for ${action.name} to start (${formatDuration(now() - t0)})` });
          return m && m.clientURLs.length > 0 && v.probes[m.id]?.ok ? m : undefined;
        },
      );
      return `${action.name} answers`;
    }
    case 'wait-caught-up': {
      // The gauge runs from where the learner stood when the wait began to etcd's in-sync mark
      // (`ratio` of the leader's index): applied/leader alone reads 90 % on a long log while the
      // learner is still thousands of entries behind.
      let last: { at: number; applied: number } | undefined;
      let start: number | undefined;
      let ratio = 0;
      await until(
        deps,
        action.timeoutMs,
        () => `${action.name} did not catch up within ${formatDuration(action.timeoutMs)} (at ${formatPercent(ratio)} of the leader's index)`,
        async () => {
          const v = await deps.observe({ alarms: false });
          const m = findMember(v, action, ctx);
          if (!m) throw new StepFailure(`${action.name} is no longer in the member list`);
          const p = v.probes[m.id];
          if (!p?.ok) {
            deps.onEvent({ type: 'progress', index, text: `${m.name || action.name} does not answer yet${p && !p.ok ? `: ${p.error}` : ' (not started)'}` });
            return undefined;
          }
          const lIndex = leaderIndex(v.members, v.probes, leaderAgreement(v.members, v.probes).leaderId);
          ratio = catchUpRatio(p.status, lIndex) ?? 0;
          const at = now();
          const applied = p.status.raftAppliedIndex;
          start ??= applied;
          const target = lIndex !== undefined ? lIndex * action.ratio : undefined;
          const gauge = target === undefined ? 0 : target <= start ? 1 : Math.max(0, Math.min(1, (applied - start) / (target - start)));
          const rate = last && at > last.at ? ((applied - last.applied) * 1000) / (at - last.at) : undefined;
          const remaining = target !== undefined ? Math.max(0, target - applied) : undefined;
          const eta = rate && rate > 0 && remaining ? ` ETA ${formatDuration((remaining / rate) * 1000)}` : '';
          const behind = lIndex !== undefined ? Math.max(0, lIndex - applied) : undefined;
          last = { at, applied };
          deps.onEvent({
            type: 'progress',
            index,
            ratio: gauge,
            text: `${m.name || action.name}: applied ${applied} of ${lIndex ?? '?'}${behind !== undefined ? `, ${behind} behind` : ''} (${formatPercent(ratio)}; in sync at ${formatPercent(action.ratio)})${rate !== undefined ? `, ${Math.round(rate)} entries/s` : ''}${eta}`,
          });
          return ratio >= action.ratio ? true : undefined;
        },
      );
      return `caught up (${formatPercent(ratio)} of the leader's index)`;
    }
    case 'member-promote': {
      const v = await deps.observe({ alarms: false });
      const m = findMember(v, action, ctx);
      if (!m) throw new StepFailure(`${action.name} is not in the member list`);
      if (!m.isLearner) throw new StepFailure(`${action.name} is already a voting member`);
      const deadline = now() + action.waitMs;
      let cur = v;
      for (let attempt = 1; ; attempt++) {
        try {
          // To the leader: with auth on, a follower cannot forward a promotion (etcd issue 20757).
          if (attempt > 1) cur = await deps.observe({ alarms: false }).catch(() => cur);
          const leaderId = leaderAgreement(cur.members, cur.probes).leaderId;
          await deps.gateway.memberPromote(m.id, cur.members.find((x) => x.id === leaderId)?.clientURLs[0]);
          break;
        } catch (error) {
          if (!(error instanceof ClusterError) || error.kind !== 'not-in-sync') throw error;
          const wait = Math.min(5000, 500 * 2 ** (attempt - 1));
          if (now() + wait > deadline) throw new StepFailure(`${error.message} (gave up after ${attempt} tries in ${formatDuration(action.waitMs)})`);
          deps.onEvent({ type: 'retry', index, attempt, error: error.message, nextInMs: wait });
          await sleep(wait, deps.signal);
        }
      }
      await until(deps, 10_000, () => `${action.name} still shows as a learner after the promotion`, async () => {
        const after = await deps.observe({ alarms: false });
        return after.members.some((x) => x.id === m.id && !x.isLearner) ? true : undefined;
      });
      return `${m.name || action.name} is a voting member`;
    }
    case 'member-remove': {
      await reconfigure(
        deps,
        index,
        () => deps.gateway.memberRemove(action.memberId),
        async () => !(await deps.observe({ alarms: false })).members.some((x) => x.id === action.memberId),
      );
      await until(deps, 10_000, () => `${action.name} still shows in the member list after the removal`, async () => {
        const v = await deps.observe({ alarms: false });
        return v.members.some((x) => x.id === action.memberId) ? undefined : true;
      });
      return `${action.name} removed`;
    }
    case 'move-leader': {
      const v = await deps.observe({ alarms: false });
      const leaderId = leaderAgreement(v.members, v.probes).leaderId;
      const leader = v.members.find((m) => m.id === leaderId);
      if (leaderId === action.toId) return `${action.toName} already leads`;
      if (!leader?.clientURLs[0]) throw new StepFailure('no reachable leader to send the request to');
      const t0 = now();
      await deps.gateway.moveLeader(leader.clientURLs[0], action.toId);
      await until(deps, action.timeoutMs, () => `${action.toName} did not become leader within ${formatDuration(action.timeoutMs)}`, async () => {
        const after = await deps.observe({ alarms: false });
        return leaderAgreement(after.members, after.probes).leaderId === action.toId ? true : undefined;
      });
      return `${action.toName} leads (took ${formatDuration(now() - t0)})`;
    }
    case 'confirm-down': {
      const v = await deps.observe({ alarms: false });
      const m = v.members.find((x) => x.id === action.memberId);
      if (!m) throw new StepFailure(`${action.name} is not in the member list any more`);
      const url = m.clientURLs[0];
      const t0 = now();
      for (;;) {
        if (url) {
          try {
            await deps.gateway.status(url);
            throw new StepFailure(`${action.name} answered at ${url}: it is not down, so it is not replaced (nothing was changed)`);
          } catch (error) {
            if (error instanceof StepFailure) throw error;
          }
        }
        const elapsed = now() - t0;
        deps.onEvent({ type: 'progress', index, ratio: action.forMs ? Math.min(1, elapsed / action.forMs) : 1, text: `${action.name} unreachable for ${formatDuration(elapsed)} of ${formatDuration(action.forMs)}` });
        if (elapsed >= action.forMs) return `${action.name} has been unreachable for ${formatDuration(elapsed)}`;
        await sleep(deps.pollMs ?? 250, deps.signal);
      }
    }
    case 'verify-health': {
      let summary = '';
      await until(deps, action.timeoutMs, () => `the cluster is not healthy: ${summary}`, async () => {
        const v = await deps.observe({ alarms: true });
        summary = v.verdict.summary;
        return v.verdict.level === 'healthy' ? true : undefined;
      });
      return summary;
    }
    case 'compact':
    case 'defrag-member':
    case 'check-quota':
    case 'disarm-nospace':
      return runMaintenanceAction(action, index, deps);
    case 'snapshot-save':
      return runSnapshotAction(action, index, deps);
    case 'remote-mkdir':
    case 'remote-upload':
    case 'remote-systemctl':
    case 'wait-cluster-formed':
      return runRemoteAction(action, index, deps, ctx.undo ?? []);
  }
}
