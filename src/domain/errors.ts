/** Typed errors an operator acts on; each message is one line that says what to do. */
import type { ErrorKind } from './types.js';

/** A bad configuration value: which value, what is wrong, what to do. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(message: string) {
    super(message);
  }
}

/** A failure talking to the cluster, classified. */
export class ClusterError extends Error {
  override name = 'ClusterError';
  constructor(
    message: string,
    readonly kind: ErrorKind,
  ) {
    super(message);
  }
}

/** What went wrong with a remote host. */
export type HostErrorKind =
  /** known_hosts has another key for this host: possible man-in-the-middle, or a reinstalled host. */
  | 'host-key-changed'
  /** The key is not in known_hosts and the operator did not (or could not) confirm it. */
  | 'host-key-unknown'
  /** The server refused every key (or the agent had none). */
  | 'auth'
  /** No TCP connection (refused, no route, DNS). */
  | 'unreachable'
  | 'timeout'
  /** sudo -n needs a password or is not allowed. */
  | 'sudo'
  /** A local file (key, known_hosts, upload source) cannot be read or written. */
  | 'local-file'
  /** A remote file system is full (the message gives free against needed). */
  | 'no-space'
  /** A remote write was refused (permission, read-only mount). */
  | 'permission'
  | 'aborted'
  | 'other';

/** A failure talking to a remote host, classified; the message names the host and says what to do. */
export class HostError extends Error {
  override name = 'HostError';
  constructor(
    message: string,
    readonly kind: HostErrorKind,
    readonly host: string,
  ) {
    super(message);
  }
}
