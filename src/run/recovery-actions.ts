/**
 * The executor's disaster-recovery steps (snapshot restore onto every host): stop a service (and
 * start it again on rollback when it ran), check an uploaded file's sha256, restore into fresh dirs,
 * swap the restored data into place (the old data moved aside, never deleted), the point of no
 * return, and the verification of the restored cluster (new cluster ID, revision, one HashKV).
 */
import type { RecoveryAction } from '../domain/plan.js';
import type { ActionHandlers, ExecutorDeps, HostAccess } from './types.js';
import type { HostConnection } from '../hosts/gateway.js';
import type { InspectGateway } from '../cluster/gateway.js';
import { clientURL } from '../domain/hosts.js';
import { StepError, errorMessage } from '../domain/errors.js';
import { commandFailure, firstLine, isDir, pathExists as exists, undoEntry, type UndoEnv } from './undo-steps.js';
import { sleep } from './wait.js';
import { formatDuration } from '../format/units.js';

function hostsOf(deps: ExecutorDeps): HostAccess {
  if (!deps.hosts) throw new StepError('this run has no SSH access to hosts (no inventory)');
  return deps.hosts;
}

/** Run argv on a host; a non-zero exit fails the step with the command's own words. */
async function must(conn: HostConnection, host: string, argv: string[], timeoutMs = 60_000, signal?: AbortSignal): Promise<string> {
  const r = await conn.run(argv, { timeoutMs, signal });
  if (r.code !== 0) throw new StepError(commandFailure(host, argv, r));
  return r.stdout;
}

/** Undo steps connect through the run's host access (again, when a connection was lost): the same code `etcd-tui undo` runs. */
function undoEnv(deps: ExecutorDeps): UndoEnv {
  return { connection: (host: string) => hostsOf(deps).connection(host), now: deps.now };
}

type Handlers = ActionHandlers<RecoveryAction['kind']>;

export const RECOVERY_HANDLERS: Handlers = {
  'remote-service-stop': async (action, _index, deps, run) => {
    const conn = await hostsOf(deps).connection(action.host);
    const unit = `${action.unit}.service`;
    const state = (await conn.run(['systemctl', 'is-active', unit], { timeoutMs: 30_000 })).stdout.trim() || 'unknown';
    if (state !== 'active' && state !== 'activating' && state !== 'reloading') return `${unit} is not running (${state})`;
    // Recorded before the stop: whatever happens next, a rollback starts it again.
    run.recordUndo(undoEntry({ kind: 'service-start', host: action.host, unit }, undoEnv(deps)));
    await must(conn, action.host, ['systemctl', 'stop', unit], action.timeoutMs, deps.signal);
    const after = (await conn.run(['systemctl', 'is-active', unit], { timeoutMs: 30_000 })).stdout.trim();
    if (after === 'active') throw new StepError(`${action.host}: ${unit} still runs after systemctl stop`);
    return `stopped ${unit} (was ${state})`;
  },

  'remote-sha256': async (action, _index, deps) => {
    const conn = await hostsOf(deps).connection(action.host);
    const out = await must(conn, action.host, ['sha256sum', '--', action.path], 300_000, deps.signal);
    const got = out.trim().split(/\s+/)[0] ?? '';
    if (got !== action.sha256) {
      throw new StepError(`${action.host}: ${action.path} has sha256 ${got.slice(0, 16)}..., the bastion's file ${action.sha256.slice(0, 16)}...: the upload was corrupted (nothing restored)`);
    }
    return `sha256 ${got.slice(0, 16)}... matches the bastion's file`;
  },

  'remote-restore': async (action, index, deps, run) => {
    const now = deps.now ?? Date.now;
    const conn = await hostsOf(deps).connection(action.host);
    for (const dir of [action.restoreDir, action.restoreWalDir]) {
      if (dir && (await exists(conn, dir))) throw new StepError(`${action.host}: ${dir} exists already: a restore writes only into a fresh directory (move it aside first)`);
    }
    // Whatever the restore writes is moved aside on rollback (never deleted).
    for (const dir of [action.restoreDir, action.restoreWalDir]) {
      if (dir) run.recordUndo(undoEntry({ kind: 'data-dir-aside', host: action.host, path: dir, existed: false, mode: '0700' }, undoEnv(deps)));
    }
    const stream = (text: string) => {
      const lines = text.split('\n').map((l) => l.trimEnd()).filter(Boolean);
      if (lines.length > 0) deps.onEvent({ type: 'output', index, lines });
    };
    const t0 = now();
    const r = await conn.run(action.argv, { timeoutMs: action.timeoutMs, signal: deps.signal, onStdout: stream, onStderr: stream });
    if (r.code !== 0) {
      const why = [...r.stderr.split('\n'), ...r.stdout.split('\n')].map((l) => l.trim()).filter((l) => /error|fail|no space|denied|invalid|mismatch|corrupt/i.test(l)).slice(-2);
      throw new StepError(`${action.host}: the restore failed (${r.code === null ? `signal ${r.signal}` : `exit ${r.code}`}): ${why.join(' | ') || firstLine(r.stderr) || 'no output'}`);
    }
    if (!(await isDir(conn, `${action.restoreDir}/member`))) throw new StepError(`${action.host}: the restore exited 0 but ${action.restoreDir}/member is not there`);
    return `restored into ${action.restoreDir}${action.restoreWalDir ? ` (WAL ${action.restoreWalDir})` : ''} in ${formatDuration(now() - t0)}`;
  },

  'remote-swap-data': async (action, _index, deps, run) => {
    const conn = await hostsOf(deps).connection(action.host);
    const pairs: Array<{ live: string; aside: string; restored: string }> = [{ live: action.dataDir, aside: action.asideDir, restored: action.restoreDir }];
    if (action.walDir && action.asideWalDir && action.restoreWalDir) pairs.push({ live: action.walDir, aside: action.asideWalDir, restored: action.restoreWalDir });
    const done: string[] = [];
    for (const p of pairs) {
      if (await exists(conn, p.aside)) throw new StepError(`${action.host}: ${p.aside} exists already; nothing was moved`);
      const hadLive = await exists(conn, p.live);
      if (hadLive) {
        await must(conn, action.host, ['mv', '--', p.live, p.aside]);
        run.recordUndo(undoEntry({ kind: 'put-back', host: action.host, path: p.live, aside: p.aside }, undoEnv(deps)));
      }
      await must(conn, action.host, ['mv', '--', p.restored, p.live]);
      if (!hadLive) {
        run.recordUndo(undoEntry({ kind: 'data-dir-aside', host: action.host, path: p.live, existed: false, mode: '0700' }, undoEnv(deps)));
      }
      // etcd warns about (and 3.6 refuses) a data dir others can read.
      await must(conn, action.host, ['chmod', '0700', '--', p.live]);
      done.push(hadLive ? `${p.live} moved aside to ${p.aside}, the restored data in its place (mode 0700)` : `the restored data in ${p.live} (mode 0700; there was none)`);
    }
    return done.join('; ');
  },

  'remote-move-aside': async (action, _index, deps, run) => {
    const conn = await hostsOf(deps).connection(action.host);
    if (!(await exists(conn, action.path))) return `${action.path} is not there: nothing to move`;
    const aside = `${action.path.replace(/\/+$/, '')}.${action.suffix}`;
    if (await exists(conn, aside)) throw new StepError(`${action.host}: ${aside} exists already; nothing was moved`);
    await must(conn, action.host, ['mv', '--', action.path, aside]);
    run.recordUndo(undoEntry({ kind: 'put-back', host: action.host, path: action.path, aside }, undoEnv(deps)));
    return `moved ${action.path} aside to ${aside}`;
  },

  'point-of-no-return': async (action, index, deps, run) => {
    const dropped = run.commit();
    deps.onEvent({ type: 'output', index, lines: [`from here on a failure is not rolled back: ${action.reason}`] });
    return `${dropped} undo step(s) no longer apply: ${action.reason}`;
  },

  'verify-restore': async (action, index, deps) => {
    const now = deps.now ?? Date.now;
    const hosts = hostsOf(deps);
    const urls = action.hosts.map((n) => ({ name: n, url: clientURL(hosts.spec(n), hosts.settings) }));
    const deadline = now() + action.timeoutMs;
    let last = '';
    for (;;) {
      try {
        const statuses = await Promise.all(urls.map(async (u) => ({ ...u, status: await deps.gateway.status(u.url) })));
        const clusterIds = new Set(statuses.map((s) => s.status.clusterId));
        if (clusterIds.size !== 1) throw new StepError(`the members answer with ${clusterIds.size} cluster IDs: they are not one cluster`);
        const clusterId = [...clusterIds][0];
        if (action.oldClusterId && clusterId === action.oldClusterId) throw new StepError(`the members still report the old cluster ID ${BigInt(clusterId).toString(16)}: this is not the restored cluster`);
        const low = statuses.filter((s) => s.status.revision < action.minRevision);
        if (low.length > 0) {
          last = `${low.map((s) => `${s.name} at revision ${s.status.revision}`).join(', ')}, below the snapshot's ${action.minRevision}`;
        } else {
          // One revision every member has: the lowest they report, so HashKV reads the same history everywhere.
          const revision = Math.min(...statuses.map((s) => s.status.revision));
          const inspect = deps.gateway as Partial<InspectGateway>;
          if (typeof inspect.hashKV !== 'function') throw new StepError('this cluster gateway cannot read HashKV: the restore is not verified');
          const hashKV = inspect.hashKV.bind(deps.gateway);
          const hashes = await Promise.all(urls.map(async (u) => ({ name: u.name, h: await hashKV(u.url, revision, 60_000) })));
          const distinct = new Set(hashes.map((x) => x.h.hash));
          if (distinct.size === 1) {
            const hash = hashes[0].h.hash;
            return {
              detail: `one cluster ${BigInt(clusterId).toString(16)} (new), ${statuses.length} members at revision >= ${action.minRevision}, HashKV ${hash} at revision ${revision} on every member`,
              data: { kind: 'restored', clusterId, revision, hash, members: statuses.length },
            };
          }
          last = `HashKV differs at revision ${revision}: ${hashes.map((x) => `${x.name} ${x.h.hash}`).join(', ')}`;
        }
      } catch (error) {
        if (error instanceof StepError) throw error;
        last = errorMessage(error);
      }
      deps.onEvent({ type: 'progress', index, text: last });
      if (now() >= deadline) throw new StepError(`the restored cluster did not verify within ${formatDuration(action.timeoutMs)}: ${last}`);
      await sleep(deps.pollMs ?? 500, deps.signal);
    }
  },
};
