/**
 * A read-only reader of bbolt database files (go.etcd.io/bbolt, the storage
 * of etcd's backend and of its snapshot files), in pure TypeScript.
 *
 * Pages are read on demand with positioned reads (files can be gigabytes; the
 * whole file is never loaded) and a bounded number of bytes of pages is cached.
 * Every walk verifies what it reads: page ids against the high-water mark,
 * page types, element offsets inside their page, key order (within a page and
 * against the branch keys above it), and that no page is reached twice. A full
 * scan (check() or scan()) also verifies the freelist, when the file has one,
 * and that every page below the high-water mark is either in use or free, like
 * bbolt's tx.Check(). Any problem throws a SnapshotError with a one-line message.
 *
 * On-disk format (little endian):
 *   page header   id u64 | flags u16 | count u16 | overflow u32      (16 bytes)
 *   meta (pages 0, 1, after the header)
 *                 magic u32 0xED0CDAED | version u32 2 | pageSize u32 | flags u32 |
 *                 root {pgid u64, sequence u64} | freelist pgid u64 | pgid (high-water mark) u64 |
 *                 txid u64 | checksum u64 = FNV-1a 64 of the 56 bytes before it
 *   branch element pos u32 | ksize u32 | pgid u64                     (16 bytes)
 *   leaf element   flags u32 (1 = bucket) | pos u32 | ksize u32 | vsize u32 (16 bytes)
 *                 pos is relative to the element's own address; the value follows the key.
 *   bucket value   root pgid u64 (0 = inline) | sequence u64, then for an inline bucket a leaf page.
 *   freelist page  count ids u64 (count 0xFFFF: the first u64 holds the count).
 */
import fs from 'node:fs';
import { SnapshotError } from './errors.js';
import { humanizeBytes } from './units.js';

export const BOLT_MAGIC = 0xed0cdaed;
export const BOLT_VERSION = 2;
export const PAGE_HEADER_SIZE = 16;
export const ELEMENT_SIZE = 16;
export const BUCKET_HEADER_SIZE = 16;
export const META_SIZE = 64;

export const BRANCH_PAGE_FLAG = 0x01;
export const LEAF_PAGE_FLAG = 0x02;
export const META_PAGE_FLAG = 0x04;
export const FREELIST_PAGE_FLAG = 0x10;
export const BUCKET_LEAF_FLAG = 0x01;

/** meta.freelist when the freelist is not written to disk (NoFreelistSync, as etcd runs bbolt). */
export const PGID_NO_FREELIST = 0xffff_ffff_ffff_ffffn;

const MIN_PAGE_SIZE = 512;
const MAX_PAGE_SIZE = 1 << 24;
const DEFAULT_CACHE_BYTES = 8 << 20;
/** Pages read at once (and cached together): 128 KiB of 4 KiB pages. */
const BLOCK_PAGES = 32;

// ---------------------------------------------------------------------------
// Sources

/** Positioned, synchronous reads of a file or a buffer. */
export interface PageSource {
  /** Size in bytes. */
  readonly size: number;
  /** Reads up to target.length bytes at `position`; returns how many were read (fewer only at the end). */
  read(target: Uint8Array, position: number): number;
  close(): void;
}

/** A source over an open file (opened here from `path`, or a descriptor that the caller owns). */
export function fileSource(file: string | number): PageSource {
  let fd: number;
  const owned = typeof file === 'string';
  try {
    fd = typeof file === 'string' ? fs.openSync(file, 'r') : file;
  } catch (err) {
    throw new SnapshotError('io', `cannot open ${String(file)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  let size: number;
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (err) {
    if (owned) fs.closeSync(fd);
    throw new SnapshotError('io', `cannot read ${String(file)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  let closed = false;
  return {
    size,
    read(target, position) {
      let done = 0;
      while (done < target.length) {
        let n: number;
        try {
          n = fs.readSync(fd, target, done, target.length - done, position + done);
        } catch (err) {
          throw new SnapshotError('io', `cannot read ${String(file)} at offset ${position + done}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        }
        if (n === 0) break;
        done += n;
      }
      return done;
    },
    close() {
      if (owned && !closed) {
        closed = true;
        fs.closeSync(fd);
      }
    },
  };
}

/** A source over bytes already in memory (tests, small files). */
export function bufferSource(buf: Uint8Array): PageSource {
  return {
    size: buf.length,
    read(target, position) {
      if (position >= buf.length) return 0;
      const n = Math.min(target.length, buf.length - position);
      target.set(buf.subarray(position, position + n));
      return n;
    },
    close() {
      // nothing to release
    },
  };
}

// ---------------------------------------------------------------------------
// Meta pages

export interface BoltMeta {
  /** Which meta page (0 or 1). */
  index: 0 | 1;
  magic: number;
  version: number;
  pageSize: number;
  flags: number;
  /** Root page of the root bucket. */
  root: number;
  sequence: bigint;
  /** Freelist page, or null when the freelist is not on disk (PGID_NO_FREELIST). */
  freelist: number | null;
  /** High-water mark: the number of pages the database uses (tx.Size() = pgid * pageSize). */
  pgid: number;
  txid: bigint;
  checksum: bigint;
  /** Why the meta page is not valid (undefined when it is). */
  problem?: string;
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const U64_MASK = 0xffff_ffff_ffff_ffffn;

/** FNV-1a 64 (Go's hash/fnv New64a). */
export function fnv1a64(data: Uint8Array): bigint {
  let h = FNV_OFFSET;
  for (let i = 0; i < data.length; i++) {
    h ^= BigInt(data[i]);
    h = (h * FNV_PRIME) & U64_MASK;
  }
  return h;
}

function u64n(buf: Buffer, off: number): number {
  // Exact below 2^53; beyond that only used to say "out of range".
  return Number(buf.readBigUInt64LE(off));
}

/** Parses the meta at the start of `page` (a page buffer: header then meta). */
export function parseMeta(page: Buffer, index: 0 | 1): BoltMeta {
  const m = PAGE_HEADER_SIZE;
  const freelistRaw = page.readBigUInt64LE(m + 32);
  const meta: BoltMeta = {
    index,
    magic: page.readUInt32LE(m),
    version: page.readUInt32LE(m + 4),
    pageSize: page.readUInt32LE(m + 8),
    flags: page.readUInt32LE(m + 12),
    root: u64n(page, m + 16),
    sequence: page.readBigUInt64LE(m + 24),
    freelist: freelistRaw === PGID_NO_FREELIST ? null : Number(freelistRaw),
    pgid: u64n(page, m + 40),
    txid: page.readBigUInt64LE(m + 48),
    checksum: page.readBigUInt64LE(m + 56),
  };
  // bbolt's meta.validate(): magic, version, checksum.
  if (meta.magic !== BOLT_MAGIC) {
    meta.problem = `bad magic 0x${meta.magic.toString(16).padStart(8, '0')} (want 0x${BOLT_MAGIC.toString(16)})`;
  } else if (meta.version !== BOLT_VERSION) {
    meta.problem = `unsupported version ${meta.version} (want ${BOLT_VERSION})`;
  } else {
    const sum = fnv1a64(page.subarray(m, m + 56));
    if (sum !== meta.checksum) {
      meta.problem = `checksum mismatch (stored ${meta.checksum.toString(16).padStart(16, '0')}, computed ${sum.toString(16).padStart(16, '0')})`;
    }
  }
  return meta;
}

// ---------------------------------------------------------------------------
// Pages

/** A page as read: a file page (with its overflow) or an inline bucket's page inside a value. */
export interface BoltPage {
  /** Page id (for an inline page, the id of the file page holding it). */
  id: number;
  flags: number;
  count: number;
  overflow: number;
  /** The bytes; the header starts at `base`, the page ends at `end`. */
  buf: Buffer;
  base: number;
  end: number;
  inline: boolean;
  /** The bytes are the reusable buffer of transientValues: valid until the next page read. */
  transient?: boolean;
}

function pageLabel(p: BoltPage): string {
  return p.inline ? `the inline bucket in page ${p.id}` : `page ${p.id}`;
}

function describeKey(key: Uint8Array): string {
  const b = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  const printable = b.every((c) => c >= 0x20 && c < 0x7f);
  const text = printable ? JSON.stringify(b.toString('latin1')) : `0x${b.toString('hex')}`;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export interface BoltOpenOptions {
  /**
   * How many bytes of the source belong to the database (default: all). A
   * snapshot's trailing 32-byte sha256 is not part of it.
   */
  dataSize?: number;
  /** Upper bound for the page cache (default 8 MiB). */
  cacheBytes?: number;
  /**
   * 'strict' (default): a meta page that fails validation is an error.
   * 'fallback': like bbolt, use the other meta page when one is bad.
   */
  metaPolicy?: 'strict' | 'fallback';
  /**
   * In scan(): read a leaf page that spans blocks (a large value and its overflow pages) into one
   * buffer that the next such read reuses, instead of a new buffer each time (a scan of large
   * values otherwise leaves tens of MB of dead buffers for the collector: the peak RSS of a
   * snapshot read-back). The keys and values a scan hands out are then valid only during the
   * visitor's call. Default false.
   */
  transientValues?: boolean;
}

/** A leaf page's keys and values, hashed elsewhere (src/snapshot/leaf-digests.ts): what a scan checks before it uses `crc`. */
export interface LeafDigest {
  count: number;
  overflow: number;
  /** Where the first key starts and the last value ends, as offsets from the page's first byte. */
  start: number;
  end: number;
  /** CRC-32C of bytes start..end. */
  crc: number;
}

/**
 * The layout a leaf digest relies on, read from the first `PAGE_HEADER_SIZE + count * ELEMENT_SIZE`
 * bytes of a leaf page spanning `span` bytes: no nested bucket, the first key after the element
 * headers, each key right after the previous value, the last value inside the span. Returns where
 * each key is and where the keys and values start and end, or undefined for any other layout.
 */
export function contiguousLeaf(head: Buffer, count: number, span: number): { start: number; end: number; keyAt: number[]; keyLength: number[] } | undefined {
  const elementsEnd = PAGE_HEADER_SIZE + count * ELEMENT_SIZE;
  if (count === 0 || head.length < elementsEnd) return undefined;
  const keyAt: number[] = [];
  const keyLength: number[] = [];
  let end = elementsEnd;
  for (let i = 0; i < count; i++) {
    const at = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
    const keyStart = at + head.readUInt32LE(at + 4);
    const ksize = head.readUInt32LE(at + 8);
    if ((head.readUInt32LE(at) & BUCKET_LEAF_FLAG) !== 0 || (i === 0 ? keyStart < elementsEnd : keyStart !== end)) return undefined;
    end = keyStart + ksize + head.readUInt32LE(at + 12);
    if (end > span) return undefined;
    keyAt.push(keyStart);
    keyLength.push(ksize);
  }
  return { start: keyAt[0], end, keyAt, keyLength };
}

/** Receives the contents of the root buckets, in key order. */
export interface ScanVisitor {
  /** A root bucket starts. */
  bucket?(name: Buffer): void;
  /**
   * A key of the current root bucket; value is null when the key is a nested bucket (like bbolt's
   * ForEach), or when `hashed`: the key and its value are part of the digest given to digested()
   * just before (the value was not read).
   */
  entry?(key: Buffer, value: Buffer | null, hashed?: boolean): void;
  /**
   * The digest of leaf page `id` taken while the file streamed (src/snapshot/leaf-digests.ts), or
   * undefined to have the page read as usual. A digest is used only if the page on disk has the
   * layout it describes; then digested() gets it and entry() each key, without its value.
   */
  digestFor?(id: number): LeafDigest | undefined;
  digested?(digest: LeafDigest): void;
}

interface WalkState {
  /** Pages reached in this walk (index = page id), to find pages reached twice. */
  reached: Uint8Array;
  /** Pages on the freelist (full scans of files with a freelist). */
  freed?: Uint8Array;
  /** Large leaf pages may be read into the reusable buffer (transientValues, in a scan). */
  transient?: boolean;
  /** In a scan with a visitor that has digests (ScanVisitor.digestFor). */
  digestFor?: (id: number) => LeafDigest | undefined;
  digested?: (digest: LeafDigest) => void;
}

/** A leaf element: its key, its raw value (a bucket header when isBucket), where it is. */
type EntryFn = (key: Buffer, value: Buffer, isBucket: boolean, page: BoltPage, index: number, hashed?: boolean) => void;

const NO_BYTES = Buffer.alloc(0);

/**
 * An open bbolt file. Not safe for concurrent use; Buffers handed out are
 * views of page buffers that are never reused (keep them as long as needed).
 */
export class BoltDB {
  readonly source: PageSource;
  readonly pageSize: number;
  /** Both meta pages as parsed (an invalid one has `problem`). */
  readonly metas: readonly [BoltMeta, BoltMeta];
  /** The meta in use: the valid one with the higher txid. */
  readonly meta: BoltMeta;
  /** Bytes of the source that belong to the database. */
  readonly dataSize: number;
  private readonly cacheBytes: number;
  /** Page cache: blocks of BLOCK_PAGES pages by block number, least recently used first. */
  private readonly blocks = new Map<number, Buffer>();
  private cached = 0;
  private readonly ownsSource: boolean;
  private readonly transientValues: boolean;
  /** The reusable buffer of transientValues. */
  private scratch?: Buffer;
  /** A page header read alone (transientValues). */
  private header?: Buffer;

  private constructor(source: PageSource, ownsSource: boolean, opts: BoltOpenOptions) {
    this.source = source;
    this.ownsSource = ownsSource;
    this.transientValues = opts.transientValues ?? false;
    this.cacheBytes = opts.cacheBytes ?? DEFAULT_CACHE_BYTES;
    const dataSize = opts.dataSize ?? source.size;
    if (dataSize > source.size || dataSize < 0) throw new RangeError(`dataSize ${dataSize} is outside the source (size ${source.size})`);
    this.dataSize = dataSize;
    const { pageSize, metas } = this.readMetas(opts.metaPolicy ?? 'strict');
    this.pageSize = pageSize;
    this.metas = metas;
    this.meta = this.chooseMeta(metas, opts.metaPolicy ?? 'strict');
    this.checkMetaBounds();
  }

  /** Opens a bbolt file by path (or an open descriptor, which stays the caller's). */
  static openFile(file: string | number, opts: BoltOpenOptions = {}): BoltDB {
    const src = fileSource(file);
    try {
      return new BoltDB(src, true, opts);
    } catch (err) {
      src.close();
      throw err;
    }
  }

  static fromBuffer(buf: Uint8Array, opts: BoltOpenOptions = {}): BoltDB {
    return new BoltDB(bufferSource(buf), true, opts);
  }

  static fromSource(source: PageSource, opts: BoltOpenOptions = {}): BoltDB {
    return new BoltDB(source, false, opts);
  }

  /** The high-water mark: pages in use by the database, meta and free pages included. */
  get pageCount(): number {
    return this.meta.pgid;
  }

  /** tx.Size(): pageCount * pageSize (what etcdutl reports as total size). */
  get size(): number {
    return this.meta.pgid * this.pageSize;
  }

  close(): void {
    this.blocks.clear();
    this.cached = 0;
    if (this.ownsSource) this.source.close();
  }

  // -------------------------------------------------------------------------
  // Opening

  private readRaw(position: number, length: number): Buffer {
    // Not zero-filled (a tenth of a read-back's time went to that): only the bytes read are returned.
    const buf = Buffer.allocUnsafe(length);
    const n = this.source.read(buf, position);
    return n === length ? buf : buf.subarray(0, n);
  }

  private readMetas(policy: 'strict' | 'fallback'): { pageSize: number; metas: [BoltMeta, BoltMeta] } {
    const size = this.dataSize;
    const total = `(size ${humanizeBytes(size)})`;
    if (size < PAGE_HEADER_SIZE + META_SIZE) {
      if (size === 0) throw new SnapshotError('invalid', 'not a bbolt database: the file is empty');
      throw new SnapshotError('truncated', `snapshot is truncated: the file ends inside meta page 0 ${total}`, { page: 0 });
    }
    // Like bbolt's getPageSize(): meta 0 at offset 0, else meta 1 at 1 KiB << i.
    const first = this.readRaw(0, Math.min(4096, size));
    const meta0 = parseMeta(first, 0);
    let pageSize = 0;
    let meta1: BoltMeta | undefined;
    if (!meta0.problem && validPageSize(meta0.pageSize)) {
      pageSize = meta0.pageSize;
    } else {
      for (let i = 0; i <= 14; i++) {
        const pos = 1024 << i;
        if (pos + PAGE_HEADER_SIZE + META_SIZE > size) break;
        const m = parseMeta(this.readRaw(pos, PAGE_HEADER_SIZE + META_SIZE), 1);
        if (!m.problem && m.pageSize === pos) {
          pageSize = pos;
          meta1 = m;
          break;
        }
      }
    }
    if (pageSize === 0) {
      if (meta0.magic !== BOLT_MAGIC) throw new SnapshotError('invalid', `not a bbolt database: meta page 0 has ${meta0.problem ?? 'a bad page size'} and no valid meta page 1 was found`, { page: 0 });
      throw new SnapshotError('corrupt', `snapshot is corrupt: meta page 0 has ${meta0.problem ?? `an invalid page size ${meta0.pageSize}`} and no valid meta page 1 was found`, { page: 0 });
    }
    if (size < 2 * pageSize) {
      throw new SnapshotError('truncated', `snapshot is truncated: page 1 (meta) lies beyond the end of the file ${total}`, { page: 1 });
    }
    const page0 = first.length >= pageSize ? first.subarray(0, pageSize) : this.readRaw(0, pageSize);
    const page1 = this.readRaw(pageSize, pageSize);
    const metas: [BoltMeta, BoltMeta] = [parseMeta(page0, 0), meta1 ?? parseMeta(page1, 1)];
    if (policy === 'strict') {
      for (const [i, page] of [page0, page1].entries()) {
        const m = metas[i];
        const other = metas[1 - i];
        const fallback = other.problem ? 'the other meta page is bad too' : `bbolt would fall back to meta page ${other.index} (txid ${other.txid})`;
        if (m.problem) throw new SnapshotError('corrupt', `snapshot is corrupt: meta page ${i} has ${m.problem}; ${fallback}`, { page: i });
        const id = u64n(page, 0);
        const flags = page.readUInt16LE(8);
        if (id !== i || (flags & META_PAGE_FLAG) === 0) {
          throw new SnapshotError('corrupt', `snapshot is corrupt: meta page ${i} has a bad page header (id ${id}, flags 0x${flags.toString(16)}); ${fallback}`, { page: i });
        }
        if (m.pageSize !== pageSize) {
          throw new SnapshotError('corrupt', `snapshot is corrupt: meta page ${i} gives page size ${m.pageSize}, meta page ${other.index} gives ${other.pageSize}`, { page: i });
        }
      }
    }
    return { pageSize, metas };
  }

  private chooseMeta(metas: [BoltMeta, BoltMeta], policy: 'strict' | 'fallback'): BoltMeta {
    // bbolt's db.meta(): the higher txid if it validates, else the other.
    const [a, b] = metas[1].txid > metas[0].txid ? [metas[1], metas[0]] : [metas[0], metas[1]];
    const usable = (m: BoltMeta): boolean => !m.problem && m.pageSize === this.pageSize;
    if (usable(a)) return a;
    // Only reachable with 'fallback' ('strict' has already refused a bad meta page).
    if (policy === 'fallback' && usable(b)) return b;
    throw new SnapshotError('corrupt', `snapshot is corrupt: both meta pages are invalid (meta 0: ${metas[0].problem ?? 'page size mismatch'}; meta 1: ${metas[1].problem ?? 'page size mismatch'})`, { page: 0 });
  }

  private checkMetaBounds(): void {
    const m = this.meta;
    const hwm = m.pgid;
    const where = `meta page ${m.index}`;
    if (!Number.isSafeInteger(hwm) || hwm < 3) {
      throw new SnapshotError('corrupt', `snapshot is corrupt: ${where} gives an impossible page count ${m.pgid}`, { page: m.index });
    }
    if (hwm * this.pageSize > this.dataSize) {
      const firstMissing = Math.floor(this.dataSize / this.pageSize);
      throw new SnapshotError(
        'truncated',
        `snapshot is truncated: page ${firstMissing} lies beyond the end of the file (size ${humanizeBytes(this.dataSize)} = ${this.dataSize} bytes; the database needs ${hwm} pages of ${this.pageSize} = ${hwm * this.pageSize} bytes)`,
        { page: firstMissing },
      );
    }
    if (m.root < 2 || m.root >= hwm) {
      throw new SnapshotError('corrupt', `snapshot is corrupt: ${where} gives root page ${m.root}, outside pages 2..${hwm - 1}`, { page: m.index });
    }
    if (m.freelist !== null && (m.freelist < 2 || m.freelist >= hwm)) {
      throw new SnapshotError('corrupt', `snapshot is corrupt: ${where} gives freelist page ${m.freelist}, outside pages 2..${hwm - 1}`, { page: m.index });
    }
  }

  // -------------------------------------------------------------------------
  // Pages

  /** Reads page `id` (with its overflow pages), checking that it lies below the high-water mark and names itself `id`. */
  page(id: number, referrer = 'the database', transient = false): BoltPage {
    const hwm = this.meta.pgid;
    if (!Number.isSafeInteger(id) || id < 0 || id >= hwm) {
      throw new SnapshotError('corrupt', `snapshot is corrupt: ${referrer} refers to page ${id}, beyond the high-water mark (${hwm} pages)`, { page: id });
    }
    const ps = this.pageSize;
    // With transientValues, a page whose block is not cached has its header read alone first: a
    // large value then goes straight to the shared buffer, without reading (and dropping) the
    // 128 KiB block around its first page.
    let first: Buffer | undefined;
    let head: Buffer;
    if (transient && !this.blocks.has(Math.floor(id / BLOCK_PAGES))) {
      head = this.header ??= Buffer.allocUnsafe(PAGE_HEADER_SIZE);
      if (this.source.read(head, id * ps) < PAGE_HEADER_SIZE) head = first = this.pageBytes(id, 1); // reports the truncation
    } else {
      head = first = this.pageBytes(id, 1);
    }
    const selfId = head.readBigUInt64LE(0);
    const flags = head.readUInt16LE(8);
    const count = head.readUInt16LE(10);
    const overflow = head.readUInt32LE(12);
    if (selfId !== BigInt(id)) {
      throw new SnapshotError('corrupt', `snapshot is corrupt: page ${id} (reached from ${referrer}) identifies itself as page ${selfId}`, { page: id });
    }
    if (id + overflow >= hwm) {
      throw new SnapshotError('corrupt', `snapshot is corrupt: page ${id} claims ${overflow} overflow pages, beyond the high-water mark (${hwm} pages)`, { page: id });
    }
    const length = ps * (overflow + 1);
    const crosses = id - Math.floor(id / BLOCK_PAGES) * BLOCK_PAGES + overflow + 1 > BLOCK_PAGES;
    if (transient && crosses && flags & LEAF_PAGE_FLAG) {
      if (!this.scratch || this.scratch.length < length) this.scratch = Buffer.allocUnsafe(Math.max(length, (this.scratch?.length ?? 0) * 2));
      const buf = this.scratch.subarray(0, length);
      if (this.source.read(buf, id * ps) < length) this.readExact(id * ps, length, id); // throws the truncation error
      return { id, flags, count, overflow, buf, base: 0, end: length, inline: false, transient: true };
    }
    const buf = overflow > 0 ? this.pageBytes(id, overflow + 1) : (first ?? this.pageBytes(id, 1));
    return { id, flags, count, overflow, buf: buf.length === ps * (overflow + 1) ? buf : buf.subarray(0, ps * (overflow + 1)), base: 0, end: ps * (overflow + 1), inline: false };
  }

  /**
   * The bytes of pages id..id+n-1 (below the high-water mark, which lies inside
   * the file). Reads whole blocks of BLOCK_PAGES pages and keeps the most
   * recently used ones, up to cacheBytes; a run that crosses a block is read alone.
   */
  private pageBytes(id: number, n: number): Buffer {
    const ps = this.pageSize;
    const block = Math.floor(id / BLOCK_PAGES);
    const inBlock = id - block * BLOCK_PAGES;
    if (inBlock + n <= BLOCK_PAGES) {
      let buf = this.blocks.get(block);
      if (buf) {
        this.blocks.delete(block);
        this.blocks.set(block, buf);
      } else {
        const start = block * BLOCK_PAGES;
        const pages = Math.min(BLOCK_PAGES, this.meta.pgid - start);
        buf = this.readExact(start * ps, pages * ps, start);
        this.blocks.set(block, buf);
        this.cached += buf.length;
        while (this.cached > this.cacheBytes && this.blocks.size > 1) {
          const oldest = this.blocks.keys().next().value as number;
          this.cached -= this.blocks.get(oldest)?.length ?? 0;
          this.blocks.delete(oldest);
        }
      }
      return buf.subarray(inBlock * ps, (inBlock + n) * ps);
    }
    return this.readExact(id * ps, n * ps, id);
  }

  private readExact(position: number, length: number, page: number): Buffer {
    const buf = this.readRaw(position, length);
    if (buf.length < length) {
      const missing = page + Math.floor(buf.length / this.pageSize);
      throw new SnapshotError('truncated', `snapshot is truncated: page ${missing} lies beyond the end of the file (size ${humanizeBytes(this.source.size)})`, { page: missing });
    }
    return buf;
  }

  private elementsFit(p: BoltPage): void {
    if (p.base + PAGE_HEADER_SIZE + p.count * ELEMENT_SIZE > p.end) {
      throw new SnapshotError('corrupt', `snapshot is corrupt: ${pageLabel(p)} claims ${p.count} elements, more than fit in the page`, { page: p.id });
    }
  }

  private elementBytes(p: BoltPage, i: number, start: number, length: number, what: string): Buffer {
    const end = start + length;
    if (end > p.end || start < p.base) {
      throw new SnapshotError('corrupt', `snapshot is corrupt: the ${what} of element ${i} of ${pageLabel(p)} lies outside the page`, { page: p.id });
    }
    return p.buf.subarray(start, end);
  }

  // -------------------------------------------------------------------------
  // Walking

  private newState(freed?: Uint8Array): WalkState {
    return { reached: new Uint8Array(this.meta.pgid), freed };
  }

  private markReached(st: WalkState, p: BoltPage, referrer: string): void {
    for (let i = 0; i <= p.overflow; i++) {
      const id = p.id + i;
      if (st.reached[id]) {
        throw new SnapshotError('corrupt', `snapshot is corrupt: page ${id} is reached twice (again from ${referrer})`, { page: id });
      }
      st.reached[id] = 1;
      if (st.freed && st.freed[id]) {
        throw new SnapshotError('corrupt', `snapshot is corrupt: page ${id} is in use (reached from ${referrer}) but is also on the freelist`, { page: id });
      }
    }
  }

  /**
   * Walks the tree rooted at page `id` in key order; its keys must lie in
   * [lo, hi). With `nested`, buckets inside it are walked (verified) too.
   */
  private *walkPage(id: number, referrer: string, lo: Buffer | null, hi: Buffer | null, st: WalkState, nested: boolean, prev: { key: Buffer | null }, fn: EntryFn): Walk {
    const digest = st.transient && st.digestFor ? st.digestFor(id) : undefined;
    if (digest && this.walkDigested(id, referrer, lo, hi, st, prev, digest, fn)) {
      yield;
      return;
    }
    const p = this.page(id, referrer, st.transient === true && this.transientValues);
    this.markReached(st, p, referrer);
    yield;
    yield* this.walkLoaded(p, lo, hi, st, nested, prev, fn);
  }

  private *walkLoaded(loaded: BoltPage, lo: Buffer | null, hi: Buffer | null, st: WalkState, nested: boolean, prev: { key: Buffer | null }, fn: EntryFn): Walk {
    let p = loaded;
    if (p.flags & BRANCH_PAGE_FLAG && !p.inline) {
      const { keys, children } = this.branchElements(p, lo, hi);
      for (let i = 0; i < keys.length; i++) {
        yield* this.walkPage(children[i], `branch page ${p.id}`, keys[i], i + 1 < keys.length ? keys[i + 1] : hi, st, nested, prev, fn);
      }
      return;
    }
    if (p.flags & LEAF_PAGE_FLAG) {
      // The elements are read in a plain function (fast); nested buckets are walked afterwards.
      let buckets = this.leafElements(p, lo, hi, nested, prev, fn);
      if (p.transient) {
        // The next page read reuses these bytes: keep a copy of what is still needed.
        if (prev.key) prev.key = Buffer.from(prev.key);
        if (buckets) {
          const copy = Buffer.from(p.buf);
          const old = p.buf;
          const at = (b: Buffer) => copy.subarray(b.byteOffset - old.byteOffset, b.byteOffset - old.byteOffset + b.length);
          buckets = buckets.map((b) => ({ index: b.index, key: at(b.key), value: at(b.value) }));
          p = { ...p, buf: copy, transient: false };
        }
      }
      for (const b of buckets ?? []) yield* this.walkBucket(p, b.index, b.key, b.value, st, true, () => undefined);
      return;
    }
    const kind = p.inline ? 'an inline bucket page' : 'a branch or leaf page';
    throw new SnapshotError('corrupt', `snapshot is corrupt: ${pageLabel(p)} has flags 0x${p.flags.toString(16)} where ${kind} is expected`, { page: p.id });
  }

  /**
   * A leaf page with a digest (ScanVisitor.digestFor): its first page is read and must be the leaf
   * the digest describes (id, type, element count, overflow, no nested bucket, keys and values back
   * to back from `start` to `end`); if it is not, nothing happened (false) and the caller reads the
   * page as usual, which reports whatever is wrong. If it is, the keys are read (from the first page,
   * or each by itself from the overflow pages) and checked like leafElements() checks them, the
   * values are not read, and the visitor gets the digest, then the keys.
   */
  private walkDigested(id: number, referrer: string, lo: Buffer | null, hi: Buffer | null, st: WalkState, prev: { key: Buffer | null }, d: LeafDigest, fn: EntryFn): boolean {
    const hwm = this.meta.pgid;
    const ps = this.pageSize;
    const elementsEnd = PAGE_HEADER_SIZE + d.count * ELEMENT_SIZE;
    if (!Number.isSafeInteger(id) || id < 2 || id + d.overflow >= hwm || d.count === 0 || elementsEnd > ps) return false;
    let head: Buffer;
    try {
      head = this.blocks.has(Math.floor(id / BLOCK_PAGES)) ? this.pageBytes(id, 1) : this.readExact(id * ps, ps, id);
    } catch {
      return false;
    }
    if (head.readBigUInt64LE(0) !== BigInt(id) || head.readUInt16LE(8) !== LEAF_PAGE_FLAG || head.readUInt16LE(10) !== d.count || head.readUInt32LE(12) !== d.overflow) return false;
    const span = (d.overflow + 1) * ps;
    const layout = contiguousLeaf(head, d.count, span);
    if (!layout || layout.start !== d.start || layout.end !== d.end) return false;
    const { keyAt, keyLength } = layout;
    const p: BoltPage = { id, flags: LEAF_PAGE_FLAG, count: d.count, overflow: d.overflow, buf: head, base: 0, end: span, inline: false };
    this.markReached(st, p, referrer);
    st.digested?.(d);
    for (let i = 0; i < d.count; i++) {
      const key = keyAt[i] + keyLength[i] <= ps ? head.subarray(keyAt[i], keyAt[i] + keyLength[i]) : this.readExact(id * ps + keyAt[i], keyLength[i], id);
      if (prev.key && Buffer.compare(prev.key, key) >= 0) {
        throw new SnapshotError('corrupt', `snapshot is corrupt: keys out of order in ${pageLabel(p)}: element ${i} ${describeKey(key)} is not greater than the key before it ${describeKey(prev.key)}`, { page: p.id });
      }
      if (i === 0 || i === d.count - 1) this.checkBounds(p, i, key, i === 0 ? lo : null, i === d.count - 1 ? hi : null);
      prev.key = key;
      fn(key, NO_BYTES, false, p, i, true);
    }
    return true;
  }

  /** The keys and child page ids of a branch page, checked: inside the page, strictly increasing, within [lo, hi). */
  private branchElements(p: BoltPage, lo: Buffer | null, hi: Buffer | null): { keys: Buffer[]; children: number[] } {
    this.elementsFit(p);
    if (p.count === 0) throw new SnapshotError('corrupt', `snapshot is corrupt: branch ${pageLabel(p)} has no elements`, { page: p.id });
    const keys: Buffer[] = [];
    const children: number[] = [];
    for (let i = 0; i < p.count; i++) {
      const at = p.base + PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
      const pos = p.buf.readUInt32LE(at);
      const ksize = p.buf.readUInt32LE(at + 4);
      const child = p.buf.readBigUInt64LE(at + 8);
      const key = this.elementBytes(p, i, at + pos, ksize, 'key');
      if (i > 0 && Buffer.compare(keys[i - 1], key) >= 0) {
        throw new SnapshotError('corrupt', `snapshot is corrupt: keys out of order in branch ${pageLabel(p)}: element ${i} ${describeKey(key)} is not greater than ${describeKey(keys[i - 1])}`, { page: p.id });
      }
      // Keys strictly increase within the page: the first and the last bound them all.
      this.checkBounds(p, i, key, i === 0 ? lo : null, i === p.count - 1 ? hi : null);
      keys.push(key);
      children.push(child > MAX_SAFE ? Number.MAX_SAFE_INTEGER : Number(child));
    }
    return { keys, children };
  }

  /**
   * Hands the elements of a leaf page to fn, checked: inside the page, keys
   * strictly increasing (also across pages, through `prev`) and within [lo, hi).
   * With `nested`, returns the nested buckets found, for the caller to walk.
   */
  private leafElements(p: BoltPage, lo: Buffer | null, hi: Buffer | null, nested: boolean, prev: { key: Buffer | null }, fn: EntryFn): { index: number; key: Buffer; value: Buffer }[] | undefined {
    this.elementsFit(p);
    let buckets: { index: number; key: Buffer; value: Buffer }[] | undefined;
    const buf = p.buf;
    for (let i = 0; i < p.count; i++) {
      const at = p.base + PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
      const flags = buf.readUInt32LE(at);
      const pos = buf.readUInt32LE(at + 4);
      const ksize = buf.readUInt32LE(at + 8);
      const vsize = buf.readUInt32LE(at + 12);
      const key = this.elementBytes(p, i, at + pos, ksize, 'key');
      const value = this.elementBytes(p, i, at + pos + ksize, vsize, 'value');
      if (prev.key && Buffer.compare(prev.key, key) >= 0) {
        throw new SnapshotError('corrupt', `snapshot is corrupt: keys out of order in ${pageLabel(p)}: element ${i} ${describeKey(key)} is not greater than the key before it ${describeKey(prev.key)}`, { page: p.id });
      }
      if (i === 0 || i === p.count - 1) this.checkBounds(p, i, key, i === 0 ? lo : null, i === p.count - 1 ? hi : null);
      prev.key = key;
      const isBucket = (flags & BUCKET_LEAF_FLAG) !== 0;
      if (isBucket && nested) (buckets ??= []).push({ index: i, key, value });
      fn(key, value, isBucket, p, i);
    }
    return buckets;
  }

  private checkBounds(p: BoltPage, i: number, key: Buffer, lo: Buffer | null, hi: Buffer | null): void {
    const kind = p.flags & BRANCH_PAGE_FLAG ? 'branch ' : '';
    if (lo && Buffer.compare(key, lo) < 0) {
      throw new SnapshotError('corrupt', `snapshot is corrupt: keys out of order: element ${i} ${describeKey(key)} of ${kind}${pageLabel(p)} is below its parent's key ${describeKey(lo)}`, { page: p.id });
    }
    if (hi && Buffer.compare(key, hi) >= 0) {
      throw new SnapshotError('corrupt', `snapshot is corrupt: keys out of order: element ${i} ${describeKey(key)} of ${kind}${pageLabel(p)} is not below the next key of its parent ${describeKey(hi)}`, { page: p.id });
    }
  }

  /** Walks the bucket whose header is `value` (element `i` of page `p`, key `name`). */
  private *walkBucket(p: BoltPage, i: number, name: Buffer, value: Buffer, st: WalkState, nested: boolean, fn: EntryFn): Walk {
    if (value.length < BUCKET_HEADER_SIZE) {
      throw new SnapshotError('corrupt', `snapshot is corrupt: bucket ${describeKey(name)} (element ${i} of ${pageLabel(p)}) has a ${value.length}-byte header, want ${BUCKET_HEADER_SIZE}`, { page: p.id });
    }
    const root = value.readBigUInt64LE(0);
    if (root !== 0n) {
      const rootId = root > MAX_SAFE ? Number.MAX_SAFE_INTEGER : Number(root);
      yield* this.walkPage(rootId, `bucket ${describeKey(name)} in ${pageLabel(p)}`, null, null, st, nested, { key: null }, fn);
      return;
    }
    // Inline bucket: a leaf page inside the value.
    const base = value.byteOffset - p.buf.byteOffset + BUCKET_HEADER_SIZE;
    const end = value.byteOffset - p.buf.byteOffset + value.length;
    if (base + PAGE_HEADER_SIZE > end) {
      throw new SnapshotError('corrupt', `snapshot is corrupt: inline bucket ${describeKey(name)} (element ${i} of ${pageLabel(p)}) is too short for a page header`, { page: p.id });
    }
    const inline: BoltPage = {
      id: p.id,
      flags: p.buf.readUInt16LE(base + 8),
      count: p.buf.readUInt16LE(base + 10),
      overflow: 0,
      buf: p.buf,
      base,
      end,
      inline: true,
    };
    if ((inline.flags & LEAF_PAGE_FLAG) === 0) {
      throw new SnapshotError('corrupt', `snapshot is corrupt: inline bucket ${describeKey(name)} in ${pageLabel(p)} has page flags 0x${inline.flags.toString(16)}, not a leaf`, { page: p.id });
    }
    yield* this.walkLoaded(inline, null, null, st, nested, { key: null }, fn);
  }

  /** Reads the freelist page (when the file has one) into a bitmap of free pages. */
  private readFreelist(st: WalkState): Uint8Array | undefined {
    const flId = this.meta.freelist;
    if (flId === null) return undefined;
    const referrer = `meta page ${this.meta.index}`;
    const p = this.page(flId, referrer);
    if ((p.flags & FREELIST_PAGE_FLAG) === 0) {
      throw new SnapshotError('corrupt', `snapshot is corrupt: page ${flId} has flags 0x${p.flags.toString(16)} where the freelist is expected`, { page: flId });
    }
    this.markReached(st, p, referrer);
    let idx = 0;
    let count = p.count;
    if (count === 0xffff) {
      if (PAGE_HEADER_SIZE + 8 > p.end) throw new SnapshotError('corrupt', `snapshot is corrupt: freelist page ${flId} is too short`, { page: flId });
      const n = p.buf.readBigUInt64LE(PAGE_HEADER_SIZE);
      count = n > MAX_SAFE ? Number.MAX_SAFE_INTEGER : Number(n);
      idx = 1;
    }
    if (PAGE_HEADER_SIZE + (idx + count) * 8 > p.end) {
      throw new SnapshotError('corrupt', `snapshot is corrupt: freelist page ${flId} lists ${count} pages, more than fit in it`, { page: flId });
    }
    const hwm = BigInt(this.meta.pgid);
    const freed = new Uint8Array(this.meta.pgid);
    for (let i = 0; i < count; i++) {
      const raw = p.buf.readBigUInt64LE(PAGE_HEADER_SIZE + (idx + i) * 8);
      if (raw < 2n || raw >= hwm) {
        throw new SnapshotError('corrupt', `snapshot is corrupt: the freelist (page ${flId}) lists page ${raw}, outside pages 2..${this.meta.pgid - 1}`, { page: flId });
      }
      const id = Number(raw);
      if (freed[id]) throw new SnapshotError('corrupt', `snapshot is corrupt: page ${id} is on the freelist twice`, { page: id });
      if (st.reached[id]) throw new SnapshotError('corrupt', `snapshot is corrupt: page ${id} is on the freelist but holds the freelist itself`, { page: id });
      freed[id] = 1;
    }
    return freed;
  }

  /** The root buckets in key order (the root bucket's tree is walked and checked; its values must be buckets). */
  private rootBuckets(st: WalkState): { name: Buffer; header: Buffer; page: BoltPage; index: number }[] {
    const out: { name: Buffer; header: Buffer; page: BoltPage; index: number }[] = [];
    drain(
      this.walkPage(this.meta.root, `meta page ${this.meta.index}`, null, null, st, false, { key: null }, (name, header, isBucket, page, index) => {
        if (!isBucket) {
          throw new SnapshotError('invalid', `not an etcd database: the root holds a plain key ${describeKey(name)} (in ${pageLabel(page)}), not a bucket`, { page: page.id });
        }
        out.push({ name, header, page, index });
      }),
    );
    return out;
  }

  /** The steps of scan(): one yield per page read. */
  private *scanSteps(visitor: ScanVisitor): Walk {
    const st = this.newState();
    st.reached[0] = 1;
    st.reached[1] = 1;
    st.freed = this.readFreelist(st);
    const roots = this.rootBuckets(st);
    st.transient = true;
    if (visitor.digestFor) {
      st.digestFor = visitor.digestFor.bind(visitor);
      st.digested = visitor.digested?.bind(visitor);
    }
    for (const { name, header, page, index } of roots) {
      visitor.bucket?.(name);
      yield* this.walkBucket(page, index, name, header, st, true, (k, v, isBucket, _page, _index, hashed) => visitor.entry?.(k, isBucket || hashed ? null : v, hashed === true));
    }
    // Like tx.Check(): with a freelist on disk, every page below the
    // high-water mark is either in use or free. (Without one, as etcd writes
    // them, bbolt rebuilds the freelist from the unreachable pages.)
    if (st.freed) {
      for (let id = 2; id < this.meta.pgid; id++) {
        if (!st.reached[id] && !st.freed[id]) {
          throw new SnapshotError('corrupt', `snapshot is corrupt: page ${id} is neither in use nor on the freelist`, { page: id });
        }
      }
    }
  }

  /**
   * One pass over everything, with every check: the root bucket, every bucket
   * (nested ones too) and the freelist. Reports the root buckets and their
   * keys to the visitor in key order (what etcdutl hashes). Throws a
   * SnapshotError on the first problem.
   */
  scan(visitor: ScanVisitor = {}): void {
    drain(this.scanSteps(visitor));
  }

  /**
   * scan(), giving the event loop a turn every `yieldEveryPages` pages (default
   * 256) so that a multi-gigabyte file does not freeze the caller. Do not use
   * this BoltDB for anything else until it settles.
   */
  async scanAsync(visitor: ScanVisitor = {}, opts: { yieldEveryPages?: number } = {}): Promise<void> {
    const every = Math.max(1, opts.yieldEveryPages ?? 256);
    const steps = this.scanSteps(visitor);
    let n = 0;
    while (!steps.next().done) {
      if (++n % every === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** The full consistency check: scan() without a visitor. */
  check(): void {
    this.scan();
  }

  /** Names of the root buckets, in key order. */
  buckets(): Buffer[] {
    return this.rootBuckets(this.newState()).map((b) => b.name);
  }

  /**
   * Calls fn for every key of the root bucket `name`, in key order (value null
   * for a nested bucket, like bbolt's ForEach). Returns false when there is no
   * such bucket. Checks what it reads, but not the rest of the file.
   */
  forEach(name: Uint8Array | string, fn: (key: Buffer, value: Buffer | null) => void): boolean {
    const want = toBuffer(name);
    const st = this.newState();
    const bucket = this.rootBuckets(st).find((b) => b.name.equals(want));
    if (!bucket) return false;
    drain(this.walkBucket(bucket.page, bucket.index, bucket.name, bucket.header, st, false, (k, v, isBucket) => fn(k, isBucket ? null : v)));
    return true;
  }

  /** The value of `key` in root bucket `bucket` (undefined when absent or a nested bucket). */
  get(bucket: Uint8Array | string, key: Uint8Array | string): Buffer | undefined {
    const want = toBuffer(key);
    let out: Buffer | undefined;
    this.forEach(bucket, (k, v) => {
      if (out === undefined && v !== null && k.equals(want)) out = v;
    });
    return out;
  }
}

/** A walk over pages: yields once per page read. */
type Walk = Generator<void, void, undefined>;

function drain(walk: Walk): void {
  while (!walk.next().done) {
    // each step reads and checks one page
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function toBuffer(x: Uint8Array | string): Buffer {
  return typeof x === 'string' ? Buffer.from(x) : Buffer.from(x.buffer, x.byteOffset, x.byteLength);
}

export function validPageSize(n: number): boolean {
  return n >= MIN_PAGE_SIZE && n <= MAX_PAGE_SIZE && (n & (n - 1)) === 0;
}
