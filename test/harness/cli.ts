// Runs the built binary (dist/etcd-tui.js) as a script would: no shell, no ETCDCTL_* from the test's
// environment, no contexts file (XDG_CONFIG_HOME=/nonexistent), CI=true, stdin closed (no terminal).
// The pid is tracked, so it is killed even when a test fails; every run is bounded.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './binaries.js';
import { signalTracked, trackProcess, untrackProcess } from './registry.js';

export const BIN = join(repoRoot(), 'dist', 'etcd-tui.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CliOptions {
  /** Extra environment (merged over the test's, without its ETCDCTL_*). */
  env?: Record<string, string>;
  /** SIGKILL after this long (default 120 s). */
  timeoutMs?: number;
  /** The working directory (default the test's): where relative outputs land. */
  cwd?: string;
  /** Another build's entry to run instead of dist/etcd-tui.js (e.g. a copy with a chunk taken out). */
  bin?: string;
}

/** A started run of the binary. */
export interface CliRunning {
  pid: number;
  /** stdout so far. */
  stdout(): string;
  /** True once the process has exited. */
  exited(): boolean;
  /** SIGKILL, unless it has exited already (its pid may belong to someone else then). */
  kill(): void;
  /** Resolves when the process has exited (killed after timeoutMs); never rejects. */
  done: Promise<CliResult>;
}

/** Starts `etcd-tui ARGS` and returns at once. */
export function startCli(args: string[], opts: CliOptions = {}): CliRunning {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCDCTL_')));
  const t0 = Date.now();
  const child = spawn(process.execPath, [opts.bin ?? BIN, ...args], { env: { ...base, XDG_CONFIG_HOME: '/nonexistent', CI: 'true', ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'], ...(opts.cwd ? { cwd: opts.cwd } : {}) });
  const pid = child.pid as number;
  trackProcess({ kind: 'etcd-tui', pid });
  child.stdin.end();
  let out = '';
  let err = '';
  let exited = false;
  // Decoded as streams, so a character split between two chunks stays whole.
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const kill = () => {
    if (!exited) signalTracked(pid, 'SIGKILL');
  };
  const timer = setTimeout(kill, opts.timeoutMs ?? 120_000);
  const done = new Promise<CliResult>((resolve) => {
    child.once('close', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      untrackProcess(pid);
      resolve({ code: code ?? (signal ? -1 : -2), stdout: out, stderr: err + (signal ? `\n(killed by ${signal})` : ''), ms: Date.now() - t0 });
    });
  });
  return { pid, stdout: () => out, exited: () => exited, kill, done };
}

/** Runs `etcd-tui ARGS` to its end (SIGKILL after timeoutMs). */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}

/** A run's exit, stdout and stderr, for assertion messages. */
export function showCli(r: CliResult): string {
  return `exit ${r.code} after ${r.ms} ms\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}
