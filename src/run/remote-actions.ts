/**
 * The executor's remote steps (bootstrap): directories, uploads and systemctl over the host gateway,
 * and the wait for a new cluster to form. Each step that changes a host first records how to undo
 * itself; the executor runs those undos, newest first, when a later step fails (plan.rollbackOnFailure).
 *
 * Undo never deletes data: a data dir that has content is moved aside (DIR.etcd-tui-failed-<stamp>);
 * a replaced file comes back from its backup; a file that was not there before is removed (it is
 * what this run uploaded, and the bastion still has it).
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RemoteAction, UploadSource } from '../domain/plan.js';
import type { ActionHandlers, HostAccess, UndoEntry } from './types.js';

export type { HostAccess, UndoEntry } from './types.js';
import type { HostConnection } from '../hosts/gateway.js';
import type { ClusterGateway } from '../cluster/gateway.js';
import { clientURL } from '../domain/hosts.js';
import { errorMessage } from '../domain/errors.js';
import { sleep } from './wait.js';
import { formatBytes, formatDuration } from '../format/units.js';
import type { RunEvent } from '../domain/plan.js';
import { undoEntry } from './undo-steps.js';

export interface RemoteDeps {
  hosts?: HostAccess;
  gateway: ClusterGateway;
  onEvent(event: RunEvent): void;
  signal: AbortSignal;
  pollMs?: number;
  now?: () => number;
}

export class RemoteStepFailure extends Error {}

/** Journal lines worth showing for a failed start (etcd's own reason, not systemd's summary). */
const ERROR_LINE = /"level":"(error|fatal|panic)"|\b(error|fatal|panic)\b|bind|refus|denied|no such|permission/i;


function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean)[0] ?? '';
}

function access(deps: RemoteDeps): HostAccess {
  if (!deps.hosts) throw new RemoteStepFailure('this run has no SSH access to hosts (no inventory)');
  return deps.hosts;
}

/** Run argv on a host; a non-zero exit is a failure with the command's own words. */
async function must(conn: HostConnection, host: string, argv: string[], timeoutMs = 60_000, signal?: AbortSignal): Promise<string> {
  const r = await conn.run(argv, { timeoutMs, signal });
  if (r.code !== 0) throw new RemoteStepFailure(`${host}: ${argv.join(' ')} failed (${r.code === null ? `signal ${r.signal}` : `exit ${r.code}`}): ${firstLine(r.stderr) || firstLine(r.stdout) || 'no output'}`);
  return r.stdout;
}

async function exists(conn: HostConnection, path: string, flag: '-e' | '-d' = '-e'): Promise<boolean> {
  const r = await conn.run(['test', flag, path], { timeoutMs: 30_000 });
  return r.code === 0;
}

/** The last lines of the unit's journal, for a failed start. */
async function journalTail(conn: HostConnection, unit: string, lines = 15): Promise<string[]> {
  try {
    const r = await conn.run(['journalctl', '-u', `${unit}.service`, '-n', String(lines), '--no-pager'], { timeoutMs: 15_000 });
    return r.stdout.split('\n').filter((l) => l.trim() !== '');
  } catch {
    return [];
  }
}

/** One member of a release tarball, extracted to a temporary file on the bastion. */
async function extractFromTarball(path: string, member: string): Promise<{ file: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'etcd-tui-tar-'));
  const file = join(dir, member.split('/').pop() || 'etcd');
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(file, { mode: 0o700 });
      const tar = spawn('tar', ['-xzOf', path, '--', member], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      tar.stderr.on('data', (d: Buffer) => (err += d.toString()));
      tar.stdout.pipe(out);
      tar.on('error', reject);
      tar.on('close', (code) => {
        out.close();
        if (code === 0) resolve();
        else reject(new RemoteStepFailure(`cannot extract ${member} from ${path}: ${firstLine(err) || `tar exit ${code}`}`));
      });
    });
    return { file, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

async function uploadSource(conn: HostConnection, source: UploadSource, remotePath: string, mode: number, onProgress: (sent: number, total: number) => void, signal: AbortSignal) {
  if (source.kind === 'text') return conn.upload(Buffer.from(source.text, 'utf8'), remotePath, { mode, backup: true, onProgress, signal });
  if (source.kind === 'local') return conn.upload({ localPath: source.path }, remotePath, { mode, backup: true, onProgress, signal });
  const x = await extractFromTarball(source.path, source.member);
  try {
    return await conn.upload({ localPath: x.file }, remotePath, { mode, backup: true, onProgress, signal });
  } finally {
    await x.cleanup();
  }
}

/** Undo steps connect through the run's host access (again, when a connection was lost). */
function undoEnv(deps: RemoteDeps) {
  return { connection: (host: string) => access(deps).connection(host), now: deps.now };
}

/** The executor's remote handlers: each records its undo through the run's recordUndo. */
export const REMOTE_HANDLERS: ActionHandlers<RemoteAction['kind']> = {
  'remote-mkdir': (action, index, deps, run) => runRemoteAction(action, index, deps, run.recordUndo),
  'remote-upload': (action, index, deps, run) => runRemoteAction(action, index, deps, run.recordUndo),
  'remote-systemctl': (action, index, deps, run) => runRemoteAction(action, index, deps, run.recordUndo),
  'wait-cluster-formed': (action, index, deps, run) => runRemoteAction(action, index, deps, run.recordUndo),
};

export async function runRemoteAction(action: RemoteAction, index: number, deps: RemoteDeps, recordUndo: (entry: UndoEntry) => void): Promise<string | undefined> {
  const now = deps.now ?? Date.now;
  switch (action.kind) {
    case 'remote-mkdir': {
      const conn = await access(deps).connection(action.host);
      const existed = await exists(conn, action.path, '-d');
      const mode = action.mode.toString(8).padStart(4, '0');
      // Whatever etcd writes in a data dir from now on is moved aside on rollback (never deleted).
      if (action.dataDir) recordUndo(undoEntry({ kind: 'data-dir-aside', host: action.host, path: action.path, existed, mode }, undoEnv(deps)));
      if (existed && action.dataDir) {
        // An existing data dir keeps whatever mode it was made with (often 0755, and etcd warns):
        // it gets the mode the plan says.
        await must(conn, action.host, ['chmod', mode, '--', action.path]);
        return `${action.path} exists; mode set to ${mode}`;
      }
      if (existed) return `${action.path} exists`;
      await must(conn, action.host, ['mkdir', '-p', '-m', mode, '--', action.path]);
      if (!action.dataDir) recordUndo(undoEntry({ kind: 'rmdir', host: action.host, path: action.path }, undoEnv(deps)));
      return `created ${action.path} (mode ${mode})`;
    }
    case 'remote-upload': {
      const hosts = access(deps);
      const conn = await hosts.connection(action.host);
      let last = 0;
      const result = await uploadSource(
        conn,
        action.source,
        action.remotePath,
        action.mode,
        (sent, total) => {
          const t = now();
          if (total > 1 << 20 && (t - last > 250 || sent === total)) {
            last = t;
            deps.onEvent({ type: 'progress', index, ratio: total ? sent / total : 1, text: `${formatBytes(sent)} of ${formatBytes(total)}` });
          }
        },
        deps.signal,
      ).catch((error: unknown) => {
        // A cut-off upload may leave its temporary file (the connection went before the cleanup).
        recordUndo(undoEntry({ kind: 'upload-leftovers', host: action.host, path: action.remotePath }, undoEnv(deps)));
        throw error;
      });
      const unit = Boolean(action.unit);
      recordUndo(
        undoEntry(
          result.backup
            ? { kind: 'restore-file', host: action.host, path: action.remotePath, backup: result.backup, unit }
            : { kind: 'remove-file', host: action.host, path: action.remotePath, unit },
          undoEnv(deps),
        ),
      );
      return `${action.what}: ${formatBytes(result.bytes)} to ${action.remotePath}${result.backup ? `, the earlier file kept as ${result.backup}` : ''}`;
    }
    case 'remote-systemctl': {
      const conn = await access(deps).connection(action.host);
      const unit = action.unit ? `${action.unit}.service` : undefined;
      if (action.verb === 'enable' && unit) recordUndo(undoEntry({ kind: 'systemctl', host: action.host, verb: 'disable', unit }, undoEnv(deps)));
      // Recorded before the start: a failed start may still leave a process (or a restart loop).
      if (action.verb === 'start' && unit) recordUndo(undoEntry({ kind: 'systemctl', host: action.host, verb: 'stop', unit }, undoEnv(deps)));
      const argv = ['systemctl', action.verb, ...(action.noBlock ? ['--no-block'] : []), ...(unit ? [unit] : [])];
      const t0 = now();
      // What systemctl says (e.g. "Created symlink ...") streams into the step's output as it comes.
      const stream = (text: string) => {
        const lines = text.split('\n').map((l) => l.trimEnd()).filter(Boolean);
        if (lines.length > 0) deps.onEvent({ type: 'output', index, lines });
      };
      const r = await conn.run(argv, { timeoutMs: action.timeoutMs, signal: deps.signal, onStdout: stream, onStderr: stream });
      if (r.code !== 0) {
        const why = firstLine(r.stderr) || firstLine(r.stdout) || `exit ${r.code}`;
        const journal = action.verb === 'start' && action.unit ? await journalTail(conn, action.unit) : [];
        if (journal.length > 0) deps.onEvent({ type: 'output', index, lines: journal });
        const etcdSays = journal.filter((l) => ERROR_LINE.test(l)).slice(-2);
        throw new RemoteStepFailure(`${action.host}: ${argv.join(' ')} failed: ${why}${etcdSays.length > 0 ? ` | journal: ${etcdSays.map((l) => l.trim()).join(' | ')}` : ''}`);
      }
      return `${argv.join(' ')} (${formatDuration(now() - t0)})`;
    }
    case 'wait-cluster-formed': {
      const hosts = access(deps);
      const urls = action.hosts.map((n) => ({ name: n, url: clientURL(hosts.spec(n), hosts.settings) }));
      const deadline = now() + action.timeoutMs;
      let summary = '';
      let lastServiceCheck = now();
      /** A host's service state and the last journal lines, for messages. */
      const serviceOf = async (name: string): Promise<{ state: string; detail: string }> => {
        try {
          const conn = await hosts.connection(name);
          const state = (await conn.run(['systemctl', 'is-active', `${hosts.spec(name).unitName}.service`], { timeoutMs: 15_000 })).stdout.trim() || 'unknown';
          const lines = await journalTail(conn, hosts.spec(name).unitName, 20);
          const says = lines.filter((l) => ERROR_LINE.test(l));
          const tail = (says.length > 0 ? says : lines).slice(-2).map((l) => l.trim());
          return { state, detail: `${name}: service ${state}${tail.length ? `, journal: ${tail.join(' | ')}` : ''}` };
        } catch (error) {
          return { state: 'unknown', detail: `${name}: ${errorMessage(error)}` };
        }
      };
      for (;;) {
        const answers = await Promise.all(urls.map(async (u) => ({ ...u, status: await deps.gateway.status(u.url).catch((e: unknown) => errorMessage(e)) })));
        const ok = answers.filter((a) => typeof a.status !== 'string');
        const clusterIds = new Set(ok.map((a) => (typeof a.status === 'string' ? '' : a.status.clusterId)));
        const leaders = new Set(ok.map((a) => (typeof a.status === 'string' ? '' : a.status.leader)).filter((l) => l !== '0'));
        summary = `${ok.length} of ${urls.length} answer, ${leaders.size} leader(s) seen, ${clusterIds.size} cluster ID(s)`;
        deps.onEvent({ type: 'progress', index, ratio: ok.length / urls.length, text: summary });
        if (clusterIds.size > 1) throw new RemoteStepFailure(`the hosts answer with ${clusterIds.size} different cluster IDs: they formed separate clusters (${summary})`);
        if (ok.length === urls.length && leaders.size === 1) {
          const list = await deps.gateway.memberList().catch(() => undefined);
          if (list && list.members.length === action.members && list.members.every((m) => m.name !== '' && !m.isLearner)) {
            return `one cluster ${[...clusterIds][0] ? BigInt([...clusterIds][0]).toString(16) : ''}: ${list.members.length} members, leader ${[...leaders][0] ? BigInt([...leaders][0]).toString(16) : ''}`;
          }
          summary += list ? `, member list has ${list.members.length} of ${action.members}` : ', member list not readable yet';
        }
        const down = answers.filter((a) => typeof a.status === 'string');
        // A member whose service has stopped (failed at start: a port taken, a bad certificate) will not
        // come: say so now rather than at the deadline.
        if (down.length > 0 && now() - lastServiceCheck >= 3000) {
          lastServiceCheck = now();
          const states = await Promise.all(down.map((d) => serviceOf(d.name)));
          const dead = states.filter((x) => x.state === 'failed' || x.state === 'inactive');
          if (dead.length > 0) throw new RemoteStepFailure(`the cluster cannot form: ${dead.map((x) => x.detail).join('; ')}`);
        }
        if (now() >= deadline) {
          const detail = await Promise.all(down.slice(0, 3).map(async (d) => (await serviceOf(d.name)).detail));
          throw new RemoteStepFailure(`the cluster did not form within ${formatDuration(action.timeoutMs)}: ${summary}${detail.length ? `; ${detail.join('; ')}` : ''}`);
        }
        await sleep(deps.pollMs ?? 500, deps.signal);
      }
    }
  }
}
