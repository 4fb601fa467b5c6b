/**
 * The executor's membership actions: add, the waits for a new member (started, caught up), promote,
 * remove, move the leader, confirm a member is down, verify health. Registered in src/run/actions.ts.
 */
import type { Member, MemberId } from '../domain/types.js';
import type { ClusterView } from '../health/view.js';
import type { ActionHandlers, ExecutorDeps, RunContext } from './types.js';
import { ClusterError, StepError, errorMessage } from '../domain/errors.js';
import { leaderAgreement, leaderIndex, catchUpRatio } from '../health/verdict.js';
import { envBlock, envEntries, initialClusterString } from '../plans/membership.js';
import { formatDuration, formatPercent } from '../format/units.js';
import { hexId, memberLabel } from '../format/ids.js';
import { UNHEALTHY_CLUSTER } from '../cluster/classify.js';
import { pollUntil, sleep } from './wait.js';

/** Poll `check` until it returns a value, or fail with `what` after timeoutMs. */
function until<T>(deps: ExecutorDeps, timeoutMs: number, what: () => string, check: () => Promise<T | undefined>): Promise<T> {
  return pollUntil(check, { timeoutMs, intervalMs: deps.pollMs ?? 250, signal: deps.signal, now: deps.now, what });
}

/**
 * The leader now, read afresh: the member the answering members agree on, answering itself and
 * claiming the leadership. Waits (bounded) through an election; undefined when none settles.
 */
async function settledLeader(deps: ExecutorDeps, timeoutMs = 15_000): Promise<Member | undefined> {
  const now = deps.now ?? Date.now;
  const deadline = now() + timeoutMs;
  for (;;) {
    try {
      const v = await deps.observe({ alarms: false });
      const id = leaderAgreement(v.members, v.probes).leaderId;
      const p = id ? v.probes[id] : undefined;
      const m = v.members.find((x) => x.id === id);
      if (m && p?.ok && p.status.leader === id) return m;
    } catch {
      // no member list right now (an election): look again
    }
    if (now() >= deadline || deps.signal.aborted) return undefined;
    await sleep(deps.pollMs ?? 250, deps.signal).catch(() => undefined);
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
      // "member not found" on a retry is etcd's own applied membership saying the member is gone (IDs
      // are never reused); the member list read afterwards may still come from a stale member, so the
      // step's own verification (not this check) decides whether the removal shows everywhere.
      if (attempt > 1 && alreadyDone && error instanceof ClusterError && error.kind === 'not-found') {
        const seen = await alreadyDone().catch(() => false);
        deps.onEvent({ type: 'retry', index, attempt, error: `${error.message}: an earlier try went through${seen ? '' : ' (verifying through the member list)'}`, nextInMs: 0 });
        // alreadyDone is given only for changes without a result (remove).
        return undefined as T;
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

/** The sentence of a promote that stops waiting for a learner that does not run. */
export function notRunningText(name: string): string {
  return `${name} is not running: start it on its host, or remove it (\`etcd-tui member remove ${name}\`)`;
}

/**
 * A wait's early stop for a member that is down (not started, or stopped): while the member does not
 * answer, ask whether anything listens on its peer URL; once every peer URL has refused connections
 * for downAfterMs (a process binds its peer port at once, also while it catches up), stop with
 * notRunningText. A timeout, or a voter's peer port that does not answer from here either (a
 * firewall: cannot tell), never stops the wait.
 */
function downWatch(deps: ExecutorDeps, name: string, downAfterMs: number | undefined): (peerURLs: string[], view: ClusterView) => Promise<void> {
  const now = deps.now ?? Date.now;
  let refusedSince: number | undefined;
  let lastAsked = 0;
  return async (peerURLs, view) => {
    const gateway = deps.gateway;
    if (downAfterMs === undefined || !gateway.peerListening || peerURLs.length === 0) return;
    if (now() - lastAsked < 1000) return;
    lastAsked = now();
    // The same question to a voter that answers: when its peer port is not reachable from here either
    // (a firewall that rejects), a refusal says nothing about the learner.
    const control = view.members.find((x) => !x.isLearner && view.probes[x.id]?.ok)?.peerURLs[0];
    const [answers, reachable] = await Promise.all([Promise.all(peerURLs.map((u) => gateway.peerListening?.(u))), control ? gateway.peerListening(control) : Promise.resolve(undefined)]);
    if (reachable === true && answers.every((a) => a === false)) {
      refusedSince ??= now();
      if (now() - refusedSince >= downAfterMs) throw new StepError(notRunningText(name));
    } else {
      refusedSince = undefined;
    }
  };
}

export const MEMBERSHIP_HANDLERS: ActionHandlers<'member-add' | 'wait-started' | 'wait-caught-up' | 'member-promote' | 'member-remove' | 'move-leader' | 'confirm-down' | 'verify-health'> = {
  'member-add': async (action, index, deps, ctx) => {
    const res = await reconfigure(deps, index, () => deps.gateway.memberAdd(action.peerURLs, action.isLearner));
    ctx.added.set(action.name, res.member);
    ctx.recordUndo({
      title: `remove ${action.name} (${hexId(res.member.id)}) from the cluster`,
      spec: { kind: 'member-remove', name: action.name, memberId: res.member.id },
      run: async () => {
        const calm = { ...deps, signal: new AbortController().signal };
        try {
          await reconfigure(calm, index, () => deps.gateway.memberRemove(res.member.id));
        } catch (error) {
          // Removed already (a later undo of the promotion did it while the member still ran).
          if (error instanceof ClusterError && error.kind === 'not-found') return `${action.name} (${hexId(res.member.id)}) is not in the cluster any more`;
          throw error;
        }
        return `removed ${action.name} (${hexId(res.member.id)}) from the cluster`;
      },
    });
    const others = res.members.filter((m) => m.id !== res.member.id);
    const block = envBlock(others, action.name, action.peerURLs);
    const initialCluster = initialClusterString(others, action.name, action.peerURLs);
    ctx.output.push(`# env block for ${action.name} (member ${hexId(res.member.id)}):`, ...block);
    deps.onEvent({ type: 'output', index, lines: block });
    await until(deps, 10_000, () => `${action.name} does not show in the member list after the add`, async () => {
      const v = await deps.observe({ alarms: false });
      return v.members.some((m) => m.id === res.member.id) ? true : undefined;
    });
    if (deps.startMember) await deps.startMember(action.name, action.peerURLs, initialCluster);
    return {
      detail: `member ${hexId(res.member.id)} added${action.isLearner ? ' as a learner' : ''}`,
      data: { kind: 'member-added', memberId: res.member.id, name: action.name, peerURLs: action.peerURLs, isLearner: action.isLearner, initialCluster, env: envEntries(others, action.name, action.peerURLs) },
    };
  },
  'wait-started': async (action, index, deps, ctx) => {
    const now = deps.now ?? Date.now;
    const t0 = now();
    const down = downWatch(deps, action.name, action.downAfterMs);
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
        if (m && m.clientURLs.length > 0 && v.probes[m.id]?.ok) return m;
        await down(m?.peerURLs ?? action.peerURLs, v);
        return undefined;
      },
    );
    return `${action.name} answers`;
  },
  'wait-caught-up': async (action, index, deps, ctx) => {
    const now = deps.now ?? Date.now;
    // The gauge runs from where the learner stood when the wait began to etcd's in-sync mark
    // (`ratio` of the leader's index): applied/leader alone reads 90 % on a long log while the
    // learner is still thousands of entries behind.
    let last: { at: number; applied: number } | undefined;
    let start: number | undefined;
    let ratio = 0;
    const down = downWatch(deps, action.name, action.downAfterMs);
    await until(
      deps,
      action.timeoutMs,
      () => `${action.name} did not catch up within ${formatDuration(action.timeoutMs)} (at ${formatPercent(ratio)} of the leader's index)`,
      async () => {
        const v = await deps.observe({ alarms: false });
        const m = findMember(v, action, ctx);
        if (!m) throw new StepError(`${action.name} is no longer in the member list`);
        const p = v.probes[m.id];
        if (!p?.ok) {
          deps.onEvent({ type: 'progress', index, text: `${m.name || action.name} does not answer yet${p && !p.ok ? `: ${p.error}` : ' (not started)'}` });
          await down(m.peerURLs, v);
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
  },
  'member-promote': async (action, index, deps, ctx) => {
    const now = deps.now ?? Date.now;
    const v = await deps.observe({ alarms: false });
    const m = findMember(v, action, ctx);
    if (!m) throw new StepError(`${action.name} is not in the member list`);
    if (!m.isLearner) throw new StepError(`${action.name} is already a voting member`);
    const deadline = now() + action.waitMs;
    // Once a voter, the member must leave the membership while it still runs: stopping a voter first
    // (the undo of its start, which runs before the learner's removal) can cost a small cluster its
    // quorum, and then the removal cannot be committed at all.
    ctx.recordUndo({
      title: `remove ${m.name || action.name} (${hexId(m.id)}) from the cluster while it still runs`,
      spec: { kind: 'member-remove', name: m.name || action.name, memberId: m.id },
      run: async () => {
        const calm = { ...deps, signal: new AbortController().signal };
        await reconfigure(calm, index, () => deps.gateway.memberRemove(m.id));
        return `removed ${m.name || action.name} (${hexId(m.id)}) from the cluster (a voter by then)`;
      },
    });
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
        if (now() + wait > deadline) throw new StepError(`${error.message} (gave up after ${attempt} tries in ${formatDuration(action.waitMs)})`);
        deps.onEvent({ type: 'retry', index, attempt, error: error.message, nextInMs: wait });
        await sleep(wait, deps.signal);
      }
    }
    await until(deps, 10_000, () => `${action.name} still shows as a learner after the promotion`, async () => {
      const after = await deps.observe({ alarms: false });
      return after.members.some((x) => x.id === m.id && !x.isLearner) ? true : undefined;
    });
    return `${m.name || action.name} is a voting member`;
  },
  'member-remove': async (action, index, deps) => {
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
  },
  'move-leader': async (action, index, deps) => {
    const now = deps.now ?? Date.now;
    const v = await deps.observe({ alarms: false });
    const leaderId = leaderAgreement(v.members, v.probes).leaderId;
    const leader = v.members.find((m) => m.id === leaderId);
    if (leaderId === action.toId) return `${action.toName} already leads`;
    if (!leader?.clientURLs[0]) throw new StepError('no reachable leader to send the request to');
    const fromName = memberLabel(leader);
    const t0 = now();
    const took = () => `took ${formatDuration(now() - t0)}`;
    // Whatever went wrong (the leader died, the target died, no answer), say who leads now, from a fresh read.
    const settle = async (what: string): Promise<string> => {
      const fresh = await settledLeader(deps);
      if (fresh?.id === action.toId) return `${action.toName} leads (${took()}; read afresh after: ${what})`;
      throw new StepError(`${what}; ${fresh ? `${memberLabel(fresh)} (${hexId(fresh.id)}) leads now` : 'no member leads now'} (read afresh)`);
    };
    try {
      await deps.gateway.moveLeader(leader.clientURLs[0], action.toId);
    } catch (error) {
      if (deps.signal.aborted) throw error;
      return settle(`the move to ${action.toName} failed: ${errorMessage(error)}`);
    }
    let lost: string | undefined;
    try {
      await until(deps, action.timeoutMs, () => `${action.toName} did not become leader within ${formatDuration(action.timeoutMs)}`, async () => {
        const after = await deps.observe({ alarms: false });
        const agreed = leaderAgreement(after.members, after.probes).leaderId;
        if (agreed === action.toId && after.probes[action.toId]?.ok) return true;
        // The old leader or the target stopped answering mid-way: an election decides, not the move.
        const gone = [leader.id, action.toId].filter((id) => after.probes[id] && !after.probes[id]?.ok);
        if (gone.length) {
          lost = `${gone.map((id) => (id === leader.id ? fromName : action.toName)).join(' and ')} stopped answering during the move`;
          return true;
        }
        return undefined;
      });
    } catch (error) {
      if (deps.signal.aborted || !(error instanceof StepError)) throw error;
      return settle(error.message);
    }
    if (lost) return settle(`${action.toName} did not become leader: ${lost}`);
    return `${action.toName} leads (${took()})`;
  },
  'confirm-down': async (action, index, deps) => {
    const now = deps.now ?? Date.now;
    const v = await deps.observe({ alarms: false });
    const m = v.members.find((x) => x.id === action.memberId);
    if (!m) throw new StepError(`${action.name} is not in the member list any more`);
    const url = m.clientURLs[0];
    const t0 = now();
    for (;;) {
      if (url) {
        try {
          await deps.gateway.status(url);
          throw new StepError(`${action.name} answered at ${url}: it is not down, so it is not replaced (nothing was changed)`);
        } catch (error) {
          if (error instanceof StepError) throw error;
        }
      }
      const elapsed = now() - t0;
      deps.onEvent({ type: 'progress', index, ratio: action.forMs ? Math.min(1, elapsed / action.forMs) : 1, text: `${action.name} unreachable for ${formatDuration(elapsed)} of ${formatDuration(action.forMs)}` });
      if (elapsed >= action.forMs) return `${action.name} has been unreachable for ${formatDuration(elapsed)}`;
      await sleep(deps.pollMs ?? 250, deps.signal);
    }
  },
  'verify-health': async (action, index, deps) => {
    let summary = '';
    await until(deps, action.timeoutMs, () => `the cluster is not healthy: ${summary}`, async () => {
      const v = await deps.observe({ alarms: true });
      summary = v.verdict.summary;
      if (v.verdict.level === 'healthy') return true;
      // A cluster that is small on purpose (1 or 2 voters on the way back from a quorum loss): every
      // voter healthy and nothing wrong but the size counts as healthy here.
      if (action.allowSmallCluster) {
        const voters = v.members.filter((m) => !m.isLearner);
        const allUp = voters.length > 0 && voters.length < 3 && voters.every((m) => v.probes[m.id]?.ok === true);
        const onlySize = v.verdict.reasons.filter((r) => r.level === 'warn' || r.level === 'crit').every((r) => /tolerates 0 failures/.test(r.text));
        if (allUp && onlySize) return true;
      }
      return undefined;
    });
    return summary;
  },
};
