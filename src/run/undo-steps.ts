/**
 * The undo steps of remote work, as data (UndoSpec) and as the code that carries them out. The
 * executor's rollback and `etcd-tui undo RUN` (a run that died, read back from its journal) run the
 * same code: a spec names the host, never a connection, so an undo connects again when the connection
 * it was made on is gone.
 *
 * Undo never deletes data: a data dir that has content is moved aside (DIR.etcd-tui-failed-<stamp>);
 * a replaced file comes back from its backup; a file that was not there before is removed (it is
 * what the run uploaded, and the bastion still has it).
 */
import path from 'node:path';
import type { HostConnection } from '../hosts/gateway.js';
import { hexId } from '../format/ids.js';
import type { UndoEntry } from './types.js';

export type { UndoSpec } from './undo-spec.js';
import type { UndoSpec } from './undo-spec.js';
import { utcStamp } from '../format/stamp.js';

export interface UndoEnv {
  /** An open connection to the host (a new one when the old is lost). */
  connection(host: string): Promise<HostConnection>;
  /** Removes a member; resolves when it is gone (also when it was gone already). */
  removeMember?(memberId: string): Promise<void>;
  now?: () => number;
}

export class UndoFailure extends Error {}

export function stamp(now: number): string {
  return utcStamp(now);
}

export function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean)[0] ?? '';
}

/** The one line that says a remote command failed: the host, the command, its exit and its own first words. */
export function commandFailure(host: string, argv: string[], r: { code: number | null; signal?: string; stdout: string; stderr: string }): string {
  return `${host}: ${argv.join(' ')} failed (${r.code === null ? `signal ${r.signal}` : `exit ${r.code}`}): ${firstLine(r.stderr) || firstLine(r.stdout) || 'no output'}`;
}

async function must(conn: HostConnection, host: string, argv: string[], timeoutMs = 60_000): Promise<string> {
  const r = await conn.run(argv, { timeoutMs });
  if (r.code !== 0) throw new UndoFailure(commandFailure(host, argv, r));
  return r.stdout;
}

/** `test -e PATH` on the host. */
export async function pathExists(conn: HostConnection, p: string): Promise<boolean> {
  return (await conn.run(['test', '-e', p], { timeoutMs: 30_000 })).code === 0;
}

/** Move `p` aside to `p.etcd-tui-failed-<stamp>` when it is there (never deleted); says what it did. */
export async function moveAsideIfThere(conn: HostConnection, host: string, p: string, now: number): Promise<string> {
  if (!(await pathExists(conn, p))) return `${host}: ${p} is not there`;
  const aside = `${p}.etcd-tui-failed-${stamp(now)}`;
  await must(conn, host, ['mv', '--', p, aside]);
  return `${host}: moved ${p} aside to ${aside}`;
}

export async function isDir(conn: HostConnection, dir: string): Promise<boolean> {
  return (await conn.run(['test', '-d', dir], { timeoutMs: 30_000 })).code === 0;
}

/** What the undo will do, in one line ("stop etcd.service on h4"). */
export function undoTitle(spec: UndoSpec): string {
  switch (spec.kind) {
    case 'member-remove':
      return `remove ${spec.name} (${hexId(spec.memberId)}) from the cluster`;
    case 'data-dir-aside':
      return `move ${spec.path} aside on ${spec.host}`;
    case 'rmdir':
      return `remove the empty directory ${spec.path} on ${spec.host}`;
    case 'restore-file':
      return `restore ${spec.path} on ${spec.host}`;
    case 'remove-file':
      return `remove ${spec.path} from ${spec.host}`;
    case 'systemctl':
      return `${spec.verb} ${spec.unit} on ${spec.host}`;
    case 'upload-leftovers':
      return `remove the temporary files of the cut-off upload of ${spec.path} on ${spec.host}`;
    case 'service-start':
      return `start ${spec.unit} again on ${spec.host}`;
    case 'put-back':
      return `put ${spec.path} back on ${spec.host} (from ${spec.aside})`;
  }
}

/** The undo step for a spec. */
export function undoEntry(spec: UndoSpec, env: UndoEnv): UndoEntry {
  return { title: undoTitle(spec), spec, run: () => runUndo(spec, env) };
}

async function runUndo(spec: UndoSpec, env: UndoEnv): Promise<string> {
  const now = env.now ?? Date.now;
  if (spec.kind === 'member-remove') {
    if (!env.removeMember) throw new UndoFailure(`no cluster connection to remove ${spec.name} (${hexId(spec.memberId)})`);
    await env.removeMember(spec.memberId);
    return `removed ${spec.name} (${hexId(spec.memberId)}) from the cluster`;
  }
  const conn = await env.connection(spec.host);
  const reload = async (): Promise<string> => {
    const ok = (await conn.run(['systemctl', 'daemon-reload'], { timeoutMs: 60_000 })).code === 0;
    return ok ? ' (daemon-reload done)' : ' (daemon-reload FAILED: run it by hand)';
  };
  switch (spec.kind) {
    case 'data-dir-aside': {
      if (!(await isDir(conn, spec.path))) return `${spec.host}: ${spec.path} is not there`;
      const list = await must(conn, spec.host, ['ls', '-A1', '--', spec.path]);
      if (list.trim() === '') {
        if (!spec.existed) await must(conn, spec.host, ['rmdir', '--', spec.path]);
        return `${spec.host}: ${spec.path} was empty${spec.existed ? ' (left as it was)' : ', removed the empty directory this run made'}`;
      }
      const aside = `${spec.path}.etcd-tui-failed-${stamp(now())}`;
      await must(conn, spec.host, ['mv', '--', spec.path, aside]);
      if (spec.existed) await must(conn, spec.host, ['mkdir', '-m', spec.mode, '--', spec.path]);
      return `${spec.host}: moved ${spec.path} aside to ${aside}`;
    }
    case 'rmdir': {
      const r = await conn.run(['rmdir', '--', spec.path], { timeoutMs: 30_000 });
      if (r.code === 0) return `${spec.host}: removed ${spec.path} (made by this run)`;
      if (!(await isDir(conn, spec.path))) return `${spec.host}: ${spec.path} is not there`;
      return `${spec.host}: left ${spec.path} (not empty)`;
    }
    case 'restore-file': {
      const there = (await conn.run(['test', '-e', spec.backup], { timeoutMs: 30_000 })).code === 0;
      if (!there) throw new UndoFailure(`${spec.host}: the backup ${spec.backup} of ${spec.path} is gone; put the earlier ${spec.path} back by hand`);
      await must(conn, spec.host, ['mv', '-f', '--', spec.backup, spec.path]);
      return `${spec.host}: restored ${spec.path} from ${spec.backup}${spec.unit ? await reload() : ''}`;
    }
    case 'remove-file': {
      await must(conn, spec.host, ['rm', '-f', '--', spec.path]);
      return `${spec.host}: removed ${spec.path} (it was not there before)${spec.unit ? await reload() : ''}`;
    }
    case 'systemctl': {
      await must(conn, spec.host, ['systemctl', spec.verb, spec.unit], spec.verb === 'disable' ? 60_000 : spec.verb === 'restart' ? 300_000 : 120_000);
      return `${spec.host}: ${spec.verb === 'stop' ? 'stopped' : spec.verb === 'restart' ? 'restarted' : 'disabled'} ${spec.unit}`;
    }
    case 'upload-leftovers': {
      // The gateway's temporary names: .NAME.etcd-tui-tmp-<hex> next to the file, and (sudo) the stage in /tmp.
      const dir = path.posix.dirname(spec.path);
      const base = path.posix.basename(spec.path);
      const found = await must(conn, spec.host, ['find', dir, '-maxdepth', '1', '-name', `.${base}.etcd-tui-tmp-*`, '-print', '-delete']);
      const removed = found.split('\n').filter(Boolean);
      return `${spec.host}: ${removed.length > 0 ? `removed ${removed.join(', ')}` : `no temporary file of ${spec.path} left`}`;
    }
    case 'service-start': {
      await must(conn, spec.host, ['systemctl', 'start', spec.unit], 300_000);
      return `${spec.host}: started ${spec.unit} again`;
    }
    case 'put-back': {
      if (!(await pathExists(conn, spec.aside))) {
        // Put back already (an earlier undo that was cut off), or moved by hand: nothing to move.
        if (await pathExists(conn, spec.path)) return `${spec.host}: ${spec.aside} is not there and ${spec.path} is: already back`;
        throw new UndoFailure(`${spec.host}: ${spec.aside} is gone and ${spec.path} is not there; put the earlier ${spec.path} back by hand`);
      }
      // Whatever took its place (a restored data dir) is moved aside, never deleted.
      const moved = await moveAsideIfThere(conn, spec.host, spec.path, now());
      await must(conn, spec.host, ['mv', '--', spec.aside, spec.path]);
      return `${moved.endsWith('is not there') ? '' : `${moved}; `}${spec.host}: ${spec.aside} is ${spec.path} again`;
    }
  }
}
