/**
 * The audit log as the console follows it: read once (its last few MiB: an old log can be large),
 * then only what was appended since, asynchronously. A log truncated, rewritten or rotated (another
 * file at the path) is read afresh. A torn last line (a flow writing it) is left for the next read.
 * The parsed records are kept for every reader (the timeline, the member names, the backup age).
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { AuditLine } from '../health/backup.js';

/** How much of the log is kept (and read at first): the newest records within this many bytes. */
export const AUDIT_WINDOW_BYTES = 4 << 20;
/** Bytes before the read offset compared at each read: a log rewritten in place no longer has them. */
const CHECK_BYTES = 64;

/** One audit record from one line of the log; undefined for a line that is not one (torn, foreign). */
export function parseAuditLine(line: string): AuditLine | undefined {
  if (!line.trim()) return undefined;
  try {
    const r = JSON.parse(line) as AuditLine;
    if (typeof r.time === 'string' && typeof r.command === 'string') return { ...r, arguments: r.arguments ?? {} };
  } catch {
    // a torn line while a flow writes, or not JSON
  }
  return undefined;
}

/** Where the reader stands in the file it read last. */
interface Position {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  /** Bytes read so far (up to the end of the last complete line). */
  offset: number;
  /** The last bytes before `offset`, to notice a file rewritten under the same name and inode. */
  check: Buffer;
}

async function readRange(fh: FileHandle, start: number, end: number): Promise<Buffer> {
  const buffer = Buffer.alloc(end - start);
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await fh.read(buffer, done, buffer.length - done, start + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}

export class AuditTail {
  private entries: Array<{ line: AuditLine; bytes: number }> = [];
  private bytes = 0;
  private position?: Position;
  private loaded = false;
  private cached?: AuditLine[];
  private inflight?: Promise<boolean>;
  /** Full reads so far (the first one, and each after a truncation or rotation): tests look. */
  fullReads = 0;

  constructor(
    readonly path: string,
    private readonly windowBytes = AUDIT_WINDOW_BYTES,
  ) {}

  /** The records known, oldest first (none before the first read, or when the log does not exist). */
  get lines(): AuditLine[] {
    return (this.cached ??= this.entries.map((e) => e.line));
  }

  /** The log has been looked at once (records or not). */
  get ready(): boolean {
    return this.loaded;
  }

  /** Reads what is new; true when the records changed (always on the first read). One read at a time: a call during one shares it. */
  refresh(): Promise<boolean> {
    return (this.inflight ??= this.readNew().finally(() => {
      this.loaded = true;
      this.inflight = undefined;
    }));
  }

  private async readNew(): Promise<boolean> {
    const first = !this.loaded;
    let fh: FileHandle;
    try {
      // Most looks find the log as it was: one stat, nothing opened.
      const p = this.position;
      const now = await stat(this.path);
      if (!first && p && p.dev === now.dev && p.ino === now.ino && p.size === now.size && p.mtimeMs === now.mtimeMs) return false;
      fh = await open(this.path, 'r');
    } catch {
      // No log (yet), or one that cannot be read: no records.
      const had = this.position !== undefined || this.entries.length > 0;
      this.forget();
      return first || had;
    }
    try {
      const st = await fh.stat();
      const p = this.position;
      const sameFile = p !== undefined && p.dev === st.dev && p.ino === st.ino && st.size >= p.offset;
      if (sameFile && st.size === p.size && st.mtimeMs === p.mtimeMs) return first;
      if (sameFile) {
        const start = p.offset - p.check.length;
        const data = await readRange(fh, start, st.size);
        if (data.subarray(0, p.check.length).equals(p.check)) return this.take(data, start, p.check.length, st, false) || first;
      }
      // First read, or the log was truncated, rewritten or rotated: its newest window afresh.
      const start = Math.max(0, st.size - this.windowBytes);
      const data = await readRange(fh, start, st.size);
      // Read from the middle of the file: the first line is cut.
      const skip = start > 0 ? data.indexOf(0x0a) + 1 : 0;
      this.forget();
      this.fullReads++;
      this.take(data, start, skip, st, true);
      return true;
    } catch {
      this.forget();
      return true;
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  /** Takes the complete lines of `data` (read at `start`) after its first `from` bytes; true when records were added. */
  private take(data: Buffer, start: number, from: number, st: { dev: number; ino: number; size: number; mtimeMs: number }, fresh: boolean): boolean {
    const end = data.lastIndexOf(0x0a) + 1;
    const complete = end > from ? data.subarray(from, end) : Buffer.alloc(0);
    let added = 0;
    if (complete.length > 0) {
      for (const text of complete.toString('utf8').split('\n')) {
        const line = parseAuditLine(text);
        if (!line) continue;
        const bytes = Buffer.byteLength(text) + 1;
        this.entries.push({ line, bytes });
        this.bytes += bytes;
        added++;
      }
    }
    const offset = end > from ? start + end : (this.position?.offset ?? start + from);
    const checkFrom = Math.max(0, offset - CHECK_BYTES - start);
    const check = Buffer.from(data.subarray(checkFrom, offset - start));
    this.position = { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, offset, check };
    if (added > 0) this.trim();
    if (added > 0 || fresh) this.cached = undefined;
    return added > 0;
  }

  /** Only the newest window of records is kept. */
  private trim(): void {
    let drop = 0;
    while (this.bytes > this.windowBytes && drop < this.entries.length) this.bytes -= this.entries[drop++].bytes;
    if (drop > 0) this.entries.splice(0, drop);
  }

  private forget(): void {
    this.entries = [];
    this.bytes = 0;
    this.position = undefined;
    this.cached = undefined;
  }
}
