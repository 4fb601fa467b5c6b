/**
 * The one headless rolling runner (restart-all, upgrade, config set, rotate-certs): the inventory, the
 * SSH pool, the cluster gateway, the plan from `prepare`, the usual preview / --dry-run / --yes, the run
 * with audit and journal (--pause-between through the RollingPacer), the state said when it stops,
 * and the flows' exit codes. src/cli/rolling.ts (restart-all, upgrade) calls it with its own prepare.
 */
import type { CliFlags } from './args.js';
import type { ConnectionSettings } from '../domain/config.js';
import type { Inventory } from '../domain/hosts.js';
import type { Plan, PlanResult, RunResult } from '../domain/plan.js';
import { RollingPacer } from '../run/rolling-pacer.js';
import { formatDuration } from '../format/units.js';
import type { ClusterView } from '../health/view.js';
import { DEFAULT_HEALTH_OPTIONS } from '../domain/types.js';
import { HostPool } from '../hosts/pool.js';
import { hostAccess } from '../run/bootstrap.js';
import { FLOW_EXIT, flowExitCode, outcomeLine, presentPlan, runPlanHeadless } from './headless.js';
import { openHostRun, writableInventory } from './host-run.js';
import type { LoadedInventory } from './bootstrap-context.js';
import { ExitError, errorMessage } from '../domain/errors.js';

/** What a change writes on this machine besides the hosts (config set: the contexts file, after every member took it). */
export interface RollingChangeLocal {
  /** Why that write cannot happen (checked before anything changes: exit 5), or undefined. */
  problem?(loaded: LoadedInventory): string | undefined;
  /** After a run that succeeded: write it; the lines to print. */
  after?(loaded: LoadedInventory): string[];
}

export interface RollingChangeContext {
  view: ClusterView;
  inventory: Inventory;
  pool: HostPool;
  settings: ConnectionSettings;
  gapThreshold: number;
  onHost(name: string, state: string): void;
  /** The contexts file the context came from, and the context's name (a CA change rewrites it at the end). */
  contexts: { path: string; context: string };
}

/** Optional parts of a rolling change's headless run. */
export interface RollingChangeExtras {
  /** --pause-between: a wait between two members (abortable). */
  pauseBetweenMs?: number;
  /** The state said when the run stops (after the generic STATE line), e.g. a CA change's phase. */
  stateLine?(plan: Plan, result: RunResult): string | undefined;
  /** Checks of the command's arguments against the inventory, before anything is read (throw a ConfigError). */
  checkInventory?(loaded: LoadedInventory): void;
  /** How a member is said in the STATE line when the run stops (default: up or down). */
  memberState?(view: ClusterView, member: ClusterView['members'][number]): string;
  /** How often the gates and waits look again (the executor's poll interval). */
  pollMs?: number;
}

export async function runRollingChange(
  name: string,
  args: string[],
  flags: CliFlags,
  env: NodeJS.ProcessEnv,
  settingsOf: () => Promise<ConnectionSettings>,
  prepare: (ctx: RollingChangeContext) => Promise<PlanResult>,
  auditArgs: Record<string, unknown>,
  local?: RollingChangeLocal,
  extras: RollingChangeExtras = {},
): Promise<number> {
  const loaded = writableInventory(name, flags, env);
  extras.checkInventory?.(loaded);
  const localProblem = flags.dryRun ? undefined : local?.problem?.(loaded);
  if (localProblem) throw new ExitError(`refused: ${localProblem}; nothing was changed`, FLOW_EXIT.refused);
  const { inventory } = loaded;
  const settings = await settingsOf();
  const out = process.stdout;
  const health = { ...DEFAULT_HEALTH_OPTIONS, ...(settings.quotaBytes ? { quotaBytes: settings.quotaBytes } : {}) };
  const run = openHostRun(flags, loaded, settings, health);
  const { audit, pool, gateway, observe } = run;
  try {
    const view = await observe();
    const planned = await prepare({
      view,
      inventory,
      pool,
      settings,
      gapThreshold: health.indexGapThreshold,
      contexts: { path: loaded.path, context: loaded.context.name },
      onHost: (h, state) => {
        if (state === 'connecting') process.stderr.write(`preflight: ${h} ...\n`);
      },
    });
    const gate = await presentPlan(planned, { out, flags, audit, context: settings.contextName, command: name, args: { hosts: args.filter((a) => !a.includes('=')), ...auditArgs }, view });
    if (!gate.ok) return gate.exit;
    const pause = extras.pauseBetweenMs;
    const pacer = pause
      ? new RollingPacer({
          pauseBetweenMs: pause,
          onChange: (s) => {
            if (s.waitingUntil !== undefined && s.next) out.write(`  waiting ${formatDuration(pause)} before ${s.next} (--pause-between; an interrupt stops the run here) ...\n`);
          },
        })
      : undefined;
    // Journaled: a run cut off (kill -9, a lost bastion) is undone later with `etcd-tui undo RUN`.
    const result = await runPlanHeadless(gate.plan, view, {
      gateway,
      observe,
      audit,
      out,
      context: settings.contextName,
      hosts: hostAccess(pool, inventory.settings),
      abortText: 'aborting: the member in flight is rolled back; the members done stay done ...\n',
      ...(pacer ? { beforeStep: pacer.beforeStep } : {}),
      ...(extras.pollMs ? { pollMs: extras.pollMs } : {}),
    });
    if (result.outcome !== 'succeeded') {
      const after = await observe().catch(() => undefined);
      const said = extras.memberState ?? ((v: ClusterView, m: ClusterView['members'][number]) => (v.probes[m.id]?.ok ? 'up' : 'down'));
      const members = after ? after.members.map((m) => `${m.name} ${said(after, m)}`).join(', ') : 'unknown';
      out.write(`STATE: ${members}; the cluster is ${after?.verdict.level ?? 'unknown'}${result.rollback ? '; the member in flight was rolled back' : ''}\n`);
      if (result.rollback) for (const l of result.rollback.failed) out.write(`  NOT UNDONE: ${l}\n`);
      const extra = extras.stateLine?.(gate.plan, result);
      if (extra) out.write(`STATE: ${extra}\n`);
    }
    if (result.outcome === 'succeeded' && local?.after) {
      try {
        for (const line of local.after(loaded)) out.write(`${line}\n`);
      } catch (error) {
        out.write(`WARNING: ${errorMessage(error)}\n`);
      }
    }
    out.write(outcomeLine(result));
    out.write(`audit record appended to ${audit.path}\n`);
    return flowExitCode(result);
  } finally {
    await run.close();
  }
}
