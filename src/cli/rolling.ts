/**
 * Headless rolling runs over SSH: `etcd-tui restart-all [HOST...]` and `etcd-tui upgrade --binary
 * PATH [--version V] [HOST...]`. One member at a time, followers first, the leader last after a
 * verified move; a member that does not come back healthy is rolled back and the run stops there.
 * The flow modules (src/flows/modules/restart-all.ts, upgrade.ts) read the input and prepare the plan,
 * as the console does; --pause-between waits between members (RollingPacer), abortable. The run
 * itself is the one headless rolling runner (runRollingChange, src/cli/rolling-change.ts).
 */
import type { CliFlags } from './args.js';
import type { ConnectionSettings } from '../domain/config.js';
import { ConfigError } from '../domain/errors.js';
import { flowByCommand } from '../flows/modules/index.js';
import { RESTART_ALL_USAGE, type RollingFlowInput } from '../flows/modules/restart-all.js';
import { UPGRADE_USAGE } from '../flows/modules/upgrade.js';
import { DEFAULT_BOOTSTRAP_TIMEOUTS } from '../plans/bootstrap.js';
import { runRollingChange } from './rolling-change.js';

export async function runRollingCommand(kind: 'restart' | 'upgrade', args: string[], flags: CliFlags, env: NodeJS.ProcessEnv, settingsOf: () => Promise<ConnectionSettings>): Promise<number> {
  const name = kind === 'upgrade' ? 'upgrade' : 'restart-all';
  const def = flowByCommand([name]);
  if (!def?.cli || !def.prepare) throw new Error(`no flow module for ${name}`);
  const prepare = def.prepare;
  const parsed: RollingFlowInput = def.cli.fromCli({ args, options: { binary: flags.binary, etcdVersion: flags.etcdVersion, pauseBetweenMs: flags.pauseBetweenMs, snapshotEach: flags.snapshotEach }, usage: kind === 'upgrade' ? UPGRADE_USAGE : RESTART_ALL_USAGE });
  return runRollingChange(
    name,
    args,
    flags,
    env,
    settingsOf,
    async (ctx) => {
      const input: RollingFlowInput = { ...parsed, withAuth: Boolean(ctx.settings.user), gapThreshold: ctx.gapThreshold };
      const prepared = await prepare(ctx.view, input, {
        inventory: ctx.inventory,
        pool: ctx.pool,
        context: ctx.settings.contextName,
        ...(flags.waitMs ? { timeouts: { ...DEFAULT_BOOTSTRAP_TIMEOUTS, waitMs: flags.waitMs } } : {}),
        onHost: ctx.onHost,
      });
      return prepared.planned;
    },
    { ...(flags.binary ? { binary: flags.binary } : {}), ...(flags.pauseBetweenMs ? { pauseBetweenMs: flags.pauseBetweenMs } : {}), ...(flags.snapshotEach ? { snapshotEach: true } : {}) },
    undefined,
    {
      pauseBetweenMs: parsed.pauseBetweenMs,
      checkInventory: ({ inventory }) => {
        const unknown = args.filter((a) => !inventory.hosts.some((h) => h.name === a));
        if (unknown.length > 0) throw new ConfigError(`${name}: ${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not a host of this context (hosts: ${inventory.hosts.map((h) => h.name).join(', ')})`);
      },
      // The STATE line says each member's version (an upgrade stopped halfway leaves mixed versions).
      memberState: (v, m) => {
        const p = v.probes[m.id];
        return (p?.ok && p.status.version) || 'down';
      },
      // The gates and waits look again within 200 ms: a member back is seen at once (the run's overhead over the restarts themselves).
      pollMs: 200,
    },
  );
}
