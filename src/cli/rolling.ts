/**
 * Headless rolling runs over SSH: `etcd-tui restart-all [HOST...]` and `etcd-tui upgrade --binary
 * PATH [--version V] [HOST...]`. One member at a time, followers first, the leader last after a
 * verified move; a member that does not come back healthy is rolled back and the run stops there.
 */
import { existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { CliFlags } from './args.js';
import type { ConnectionSettings } from '../domain/config.js';
import { ConfigError } from '../domain/errors.js';
import { DEFAULT_HEALTH_OPTIONS } from '../domain/types.js';
import { EtcdGateway } from '../cluster/etcd-gateway.js';
import { collectStatus } from '../monitor/observe.js';
import { deadlinesFor } from './deadlines.js';
import { loadInventory } from './bootstrap-context.js';
import { SshGateway } from '../hosts/ssh-gateway.js';
import { HostPool } from '../hosts/pool.js';
import { hostAccess } from '../run/bootstrap.js';
import { prepareRolling } from '../run/rolling.js';
import { AuditLog, defaultAuditPath } from '../run/audit.js';
import { auditOutputs, checkOutputs } from './outputs.js';
import { executeFlow } from '../run/flow.js';
import { abortOnSignal, flowExitCode, outcomeLine, presentPlan, printer } from './headless.js';
import { hostKeyPolicy, passphrasePrompt } from './bootstrap.js';

export async function runRollingCommand(kind: 'restart' | 'upgrade', args: string[], flags: CliFlags, env: NodeJS.ProcessEnv, settingsOf: () => Promise<ConnectionSettings>): Promise<number> {
  const name = kind === 'upgrade' ? 'upgrade' : 'restart-all';
  if (flags.readOnly) throw new ConfigError(`${name}: not available in read-only mode`);
  if (kind === 'upgrade' && !flags.binary) throw new ConfigError('upgrade: give the new etcd: --binary PATH (an etcd binary or a release .tar.gz on this machine)');
  const loaded = loadInventory(flags, env);
  if (loaded.context.readOnly) throw new ConfigError(`${name}: context "${loaded.context.name}" is read-only`);
  const { inventory } = loaded;
  const unknown = args.filter((a) => !inventory.hosts.some((h) => h.name === a));
  if (unknown.length > 0) throw new ConfigError(`${name}: ${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not a host of this context (hosts: ${inventory.hosts.map((h) => h.name).join(', ')})`);
  const settings = await settingsOf();
  const out = process.stdout;
  const audit = new AuditLog(flags.auditLog ?? defaultAuditPath());
  checkOutputs(auditOutputs(audit.path, { journal: true })); // every local output before anything changes (exit 5)
  const pool = new HostPool(new SshGateway(), inventory.hosts, { unknownHost: hostKeyPolicy(flags, process.stderr), passphrase: passphrasePrompt() });
  const gateway = new EtcdGateway(settings, deadlinesFor(settings));
  const health = { ...DEFAULT_HEALTH_OPTIONS, ...(settings.quotaBytes ? { quotaBytes: settings.quotaBytes } : {}) };
  const observe = (o?: { alarms?: boolean }) => collectStatus(gateway, health, Date.now, o);
  try {
    const view = await observe();
    const planned = await prepareRolling(view, inventory, pool, {
      only: args,
      ...(flags.waitMs ? { backMs: flags.waitMs } : {}),
      gapThreshold: health.indexGapThreshold,
      resolvePath: (p) => resolvePath(p),
      existing: (paths) => paths.filter((p) => existsSync(p)),
      ...(kind === 'upgrade' ? { upgrade: { binary: flags.binary as string, version: flags.etcdVersion, authEnabled: Boolean(settings.user) } } : {}),
      onHost: (h, state) => {
        if (state === 'connecting') process.stderr.write(`preflight: ${h} ...\n`);
      },
    });
    const gate = await presentPlan(planned, { out, flags, audit, context: settings.contextName, command: name, args: { hosts: args, ...(flags.binary ? { binary: flags.binary } : {}) }, view });
    if (!gate.ok) return gate.exit;
    const print = printer(gate.plan, out);
    const result = await abortOnSignal(out, 'aborting: the member in flight is rolled back; the members done stay done ...\n', (signal) =>
      executeFlow(gate.plan, view, {
        gateway,
        observe,
        onEvent: (e) => {
          if (e.type === 'rollback') out.write(`  rollback: ${e.ok ? '' : 'FAILED: '}${e.text}\n`);
          else print(e);
        },
        signal,
        audit,
        context: settings.contextName,
        hosts: hostAccess(pool, inventory.settings),
      }),
    );
    if (result.outcome !== 'succeeded') {
      const after = await observe().catch(() => undefined);
      const versions = after ? after.members.map((m) => `${m.name} ${(after.probes[m.id]?.ok && (after.probes[m.id] as { status: { version: string } }).status.version) || 'down'}`).join(', ') : 'unknown';
      out.write(`STATE: ${versions}; the cluster is ${after?.verdict.level ?? 'unknown'}${result.rollback ? `; the member in flight was rolled back` : ''}\n`);
      if (result.rollback) for (const l of result.rollback.failed) out.write(`  NOT UNDONE: ${l}\n`);
    }
    out.write(outcomeLine(result));
    out.write(`audit record appended to ${audit.path}\n`);
    return flowExitCode(result);
  } finally {
    gateway.close();
    await pool.closeAll();
  }
}
