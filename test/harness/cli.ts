// Runs the built binary (dist/etcd-tui.js) as a script would: no shell, no ETCDCTL_* from the test's
// environment, CI=true, stdin closed (no terminal). The pid is tracked, so it is killed even when a
// test fails; every run is bounded.
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
  timeoutMs?: number;
}

/** Runs `etcd-tui ARGS` to its end (SIGKILL after timeoutMs). */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCDCTL_')));
  const t0 = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...base, XDG_CONFIG_HOME: '/nonexistent', CI: 'true', ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const pid = child.pid as number;
  trackProcess({ kind: 'etcd-tui', pid });
  child.stdin.end();
  let out = '';
  let err = '';
  let exited = false;
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const timer = setTimeout(() => {
    if (!exited) signalTracked(pid, 'SIGKILL');
  }, opts.timeoutMs ?? 120_000);
  return new Promise<CliResult>((resolve) => {
    child.once('close', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      untrackProcess(pid);
      resolve({ code: code ?? (signal ? -1 : -2), stdout: out, stderr: err + (signal ? `\n(killed by ${signal})` : ''), ms: Date.now() - t0 });
    });
  });
}

/** A run's exit, stdout and stderr, for assertion messages. */
export function showCli(r: CliResult): string {
  return `exit ${r.code} after ${r.ms} ms\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}
