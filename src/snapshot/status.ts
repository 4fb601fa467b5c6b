/**
 * `etcdutl snapshot status` in pure TypeScript: reads an etcd snapshot (a
 * bbolt database, usually followed by a 32-byte sha256 of it) and computes
 * what etcdutl 3.5 prints, plus a check of the sha256 trailer.
 *
 * What etcdutl computes (etcdutl/snapshot v3Manager.Status): after bbolt's
 * consistency check, TotalSize = tx.Size() (high-water mark * page size); then
 * for every root bucket in key order it feeds a CRC-32C (Castagnoli) the bucket
 * name, then every key and value of the bucket in key order (a nested bucket
 * contributes its key and no value), counts every pair in TotalKey, and in the
 * bucket "key" takes Revision = the main revision of the last key (8 bytes big
 * endian, then '_', then the 8-byte sub revision, maybe a trailing 't').
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { BoltDB, bufferSource, fileSource, type BoltOpenOptions, type LeafDigest, type PageSource, type ScanVisitor } from './bbolt.js';
import { Crc32c } from './crc32c.js';
import { SnapshotError } from './errors.js';
import { humanizeBytes } from './units.js';

export const SHA256_SIZE = 32;

export interface Sha256Check {
  /** The file ends with a 32-byte trailer (its size is a multiple of 512 plus 32, etcd's own test). */
  present: boolean;
  /** The trailer is present and equals the sha256 of everything before it. */
  ok: boolean;
  /** The trailer (hex), when present. */
  expected?: string;
  /** The sha256 of the database part (hex), when a trailer is present. */
  actual?: string;
}

export interface SnapshotStatus {
  /** CRC-32C over the root buckets' names, keys and values (etcdutl's "hash"). */
  hash: number;
  /** Main revision of the last key of the "key" bucket (0 when it is empty). */
  revision: number;
  /** Key/value pairs in all root buckets. */
  totalKey: number;
  /** High-water mark * page size: the bbolt database size, trailer excluded. */
  totalSize: number;
  /** Size of the file, trailer included. */
  fileSize: number;
  sha256: Sha256Check;
  /** meta/storageVersion (written by etcd >= 3.6; etcdutl 3.6 prints it as "version"). */
  version?: string;
  /** With leafDigests: how many leaf pages were taken from them (their values not read again). */
  digestedLeaves?: number;
}

export interface SnapshotStatusOptions {
  /** Page cache bound for the reader (default 8 MiB). */
  cacheBytes?: number;
  /** See BoltOpenOptions.metaPolicy (default 'strict': a bad meta page is an error). */
  metaPolicy?: BoltOpenOptions['metaPolicy'];
  /**
   * The sha256 (hex) of the database part, when the caller computed it from the very bytes it wrote
   * (a snapshot save hashes while streaming): the trailer is compared with it, and the file is not
   * read a second time for the hash.
   */
  knownSha256?: string;
  /**
   * Large leaf pages hashed while the file streamed (src/snapshot/leaf-digests.ts, a snapshot save):
   * each one whose page on disk has the layout its digest describes is not read for its values.
   */
  leafDigests?: ReadonlyMap<number, LeafDigest>;
}

/**
 * etcd's hasChecksum(): a snapshot written by etcdctl/etcd carries a sha256
 * trailer exactly when its size modulo 512 is 32. (A `db` copied from a data
 * dir is a whole number of pages.)
 */
export function hasSha256Trailer(fileSize: number): boolean {
  return fileSize % 512 === SHA256_SIZE;
}

const REVISION_KEY_MIN = 17;
const SEMVER = /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * Reads the snapshot at `path`: verifies its bbolt structure, computes what
 * `etcdutl snapshot status` prints and checks the sha256 trailer. Throws a
 * SnapshotError when the file is not a readable, consistent bbolt database;
 * a sha256 mismatch is reported in the result (sha256.ok false), not thrown.
 * The file is read page by page and streamed for the sha256, never loaded whole.
 */
export async function snapshotStatus(path: string, opts: SnapshotStatusOptions = {}): Promise<SnapshotStatus> {
  try {
    const st = await fs.promises.stat(path);
    if (!st.isFile()) throw new Error('not a regular file');
  } catch (err) {
    throw new SnapshotError('io', `cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const source = fileSource(path);
  let partial: { status: Omit<SnapshotStatus, 'sha256'>; dataSize: number; trailer?: Buffer };
  try {
    const { db, dataSize, present } = openSnapshot(source, opts);
    const status = await computeStatusAsync(db, source.size, opts.leafDigests);
    partial = { status, dataSize, trailer: present ? readTrailer(source, dataSize) : undefined };
  } finally {
    source.close();
  }
  const { status, dataSize, trailer } = partial;
  const sha256: Sha256Check = { present: trailer !== undefined, ok: false };
  if (trailer) {
    sha256.expected = trailer.toString('hex');
    sha256.actual = opts.knownSha256 ?? (await sha256OfPrefix(path, dataSize));
    sha256.ok = sha256.actual === sha256.expected;
  }
  return { ...status, sha256 };
}

/** snapshotStatus() of a snapshot already in memory. */
export function snapshotStatusOfBuffer(buf: Uint8Array, opts: SnapshotStatusOptions = {}): SnapshotStatus {
  const { status, dataSize, trailer } = statusOfSource(bufferSource(buf), opts);
  const sha256: Sha256Check = { present: trailer !== undefined, ok: false };
  if (trailer) {
    sha256.expected = trailer.toString('hex');
    sha256.actual = crypto.createHash('sha256').update(buf.subarray(0, dataSize)).digest('hex');
    sha256.ok = sha256.actual === sha256.expected;
  }
  return { ...status, sha256 };
}

/** Everything but the sha256 of the data: the bbolt walk, and the trailer's bytes. */
function statusOfSource(source: PageSource, opts: SnapshotStatusOptions): { status: Omit<SnapshotStatus, 'sha256'>; dataSize: number; trailer?: Buffer } {
  const { db, dataSize, present } = openSnapshot(source, opts);
  const status = computeStatus(db, source.size);
  return { status, dataSize, trailer: present ? readTrailer(source, dataSize) : undefined };
}

/** Opens the bbolt part of a snapshot: everything before the sha256 trailer, when there is one. */
function openSnapshot(source: PageSource, opts: SnapshotStatusOptions): { db: BoltDB; dataSize: number; present: boolean } {
  const fileSize = source.size;
  const present = hasSha256Trailer(fileSize);
  const dataSize = present ? fileSize - SHA256_SIZE : fileSize;
  // The status visitor uses each key and value at once: large values may share one read buffer.
  const db = BoltDB.fromSource(source, { dataSize, cacheBytes: opts.cacheBytes, metaPolicy: opts.metaPolicy, transientValues: true });
  if (!present && fileSize % db.pageSize !== 0) {
    throw new SnapshotError(
      'truncated',
      `snapshot is truncated or has trailing bytes: its size ${fileSize} is neither a whole number of ${db.pageSize}-byte pages nor that plus a 32-byte sha256`,
    );
  }
  return { db, dataSize, present };
}

function readTrailer(source: PageSource, dataSize: number): Buffer {
  const trailer = Buffer.alloc(SHA256_SIZE);
  if (source.read(trailer, dataSize) !== SHA256_SIZE) {
    throw new SnapshotError('truncated', 'snapshot is truncated: the sha256 trailer ends early');
  }
  return trailer;
}

/** The status of an open database (no sha256 check). Walks the whole file once. */
export function computeStatus(db: BoltDB, fileSize = db.source.size): Omit<SnapshotStatus, 'sha256'> {
  const acc = new StatusAccumulator();
  db.scan(acc);
  return acc.result(db, fileSize);
}

/** computeStatus(), giving the event loop a turn every few hundred pages. */
export async function computeStatusAsync(db: BoltDB, fileSize = db.source.size, digests?: ReadonlyMap<number, LeafDigest>): Promise<Omit<SnapshotStatus, 'sha256'>> {
  const acc = new StatusAccumulator(digests);
  await db.scanAsync(acc);
  return acc.result(db, fileSize);
}

/** The scan visitor that computes etcdutl's numbers. */
class StatusAccumulator implements ScanVisitor {
  private readonly h = new Crc32c();
  private totalKey = 0;
  private revision = 0;
  private current = '';
  private version: string | undefined;
  private digestedLeaves = 0;

  constructor(private readonly digests?: ReadonlyMap<number, LeafDigest>) {}

  bucket(name: Buffer): void {
    this.current = name.toString('latin1');
    this.h.update(name);
  }

  /** Not in "meta": its values are looked at (storageVersion). */
  digestFor(id: number): LeafDigest | undefined {
    return this.digests && this.current !== 'meta' ? this.digests.get(id) : undefined;
  }

  digested(d: LeafDigest): void {
    this.h.append(d.crc, d.end - d.start);
    this.digestedLeaves++;
  }

  entry(key: Buffer, value: Buffer | null, hashed = false): void {
    if (!hashed) {
      this.h.update(key);
      if (value) this.h.update(value);
    }
    this.totalKey++;
    if (this.current === 'key') {
      if (key.length < REVISION_KEY_MIN) {
        throw new SnapshotError('invalid', `not an etcd snapshot: the "key" bucket holds a ${key.length}-byte key 0x${key.toString('hex')}; revision keys have ${REVISION_KEY_MIN} or more`);
      }
      this.revision = Number(key.readBigInt64BE(0));
    } else if (this.current === 'meta' && value && key.toString('latin1') === 'storageVersion') {
      const text = value.toString('utf8');
      if (SEMVER.test(text)) this.version = text.replace(/^v/, '');
    }
  }

  result(db: BoltDB, fileSize: number): Omit<SnapshotStatus, 'sha256'> {
    const out: Omit<SnapshotStatus, 'sha256'> = { hash: this.h.digest(), revision: this.revision, totalKey: this.totalKey, totalSize: db.size, fileSize };
    if (this.version !== undefined) out.version = this.version;
    if (this.digests) out.digestedLeaves = this.digestedLeaves;
    return out;
  }
}

/** sha256 (hex) of the first `length` bytes of the file, streamed. */
export async function sha256OfPrefix(path: string, length: number): Promise<string> {
  const hash = crypto.createHash('sha256');
  if (length > 0) {
    const stream = fs.createReadStream(path, { start: 0, end: length - 1, highWaterMark: 1 << 20 });
    let seen = 0;
    try {
      for await (const chunk of stream) {
        hash.update(chunk as Buffer);
        seen += (chunk as Buffer).length;
      }
    } catch (err) {
      throw new SnapshotError('io', `cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    if (seen !== length) throw new SnapshotError('truncated', `snapshot is truncated: read ${seen} of ${length} bytes for the sha256`);
  }
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------
// Output in etcdutl's shapes

export interface FormatOptions {
  /** Add etcdutl 3.6's "version" field/column (3.5 has none). */
  withVersion?: boolean;
}

/** `etcdutl snapshot status -w json` (3.5: {"hash","revision","totalKey","totalSize"}). */
export function formatStatusJson(s: SnapshotStatus, opts: FormatOptions = {}): string {
  const obj: Record<string, number | string> = { hash: s.hash, revision: s.revision, totalKey: s.totalKey, totalSize: s.totalSize };
  if (opts.withVersion) obj.version = s.version ?? '';
  return JSON.stringify(obj);
}

/** The cells etcdutl prints: hash in unpadded hex, size through humanize.Bytes. */
export function statusRow(s: SnapshotStatus, opts: FormatOptions = {}): { header: string[]; row: string[] } {
  const header = ['hash', 'revision', 'total keys', 'total size'];
  const row = [s.hash.toString(16), String(s.revision), String(s.totalKey), humanizeBytes(s.totalSize)];
  if (opts.withVersion) {
    header.push('version');
    row.push(s.version ?? '');
  }
  return { header, row };
}

/** `-w simple`: "20d4387f, 4, 9, 20 kB". */
export function formatStatusSimple(s: SnapshotStatus): string {
  const { row } = statusRow(s);
  return row.join(', ');
}

/** `-w fields`. */
export function formatStatusFields(s: SnapshotStatus): string {
  return [`"Hash" : ${s.hash}`, `"Revision" : ${s.revision}`, `"Keys" : ${s.totalKey}`, `"Size" : ${s.totalSize}`].join('\n');
}

/**
 * `-w table` (the default), as olekukonko/tablewriter draws it: upper-case
 * centred headers, right-aligned cells, one space of padding.
 */
export function formatStatusTable(s: SnapshotStatus, opts: FormatOptions = {}): string {
  const { header, row } = statusRow(s, opts);
  const heads = header.map((h) => h.toUpperCase());
  const widths = heads.map((h, i) => Math.max(h.length, row[i].length));
  const line = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const center = (text: string, w: number): string => {
    const gap = w - text.length;
    const left = Math.floor(gap / 2);
    return ' '.repeat(left) + text + ' '.repeat(gap - left);
  };
  const headLine = `|${heads.map((h, i) => ` ${center(h, widths[i])} `).join('|')}|`;
  const rowLine = `|${row.map((c, i) => ` ${c.padStart(widths[i])} `).join('|')}|`;
  return [line, headLine, line, rowLine, line].join('\n');
}

/** One line about the sha256 trailer, for people. */
export function formatSha256(s: SnapshotStatus): string {
  const c = s.sha256;
  if (!c.present) return 'sha256: no trailer (a db copied from a data dir? restore needs --skip-hash-check)';
  if (c.ok) return `sha256: ok (${c.actual})`;
  return `sha256: MISMATCH: the trailer says ${c.expected}, the data hashes to ${c.actual}`;
}

/** The table followed by the sha256 line. */
export function formatStatusText(s: SnapshotStatus, opts: FormatOptions = {}): string {
  return `${formatStatusTable(s, opts)}\n${formatSha256(s)}`;
}
