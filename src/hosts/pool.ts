/**
 * Open SSH connections to the inventory's hosts, one per host, shared by preflight and the run.
 * The pool applies the operator's answer for unknown host keys: refuse (and remember the key, so the
 * console can show it and trust it on request), accept (headless --accept-new-host-key), or ask.
 */
import type { HostSpec } from '../domain/hosts.js';
import type { HostConnection, HostGateway, UnknownHostKey } from './gateway.js';
import { HostError } from '../domain/errors.js';

/** How long a host that could not be reached is not tried again. */
const RECONNECT_BACKOFF_MS = 5_000;

export type UnknownHostPolicy = 'refuse' | 'accept' | ((key: UnknownHostKey, host: HostSpec) => Promise<boolean>);

export class HostPool {
  private readonly open = new Map<string, Promise<HostConnection>>();
  /** The last failed connect to an unreachable host, by host name. */
  private readonly failures = new Map<string, { at: number; error: HostError }>();
  /** Keys that known_hosts lacks and that were not trusted, by host name. */
  readonly unknownKeys = new Map<string, UnknownHostKey>();

  constructor(
    private readonly gateway: HostGateway,
    private readonly hosts: HostSpec[],
    private readonly opts: { unknownHost: UnknownHostPolicy; passphrase?: (file: string) => Promise<string | undefined>; signal?: AbortSignal },
  ) {}

  spec(name: string): HostSpec {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`host ${name} is not in the inventory (known: ${this.hosts.map((x) => x.name).join(', ') || 'none'})`);
    return h;
  }

  connection(name: string): Promise<HostConnection> {
    const cached = this.open.get(name);
    if (cached) {
      // A connection that was lost (the host or the link went away) is replaced by a new one.
      return cached.then((c) => {
        if (!c.isClosed) return c;
        if (this.open.get(name) === cached) this.open.delete(name);
        return this.connection(name);
      });
    }
    // A host that could not be reached a moment ago is not tried again at once (a rollback has one
    // undo per file: each would wait for the connect timeout again).
    const failed = this.failures.get(name);
    if (failed && Date.now() - failed.at < RECONNECT_BACKOFF_MS) return Promise.reject(failed.error);
    const host = this.spec(name);
    const policy = this.opts.unknownHost;
    const p = this.gateway.connect(host.ssh, {
      confirmUnknownHost: async (key) => {
        const yes = policy === 'accept' ? true : policy === 'refuse' ? false : await policy(key, host);
        if (!yes) this.unknownKeys.set(name, key);
        else this.unknownKeys.delete(name);
        return yes;
      },
      passphrase: this.opts.passphrase,
      signal: this.opts.signal,
    });
    this.open.set(name, p);
    // A failed connect is not cached: the next call tries again (after a trust, a fix).
    p.then(
      () => this.failures.delete(name),
      (error: unknown) => {
        if (this.open.get(name) === p) this.open.delete(name);
        if (error instanceof HostError && (error.kind === 'unreachable' || error.kind === 'timeout')) this.failures.set(name, { at: Date.now(), error });
      },
    );
    return p;
  }

  /** Close every connection (the pool can be used again afterwards). */
  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    for (const p of all) {
      try {
        (await p).close();
      } catch {
        // failed connects have nothing to close
      }
    }
  }
}
