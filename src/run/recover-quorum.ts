/**
 * Quorum-loss recovery, prepared: each host's raft index now (its etcd answers Status even without
 * quorum) and its env file (read over SSH), the survivor chosen, and the plan of phase one (stop every
 * member, force the survivor into a one-member cluster, put its env back, move the others' data
 * aside). Phase two joins the others back one at a time with the join flow (prepareJoin).
 */
import type { ClusterView } from '../health/view.js';
import { clientURL, type Inventory } from '../domain/hosts.js';
import { errorMessage } from '../domain/errors.js';
import type { PlanResult } from '../domain/plan.js';
import type { HostPool } from '../hosts/pool.js';
import { planForceNewCluster, restoreStamp, type RecoveryHost } from '../plans/recovery.js';

export interface PreparedRecovery {
  planned: PlanResult;
  survivor?: string;
  /** The hosts to join back afterwards, in order. */
  others: string[];
}

export interface RecoverOptions {
  from?: string;
  view?: ClusterView;
  /** A member's raft index now, by its client URL (the cluster gateway's Status). */
  raftIndex(clientURL: string): Promise<number>;
  timeouts?: { stopMs?: number; formMs?: number };
  now?: () => number;
  onHost?(name: string, state: string): void;
}

/** Read-only: the hosts' indexes and env files, then the plan of phase one. */
export async function prepareRecovery(inventory: Inventory, pool: HostPool, context: string, opts: RecoverOptions): Promise<PreparedRecovery> {
  if (inventory.hosts.length === 0) return { planned: { ok: false, refusal: 'this context has no hosts: a recovery restarts members over SSH (hosts: in the contexts file)' }, others: [] };
  if (opts.from && !inventory.hosts.some((h) => h.name === opts.from)) {
    return { planned: { ok: false, refusal: `${opts.from} is not a host of this context (hosts: ${inventory.hosts.map((h) => h.name).join(', ')})` }, others: [] };
  }
  const hosts = await Promise.all(
    inventory.hosts.map(async (h): Promise<RecoveryHost> => {
      const indexNow = await opts.raftIndex(clientURL(h, inventory.settings)).catch(() => undefined);
      opts.onHost?.(h.name, 'connecting');
      try {
        const conn = await pool.connection(h.name);
        const env = await conn.readFile(h.envFile, { maxBytes: 1 << 20 });
        opts.onHost?.(h.name, 'checked');
        return { host: h, indexNow, ...(env ? { envFile: env.toString('utf8') } : {}) };
      } catch (error) {
        opts.onHost?.(h.name, 'failed');
        return { host: h, indexNow, sshError: errorMessage(error) };
      }
    }),
  );
  const now = opts.now ?? Date.now;
  const r = planForceNewCluster({
    hosts,
    from: opts.from,
    view: opts.view,
    stamp: restoreStamp(new Date(now())),
    timeouts: { stopMs: opts.timeouts?.stopMs ?? 120_000, formMs: opts.timeouts?.formMs ?? 300_000 },
    contextName: context,
  });
  if (!r.ok) return { planned: r, others: [] };
  if ('survivor' in r) return { planned: { ok: true, plan: r.plan }, survivor: r.survivor, others: r.others };
  return { planned: r, others: [] };
}
