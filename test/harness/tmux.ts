// Drive a program in a real terminal: a detached tmux session on a private
// socket (tmux -L <unique>), with CI=false (Ink prints only its last frame
// when CI is set) and TERM=xterm-256color. The tmux server and the pane
// process are tracked in the registry and killed on kill(), stopAll(), and
// process exit.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  isAlive,
  procState,
  registerResource,
  signalTracked,
  trackProcess,
  unregisterResource,
  untrackProcess,
  type Resource,
} from './registry.js';
import { waitFor, WaitTimeoutError } from './wait.js';

export interface TmuxOptions {
  /** The program and its arguments (run directly, not through a shell). */
  cmd: string[];
  /** Extra environment for the program; a value of undefined unsets the variable. */
  env?: Record<string, string | undefined>;
  cols?: number;
  rows?: number;
  cwd?: string;
}

/** tmux key names sent as keys (anything else is sent literally with -l). */
const NAMED_KEY =
  /^(Enter|Escape|Tab|BTab|BSpace|Space|Up|Down|Left|Right|Home|End|PageUp|PageDown|PgUp|PgDn|PPage|NPage|IC|DC|Insert|Delete|F([1-9]|1[0-2])|[CMS]-.+)$/;

function tmuxEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
  delete env.TMUX;
  delete env.TMUX_PANE;
  return env;
}

/** Polls `cond` synchronously (for exit handlers, where nothing can be awaited), up to `timeoutMs`. */
function waitSync(cond: () => boolean, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (!cond()) {
    if (Date.now() >= deadline) return false;
    Atomics.wait(cell, 0, 0, 10);
  }
  return true;
}

/** Exit status or signal of a zombie process, from /proc/<pid>/stat field 52; undefined if it is not a zombie. */
function zombieExitInfo(pid: number): { status?: number; signal?: string } | undefined {
  if (pid <= 0 || procState(pid) !== 'Z') return undefined;
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ');
  const code = Number(fields[52 - 3]);
  if (!Number.isInteger(code)) return undefined;
  const sig = code & 0x7f;
  if (sig === 0) return { status: (code >> 8) & 0xff };
  return { signal: signalName(sig) };
}

function signalName(n: number): string {
  for (const [name, num] of Object.entries(os.constants.signals)) if (num === n) return name;
  return String(n);
}

export class TmuxSession implements Resource {
  readonly socket: string;
  readonly session = 'main';
  readonly cols: number;
  readonly rows: number;
  readonly cmd: string[];
  private readonly confDir: string;
  private serverPid = 0;
  private panePid = 0;
  /** Path of the private tmux socket. */
  socketPath = '';
  private killed = false;

  constructor(opts: TmuxOptions) {
    if (opts.cmd.length === 0) throw new Error('startTmux: cmd is empty');
    this.cmd = opts.cmd;
    this.cols = opts.cols ?? 160;
    this.rows = opts.rows ?? 45;
    this.socket = `etcd-tui-test-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    this.confDir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-tmux-'));
    const conf = path.join(this.confDir, 'tmux.conf');
    fs.writeFileSync(
      conf,
      [
        'set -g status off', // all rows belong to the program
        'set -g remain-on-exit on', // keep the last screen when the program exits
        'set -g history-limit 5000',
        'set -g escape-time 0',
        `set -g default-terminal "xterm-256color"`,
      ].join('\n') + '\n',
    );
    const envArgs: string[] = ['CI=false', 'TERM=xterm-256color'];
    const unset: string[] = [];
    for (const [k, v] of Object.entries(opts.env ?? {})) {
      if (v === undefined) unset.push('-u', k);
      else envArgs.push(`${k}=${v}`);
    }
    registerResource(this);
    try {
      this.tmux([
        '-f', conf,
        'new-session', '-d', '-s', this.session,
        '-x', String(this.cols), '-y', String(this.rows),
        ...(opts.cwd ? ['-c', opts.cwd] : []),
        '--',
        'env', ...unset, ...envArgs, ...opts.cmd,
      ]);
      const [serverPid, panePid, socketPath] = this.display('#{pid}|#{pane_pid}|#{socket_path}').split('|');
      this.serverPid = Number(serverPid);
      this.panePid = Number(panePid);
      this.socketPath = socketPath;
      trackProcess({ kind: 'tmux', pid: this.serverPid, socket: this.socket, dir: this.confDir });
      if (this.panePid > 0) trackProcess({ kind: 'tmux-pane', pid: this.panePid });
    } catch (err) {
      this.killSync();
      throw err;
    }
  }

  get label(): string {
    return `tmux -L ${this.socket} (${this.cmd.join(' ')})`;
  }

  private tmux(args: string[]): string {
    try {
      return execFileSync('tmux', ['-L', this.socket, ...args], {
        encoding: 'utf8',
        env: tmuxEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 10_000,
      });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`tmux -L ${this.socket} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
    }
  }

  private display(format: string): string {
    return this.tmux(['display-message', '-p', '-t', this.session, format]).trim();
  }

  /**
   * Sends keys: named keys (Enter, Escape, Tab, Up, Down, C-c, M-x, F1, …) as
   * keys, anything else as literal text.
   */
  send(...keys: string[]): void {
    for (const key of keys) {
      if (NAMED_KEY.test(key)) this.tmux(['send-keys', '-t', this.session, key]);
      else this.tmux(['send-keys', '-t', this.session, '-l', '--', key]);
    }
  }

  /** Sends `text` literally (never interpreted as a key name). */
  type(text: string): void {
    this.tmux(['send-keys', '-t', this.session, '-l', '--', text]);
  }

  /** The visible screen as text (one line per row, trailing blanks trimmed). */
  capture(): string {
    return this.tmux(['capture-pane', '-p', '-t', this.session]);
  }

  /** pid of the program in the pane. */
  pid(): number {
    return this.panePid;
  }

  /** True once the program in the pane has exited. */
  isDead(): boolean {
    try {
      return this.display('#{pane_dead}') === '1';
    } catch {
      return true;
    }
  }

  /**
   * How the program ended, once tmux has reaped it: its exit status, or the
   * signal that killed it. Undefined while it runs (tmux marks a pane dead on
   * end of output, slightly before it learns the status).
   */
  exitInfo(): { status?: number; signal?: string } | undefined {
    let info: string;
    try {
      info = this.display('#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}');
    } catch {
      return undefined;
    }
    const [dead, status, signal] = info.split('|');
    if (dead !== '1') return undefined;
    if (status !== '') return { status: Number(status) };
    if (signal !== '') return { signal };
    // tmux 3.3a sometimes marks the pane dead (end of output) but never reaps
    // the program, which stays a zombie; its wait status is then in field 52
    // (exit_code) of /proc/<pid>/stat.
    return zombieExitInfo(this.panePid);
  }

  /** Exit status of the program once it has exited (and was not killed by a signal), else undefined. */
  exitStatus(): number | undefined {
    return this.exitInfo()?.status;
  }

  /**
   * Polls the screen until it contains `text` (or matches the RegExp) and
   * returns the screen. On timeout throws with the last screen.
   */
  waitForText(text: string | RegExp, timeoutMs = 10_000): Promise<string> {
    return this.waitForScreen(text, true, timeoutMs);
  }

  /** Polls until `text` is no longer on screen; returns the screen. */
  waitForNoText(text: string | RegExp, timeoutMs = 10_000): Promise<string> {
    return this.waitForScreen(text, false, timeoutMs);
  }

  private async waitForScreen(text: string | RegExp, present: boolean, timeoutMs: number): Promise<string> {
    const matches = (screen: string): boolean => (typeof text === 'string' ? screen.includes(text) : text.test(screen));
    let last = '';
    try {
      return await waitFor(
        () => {
          last = this.capture();
          return matches(last) === present ? last : undefined;
        },
        { timeoutMs, intervalMs: 50, what: `screen text ${String(text)}${present ? '' : ' to go away'}` },
      );
    } catch (err) {
      if (!(err instanceof WaitTimeoutError)) throw err;
      const info = this.exitInfo();
      const dead = info ? ` (program exited: ${info.signal ? `signal ${info.signal}` : `status ${info.status}`})` : '';
      throw new Error(`${err.message}${dead}; last screen:\n${last.replace(/\n+$/, '')}`, { cause: err });
    }
  }

  /** Waits (bounded) for the program to exit; returns its exit status (undefined when killed by a signal). */
  async waitForExit(timeoutMs = 10_000): Promise<number | undefined> {
    try {
      const info = await waitFor(() => this.exitInfo(), { timeoutMs, what: `${this.cmd.join(' ')} to exit` });
      return info.status;
    } catch (err) {
      if (!(err instanceof WaitTimeoutError)) throw err;
      let screen: string;
      try {
        screen = this.capture().replace(/\n+$/, '');
      } catch (e) {
        screen = `(no screen: ${e instanceof Error ? e.message : String(e)})`;
      }
      throw new Error(`${err.message}; last screen:\n${screen}`, { cause: err });
    }
  }

  /** Kills the tmux server (private socket) and the pane's program. Idempotent. */
  kill(): void {
    this.killSync();
  }

  async stop(): Promise<void> {
    this.killSync();
  }

  killSync(): void {
    if (this.killed) return;
    this.killed = true;
    try {
      execFileSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore', env: tmuxEnv(), timeout: 5_000 });
    } catch {
      // no server (already gone)
    }
    // Give the server a moment to exit by itself (it removes its socket), then
    // make sure: SIGKILL whatever is left of the server and the program.
    waitSync(() => this.serverPid <= 0 || !isAlive(this.serverPid), 2_000);
    for (const pid of [this.panePid, this.serverPid]) {
      if (pid > 0) {
        signalTracked(pid, 'SIGKILL');
        untrackProcess(pid);
      }
    }
    if (this.socketPath) fs.rmSync(this.socketPath, { force: true });
    fs.rmSync(this.confDir, { recursive: true, force: true });
    unregisterResource(this);
  }
}

/** Starts `cmd` in a detached tmux session on a private socket. */
export function startTmux(opts: TmuxOptions): TmuxSession {
  return new TmuxSession(opts);
}
