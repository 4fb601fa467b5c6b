/**
 * What every headless run over SSH opens first (restore, recover quorum, the rolling commands): the
 * context's inventory (refused in read-only mode), the audit log and run journals checked before
 * anything changes (exit 5), the SSH pool, the cluster gateway and its observe function.
 */
import type { CliFlags } from './args.js';
import type { ConnectionSettings } from '../domain/config.js';
import type { HealthOptions } from '../domain/types.js';
import type { ClusterView } from '../health/view.js';
import { ConfigError } from '../domain/errors.js';
import { EtcdGateway } from '../cluster/etcd-gateway.js';
import { collectStatus } from '../monitor/observe.js';
import { HostPool } from '../hosts/pool.js';
import { SshGateway } from '../hosts/ssh-gateway.js';
import { AuditLog, defaultAuditPath } from '../run/audit.js';
import { deadlinesFor } from './deadlines.js';
import { loadInventory, type LoadedInventory } from './bootstrap-context.js';
import { auditOutputs, checkOutputs } from './outputs.js';
import { hostKeyPolicy, passphrasePrompt } from './bootstrap.js';

/** The context's inventory for a command that changes hosts: refused in read-only mode (flag or context). */
export function writableInventory(command: string, flags: CliFlags, env: NodeJS.ProcessEnv): LoadedInventory {
  if (flags.readOnly) throw new ConfigError(`${command}: not available in read-only mode`);
  const loaded = loadInventory(flags, env);
  if (loaded.context.readOnly) throw new ConfigError(`${command}: context "${loaded.context.name}" is read-only`);
  return loaded;
}

export interface HostRun {
  audit: AuditLog;
  pool: HostPool;
  gateway: EtcdGateway;
  observe(o?: { alarms?: boolean }): Promise<ClusterView>;
  close(): Promise<void>;
}

/** The audit log checked (with the run journals' directory), then the SSH pool and the cluster gateway. */
export function openHostRun(flags: CliFlags, loaded: LoadedInventory, settings: ConnectionSettings, health: HealthOptions): HostRun {
  const audit = new AuditLog(flags.auditLog ?? defaultAuditPath());
  checkOutputs(auditOutputs(audit.path, { journal: true })); // every local output before anything changes (exit 5)
  const pool = new HostPool(new SshGateway(), loaded.inventory.hosts, { unknownHost: hostKeyPolicy(flags, process.stderr), passphrase: passphrasePrompt() });
  const gateway = new EtcdGateway(settings, deadlinesFor(settings));
  return {
    audit,
    pool,
    gateway,
    observe: (o) => collectStatus(gateway, health, Date.now, o),
    close: async () => {
      gateway.close();
      await pool.closeAll();
    },
  };
}
