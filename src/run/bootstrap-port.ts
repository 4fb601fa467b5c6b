/**
 * The console's bootstrap port (src/flows/bootstrap-port.ts): preflight over SSH with unknown host
 * keys refused but remembered (the dialog shows them; t trusts them), the plans of src/run/bootstrap.ts,
 * and after a new cluster, the context saved.
 */
import type { BootstrapPort, BootstrapPrepared } from '../flows/bootstrap-port.js';
import type { Inventory } from '../domain/hosts.js';
import type { Plan, PlanResult, RunResult } from '../domain/plan.js';
import type { ClusterView } from '../health/view.js';
import { HostPool } from '../hosts/pool.js';
import type { HostGateway, UnknownHostKey } from '../hosts/gateway.js';
import { appendKnownHost } from '../hosts/known-hosts.js';
import { planJoin } from '../plans/bootstrap.js';
import { hostAccess, prepareJoin, prepareNewCluster } from './bootstrap.js';

export interface ConsoleBootstrapOptions {
  inventory: Inventory;
  gateway: HostGateway;
  /** The context name (the new cluster's context is saved under it). */
  context: string;
  /** Save the context after a new cluster (endpoints, TLS files, token); returns a line to show. */
  saveContext?(hosts: string[], token: string): Promise<string>;
}

export function consoleBootstrapPort(opts: ConsoleBootstrapOptions): BootstrapPort {
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
  let lastToken: string | undefined;
  let lastHosts: string[] = [];

  const unknownKeys = () =>
    [...pool.unknownKeys.entries()].map(([host, k]) => {
      seen.set(host, k);
      return { host, address: `${k.host}:${k.port}`, keyType: k.keyType, fingerprint: k.fingerprint };
    });

  return {
    hosts: () => inventory.hosts.map((h) => h.name),
    async prepare(kind, view, args, onHost, askSecret): Promise<BootstrapPrepared> {
      ask = askSecret;
      if (kind === 'bootstrap-join') {
        const p = await prepareJoin(view, inventory, args[0] ?? '', pool, { onHost });
        if ('refusal' in p) return { planned: { ok: false, refusal: p.refusal }, replan: () => ({ ok: false, refusal: p.refusal }), unknownKeys: unknownKeys() };
        const files = p.files;
        return {
          planned: p.planned,
          replan: (fresh: ClusterView): PlanResult => planJoin(fresh, { host: p.host, settings: inventory.settings, preflight: p.preflight, files }),
          unknownKeys: unknownKeys(),
        };
      }
      const p = await prepareNewCluster(inventory, args, pool, { context: opts.context, onHost });
      if ('refusal' in p) return { planned: { ok: false, refusal: p.refusal }, replan: () => ({ ok: false, refusal: p.refusal }), unknownKeys: unknownKeys() };
      lastToken = p.token;
      lastHosts = p.hosts.map((h) => h.name);
      const planned = p.planned;
      return {
        planned,
        // A new cluster does not depend on a running one: the same plan (same token) stands.
        replan: () => planned,
        unknownKeys: unknownKeys(),
      };
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
    access: () => hostAccess(pool, inventory.settings),
    async after(plan: Plan, result: RunResult): Promise<string | undefined> {
      if (plan.flow !== 'bootstrap-cluster' || result.outcome !== 'succeeded' || !opts.saveContext || !lastToken) return undefined;
      return opts.saveContext(lastHosts, lastToken);
    },
  };
}
