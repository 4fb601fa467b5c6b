/**
 * The CRC-32C of large leaf pages, taken while a snapshot streams by, so that its read-back need
 * not read their values again (issue 13: overlap the read-back with the stream).
 *
 * etcdutl's hash feeds every key and value of a bucket, in key order, to one CRC-32C. bbolt writes a
 * leaf page's keys and values one after the other, in element order, after the element headers: so
 * a leaf's share of the hash is the CRC-32C of one contiguous byte range of the page (with its
 * overflow pages), which can be taken in file order as the bytes arrive, and put in its place in
 * key order later (crc32cCombine). Only leaves with overflow pages are taken (large values: where
 * the bytes are); a leaf whose layout is anything else (a nested bucket, elements not back to back,
 * a header split oddly) is simply not taken, and the read-back reads it as before.
 *
 * The pages are found in file order: page 0 gives the page size, each page header found names its
 * overflow, and the next header is expected after them; a header that does not name its own page id
 * with a known page type is stale (a freed page) and the next page is tried. A wrong guess only costs
 * a digest: the read-back checks every digest it uses against the page on disk (id, type, element
 * count, overflow, where the keys and values start and end) and reads the page when anything differs.
 */
import { BOLT_MAGIC, BRANCH_PAGE_FLAG, contiguousLeaf, ELEMENT_SIZE, FREELIST_PAGE_FLAG, LEAF_PAGE_FLAG, META_PAGE_FLAG, PAGE_HEADER_SIZE, validPageSize, type LeafDigest } from './bbolt.js';
import { crc32cUpdate } from './crc32c.js';

export type { LeafDigest } from './bbolt.js';

const KNOWN_TYPES = new Set([BRANCH_PAGE_FLAG, LEAF_PAGE_FLAG, META_PAGE_FLAG, FREELIST_PAGE_FLAG]);

/** Fed the snapshot's bytes in order (any chunk sizes); `digests` holds the large leaves by page id. */
export class LeafDigestCollector {
  readonly digests = new Map<number, LeafDigest>();
  /** Bytes seen so far. */
  private at = 0;
  private pageSize = 0;
  /** Off for good: not a bbolt file as far as the first page tells. */
  private off = false;
  /** The page whose header comes next (its offset: nextPage * pageSize). */
  private nextPage = 0;
  /** Bytes of the current page's header (and, for a leaf, its elements) gathered so far. */
  private head: Buffer = Buffer.alloc(0);
  private headNeed = PAGE_HEADER_SIZE;
  /** The leaf being hashed: absolute start and end of its key/value bytes. */
  private job?: { id: number; digest: LeafDigest; from: number; to: number; crc: number };
  /** Where the current page (with its overflow) ends: nothing is looked at before that. */
  private skipTo = 0;

  /** Never throws: digests only save work, so anything unexpected turns them off (the read-back reads every page). */
  push(chunk: Buffer): void {
    if (this.off) return;
    try {
      this.take(chunk);
    } catch {
      this.off = true;
      this.job = undefined;
      this.digests.clear();
    }
  }

  private take(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    while (i < n && !this.off) {
      const pos = this.at + i;
      if (this.job) {
        const job = this.job;
        if (pos < job.from) {
          i += Math.min(n - i, job.from - pos);
          continue;
        }
        const take = Math.min(n - i, job.to - pos);
        job.crc = crc32cUpdate(job.crc, chunk.subarray(i, i + take));
        i += take;
        if (pos + take === job.to) {
          this.digests.set(job.id, { ...job.digest, crc: job.crc });
          this.job = undefined;
        }
        continue;
      }
      if (pos < this.skipTo) {
        i += Math.min(n - i, this.skipTo - pos);
        continue;
      }
      // Gathering the header of page nextPage (and its elements).
      const take = Math.min(n - i, this.headNeed - this.head.length);
      this.head = this.head.length === 0 && take === this.headNeed ? chunk.subarray(i, i + take) : Buffer.concat([this.head, chunk.subarray(i, i + take)]);
      i += take;
      if (this.head.length === this.headNeed) this.onHead();
    }
    this.at += n;
    // A header kept across chunks must not pin the chunk (the stream reuses it).
    if (this.head.length > 0 && this.head.buffer === chunk.buffer) this.head = Buffer.from(this.head);
  }

  /** The header (and, for a leaf, the elements) of page nextPage is complete. */
  private onHead(): void {
    const h = this.head;
    if (this.pageSize === 0) {
      // Page 0 is a meta page: its header, then magic, version, page size.
      if (this.headNeed === PAGE_HEADER_SIZE) {
        this.headNeed = PAGE_HEADER_SIZE + 12;
        return;
      }
      const ps = h.readUInt32LE(PAGE_HEADER_SIZE + 8);
      if (h.readUInt32LE(PAGE_HEADER_SIZE) !== BOLT_MAGIC || !validPageSize(ps)) {
        this.off = true;
        return;
      }
      this.pageSize = ps;
      this.next(1);
      return;
    }
    const ps = this.pageSize;
    const id = this.nextPage;
    const base = id * ps;
    const selfId = h.readBigUInt64LE(0);
    const flags = h.readUInt16LE(8);
    const count = h.readUInt16LE(10);
    const overflow = h.readUInt32LE(12);
    if (selfId !== BigInt(id) || !KNOWN_TYPES.has(flags)) {
      // Stale or not a page header: try the next page.
      this.next(id + 1);
      return;
    }
    const after = id + overflow + 1;
    if (flags !== LEAF_PAGE_FLAG || overflow === 0 || count === 0) {
      this.next(after);
      return;
    }
    const elementsEnd = PAGE_HEADER_SIZE + count * ELEMENT_SIZE;
    if (h.length < elementsEnd) {
      if (elementsEnd > ps) {
        this.next(after);
        return;
      }
      this.headNeed = elementsEnd;
      return;
    }
    const layout = contiguousLeaf(h, count, (overflow + 1) * ps);
    if (!layout) {
      this.next(after);
      return;
    }
    const { start, end } = layout;
    this.job = { id, digest: { count, overflow, start, end, crc: 0 }, from: base + start, to: base + end, crc: 0 };
    this.next(after);
  }

  private next(page: number): void {
    this.nextPage = page;
    this.skipTo = page * this.pageSize;
    this.head = Buffer.alloc(0);
    this.headNeed = PAGE_HEADER_SIZE;
  }
}
