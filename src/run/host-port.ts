/**
 * The host port: how any flow that needs hosts (SSH) reaches them, the same way in the console and
 * the CLI. One interface: the context's hosts, a session to prepare on (connect: the pool with the
 * unknown-host-key policy and passphrases asked through askSecret), trust the host keys the preflight
 * saw, the executor's access, and saving a new cluster's context. The console's implementation is
 * below (unknown keys refused but remembered: the dialog shows them, t trusts them).
 */
import type { EtcdSettings, Inventory } from '../domain/hosts.js';
import type { TlsFiles } from '../domain/config.js';
import type { FlowId, PlanResult, RunResult } from '../domain/plan.js';
import type { ClusterView } from '../health/view.js';
import { HostPool } from '../hosts/pool.js';
import type { HostGateway, UnknownHostKey } from '../hosts/gateway.js';
import { appendKnownHost } from '../hosts/known-hosts.js';
import type { BootstrapTimeouts } from '../plans/bootstrap.js';
import type { ConfigAssignment } from '../plans/config-change.js';
import type { HostAccess } from './types.js';
import { hostAccess } from './bootstrap.js';

/** A host key that known_hosts lacks, shown with its fingerprint so the operator can trust it. */
export interface UnknownKeyView {
  host: string;
  address: string;
  keyType: string;
  fingerprint: string;
}

/** What a flow prepares on: the inventory and an open pool of connections. */
export interface HostSession {
  inventory: Inventory;
  pool: HostPool;
  /** The context's name (a new cluster's context is saved under it). */
  context: string;
  timeouts?: BootstrapTimeouts;
  /** The new cluster's token (else a new one). */
  token?: string;
  onHost(host: string, state: string): void;
  /** The bastion's TLS files (reading the certificate a member presents: certificate rotation). */
  tls?: TlsFiles;
  /** Save a new cluster's context (endpoints, TLS files, token) and make it current; returns a line to show. */
  saveContext?(hosts: string[], token: string): Promise<string>;
  /** The context's etcd settings in the contexts file (a config change on every member). */
  contextSettings?: ContextSettingsPort;
  /** The contexts file the context came from, and the context's name (a CA change points it at the new files at the end). */
  contextsFile?: { path: string; context: string };
}

/** The contexts file's etcd settings: why they cannot be rewritten now (checked before a run), and the rewrite (returns a line to show). */
export interface ContextSettingsPort {
  problem(): string | undefined;
  update(assignments: ConfigAssignment[], applied: EtcdSettings): string;
}

/** What a flow's preparation on hosts gives: the plan (or refusal), how to plan again on a fresh view, what to do after the run. */
export interface HostPrepared {
  planned: PlanResult;
  /** The inventory hosts the plan acts on. */
  hosts?: string[];
  replan(view: ClusterView): PlanResult;
  /** After the run (a new cluster: save the context); returns a line for the operator. */
  after?(result: RunResult): Promise<string | undefined>;
}

export interface HostPort {
  /** The host names of the context's inventory (undefined: the context has no hosts). */
  hosts(): string[] | undefined;
  /**
   * Open a session (askSecret asks the operator for an encrypted key's passphrase) and prepare the
   * flow with it (`use`: the flow module's prepare). `request` says which flow, for logs and fakes.
   */
  prepare(request: { flow: FlowId; argument?: string }, use: (session: HostSession) => Promise<HostPrepared>, onHost: (host: string, state: string) => void, askSecret?: (question: string) => Promise<string | undefined>): Promise<HostPrepared & { unknownKeys: UnknownKeyView[] }>;
  /** Record the unknown keys last seen for these hosts in known_hosts. */
  trust(hosts: string[]): Promise<void>;
  /** The executor's way to the hosts. */
  access(): HostAccess;
  /** Close the open SSH connections (the console leaving: they must not keep the process alive). */
  close?(): Promise<void>;
}

export interface ConsoleHostOptions {
  inventory: Inventory;
  gateway: HostGateway;
  /** The context name (the new cluster's context is saved under it). */
  context: string;
  /** Save the context after a new cluster (endpoints, TLS files, token); returns a line to show. */
  saveContext?(hosts: string[], token: string): Promise<string>;
  /** The bastion's TLS files of the context. */
  tls?: TlsFiles;
  /** The context's etcd settings in the contexts file (config change). */
  contextSettings?: ContextSettingsPort;
  /** The contexts file the context came from (a CA change rewrites it at the end). */
  contextsFile?: { path: string; context: string };
}

export function consoleHostPort(opts: ConsoleHostOptions): HostPort {
  const { inventory } = opts;
  // Passphrases of encrypted key files, asked in the dialog once per file and kept in memory only.
  const passphrases = new Map<string, string>();
  let ask: ((question: string) => Promise<string | undefined>) | undefined;
  const passphrase = async (file: string): Promise<string | undefined> => {
    const known = passphrases.get(file);
    if (known !== undefined || !ask) return known;
    const typed = await ask(`Passphrase for ${file}`);
    if (typed) passphrases.set(file, typed);
    return typed || undefined;
  };
  const pool = new HostPool(opts.gateway, inventory.hosts, { unknownHost: 'refuse', passphrase });
  /** The keys seen and refused, by host: what `trust` records. */
  const seen = new Map<string, UnknownHostKey>();

  const unknownKeys = () =>
    [...pool.unknownKeys.entries()].map(([host, k]) => {
      seen.set(host, k);
      return { host, address: `${k.host}:${k.port}`, keyType: k.keyType, fingerprint: k.fingerprint };
    });

  return {
    hosts: () => inventory.hosts.map((h) => h.name),
    async prepare(_request, use, onHost, askSecret) {
      ask = askSecret;
      const prepared = await use({ inventory, pool, context: opts.context, onHost, saveContext: opts.saveContext, ...(opts.tls ? { tls: opts.tls } : {}), ...(opts.contextSettings ? { contextSettings: opts.contextSettings } : {}), ...(opts.contextsFile ? { contextsFile: opts.contextsFile } : {}) });
      return { ...prepared, unknownKeys: unknownKeys() };
    },
    async trust(hosts: string[]): Promise<void> {
      for (const name of hosts) {
        const k = seen.get(name);
        if (!k) continue;
        const spec = pool.spec(name);
        await appendKnownHost(spec.ssh.knownHosts, k.host, k.port, k.keyType, k.keyBase64);
        pool.unknownKeys.delete(name);
        seen.delete(name);
      }
    },
    access: () => hostAccess(pool, inventory.settings as EtcdSettings),
    close: () => pool.closeAll(),
  };
}
