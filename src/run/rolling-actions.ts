/**
 * The rolling engine's steps: the gate before a member, the binary swap (its undo puts the old binary
 * back and restarts the member), the restart, the wait until the member is back (answers, version,
 * caught up, cluster healthy), the member's point of no return, and the wait for the cluster version.
 */
import type { RollingAction } from '../domain/plan.js';
import type { ActionHandlers, ExecutorDeps, HostAccess } from './types.js';
import { clientURL } from '../domain/hosts.js';
import { StepError, errorMessage } from '../domain/errors.js';
import { leaderAgreement, leaderIndex } from '../health/verdict.js';
import { rollingGate } from '../plans/rolling.js';
import { maintenanceBlocker } from '../plans/maintenance.js';
import { sleep } from './wait.js';
import { formatBytes, formatDuration } from '../format/units.js';
import { undoEntry } from './undo-steps.js';

function hostsOf(deps: ExecutorDeps): HostAccess {
  if (!deps.hosts) throw new StepError('this run has no SSH access to hosts (no inventory)');
  return deps.hosts;
}

/**
 * The wait before the next look of a rolling wait: short at first (a member is often back, or the
 * gate passes, a moment after the first look failed), doubling up to the run's interval. Pure.
 */
export function pollDelay(attempt: number, maxMs: number, firstMs = 25): number {
  return Math.max(1, Math.min(maxMs, firstMs * 2 ** Math.min(attempt, 16)));
}

/** `check` until it gives a value, looked at again after pollDelay (first success wins); StepError with `what()` at the deadline. */
export async function pollFor<T>(deps: ExecutorDeps, timeoutMs: number, what: () => string, check: () => Promise<T | undefined>, index: number, progress?: () => string, maxMs = deps.pollMs ?? 200): Promise<T> {
  const now = deps.now ?? Date.now;
  const deadline = now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const v = await check();
    if (v !== undefined) return v;
    if (progress) deps.onEvent({ type: 'progress', index, text: progress() });
    if (now() >= deadline) throw new StepError(what());
    // Up to 200 ms apart as the headless restart-all (the console and config set pass no interval).
    await sleep(pollDelay(attempt, maxMs), deps.signal);
  }
}

/** etcd's /version of one member: {"etcdserver":"3.5.16","etcdcluster":"3.5.0"}, through the gateway's named call. */
export async function versionOf(deps: ExecutorDeps, url: string): Promise<{ server: string; cluster: string }> {
  if (!deps.gateway.version) throw new StepError('this cluster gateway cannot read /version');
  return deps.gateway.version(url);
}

/** systemctl restart over SSH; returns how long getting the connection took (a new SSH session, or 0 when the pool had it). */
async function restart(deps: ExecutorDeps, host: string, unit: string, timeoutMs: number): Promise<number> {
  const now = deps.now ?? Date.now;
  const t0 = now();
  const conn = await hostsOf(deps).connection(host);
  const connectMs = now() - t0;
  const r = await conn.run(['systemctl', 'restart', `${unit}.service`], { timeoutMs, signal: deps.signal });
  if (r.code !== 0) throw new StepError(`${host}: systemctl restart ${unit}.service failed: ${(r.stderr || r.stdout).trim().split('\n')[0] || `exit ${r.code}`}`);
  return connectMs;
}

export const ROLLING_HANDLERS: ActionHandlers<RollingAction['kind']> = {
  'rolling-gate': async (action, index, deps) => {
    let why = '';
    await pollFor(
      deps,
      action.timeoutMs,
      () => `the gate before ${action.name} did not pass within ${formatDuration(action.timeoutMs)}: ${why}`,
      async () => {
        const v = await deps.observe({ alarms: true });
        why = rollingGate(v, action.memberId, { gapThreshold: action.gapThreshold }) ?? '';
        return why ? undefined : true;
      },
      index,
      () => `waiting: ${why}`,
    );
    return `the cluster is healthy and can lose ${action.name} for its restart`;
  },

  'rolling-swap-binary': async (action, index, deps, run) => {
    const conn = await hostsOf(deps).connection(action.host);
    const src = action.source;
    if (src.kind === 'text') throw new StepError('a binary comes from a file');
    const result = await conn.upload(src.kind === 'local' ? { localPath: src.path } : { localPath: src.path }, action.remotePath, {
      mode: 0o755,
      backup: true,
      signal: deps.signal,
      onProgress: (sent, total) => deps.onEvent({ type: 'progress', index, ratio: total ? sent / total : 1, text: `${formatBytes(sent)} of ${formatBytes(total)}` }),
    });
    const backup = result.backup;
    // Two undo entries as data (newest first: the old binary back, then the restart), so that
    // `etcd-tui undo RUN` replays them from the journal.
    run.recordUndo(undoEntry({ kind: 'systemctl', host: action.host, verb: 'restart', unit: `${action.unit}.service` }, { connection: (h) => hostsOf(deps).connection(h), now: deps.now }));
    run.recordUndo({
      title: `put the old ${action.what} back on ${action.host}`,
      ...(backup ? { spec: { kind: 'restore-file' as const, host: action.host, path: action.remotePath, backup, unit: false } } : {}),
      run: async () => {
        if (!backup) throw new StepError(`${action.host}: there was no ${action.remotePath} before, so there is nothing to put back`);
        const r = await conn.run(['mv', '-f', '--', backup, action.remotePath], { timeoutMs: 60_000 });
        if (r.code !== 0) throw new StepError(`${action.host}: mv ${backup} ${action.remotePath} failed: ${r.stderr.trim()}`);
        return `${action.host}: ${action.remotePath} is the old binary again (from ${backup})`;
      },
    });
    return `${action.what}: ${formatBytes(result.bytes)} to ${action.remotePath}${backup ? `, the old one kept as ${backup}` : ''}`;
  },

  'remote-service-restart': async (action, _index, deps) => {
    const now = deps.now ?? Date.now;
    const t0 = now();
    const connectMs = await restart(deps, action.host, action.unit, action.timeoutMs);
    return `systemctl restart ${action.unit}.service (${formatDuration(now() - t0)}${connectMs >= 20 ? `, of which ${formatDuration(connectMs)} opening the SSH connection` : ''})`;
  },

  'wait-member-back': async (action, index, deps) => {
    const hosts = hostsOf(deps);
    const url = clientURL(hosts.spec(action.host), hosts.settings);
    let state = 'not answering yet';
    // When each condition first held (ms after the wait began): where a slow return goes, in the step's detail.
    const now = deps.now ?? Date.now;
    const t0 = now();
    const seen: { answered?: number; caughtUp?: number } = {};
    const got = await pollFor(
      deps,
      action.timeoutMs,
      () => `${action.name} did not come back within ${formatDuration(action.timeoutMs)}: ${state}`,
      async () => {
        try {
          // The member's own status and the cluster's view side by side (one round trip, not two).
          const viewing = deps.observe({ alarms: false });
          viewing.catch(() => undefined);
          const st = await deps.gateway.status(url);
          seen.answered ??= now() - t0;
          if (action.expectVersion && st.version !== action.expectVersion) {
            state = `it runs ${st.version}, not ${action.expectVersion}`;
            return undefined;
          }
          const v = await viewing;
          const lIndex = leaderIndex(v.members, v.probes, leaderAgreement(v.members, v.probes).leaderId);
          const gap = lIndex !== undefined ? lIndex - st.raftAppliedIndex : undefined;
          if (gap === undefined || gap > action.gapThreshold) {
            state = gap === undefined ? 'no leader seen yet' : `${gap} entries behind the leader`;
            return undefined;
          }
          seen.caughtUp ??= now() - t0;
          const blocker = maintenanceBlocker(v, { gapThreshold: action.gapThreshold, allowMixedVersions: true });
          if (blocker) {
            state = blocker;
            return undefined;
          }
          return st;
        } catch (error) {
          state = errorMessage(error);
          return undefined;
        }
      },
      index,
      () => state,
    );
    const at = (ms: number | undefined) => formatDuration(ms ?? now() - t0);
    return `${action.name} is back on ${got.version}, caught up, the cluster healthy (answered after ${at(seen.answered)}, caught up after ${at(seen.caughtUp)}, healthy after ${at(undefined)})`;
  },

  'rolling-member-done': async (action, _index, _deps, run) => {
    run.commit({ final: false });
    return `${action.name} done (its rollback no longer applies)`;
  },

  'wait-cluster-version': async (action, index, deps) => {
    let seen = '';
    await pollFor(
      deps,
      action.timeoutMs,
      () => `the cluster version did not become ${action.minor} within ${formatDuration(action.timeoutMs)} (${seen})`,
      async () => {
        const v = await deps.observe({ alarms: false });
        const urls = v.members.map((m) => m.clientURLs[0]).filter((u): u is string => Boolean(u));
        const versions = await Promise.all(urls.map((u) => versionOf(deps, u).catch(() => undefined)));
        seen = versions.map((x) => x?.cluster ?? '?').join(', ');
        return versions.length > 0 && versions.every((x) => x?.cluster.startsWith(`${action.minor}.`)) ? true : undefined;
      },
      index,
      () => `cluster version now: ${seen}`,
    );
    return `the cluster version is ${action.minor}`;
  },
};
