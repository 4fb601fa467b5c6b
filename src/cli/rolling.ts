/**
 * Headless rolling runs over SSH: `etcd-tui restart-all [HOST...]` and `etcd-tui upgrade --binary
 * PATH [--version V] [HOST...]`. One member at a time, followers first, the leader last after a
 * verified move; a member that does not come back healthy is rolled back and the run stops there.
 * The flow modules (src/flows/modules/restart-all.ts, upgrade.ts) read the input and prepare the plan,
 * as the console does; --pause-between waits between members (RollingPacer), abortable.
 */
import type { CliFlags } from './args.js';
import type { ConnectionSettings } from '../domain/config.js';
import { ConfigError } from '../domain/errors.js';
import { DEFAULT_HEALTH_OPTIONS } from '../domain/types.js';
import { hostAccess } from '../run/bootstrap.js';
import { RollingPacer } from '../run/rolling-pacer.js';
import { flowByCommand } from '../flows/modules/index.js';
import { RESTART_ALL_USAGE, type RollingFlowInput } from '../flows/modules/restart-all.js';
import { UPGRADE_USAGE } from '../flows/modules/upgrade.js';
import { DEFAULT_BOOTSTRAP_TIMEOUTS } from '../plans/bootstrap.js';
import { formatDuration } from '../format/units.js';
import { flowExitCode, outcomeLine, presentPlan, runPlanHeadless } from './headless.js';
import { openHostRun, writableInventory } from './host-run.js';

export async function runRollingCommand(kind: 'restart' | 'upgrade', args: string[], flags: CliFlags, env: NodeJS.ProcessEnv, settingsOf: () => Promise<ConnectionSettings>): Promise<number> {
  const name = kind === 'upgrade' ? 'upgrade' : 'restart-all';
  const def = flowByCommand([name]);
  if (!def?.cli || !def.prepare) throw new Error(`no flow module for ${name}`);
  const parsed: RollingFlowInput = def.cli.fromCli({ args, options: { binary: flags.binary, etcdVersion: flags.etcdVersion, pauseBetweenMs: flags.pauseBetweenMs, snapshotEach: flags.snapshotEach }, usage: kind === 'upgrade' ? UPGRADE_USAGE : RESTART_ALL_USAGE });
  const loaded = writableInventory(name, flags, env);
  const { inventory } = loaded;
  const unknown = args.filter((a) => !inventory.hosts.some((h) => h.name === a));
  if (unknown.length > 0) throw new ConfigError(`${name}: ${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not a host of this context (hosts: ${inventory.hosts.map((h) => h.name).join(', ')})`);
  const settings = await settingsOf();
  const out = process.stdout;
  const health = { ...DEFAULT_HEALTH_OPTIONS, ...(settings.quotaBytes ? { quotaBytes: settings.quotaBytes } : {}) };
  const run = openHostRun(flags, loaded, settings, health);
  const { audit, pool, gateway, observe } = run;
  try {
    const view = await observe();
    const input: RollingFlowInput = { ...parsed, withAuth: Boolean(settings.user), gapThreshold: health.indexGapThreshold };
    const prepared = await def.prepare(view, input, {
      inventory,
      pool,
      context: settings.contextName,
      ...(flags.waitMs ? { timeouts: { ...DEFAULT_BOOTSTRAP_TIMEOUTS, waitMs: flags.waitMs } } : {}),
      onHost: (h, state) => {
        if (state === 'connecting') process.stderr.write(`preflight: ${h} ...\n`);
      },
    });
    const gate = await presentPlan(prepared.planned, { out, flags, audit, context: settings.contextName, command: name, args: { hosts: args, ...(flags.binary ? { binary: flags.binary } : {}), ...(flags.pauseBetweenMs ? { pauseBetweenMs: flags.pauseBetweenMs } : {}), ...(flags.snapshotEach ? { snapshotEach: true } : {}) }, view });
    if (!gate.ok) return gate.exit;
    // --pause-between: a wait before each member after the first, abortable (the run stops between members).
    const pacer = new RollingPacer({
      pauseBetweenMs: input.pauseBetweenMs,
      onChange: (s) => {
        if (s.waitingUntil !== undefined && s.next) out.write(`  waiting ${formatDuration(input.pauseBetweenMs)} before ${s.next} (--pause-between; an interrupt stops the run here) ...\n`);
      },
    });
    const result = await runPlanHeadless(gate.plan, view, {
      gateway,
      observe,
      audit,
      out,
      context: settings.contextName,
      hosts: hostAccess(pool, inventory.settings),
      abortText: 'aborting: the member in flight is rolled back; the members done stay done ...\n',
      beforeStep: pacer.beforeStep,
      // The gates and waits look again every 200 ms: a member back is seen at once (the run's overhead over the restarts themselves).
      pollMs: 200,
    });
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
    await run.close();
  }
}
