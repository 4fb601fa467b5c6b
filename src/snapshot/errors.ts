/**
 * The one error type of the snapshot reader. Its message is a single line that
 * says what is wrong with the file ("snapshot is truncated: page 812 lies
 * beyond the end of the file (size 3.2 MB)").
 */

/**
 * - truncated: the file ends before the data the database refers to.
 * - corrupt: the bytes contradict the bbolt format (bad checksum, bad page
 *   type, offsets outside a page, keys out of order, a page reachable twice...).
 * - invalid: not a bbolt database at all, or not an etcd one (a plain key at
 *   the root, a revision key of the wrong length).
 * - io: the file could not be read.
 */
export type SnapshotErrorKind = 'truncated' | 'corrupt' | 'invalid' | 'io';

export class SnapshotError extends Error {
  readonly kind: SnapshotErrorKind;
  /** The page the problem was found on, when there is one. */
  readonly page?: number;

  constructor(kind: SnapshotErrorKind, message: string, opts: { page?: number; cause?: unknown } = {}) {
    super(message.replace(/\s*\n\s*/g, ' '), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SnapshotError';
    this.kind = kind;
    if (opts.page !== undefined) this.page = opts.page;
  }
}

export function isSnapshotError(err: unknown): err is SnapshotError {
  return err instanceof SnapshotError;
}
