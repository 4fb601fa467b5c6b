// Registry of everything the harness starts, so that it is stopped by pid even
// when a test fails or the test process is interrupted.
//
// In memory: resources (clusters, tmux sessions) with an async stop() for
// after() hooks and stopAll(), and a synchronous killSync() used from the
// process 'exit' / SIGINT / SIGTERM handlers.
//
// On disk: one file per live process in the run dir
// ($ETCD_TUI_TEST_PIDS_DIR, default <tmpdir>/etcd-tui-test-pids/node-<pid>),
// `key=value` lines: kind, pid, starttime (field 22 of /proc/<pid>/stat, to
// tell a reused pid apart), owner, and for tmux the socket name. scripts/test.sh
// reads them after the run and kills whatever is still alive.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Resource {
  /** Short description for logs. */
  readonly label: string;
  /** Graceful stop (after() hooks, stopAll()). */
  stop(): Promise<void>;
  /** Immediate kill without awaiting anything (process exit handlers). */
  killSync(): void;
}

export interface TrackedProcess {
  kind: string;
  pid: number;
  /** tmux socket name (-L) for kind "tmux". */
  socket?: string;
  /** A temp dir to remove with the process. */
  dir?: string;
}

const resources = new Set<Resource>();
const tracked = new Map<number, TrackedProcess & { starttime?: string; file?: string }>();
let hooksInstalled = false;

export function pidsBaseDir(): string {
  return path.join(os.tmpdir(), 'etcd-tui-test-pids');
}

/** Where this process writes its pid files. */
export function runDir(): string {
  return process.env.ETCD_TUI_TEST_PIDS_DIR || path.join(pidsBaseDir(), `node-${process.pid}`);
}

/** Field 22 (starttime) of /proc/<pid>/stat, or undefined if there is no such process. */
export function procStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); starttime is field 22.
    return fields[19];
  } catch {
    return undefined;
  }
}

/** The state letter of /proc/<pid>/stat (R, S, D, T, Z, …), or undefined if there is no such process. */
export function procState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** True when `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
}

/** Sends `signal`, ignoring "no such process". */
export function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

export function trackProcess(p: TrackedProcess): void {
  installHooks();
  const starttime = procStartTime(p.pid);
  const entry: TrackedProcess & { starttime?: string; file?: string } = { ...p, starttime };
  try {
    const dir = runDir();
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${p.kind}-${p.pid}`);
    const lines = [`kind=${p.kind}`, `pid=${p.pid}`, `starttime=${starttime ?? ''}`, `owner=${process.pid}`];
    if (p.socket) lines.push(`socket=${p.socket}`);
    if (p.dir) lines.push(`dir=${p.dir}`);
    fs.writeFileSync(file, lines.join('\n') + '\n');
    entry.file = file;
  } catch {
    // The on-disk record is a safety net only.
  }
  tracked.set(p.pid, entry);
}

/**
 * Sends `signal` to a tracked pid if it is still the process we started
 * (same /proc starttime), so a reused pid is never hit. Untracked pids are
 * signalled when alive.
 */
export function signalTracked(pid: number, signal: NodeJS.Signals): boolean {
  if (pid <= 0 || !isAlive(pid)) return false;
  const entry = tracked.get(pid);
  if (entry?.starttime && procStartTime(pid) !== entry.starttime) return false;
  return signalPid(pid, signal);
}

export function untrackProcess(pid: number): void {
  const entry = tracked.get(pid);
  if (!entry) return;
  tracked.delete(pid);
  if (entry.file) fs.rmSync(entry.file, { force: true });
}

export function registerResource(r: Resource): void {
  installHooks();
  resources.add(r);
}

export function unregisterResource(r: Resource): void {
  resources.delete(r);
}

/** Stops every live cluster and tmux session of this process. */
export async function stopAll(): Promise<void> {
  const errors: unknown[] = [];
  await Promise.all(
    [...resources].map(async (r) => {
      try {
        await r.stop();
      } catch (err) {
        errors.push(err);
      }
    }),
  );
  if (errors.length > 0) throw new AggregateError(errors, `stopAll: ${errors.length} resource(s) failed to stop`);
}

/** Synchronous last-resort cleanup: kills every resource and tracked pid. */
export function killAllSync(): void {
  for (const r of [...resources]) {
    try {
      r.killSync();
    } catch {
      // keep going
    }
    resources.delete(r);
  }
  for (const [pid, entry] of [...tracked]) {
    if (isAlive(pid) && (!entry.starttime || procStartTime(pid) === entry.starttime)) {
      signalPid(pid, 'SIGCONT');
      signalPid(pid, 'SIGKILL');
    }
    untrackProcess(pid);
    if (entry.dir && !process.env.ETCD_TUI_KEEP_TEST_DIRS) fs.rmSync(entry.dir, { recursive: true, force: true });
  }
  if (!process.env.ETCD_TUI_TEST_PIDS_DIR) {
    // Our own default run dir: remove it when empty.
    try {
      fs.rmdirSync(runDir());
    } catch {
      // not empty or absent
    }
  }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllSync);
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.once(signal, () => {
      killAllSync();
      process.exit(code);
    });
  }
}
