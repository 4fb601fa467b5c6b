/**
 * The host gateway without SSH: every "host" is this machine. Commands are argv arrays run here
 * (no shell), files are local paths, uploads are as atomic as over SSH (a temporary name next to the
 * file, mode set, the earlier file copied aside as PATH.etcd-tui-backup-<stamp>, then rename), so
 * the flows' steps and their undo steps work unchanged. A host may take over some commands
 * (`systemctl`, `journalctl`): the sandbox maps them onto its own process control (src/sandbox/hosts.ts).
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { HostError } from '../domain/errors.js';
import type { SshTarget } from '../domain/hosts.js';
import type { CommandResult, ConnectOptions, HostConnection, HostGateway, RunOptions, UploadOptions, UploadResult } from './gateway.js';
import { utcStamp } from '../format/stamp.js';

/** A command the host answers itself (undefined: run argv here as it is). */
export type LocalCommand = (argv: string[], opts: RunOptions) => Promise<CommandResult | undefined>;

export interface LocalHost {
  /** Commands this host answers itself (e.g. systemctl for the sandbox's members). */
  command?: LocalCommand;
}


function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** Run argv here: no shell, output collected and streamed, killed after the timeout or on the signal. */
export function runLocal(argv: string[], opts: RunOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<CommandResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let done = false;
    const finish = (code: number | null, signal?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ argv, code, ...(signal ? { signal } : {}), stdout, stderr, durationMs: Date.now() - t0 });
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env });
    } catch (error) {
      stderr = message(error);
      finish(127);
      return;
    }
    const onAbort = () => child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
      opts.onStdout?.(s);
    });
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      opts.onStderr?.(s);
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      stderr += `${argv[0]}: ${error.code === 'ENOENT' ? 'command not found' : error.message}\n`;
      finish(127);
    });
    child.once('close', (code, signal) => finish(code, signal ?? undefined));
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.stdin ?? '');
  });
}

export class LocalConnection implements HostConnection {
  readonly fingerprint = 'local';
  private closed = false;

  constructor(
    readonly target: SshTarget,
    private readonly host: LocalHost,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  async run(argv: string[], opts: RunOptions = {}): Promise<CommandResult> {
    if (argv.length === 0) throw new HostError(`${this.target.address}: an empty command`, 'other', this.target.address);
    const own = await this.host.command?.(argv, opts);
    return own ?? runLocal(argv, opts);
  }

  async upload(content: Buffer | { localPath: string }, remotePath: string, opts: UploadOptions): Promise<UploadResult> {
    const fail = (what: string) => new HostError(`upload of ${remotePath} on ${this.target.address}: ${what}`, 'other', this.target.address);
    if (!path.isAbsolute(remotePath) || remotePath.endsWith('/')) throw fail('the path must be an absolute file path');
    if (opts.signal?.aborted) throw fail('aborted');
    const data = Buffer.isBuffer(content) ? content : await fs.readFile(content.localPath).catch((e: unknown) => Promise.reject(fail(`cannot read ${content.localPath}: ${message(e)}`)));
    const tmp = path.join(path.dirname(remotePath), `.${path.basename(remotePath)}.etcd-tui-tmp-${crypto.randomBytes(6).toString('hex')}`);
    let placed = false;
    try {
      await fs.writeFile(tmp, data, { mode: opts.mode, flag: 'wx' }).catch((e: unknown) => Promise.reject(fail(message(e))));
      await fs.chmod(tmp, opts.mode);
      opts.onProgress?.(data.length, data.length);
      const replaced = await exists(remotePath);
      let backup: string | undefined;
      if (replaced && opts.backup !== false) {
        const base = `${remotePath}.etcd-tui-backup-${utcStamp()}`;
        for (let i = 1; i < 100 && !backup; i++) {
          const name = i === 1 ? base : `${base}-${i}`;
          if (!(await exists(name))) backup = name;
        }
        if (!backup) throw fail('too many backups in one second');
        await fs.copyFile(remotePath, backup);
        const st = await fs.stat(remotePath);
        await fs.chmod(backup, st.mode & 0o7777);
      }
      if (opts.signal?.aborted) throw fail('aborted');
      await fs.rename(tmp, remotePath);
      placed = true;
      return { path: remotePath, ...(backup ? { backup } : {}), replaced, bytes: data.length };
    } finally {
      if (!placed) await fs.rm(tmp, { force: true }).catch(() => undefined);
    }
  }

  async readFile(remotePath: string, opts: { maxBytes?: number } = {}): Promise<Buffer | undefined> {
    try {
      const data = await fs.readFile(remotePath);
      if (opts.maxBytes !== undefined && data.length > opts.maxBytes) throw new HostError(`${remotePath} on ${this.target.address} is larger than ${opts.maxBytes} bytes`, 'other', this.target.address);
      return data;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  close(): void {
    this.closed = true;
  }
}

/** Hosts on this machine, by their target's address (e.g. the sandbox's "m1.sandbox"). */
export class LocalGateway implements HostGateway {
  constructor(private readonly hostOf: (target: SshTarget) => LocalHost | undefined) {}

  connect(target: SshTarget, opts: ConnectOptions = {}): Promise<HostConnection> {
    if (opts.signal?.aborted) return Promise.reject(new HostError(`connect to ${target.address} was aborted`, 'aborted', target.address));
    const host = this.hostOf(target);
    if (!host) return Promise.reject(new HostError(`${target.address} is not a host on this machine`, 'unreachable', target.address));
    return Promise.resolve(new LocalConnection(target, host));
  }
}
