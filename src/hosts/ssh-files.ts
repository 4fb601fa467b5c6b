/**
 * Files over SSH: atomic uploads over SFTP (a temporary name in the same directory, mode and owner,
 * a backup of the file that was there, then rename; through a staged copy and `install` with sudo),
 * aborted at once on the signal, cleanup bounded on a silent connection, a full disk or a refused
 * write said with host, directory, free against needed; and remote reads. The SSH connection
 * (commands from src/hosts/ssh-exec.ts).
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import { HostError } from '../domain/errors.js';
import type { HostConnection, UploadOptions, UploadResult } from './gateway.js';
import { sudoArgv } from './quote.js';
import { formatBytes } from '../format/units.js';
import { CLEANUP_BOUND_MS, bounded, message } from './ssh-common.js';
import { SshSession } from './ssh-exec.js';
import { utcStamp } from '../format/stamp.js';

const DEFAULT_READ_MAX_BYTES = 64 * 1024 * 1024;
const UPLOAD_CHUNK = 64 * 1024;
const UPLOAD_PARALLEL = 8;
/** SFTP status codes (draft-ietf-secsh-filexfer-02). */
const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;

type SftpError = Error & { code?: unknown };

function sftpCode(err: unknown): number | undefined {
  const code = (err as SftpError | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}


function randomTag(): string {
  return crypto.randomBytes(6).toString('hex');
}

/** A source of bytes to upload. */
interface UploadSource {
  size: number;
  read(position: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

export class SshConnection extends SshSession implements HostConnection {
  private sftpSession?: Promise<SFTPWrapper>;

  // ---- SFTP ----

  private sftp(): Promise<SFTPWrapper> {
    if (this.closed) return Promise.reject(this.closedError('SFTP'));
    this.sftpSession ??= new Promise<SFTPWrapper>((resolve, reject) => {
      try {
        this.client.sftp((err, sftp) => {
          if (err) {
            this.sftpSession = undefined;
            reject(this.error(`SFTP is not available on ${this.label} (${err.message}); enable "Subsystem sftp" in the host's sshd_config`));
            return;
          }
          sftp.on('close', () => {
            this.sftpSession = undefined;
          });
          sftp.on('error', () => undefined);
          resolve(sftp);
        });
      } catch (err) {
        this.sftpSession = undefined;
        reject(this.error(`cannot open SFTP on ${this.label}: ${message(err)}`, 'unreachable'));
      }
    });
    return this.sftpSession;
  }

  /** Calls an SFTP method; a dropped connection rejects it too, and so does the signal (at once). */
  private sftpCall<T>(op: (cb: (err: Error | null | undefined, value?: T) => void) => void, signal?: AbortSignal, what = 'SFTP request'): Promise<T> {
    if (this.closed) return Promise.reject(this.closedError(what));
    if (signal?.aborted) return Promise.reject(this.error(`${what} on ${this.label} was aborted`, 'aborted'));
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        this.pending.delete(onLost);
        signal?.removeEventListener('abort', onAbort);
      };
      const onLost = (err: HostError): void => {
        done();
        reject(err);
      };
      const onAbort = (): void => {
        done();
        reject(this.error(`${what} on ${this.label} was aborted`, 'aborted'));
      };
      this.pending.add(onLost);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        op((err, value) => {
          done();
          if (err) reject(err);
          else resolve(value as T);
        });
      } catch (err) {
        done();
        reject(err);
      }
    });
  }

  /** lstat over SFTP: true, false for "no such file", throws otherwise. */
  private async sftpExists(sftp: SFTPWrapper, file: string): Promise<boolean> {
    try {
      await this.sftpCall((cb) => sftp.lstat(file, cb));
      return true;
    } catch (err) {
      if (sftpCode(err) === SFTP_NO_SUCH_FILE) return false;
      throw err instanceof HostError ? err : this.error(`cannot look at ${file} on ${this.label}: ${message(err)}`);
    }
  }

  private async exists(file: string, sudo: boolean, signal?: AbortSignal): Promise<boolean> {
    if (!sudo) return this.sftpExists(await this.sftp(), file);
    const r = await this.run(['test', '-e', file], { sudo: true, signal, timeoutMs: 30_000 });
    if (r.code === 0) return true;
    if (r.code === 1) return false;
    throw this.error(`cannot look at ${file} on ${this.label}: ${r.stderr.trim() || `exit ${r.code}`}`);
  }

  /** Explains a failed create in `dir`: missing directory, or no permission. */
  private async createError(sftp: SFTPWrapper, file: string, err: unknown, needed = 0): Promise<HostError> {
    if (err instanceof HostError) return err;
    const dir = path.posix.dirname(file);
    const code = sftpCode(err);
    if (code === SFTP_NO_SUCH_FILE || (code === undefined && /no such file/i.test(message(err)))) {
      const dirThere = await this.sftpExists(sftp, dir).catch(() => true);
      if (!dirThere) return this.error(`directory ${dir} does not exist on ${this.label}; create it first (mkdir -p ${dir})`);
    }
    if (code === SFTP_PERMISSION_DENIED) {
      return this.error(`${this.target.user} may not write in ${dir} on ${this.label}; upload with sudo (sudo: true) or log in as root`);
    }
    // A read-only mount is only "Failure" over SFTP.
    return (await this.writeProblem(dir, needed, false)) ?? this.error(`cannot create ${file} on ${this.label}: ${message(err)}`);
  }

  /**
   * Writes the source to a new remote file (exclusive create) with `mode`, in parallel chunks,
   * reporting progress. A partly written file is removed before the error is thrown.
   */
  private async writeNewFile(
    sftp: SFTPWrapper,
    file: string,
    source: UploadSource,
    mode: number,
    onProgress: ((sent: number, total: number) => void) | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    let handle: Buffer;
    try {
      handle = await this.sftpCall<Buffer>((cb) => sftp.open(file, 'wx', { mode: mode & 0o600 }, cb));
    } catch (err) {
      throw await this.createError(sftp, file, err, source.size);
    }
    let open = true;
    try {
      onProgress?.(0, source.size);
      let next = 0;
      let sent = 0;
      let failed = false;
      const worker = async (): Promise<void> => {
        while (!failed && next < source.size) {
          if (signal?.aborted) throw this.error(`upload of ${file} to ${this.label} was aborted`, 'aborted');
          const position = next;
          const length = Math.min(UPLOAD_CHUNK, source.size - position);
          next += length;
          const data = await source.read(position, length);
          await this.sftpCall((cb) => sftp.write(handle, data, 0, data.length, position, cb), signal, `upload of ${file}`);
          sent += length;
          onProgress?.(sent, source.size);
        }
      };
      await Promise.all(
        Array.from({ length: UPLOAD_PARALLEL }, () =>
          worker().catch((err: unknown) => {
            failed = true;
            throw err;
          }),
        ),
      );
      // The umask may have taken bits away at create time; the mode asked for is set here.
      await this.sftpCall((cb) => sftp.fchmod(handle, mode, cb));
      open = false;
      await this.sftpCall((cb) => sftp.close(handle, cb));
    } catch (err) {
      // Bounded: on a connection that went silent these wait for nothing.
      const cleanupUntil = Date.now() + CLEANUP_BOUND_MS;
      if (open) await bounded(this.sftpCall((cb) => sftp.close(handle, cb)), CLEANUP_BOUND_MS).catch(() => undefined);
      await bounded(this.sftpCall((cb) => sftp.unlink(file, cb)), Math.max(0, cleanupUntil - Date.now())).catch(() => undefined);
      if (err instanceof HostError) throw err;
      // SFTP says only "Failure" for a full disk or a read-only mount: look at the directory.
      throw (await this.writeProblem(path.posix.dirname(file), source.size, false, signal)) ?? this.error(`writing ${file} on ${this.label} failed: ${message(err)}`);
    }
  }

  /**
   * Why a write into `dir` failed, when the directory tells: no space left (free against needed),
   * or no permission to write (a read-only mount too). Undefined when neither explains it.
   */
  private async writeProblem(dir: string, needed: number, sudo: boolean, signal?: AbortSignal): Promise<HostError | undefined> {
    try {
      const writable = await this.run(['test', '-w', dir], { sudo, signal, timeoutMs: 15_000 });
      if (writable.code === 1) {
        return this.error(
          `permission denied: ${sudo ? 'root' : this.target.user} may not write in ${dir} on ${this.label} (no write permission, or a read-only mount); ${sudo ? 'check the mount (findmnt ' + dir + ')' : 'upload with sudo (sudo: true), log in as root, or check the mount'}`,
          'permission',
        );
      }
      const df = await this.run(['df', '-P', '-B1', '--', dir], { sudo, signal, timeoutMs: 15_000 });
      const free = Number(df.stdout.trim().split('\n').pop()?.trim().split(/\s+/)[3]);
      if (df.code === 0 && Number.isFinite(free) && free < needed + 64 * 1024) {
        return this.error(
          `no space left on ${this.label} in ${dir}: ${formatBytes(free)} free, ${formatBytes(needed)} needed; free space there (or give that directory more room), then run again`,
          'no-space',
        );
      }
    } catch {
      // the connection may be gone: the caller's own message stands
    }
    return undefined;
  }

  private async openSource(content: Buffer | { localPath: string }): Promise<UploadSource> {
    if (Buffer.isBuffer(content)) {
      return {
        size: content.length,
        read: async (position, length) => content.subarray(position, position + length),
        close: async () => undefined,
      };
    }
    const file = content.localPath;
    try {
      const handle = await fs.open(file, 'r');
      const { size } = await handle.stat();
      return {
        size,
        read: async (position, length) => {
          const buf = Buffer.alloc(length);
          let got = 0;
          while (got < length) {
            const { bytesRead } = await handle.read(buf, got, length - got, position + got);
            if (bytesRead === 0) throw new HostError(`local file ${file} became shorter during the upload`, 'local-file', this.target.address);
            got += bytesRead;
          }
          return buf;
        },
        close: () => handle.close(),
      };
    } catch (err) {
      throw new HostError(`cannot read local file ${file} to upload it to ${this.label}: ${message(err)}`, 'local-file', this.target.address);
    }
  }

  /** `<path>.etcd-tui-backup-<UTC stamp>`, with -2, -3 ... when that name is taken. */
  private async backupName(remotePath: string, sudo: boolean, signal?: AbortSignal): Promise<string> {
    const base = `${remotePath}.etcd-tui-backup-${utcStamp()}`;
    for (let i = 1; i < 100; i++) {
      const name = i === 1 ? base : `${base}-${i}`;
      if (!(await this.exists(name, sudo, signal))) return name;
    }
    throw this.error(`too many backups of ${remotePath} on ${this.label} in one second`);
  }

  async upload(content: Buffer | { localPath: string }, remotePath: string, opts: UploadOptions): Promise<UploadResult> {
    if (!remotePath.startsWith('/') || remotePath.endsWith('/')) {
      throw this.error(`upload to ${this.label}: the remote path must be an absolute file path, got ${JSON.stringify(remotePath)}`);
    }
    if (!Number.isInteger(opts.mode) || opts.mode < 0 || opts.mode > 0o7777) {
      throw this.error(`upload of ${remotePath} to ${this.label}: bad mode ${opts.mode}`);
    }
    if (opts.signal?.aborted) throw this.error(`upload of ${remotePath} to ${this.label} was aborted`, 'aborted');
    const sudo = opts.sudo ?? this.target.sudo;
    const source = await this.openSource(content);
    try {
      return sudo ? await this.uploadWithSudo(source, remotePath, opts) : await this.uploadDirect(source, remotePath, opts);
    } catch (err) {
      throw this.during(err, `upload of ${remotePath}`);
    } finally {
      await source.close().catch(() => undefined);
    }
  }

  private tempPath(remotePath: string): string {
    return path.posix.join(path.posix.dirname(remotePath), `.${path.posix.basename(remotePath)}.etcd-tui-tmp-${randomTag()}`);
  }

  private async uploadDirect(source: UploadSource, remotePath: string, opts: UploadOptions): Promise<UploadResult> {
    const sftp = await this.sftp();
    const tmp = this.tempPath(remotePath);
    await this.writeNewFile(sftp, tmp, source, opts.mode, opts.onProgress, opts.signal);
    let placed = false;
    try {
      if (opts.owner) await this.must(['chown', '--', opts.owner, tmp], false, opts.signal, `chown ${opts.owner} ${tmp}`);
      const replaced = await this.sftpExists(sftp, remotePath);
      let backup: string | undefined;
      if (replaced && opts.backup !== false) {
        backup = await this.backupName(remotePath, false, opts.signal);
        await this.must(['cp', '-p', '--', remotePath, backup], false, opts.signal, `backup of ${remotePath}`);
      }
      if (opts.signal?.aborted) throw this.error(`upload of ${remotePath} to ${this.label} was aborted`, 'aborted');
      await this.rename(sftp, tmp, remotePath, opts.signal);
      placed = true;
      return { path: remotePath, ...(backup ? { backup } : {}), replaced, bytes: source.size };
    } finally {
      if (!placed) await bounded(this.sftpCall((cb) => sftp.unlink(tmp, cb)), CLEANUP_BOUND_MS).catch(() => undefined);
    }
  }

  /** rename(2) over the destination: posix-rename@openssh.com when the server has it, else mv -f. */
  private async rename(sftp: SFTPWrapper, from: string, to: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.sftpCall((cb) => sftp.ext_openssh_rename(from, to, cb));
      return;
    } catch (err) {
      if (err instanceof HostError) throw err;
      // ssh2 throws at once when the server lacks the extension; an SFTP status means it tried.
      if (sftpCode(err) !== undefined) throw this.error(`cannot move ${from} to ${to} on ${this.label}: ${message(err)}`);
    }
    await this.must(['mv', '-f', '--', from, to], false, signal, `mv ${from} ${to}`);
  }

  private async uploadWithSudo(source: UploadSource, remotePath: string, opts: UploadOptions): Promise<UploadResult> {
    const sftp = await this.sftp();
    // Staged where the login user may write, readable by that user only, then installed by root.
    const stage = `/tmp/.etcd-tui-upload-${randomTag()}`;
    await this.writeNewFile(sftp, stage, source, 0o600, opts.onProgress, opts.signal);
    try {
      const tmp = this.tempPath(remotePath);
      const dir = path.posix.dirname(remotePath);
      const [user, group] = (opts.owner ?? '').split(':');
      const installArgv = [
        'install',
        '-m',
        opts.mode.toString(8).padStart(4, '0'),
        ...(user ? ['-o', user] : []),
        ...(group ? ['-g', group] : []),
        '--',
        stage,
        tmp,
      ];
      const installed = await this.run(installArgv, { sudo: true, signal: opts.signal, timeoutMs: 120_000 });
      if (installed.code !== 0) {
        await this.run(['rm', '-f', '--', tmp], { sudo: true, timeoutMs: 30_000 }).catch(() => undefined);
        const dirThere = await this.run(['test', '-d', dir], { sudo: true, signal: opts.signal, timeoutMs: 30_000 });
        if (dirThere.code === 1) throw this.error(`directory ${dir} does not exist on ${this.label}; create it first (mkdir -p ${dir})`);
        const problem = await this.writeProblem(dir, source.size, true, opts.signal);
        if (problem) throw problem;
        throw this.error(`install of ${tmp} on ${this.label} failed: ${installed.stderr.trim().split('\n').pop() || `exit ${installed.code}`}`);
      }
      let placed = false;
      try {
        const replaced = await this.exists(remotePath, true, opts.signal);
        let backup: string | undefined;
        if (replaced && opts.backup !== false) {
          backup = await this.backupName(remotePath, true, opts.signal);
          await this.must(['cp', '-p', '--', remotePath, backup], true, opts.signal, `backup of ${remotePath}`);
        }
        if (opts.signal?.aborted) throw this.error(`upload of ${remotePath} to ${this.label} was aborted`, 'aborted');
        await this.must(['mv', '-f', '--', tmp, remotePath], true, opts.signal, `mv ${tmp} ${remotePath}`);
        placed = true;
        return { path: remotePath, ...(backup ? { backup } : {}), replaced, bytes: source.size };
      } finally {
        if (!placed) await this.run(['rm', '-f', '--', tmp], { sudo: true, timeoutMs: 30_000 }).catch(() => undefined);
      }
    } finally {
      await bounded(this.sftpCall((cb) => sftp.unlink(stage, cb)), CLEANUP_BOUND_MS).catch(() => undefined);
    }
  }

  // ---- reading ----

  async readFile(remotePath: string, opts: { sudo?: boolean; maxBytes?: number } = {}): Promise<Buffer | undefined> {
    const sudo = opts.sudo ?? this.target.sudo;
    const max = opts.maxBytes ?? DEFAULT_READ_MAX_BYTES;
    const tooBig = (): HostError => this.error(`${remotePath} on ${this.label} is larger than ${max} bytes; not read`);
    if (sudo) {
      const chunks: Buffer[] = [];
      let size = 0;
      const errDecoder = new TextDecoder('utf-8');
      let stderr = '';
      // head -c bounds what comes over the wire; one byte more than allowed tells "too big".
      const argv = sudoArgv(['head', '-c', String(max + 1), '--', remotePath]);
      const outcome = await this.exec(argv, true, { timeoutMs: 300_000 }, {
        stdout: (d) => {
          chunks.push(d);
          size += d.length;
        },
        stderr: (d) => {
          if (stderr.length < 64 * 1024) stderr += errDecoder.decode(d, { stream: true });
        },
      });
      this.checkSudo(outcome.code, stderr);
      if (outcome.code !== 0) {
        if (/No such file or directory/.test(stderr)) return undefined;
        throw this.error(`cannot read ${remotePath} on ${this.label}: ${stderr.trim().split('\n').pop() || `exit ${outcome.code}`}`);
      }
      if (size > max) throw tooBig();
      return Buffer.concat(chunks, size);
    }
    const sftp = await this.sftp();
    try {
      const stats = await this.sftpCall<{ size: number }>((cb) => sftp.stat(remotePath, cb));
      if (stats.size > max) throw tooBig();
      return await this.sftpCall<Buffer>((cb) => sftp.readFile(remotePath, cb));
    } catch (err) {
      if (err instanceof HostError) throw err;
      if (sftpCode(err) === SFTP_NO_SUCH_FILE) return undefined;
      if (sftpCode(err) === SFTP_PERMISSION_DENIED) {
        throw this.error(`${this.target.user} may not read ${remotePath} on ${this.label}; read it with sudo (sudo: true) or log in as root`);
      }
      throw this.error(`cannot read ${remotePath} on ${this.label}: ${message(err)}`);
    }
  }
}
