/**
 * Saving a snapshot stream to a file so that only a complete, verified snapshot ever carries the
 * final name: the bytes go to FILE.part (created exclusively, mode 0600); the sha256 of the database
 * part is computed while streaming (a 32-byte tail window holds back what may be the trailer) and
 * checked against etcd's trailer; the file goes to disk in steps while streaming (fdatasync every
 * 64 MiB) and is fsynced while it is read back by the bbolt reader (src/snapshot), both through
 * before it is published under FILE without ever replacing an existing file, the directory fsynced, and a
 * JSON sidecar (FILE.json) written the same way. On any failure FILE.part is removed: it was created
 * by this run (O_EXCL), holds no data that exists nowhere else, and a full disk must not stay full.
 * A stream with a recycle(chunk) method (src/cluster/snapshot-stream.ts) gets each chunk back once it
 * is written, to fill it again.
 */
import crypto from 'node:crypto';
import { errorMessage } from '../domain/errors.js';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SHA256_SIZE, snapshotStatus, type SnapshotStatus } from '../snapshot/status.js';
import { SnapshotError } from '../snapshot/errors.js';
import { LeafDigestCollector } from '../snapshot/leaf-digests.js';
import { formatBytes, formatDuration } from '../format/units.js';
import { hexId } from '../format/ids.js';
import { traceStartup } from '../diagnostics/startup-trace.js';

/**
 * The running sha256 of a stream whose last 32 bytes are a trailer: everything but the newest 32
 * bytes seen so far goes into the hash; those stay in a window (no copy of the large chunks, no
 * second pass over the file).
 */
export class TrailerHasher {
  private readonly hash = crypto.createHash('sha256');
  private tail: Buffer = Buffer.alloc(0);
  /** Bytes seen, trailer included. */
  total = 0;

  update(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.total += chunk.length;
    const spill = this.tail.length + chunk.length - SHA256_SIZE;
    if (spill <= 0) {
      this.tail = Buffer.concat([this.tail, chunk]);
      return;
    }
    if (spill <= this.tail.length) {
      // A small chunk: the oldest bytes of the window are data now.
      this.hash.update(this.tail.subarray(0, spill));
      this.tail = Buffer.concat([this.tail.subarray(spill), chunk]);
      return;
    }
    this.hash.update(this.tail);
    const fromChunk = spill - this.tail.length;
    this.hash.update(chunk.subarray(0, fromChunk));
    // A copy: the window must not pin the whole chunk.
    this.tail = Buffer.from(chunk.subarray(fromChunk));
  }

  /** At the end: the sha256 of the data, the trailer, and whether they agree. */
  finish(): { dataSize: number; actual: string; expected: string; ok: boolean } {
    if (this.tail.length < SHA256_SIZE) {
      throw new SnapshotSaveError('short', `the stream ended after ${this.total} bytes: too short for a snapshot with its 32-byte sha256 trailer`);
    }
    const actual = this.hash.digest('hex');
    const expected = this.tail.toString('hex');
    return { dataSize: this.total - SHA256_SIZE, actual, expected, ok: actual === expected };
  }
}

/** Why a save failed. */
export type SaveErrorKind = 'exists' | 'stream' | 'short' | 'sha256' | 'verify' | 'stalled' | 'aborted' | 'io' | 'sidecar';

export class SnapshotSaveError extends Error {
  override name = 'SnapshotSaveError';
  constructor(
    readonly kind: SaveErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Who the snapshot came from, for the sidecar. IDs are decimal uint64 strings. */
export interface SnapshotSource {
  clusterId: string;
  memberId: string;
  memberName: string;
  endpoint: string;
  etcdVersion: string;
}

/** The sidecar FILE.json: where, when and what, so a snapshot can be told apart from another later. */
export interface SnapshotSidecar {
  file: string;
  time: string;
  startedAt: string;
  clusterId: string;
  clusterIdHex: string;
  memberId: string;
  memberIdHex: string;
  memberName: string;
  endpoint: string;
  etcdVersion: string;
  /** The snapshot's revision (the newest revision in its "key" bucket, as etcdutl reports it). */
  revision: number;
  /** File size in bytes, trailer included. */
  size: number;
  /** sha256 (hex) of the database part: the value of etcd's trailer. */
  sha256: string;
  /** What `etcdutl snapshot status` reports for the file. */
  status: { hash: number; hashHex: string; revision: number; totalKey: number; totalSize: number };
  durationMs: number;
}

export interface SaveSnapshotOptions {
  /** The member's snapshot stream: the bbolt database followed by its 32-byte sha256. */
  stream: Readable;
  /** The final path; FILE.part and FILE.json sit next to it. */
  file: string;
  /** The member's DB size, for progress (the stream is that plus 32 bytes). */
  expectedSize?: number;
  /** Called at most every progressIntervalMs while bytes arrive, and once at the end of the stream. */
  onProgress?: (bytes: number, bytesPerSecond: number) => void;
  /** Called once the stream is complete and checked, before the file is read back. */
  onVerify?: () => void;
  signal?: AbortSignal;
  /** For the sidecar; without it no sidecar is written. */
  source?: SnapshotSource;
  progressIntervalMs?: number;
  /** Fail when no byte arrives for this long (default: no bound besides the stream's own deadline). */
  stallMs?: number;
  now?: () => number;
  /** fdatasync while streaming every this many bytes (default 64 MiB; tests make it small). */
  syncEveryBytes?: number;
}

export interface SavedSnapshot {
  file: string;
  sidecarFile?: string;
  sidecar?: SnapshotSidecar;
  /** Bytes written, trailer included. */
  size: number;
  sha256: string;
  status: SnapshotStatus;
  /** The whole save; of it, the stream (with the sha256 and the syncs during it) and the read-back (with the final fsync, which runs beside it). */
  durationMs: number;
  streamMs: number;
  verifyMs: number;
  bytesPerSecond: number;
}

/** The files a save creates or must not find: FILE, FILE.part, FILE.json. */
export function snapshotPaths(file: string): { file: string; part: string; sidecar: string } {
  return { file, part: `${file}.part`, sidecar: `${file}.json` };
}

/** Which of the files a save would create exist already (a save refuses then: it never overwrites). */
export async function existingSnapshotFiles(file: string): Promise<string[]> {
  const p = snapshotPaths(file);
  const found: string[] = [];
  for (const f of [p.file, p.part, p.sidecar]) {
    try {
      await fsp.lstat(f);
      found.push(f);
    } catch {
      // absent: fine
    }
  }
  return found;
}

/** A sliding-window rate over the last few seconds, so a stall shows at once. */
class RateMeter {
  private readonly samples: Array<{ at: number; bytes: number }> = [];
  constructor(
    private readonly start: number,
    private readonly windowMs = 3000,
  ) {}

  rate(at: number, bytes: number): number {
    this.samples.push({ at, bytes });
    while (this.samples.length > 2 && at - this.samples[1].at >= this.windowMs) this.samples.shift();
    const first = this.samples[0];
    if (this.samples.length < 2 || at - first.at < 200) {
      const elapsed = at - this.start;
      return elapsed > 0 ? (bytes * 1000) / elapsed : 0;
    }
    return ((bytes - first.bytes) * 1000) / (at - first.at);
  }
}

/** While streaming, the written bytes go to disk every this many bytes (fdatasync beside the stream). */
const SYNC_EVERY_BYTES = 64 << 20;

/**
 * A file sink that writes what accumulated while the previous write ran in one writev. Every
 * SYNC_EVERY_BYTES it starts an fdatasync that runs while the stream goes on, so the disk works
 * while the network does and the final fsync (flush()) has little left to write.
 */
class FileSink extends Writable {
  private unsynced = 0;
  private syncing?: Promise<void>;
  private syncError?: unknown;

  constructor(
    private readonly fh: FileHandle,
    private readonly syncEveryBytes = SYNC_EVERY_BYTES,
    /** Hands written chunks back to the stream that made them (src/cluster/snapshot-stream.ts reuses them). */
    private readonly recycle?: (chunk: Buffer) => void,
  ) {
    super({ highWaterMark: 1 << 20 });
  }

  private syncInBackground(): void {
    if (this.syncing || this.unsynced < this.syncEveryBytes) return;
    this.unsynced = 0;
    this.syncing = this.fh
      .datasync()
      .catch((error: unknown) => {
        this.syncError ??= error;
      })
      .finally(() => {
        this.syncing = undefined;
      });
  }

  /** The background sync's failure, if any (a write error surfaces on the next write or at the end). */
  private async settled(): Promise<void> {
    await this.syncing;
    if (this.syncError !== undefined) throw this.syncError;
  }

  /** Everything written reaches the disk (data and metadata): after the background sync, one fsync. */
  async flush(): Promise<void> {
    await this.settled();
    await this.fh.sync();
  }

  private async writeAll(buffers: Buffer[]): Promise<void> {
    let rest = buffers;
    while (rest.length > 0) {
      const { bytesWritten } = await this.fh.writev(rest);
      let n = bytesWritten;
      // A short write (a full disk reports ENOSPC on the next call): write the rest.
      while (rest.length > 0 && n >= rest[0].length) {
        n -= rest[0].length;
        rest = rest.slice(1);
      }
      if (rest.length > 0 && n > 0) rest = [rest[0].subarray(n), ...rest.slice(1)];
      if (bytesWritten === 0 && rest.length > 0) throw new Error('write returned 0 bytes');
    }
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    if (this.syncError !== undefined) return callback(this.syncError as Error);
    const buffers = chunks.map((c) => c.chunk);
    this.writeAll(buffers).then(() => {
      for (const b of buffers) this.unsynced += b.length;
      if (this.recycle) for (const b of buffers) this.recycle(b);
      this.syncInBackground();
      callback();
    }, callback);
  }

  /** The end of the stream: the background sync done (the final fsync is flush(), beside the read-back). */
  override _final(callback: (error?: Error | null) => void): void {
    this.settled().then(() => callback(), callback);
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Give `part` the name `final` without replacing anything: a hard link fails when `final` exists
 * (rename would silently replace it). Where hard links are not supported, rename after a check.
 */
async function publish(part: string, final: string): Promise<void> {
  try {
    await fsp.link(part, final);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new SnapshotSaveError('exists', `${final} appeared while the snapshot was being saved; it was left untouched`);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
    if (await fsp.lstat(final).then(() => true, () => false)) throw new SnapshotSaveError('exists', `${final} appeared while the snapshot was being saved; it was left untouched`);
    await fsp.rename(part, final);
    return;
  }
  await fsp.unlink(part);
}

function ioMessage(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e?.code === 'ENOSPC') return 'no space left on the device';
  if (e?.code === 'EDQUOT') return 'disk quota exceeded';
  return e?.message ?? String(error);
}

/** Write a small file next to the snapshot the same way: exclusive .part, fsync, publish. */
async function writeSidecar(file: string, text: string): Promise<void> {
  const part = `${file}.part`;
  const fh = await fsp.open(part, 'wx', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } catch (error) {
    await fh.close().catch(() => undefined);
    await fsp.unlink(part).catch(() => undefined);
    throw error;
  }
  await fh.close();
  try {
    await publish(part, file);
  } catch (error) {
    await fsp.unlink(part).catch(() => undefined);
    throw error;
  }
}

/** Stream, check, fsync, verify, publish; see the file comment. Throws SnapshotSaveError; leaves no FILE.part behind. */
export async function saveSnapshot(opts: SaveSnapshotOptions): Promise<SavedSnapshot> {
  const now = opts.now ?? Date.now;
  const started = now();
  const paths = snapshotPaths(path.resolve(opts.file));
  const dir = path.dirname(paths.file);
  const { stream, signal } = opts;
  // The stream may fail before the pipeline listens (an auth error while the files are checked):
  // an 'error' without a listener would end the process.
  let early: unknown;
  const onEarlyError = (error: unknown) => {
    early ??= error;
  };
  stream.on('error', onEarlyError);

  if (signal?.aborted) {
    stream.destroy();
    throw new SnapshotSaveError('aborted', 'aborted before the snapshot was saved');
  }
  for (const f of [paths.file, paths.sidecar]) {
    if (await fsp.lstat(f).then(() => true, () => false)) {
      stream.destroy();
      throw new SnapshotSaveError('exists', `${f} exists: a snapshot is never overwritten; choose another file name`);
    }
  }
  let fh: FileHandle;
  try {
    fh = await fsp.open(paths.part, 'wx', 0o600);
  } catch (error) {
    stream.destroy();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new SnapshotSaveError('exists', `${paths.part} exists (left by an interrupted save, or a save running now): remove it or choose another file name`);
    throw new SnapshotSaveError('io', `cannot create ${paths.part}: ${ioMessage(error)}`, { cause: error });
  }

  let created = true;
  let fhOpen = true;
  const cleanup = async () => {
    if (fhOpen) {
      fhOpen = false;
      await fh.close().catch(() => undefined);
    }
    if (created) {
      created = false;
      await fsp.unlink(paths.part).catch(() => undefined);
    }
  };

  const hasher = new TrailerHasher();
  // Large leaves' keys and values hashed as they pass (the main thread waits on etcd most of the
  // stream): the read-back then reads their keys, not their values (src/snapshot/leaf-digests.ts).
  const leaves = new LeafDigestCollector();
  const meter = new RateMeter(started);
  const interval = opts.progressIntervalMs ?? 250;
  let lastProgress = -Infinity;
  let stalled: SnapshotSaveError | undefined;
  let stallTimer: NodeJS.Timeout | undefined;
  const tap = new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _encoding, callback) {
      if (hasher.total === 0) traceStartup('snapshot-first-chunk');
      hasher.update(chunk);
      leaves.push(chunk);
      stallTimer?.refresh();
      const at = now();
      if (opts.onProgress && at - lastProgress >= interval) {
        lastProgress = at;
        opts.onProgress(hasher.total, meter.rate(at, hasher.total));
      }
      callback(null, chunk);
    },
  });
  if (opts.stallMs) {
    const stallMs = opts.stallMs;
    stallTimer = setTimeout(() => {
      stalled = new SnapshotSaveError('stalled', `no data for ${formatDuration(stallMs)} after ${formatBytes(hasher.total)}: the member stopped sending`);
      stream.destroy(stalled);
    }, stallMs);
  }

  // A stream that reuses its chunks gets them back once they are on disk (the sha256 tap has seen
  // them before, and the trailer window copies what it keeps).
  const recycling = stream as Readable & { recycle?: (chunk: Buffer) => void };
  const sink = new FileSink(fh, opts.syncEveryBytes, typeof recycling.recycle === 'function' ? (chunk) => recycling.recycle?.(chunk) : undefined);
  let synced: Promise<void> | undefined;
  try {
    try {
      if (early !== undefined) throw early;
      await pipeline(stream, tap, sink, signal ? { signal } : {});
    } catch (error) {
      throw early ?? error;
    } finally {
      clearTimeout(stallTimer);
      stream.off('error', onEarlyError);
    }
    const sum = hasher.finish();
    const elapsed = Math.max(1, now() - started);
    opts.onProgress?.(hasher.total, (hasher.total * 1000) / elapsed);
    if (!sum.ok) {
      throw new SnapshotSaveError('sha256', `sha256 mismatch: the trailer says ${sum.expected}, the ${formatBytes(sum.dataSize)} received hash to ${sum.actual}; the snapshot is corrupt and was not kept`);
    }
    const streamed = now();
    traceStartup('snapshot-streamed');
    // The final fsync runs while the file is read back (the read-back sees the same bytes before and
    // after it); both must be through before the file gets its name.
    synced = sink.flush();
    synced.catch(() => undefined); // awaited below; a failed read-back must not leave it unhandled
    opts.onVerify?.();
    let status: SnapshotStatus;
    try {
      status = await snapshotStatus(paths.part, { knownSha256: sum.actual, leafDigests: leaves.digests });
    } catch (error) {
      const text = error instanceof SnapshotError ? error.message : ioMessage(error);
      throw new SnapshotSaveError('verify', `the received snapshot does not read back as a valid database: ${text}; it was not kept`, { cause: error });
    }
    traceStartup('snapshot-read-back');
    try {
      await synced;
      traceStartup('snapshot-synced');
    } catch (error) {
      throw new SnapshotSaveError('io', `writing ${paths.part} to disk failed after ${formatBytes(hasher.total)}: ${ioMessage(error)}; the partial file was removed`, { cause: error });
    }
    fhOpen = false;
    await fh.close();
    if (!status.sha256.ok || status.sha256.actual !== sum.actual || status.fileSize !== hasher.total) {
      throw new SnapshotSaveError('verify', `the file on disk differs from what was received (sha256 ${status.sha256.actual ?? 'none'} vs ${sum.actual}, ${status.fileSize} vs ${hasher.total} bytes); it was not kept`);
    }
    if (signal?.aborted) throw new SnapshotSaveError('aborted', 'aborted before the snapshot was published');
    await publish(paths.part, paths.file);
    created = false;
    await fsyncDir(dir);
    traceStartup('snapshot-published');
    const verifyMs = now() - streamed;
    const durationMs = Math.max(1, now() - started);
    const result: SavedSnapshot = { file: paths.file, size: hasher.total, sha256: sum.actual, status, durationMs, streamMs: streamed - started, verifyMs, bytesPerSecond: (hasher.total * 1000) / durationMs };
    if (opts.source) {
      const s = opts.source;
      const sidecar: SnapshotSidecar = {
        file: path.basename(paths.file),
        time: new Date(now()).toISOString(),
        startedAt: new Date(started).toISOString(),
        clusterId: s.clusterId,
        clusterIdHex: hexId(s.clusterId),
        memberId: s.memberId,
        memberIdHex: hexId(s.memberId),
        memberName: s.memberName,
        endpoint: s.endpoint,
        etcdVersion: s.etcdVersion,
        revision: status.revision,
        size: hasher.total,
        sha256: sum.actual,
        status: { hash: status.hash, hashHex: status.hash.toString(16), revision: status.revision, totalKey: status.totalKey, totalSize: status.totalSize },
        durationMs,
      };
      try {
        await writeSidecar(paths.sidecar, JSON.stringify(sidecar, null, 2) + '\n');
        await fsyncDir(dir);
      } catch (error) {
        // The snapshot itself is complete and verified: it stays (never delete data).
        throw new SnapshotSaveError('sidecar', `the snapshot was saved and verified as ${paths.file}, but its sidecar ${paths.sidecar} could not be written: ${ioMessage(error)}`, { cause: error });
      }
      result.sidecar = sidecar;
      result.sidecarFile = paths.sidecar;
    }
    return result;
  } catch (error) {
    await synced?.catch(() => undefined);
    await cleanup();
    throw classify(error, { stalled, aborted: signal?.aborted ?? false, part: paths.part, received: hasher.total });
  }
}

function classify(error: unknown, ctx: { stalled?: SnapshotSaveError; aborted: boolean; part: string; received: number }): SnapshotSaveError {
  if (error instanceof SnapshotSaveError) return error;
  if (ctx.stalled) return ctx.stalled;
  if (ctx.aborted) return new SnapshotSaveError('aborted', `aborted after ${formatBytes(ctx.received)}; ${path.basename(ctx.part)} was removed`);
  const code = (error as NodeJS.ErrnoException)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code) && code !== 'ECONNRESET' && code !== 'ECONNREFUSED') {
    return new SnapshotSaveError('io', `writing ${ctx.part} failed after ${formatBytes(ctx.received)}: ${ioMessage(error)}; the partial file was removed`, { cause: error });
  }
  const text = errorMessage(error);
  return new SnapshotSaveError('stream', `the snapshot stream broke after ${formatBytes(ctx.received)}: ${text}; the partial file was removed`, { cause: error });
}
