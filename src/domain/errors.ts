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
