/** The local file port of the flows: which paths exist, write a file with a mode. The real one (node:fs); tests may pass another. */
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, existsSync, openSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { journalDir } from './journal.js';

export interface FilePort {
  /** Which of these paths exist. */
  existing(paths: string[]): string[];
  /** Write text to a file with this mode (replaces it). */
  write(path: string, text: string, mode: number): void;
  /** A path made absolute against the working directory. */
  resolve(path: string): string;
  /** The directory files are written to by default (the working directory). */
  cwd(): string;
}

export const localFiles: FilePort = {
  existing: (paths) => paths.filter((p) => existsSync(p)),
  write: (path, text, mode) => writeFileSync(path, text, { mode }),
  resolve: (path) => resolve(path),
  cwd: () => process.cwd(),
};

/**
 * A local file or directory a flow writes to. Checked before anything changes (checkLocalOutput), so
 * that a run never changes the cluster and then fails to write its env file, audit record or journal:
 * access(2), then a probe file created in the directory and removed (root's access(2) says yes where
 * a create fails: NFS with root_squash, /proc).
 *  - new-file: a file the run creates (env file, snapshot): its directory must exist and be writable;
 *    an existing file is refused (`existing: 'refuse'`) or left to the planner (`'planner'`, which refuses
 *    it in its own words, as snapshot save does).
 *  - append: a log the run appends to (audit log): a writable file, or one that can be created (its
 *    missing directories are created, as the default audit path's are).
 *  - dir: a directory the run writes into (run journals, rendered files): writable, or creatable.
 */
export type LocalOutput =
  | { kind: 'new-file'; path: string; what: string; existing: 'refuse' | 'planner' }
  | { kind: 'append'; path: string; what: string }
  | { kind: 'dir'; path: string; what: string };

function code(error: unknown): string {
  return (error as NodeJS.ErrnoException)?.code ?? 'error';
}

function why(error: unknown): string {
  switch (code(error)) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return (error as Error)?.message ?? String(error);
  }
}

/**
 * Why no file can be created in the existing directory `dir`, or undefined when one can: access(2),
 * then a probe file created exclusively and removed at once. access(2) alone is not enough: for root
 * it says yes on an NFS export with root_squash and on /proc or /sys, where the create then fails
 * (after the cluster was changed, for an env file).
 */
function notWritable(dir: string): string | undefined {
  try {
    accessSync(dir, constants.W_OK);
  } catch (error) {
    return why(error);
  }
  const probe = join(dir, `.etcd-tui-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    closeSync(openSync(probe, 'wx', 0o600));
  } catch (error) {
    switch (code(error)) {
      case 'EACCES':
      case 'EPERM':
      case 'EROFS':
      case 'ENOSPC':
        return why(error);
      default:
        return `files cannot be created there: ${code(error)}`;
    }
  }
  try {
    unlinkSync(probe);
  } catch {
    // left behind: an empty file with a name that says whose it is
  }
  return undefined;
}

/** The nearest existing ancestor of a missing path, and what it is. */
function nearestExisting(path: string): { path: string; dir: boolean } {
  let p = dirname(path);
  for (;;) {
    try {
      return { path: p, dir: statSync(p).isDirectory() };
    } catch (error) {
      if (code(error) === 'ENOTDIR') {
        p = dirname(p);
        continue;
      }
      if (code(error) !== 'ENOENT' || dirname(p) === p) return { path: p, dir: false };
      p = dirname(p);
    }
  }
}

/** Whether something can be created under a missing path: its nearest existing ancestor is a writable directory. */
function creatable(path: string, what: string): string | undefined {
  const anc = nearestExisting(path);
  if (!anc.dir) return `${what} ${path} cannot be created: ${anc.path} is not a directory`;
  const reason = notWritable(anc.path);
  return reason ? `${what} ${path} cannot be created: ${anc.path} is not writable (${reason})` : undefined;
}

/** Why this output cannot be written (one sentence naming the path), or undefined when it can. Leaves nothing behind (a probe file is created and removed). */
export function localOutputProblem(o: LocalOutput): string | undefined {
  const path = resolve(o.path);
  let st: Stats | undefined;
  try {
    st = statSync(path);
  } catch (error) {
    if (code(error) !== 'ENOENT' && code(error) !== 'ENOTDIR') return `${o.what} ${path} cannot be used (${why(error)})`;
  }
  switch (o.kind) {
    case 'new-file': {
      if (st?.isDirectory()) return `${o.what} ${path} is a directory, not a file`;
      if (st && o.existing === 'refuse') return `${o.what} ${path} exists: it is never overwritten (choose another file, or move the old one aside)`;
      const dir = dirname(path);
      let dst: Stats;
      try {
        dst = statSync(dir);
      } catch (error) {
        return code(error) === 'ENOENT' ? `${o.what} ${path} cannot be written: the directory ${dir} does not exist` : `${o.what} ${path} cannot be written: ${dir} is not a directory`;
      }
      if (!dst.isDirectory()) return `${o.what} ${path} cannot be written: ${dir} is not a directory`;
      const reason = notWritable(dir);
      return reason ? `${o.what} ${path} cannot be written: the directory ${dir} is not writable (${reason})` : undefined;
    }
    case 'append': {
      if (!st) return creatable(path, o.what);
      if (st.isDirectory()) return `${o.what} ${path} is a directory, not a file`;
      try {
        // Opening for append creates nothing (the file exists) and writes nothing.
        closeSync(openSync(path, 'a'));
      } catch (error) {
        return `${o.what} ${path} cannot be written (${why(error)})`;
      }
      return undefined;
    }
    case 'dir': {
      if (!st) return creatable(path, o.what);
      if (!st.isDirectory()) return `${o.what} ${path} is a file, not a directory`;
      const reason = notWritable(path);
      return reason ? `${o.what} ${path} is not writable (${reason})` : undefined;
    }
  }
}

/** The first problem among these outputs, or undefined. */
export function localOutputsProblem(outputs: LocalOutput[]): string | undefined {
  for (const o of outputs) {
    const problem = localOutputProblem(o);
    if (problem) return problem;
  }
  return undefined;
}

/** The local outputs of a plan's run: the audit log, the run journals (flows that undo), a snapshot's file. */
export function planOutputs(plan: { steps: Array<{ action: { kind: string; file?: string } }>; rollbackOnFailure?: boolean }, auditPath: string): LocalOutput[] {
  const list: LocalOutput[] = [{ kind: 'append', path: auditPath, what: 'the audit log' }];
  if (plan.rollbackOnFailure) list.push({ kind: 'dir', path: journalDir(auditPath), what: 'the run-journal directory' });
  for (const s of plan.steps) if (s.action.kind === 'snapshot-save' && s.action.file) list.push({ kind: 'new-file', path: s.action.file, what: 'the snapshot file', existing: 'planner' });
  return list;
}
