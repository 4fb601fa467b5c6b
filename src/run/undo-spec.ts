/** The undo steps of remote work as data: what the run journal records and `etcd-tui undo` replays (src/run/undo-steps.ts). Types only. */
export type UndoSpec =
  /** A member this run added. */
  | { kind: 'member-remove'; name: string; memberId: string }
  /** A data dir: whatever etcd wrote is moved aside; a directory this run made and left empty is removed. */
  | { kind: 'data-dir-aside'; host: string; path: string; existed: boolean; mode: string }
  /** A directory this run made (removed when empty). */
  | { kind: 'rmdir'; host: string; path: string }
  /** A file this run replaced: its backup goes back. */
  | { kind: 'restore-file'; host: string; path: string; backup: string; unit: boolean }
  /** A file that was not there before. */
  | { kind: 'remove-file'; host: string; path: string; unit: boolean }
  /** restart: a member whose old files came back (the rolling engine's undo). */
  | { kind: 'systemctl'; host: string; verb: 'disable' | 'stop' | 'restart'; unit: string }
  /** An upload that was cut off: its temporary files (the file itself was not put in place). */
  | { kind: 'upload-leftovers'; host: string; path: string }
  /** A service this run stopped while it ran: started again. */
  | { kind: 'service-start'; host: string; unit: string }
  /** A path this run moved aside: whatever is at `path` now is moved aside (never deleted), then `aside` is `path` again. */
  | { kind: 'put-back'; host: string; path: string; aside: string };
