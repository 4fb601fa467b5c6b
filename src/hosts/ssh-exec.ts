/**
 * Commands over SSH: argv quoted once (quote.ts), through `sudo -n` when the target says so, output
 * streamed and capped, a timeout or an abort that kills the remote process group, and a connection
 * that is lost (closed, reset, or silent for the stall timeout) failing every operation on it at once
 * with during what. The base of the SSH connection (src/hosts/ssh-files.ts adds files).
 */
import type { ClientChannel } from 'ssh2';
import type { SshTarget } from '../domain/hosts.js';
import { HostError, type HostErrorKind } from '../domain/errors.js';
import type { CommandResult, RunOptions } from './gateway.js';
import { shellCommand, sudoArgv } from './quote.js';
import { ConnectionLostError, hostLabel, message, stallTimeoutMs, type SshClient } from './ssh-common.js';

const DEFAULT_RUN_TIMEOUT_MS = 60_000;
/** How long close() lets the connection end politely before it is torn down. */
const CLOSE_GRACE_MS = 2_000;
/** Collected stdout/stderr of one command keep at most this many characters each (the tail). */
const OUTPUT_CAP = 1024 * 1024;

/** What sudo -n says when it would have to ask, or may not run at all. */
const SUDO_REFUSED = /^sudo: (a password is required|a terminal is required|.* is not in the sudoers file|.* is not allowed to (run sudo|execute))/m;

/** Collected text that keeps the last `cap` characters. */
class TailText {
  private parts: string[] = [];
  private length = 0;
  private dropped = 0;
  constructor(private readonly cap: number) {}

  push(text: string): void {
    if (text === '') return;
    this.parts.push(text);
    this.length += text.length;
    if (this.length > 2 * this.cap) this.compact();
  }

  private compact(): void {
    const all = this.parts.join('');
    let keep = all.slice(-this.cap);
    if (/^[\uDC00-\uDFFF]/.test(keep)) keep = keep.slice(1); // half of a character cut in two
    this.dropped += all.length - keep.length;
    this.parts = [keep];
    this.length = keep.length;
  }

  text(): string {
    if (this.length > this.cap) this.compact();
    const body = this.parts.join('');
    return this.dropped > 0 ? `[etcd-tui: ${this.dropped} earlier characters dropped]\n${body}` : body;
  }
}

interface ExecSinks {
  stdout(data: Buffer): void;
  stderr(data: Buffer): void;
}

interface ExecOutcome {
  code: number | null;
  signal?: string;
  durationMs: number;
}

function commandText(argv: string[]): string {
  let text: string;
  try {
    text = shellCommand(argv);
  } catch {
    text = argv.join(' ');
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/**
 * Sends the "signal" channel request (SIGKILL; sshd does killpg on the session's process group).
 * ssh2's channel.signal() refuses once we have sent EOF on stdin, which every run does, so the request
 * goes through the channel's protocol object as long as the channel is open on our side.
 */
function sendKill(channel: ClientChannel): void {
  const ch = channel as unknown as {
    outgoing?: { id?: number; state?: string };
    _client?: { _protocol?: { signal?(id: number, name: string): void } };
  };
  const state = ch.outgoing?.state;
  const id = ch.outgoing?.id;
  const protocol = ch._client?._protocol;
  try {
    if ((state === 'open' || state === 'eof') && typeof id === 'number' && typeof protocol?.signal === 'function') {
      protocol.signal(id, 'KILL');
    } else {
      channel.signal('KILL');
    }
  } catch {
    // The channel or the connection is gone already: nothing left to kill from here.
  }
}


/**
 * Tears the connection's socket down. ssh2's destroy() does nothing once end() was called (the socket
 * is no longer writable), and an ended socket with unsent bytes to a dead host lingers for minutes.
 */
function destroySocket(client: SshClient): void {
  const sock = (client as unknown as { _sock?: { destroy(): void } })._sock;
  if (sock) sock.destroy();
  else client.destroy();
}

export class SshSession {
  protected closed = false;
  /** Why the connection was lost (set with closed when it was not close()d here). */
  protected lostReason?: string;
  /** Ongoing operations, told when the connection drops. */
  protected readonly pending = new Set<(err: HostError) => void>();

  constructor(
    protected readonly client: SshClient,
    readonly target: SshTarget,
    readonly fingerprint: string,
  ) {
    const lost = (why: string): void => {
      if (this.closed) return;
      this.closed = true;
      this.lostReason = why;
      const err = new ConnectionLostError(target, why);
      for (const fail of [...this.pending]) fail(err);
      destroySocket(client);
    };
    client.on('error', (err: Error & { level?: string }) =>
      lost(
        err.level === 'client-timeout'
          ? `no answer for ${stallTimeoutMs(target) / 1000} s`
          : /ECONNRESET/.test(err.message)
            ? 'the host reset it: sshd gone or restarted?'
            : err.message,
      ),
    );
    client.on('close', () => lost('the connection was closed'));
  }

  protected get label(): string {
    return hostLabel(this.target);
  }

  protected error(text: string, kind: HostErrorKind = 'other'): HostError {
    return new HostError(text, kind, this.target.address);
  }

  /** True once the connection is closed or lost: the pool then connects again. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** A lost connection's error says during what; other errors pass unchanged. */
  protected during(err: unknown, what: string): unknown {
    return err instanceof ConnectionLostError ? new ConnectionLostError(this.target, err.reason, what) : err;
  }

  /** The error for an operation started on a closed connection. */
  protected closedError(what: string): HostError {
    if (this.lostReason !== undefined) return new ConnectionLostError(this.target, this.lostReason, what);
    return this.error(`cannot run ${what}: the connection to ${this.label} is closed; connect again`, 'unreachable');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fail of [...this.pending]) fail(this.error(`connection to ${this.label} was closed`, 'aborted'));
    this.client.end();
    // A polite end waits for the socket to drain: on a dead link it never does, and the open socket
    // would keep the process alive. The grace timer itself does not.
    setTimeout(() => destroySocket(this.client), CLOSE_GRACE_MS).unref();
  }

  // ---- commands ----

  async run(argv: string[], opts: RunOptions = {}): Promise<CommandResult> {
    const sudo = opts.sudo ?? this.target.sudo;
    const fullArgv = sudo ? sudoArgv(argv) : [...argv];
    const stdout = new TailText(OUTPUT_CAP);
    const stderr = new TailText(OUTPUT_CAP);
    // stream: true keeps a multi-byte character that is split across two chunks whole.
    const outDecoder = new TextDecoder('utf-8');
    const errDecoder = new TextDecoder('utf-8');
    const emit = (text: string, sink: TailText, cb?: (t: string) => void): void => {
      if (text === '') return;
      sink.push(text);
      cb?.(text);
    };
    const outcome = await this.exec(fullArgv, sudo, opts, {
      stdout: (d) => emit(outDecoder.decode(d, { stream: true }), stdout, opts.onStdout),
      stderr: (d) => emit(errDecoder.decode(d, { stream: true }), stderr, opts.onStderr),
    }).catch((err: unknown) => {
      throw this.during(err, commandText(argv));
    });
    emit(outDecoder.decode(), stdout, opts.onStdout);
    emit(errDecoder.decode(), stderr, opts.onStderr);
    const result: CommandResult = {
      argv: fullArgv,
      code: outcome.code,
      ...(outcome.signal ? { signal: outcome.signal } : {}),
      stdout: stdout.text(),
      stderr: stderr.text(),
      durationMs: outcome.durationMs,
    };
    if (sudo) this.checkSudo(result.code, result.stderr);
    return result;
  }

  /** A sudo -n that refused (needs a password, not in sudoers) is an error, not a command result. */
  protected checkSudo(code: number | null, stderr: string): void {
    if (code === 0) return;
    if (code === 127 && /\bsudo: (command )?not found/.test(stderr)) {
      throw this.error(`sudo is not installed on ${this.label}: install it, or log in as root and set sudo: false`, 'sudo');
    }
    const m = SUDO_REFUSED.exec(stderr);
    if (!m) return;
    throw this.error(
      `sudo -n on ${this.label} refused (${m[0].replace(/^sudo: /, '')}): allow passwordless sudo for ${this.target.user} (NOPASSWD in /etc/sudoers.d) or log in as root`,
      'sudo',
    );
  }

  /**
   * Runs argv (already with its sudo prefix) in an exec channel. Output goes to the sinks as it
   * comes. Resolves with the exit status; rejects with 'timeout' or 'aborted' after killing the
   * command, or when the connection drops.
   *
   * Killing: the command line is `echo $$; exec ARGV`, so the first stdout line (taken off here,
   * callers never see it) is the pid of the command, which leads its own process group (sshd starts
   * each session with setsid). On timeout or abort a second channel runs `kill -KILL -- -PID`
   * (through sudo when the command used it). The SSH "signal" request alone is not enough: sshd
   * refuses it for root logins ("session signalling requires privilege separation"), ssh2 will not
   * send it after stdin's EOF, and a non-root user cannot signal a command that sudo runs as root.
   */
  protected exec(argv: string[], usedSudo: boolean, opts: RunOptions & { internal?: boolean }, sinks: ExecSinks): Promise<ExecOutcome> {
    const display = commandText(argv);
    let command: string;
    try {
      command = `echo $$; exec ${shellCommand(argv)}`;
    } catch (err) {
      return Promise.reject(this.error(`cannot run ${display} on ${this.label}: ${message(err)}`));
    }
    if (this.closed) return Promise.reject(this.closedError(display));
    if (opts.signal?.aborted) return Promise.reject(this.error(`${display} on ${this.label} was aborted before it started`, 'aborted'));
    const timeoutMs = opts.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
    const started = Date.now();

    return new Promise<ExecOutcome>((resolve, reject) => {
      let settled = false;
      let channel: ClientChannel | undefined;
      let stopReason: HostError | undefined;
      let remotePid: number | undefined;
      let pidLine: Buffer | undefined = Buffer.alloc(0); // undefined once the pid line is read

      const finish = (err: HostError | undefined, outcome?: ExecOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        this.pending.delete(onLost);
        if (err) reject(err);
        else resolve(outcome as ExecOutcome);
      };
      const killGroup = async (): Promise<void> => {
        if (remotePid === undefined || opts.internal) return;
        const killArgv = ['kill', '-KILL', '--', `-${remotePid}`];
        await this.exec(usedSudo ? sudoArgv(killArgv) : killArgv, usedSudo, { timeoutMs: 10_000, internal: true }, { stdout: () => undefined, stderr: () => undefined }).catch(
          () => undefined,
        );
      };
      let channelClosed = false;
      /** Kills the command (once its pid line is there, waiting at most 3 s for it), closes the channel, settles. */
      const killAndClose = (ch: ClientChannel, reason: HostError): void => {
        const waited = Date.now();
        const attempt = (): void => {
          if (remotePid === undefined && !channelClosed && Date.now() - waited < 3_000) {
            setTimeout(attempt, 20);
            return;
          }
          sendKill(ch);
          void killGroup().finally(() => {
            ch.close();
            finish(reason);
          });
        };
        attempt();
      };
      const stop = (err: HostError): void => {
        if (stopReason || settled) return;
        stopReason = err;
        clearTimeout(timer);
        if (channel) killAndClose(channel, err);
        else finish(err); // the exec callback kills the command if its channel still opens
      };
      const timer = setTimeout(
        () => stop(this.error(`${display} on ${this.label} did not finish within ${timeoutMs / 1000} s; it was killed`, 'timeout')),
        timeoutMs,
      );
      const onAbort = (): void => stop(this.error(`${display} on ${this.label} was aborted; it was killed`, 'aborted'));
      const onLost = (err: HostError): void => finish(err);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.add(onLost);

      const onStdout = (d: Buffer): void => {
        if (pidLine === undefined) {
          sinks.stdout(d);
          return;
        }
        const all = Buffer.concat([pidLine, d]);
        const nl = all.indexOf(0x0a);
        if (nl < 0 && all.length < 24) {
          pidLine = all;
          return;
        }
        pidLine = undefined;
        const head = nl >= 0 ? all.subarray(0, nl).toString('latin1') : '';
        if (/^\d+$/.test(head)) {
          remotePid = Number(head);
          if (nl + 1 < all.length) sinks.stdout(all.subarray(nl + 1));
        } else {
          sinks.stdout(all); // not our line (a login shell that is not POSIX?): pass it all on
        }
      };

      try {
        this.client.exec(command, (err, ch) => {
          if (err) {
            finish(this.error(`cannot start ${display} on ${this.label}: ${err.message}`));
            return;
          }
          channel = ch;
          let exit: { code: number | null; signal?: string } = { code: null };
          let stderrClosed = false;
          const done = (): void => {
            if (!channelClosed || !stderrClosed) return;
            if (pidLine !== undefined && pidLine.length > 0) sinks.stdout(pidLine);
            if (stopReason) return; // stop() settles after its kill
            finish(undefined, { ...exit, durationMs: Date.now() - started });
          };
          ch.on('data', onStdout);
          ch.stderr.on('data', (d: Buffer) => sinks.stderr(d));
          ch.on('exit', (code: number | null, signal?: string) => {
            exit = code === null || code === undefined ? { code: null, ...(signal ? { signal } : {}) } : { code };
          });
          ch.stderr.on('close', () => {
            stderrClosed = true;
            done();
          });
          ch.on('close', () => {
            channelClosed = true;
            done();
          });
          if (opts.stdin !== undefined) ch.end(opts.stdin);
          else ch.end();
          if (stopReason) killAndClose(ch, stopReason); // aborted or timed out while the channel was opening
        });
      } catch (err) {
        finish(this.error(`cannot start ${display} on ${this.label}: ${message(err)}`, 'unreachable'));
      }
    });
  }

  /** Runs argv and throws unless it exits 0 (the helper of upload's steps). */
  protected async must(argv: string[], sudo: boolean, signal: AbortSignal | undefined, what: string): Promise<void> {
    const r = await this.run(argv, { sudo, signal, timeoutMs: 120_000 });
    if (r.code !== 0) {
      const why = r.stderr.trim().split('\n').pop() || (r.code === null ? `killed by ${r.signal}` : `exit ${r.code}`);
      throw this.error(`${what} on ${this.label} failed: ${why}`);
    }
  }
}
