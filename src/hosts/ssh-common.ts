/**
 * What the SSH gateway's parts share (src/hosts/ssh-gateway.ts and its seams: ssh-connect.ts,
 * ssh-exec.ts, ssh-files.ts): the lazily loaded ssh2 module, labels, the stall timeout, the
 * lost-connection error, and small promise helpers.
 */
import os from 'node:os';
import path from 'node:path';
import type { SshTarget } from '../domain/hosts.js';
import { HostError } from '../domain/errors.js';

/** ssh2, loaded on the first connect: the console starts without it (about 70 ms of module loading). */
export type Ssh2 = typeof import('ssh2');
let ssh2Module: Promise<Ssh2> | undefined;
export function ssh2(): Promise<Ssh2> {
  // CommonJS: the namespace's default export is module.exports.
  ssh2Module ??= import('ssh2').then((m) => ((m as unknown as { default?: Ssh2 }).default ?? m) as Ssh2);
  return ssh2Module;
}
export type SshClient = InstanceType<(typeof import('ssh2'))['Client']>;

/** A connection that brings no bytes for this long is lost (keepalives keep a healthy idle one talking). */
export const DEFAULT_STALL_TIMEOUT_MS = 20_000;
/** Keepalive requests per stall timeout: the connection is dropped after this many go unanswered. */
export const KEEPALIVES_PER_STALL = 4;
/** Cleanup after a failed or aborted upload (close, unlink) waits at most this long. */
export const CLEANUP_BOUND_MS = 5_000;

export function hostLabel(target: SshTarget): string {
  return `${target.user}@${target.address}:${target.port}`;
}

export function addressLabel(target: SshTarget): string {
  return `${target.address}:${target.port}`;
}

export function expandHome(file: string): string {
  if (file === '~') return os.homedir();
  if (file.startsWith('~/')) return path.join(os.homedir(), file.slice(2));
  return file;
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The stall timeout of a target, in ms. */
export function stallTimeoutMs(target: SshTarget): number {
  return target.stallTimeoutMs && target.stallTimeoutMs > 0 ? target.stallTimeoutMs : DEFAULT_STALL_TIMEOUT_MS;
}

/**
 * The connection to a host is gone (closed, reset, or silent for the stall timeout). `reason` says how;
 * the message says during what.
 */
export class ConnectionLostError extends HostError {
  constructor(
    readonly target: SshTarget,
    readonly reason: string,
    during?: string,
  ) {
    super(
      `connection to ${hostLabel(target)} lost${during ? ` during ${during}` : ''} (${reason}); check that the host is up and reachable, then run again`,
      'unreachable',
      target.address,
    );
  }
}

/** Resolves with the promise's value, or rejects after ms (the promise is left to settle on its own). */
export function bounded<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    const t = setTimeout(() => resolve(undefined), ms);
    promise.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

export function aborted(target: SshTarget, what: string): HostError {
  return new HostError(`${what} on ${hostLabel(target)} was aborted`, 'aborted', target.address);
}

/** Resolves with the promise's value, or rejects with `onAbort()` as soon as the signal fires. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, onAbort: () => Error): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const listener = (): void => reject(onAbort());
    signal.addEventListener('abort', listener, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', listener);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', listener);
        reject(e);
      },
    );
  });
}
