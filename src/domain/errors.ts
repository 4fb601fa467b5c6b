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

/** One function turns anything thrown into the one line an operator reads (never a stack trace). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A plan step failed; the message is the sentence the operator reads. The executor stops the run there. */
export class StepError extends Error {
  override name = 'StepError';
}

/** The run (or a wait inside it) was aborted by the operator or a signal. */
export class AbortedError extends Error {
  override name = 'AbortedError';
  constructor(message = 'aborted') {
    super(message);
  }
}

/** An error that ends a command with a given exit code (the message is printed as one line). */
export class ExitError extends Error {
  override name = 'ExitError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
