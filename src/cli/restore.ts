/**
 * Headless snapshot restore over SSH: `etcd-tui snapshot restore FILE [HOST...]`. The snapshot is
 * checked on the bastion first, then every host (read-only, in parallel); the plan lists every ssh /
 * scp / etcdutl command; the operator types the context's name; the run stops at the first failure
 * and, before the restored cluster starts, puts every host back as it was.
 */
import type { CliFlags } from './args.js';
import { ConfigError } from '../domain/errors.js';
import { DEFAULT_HEALTH_OPTIONS } from '../domain/types.js';
import { newClusterSettings } from './bootstrap-context.js';
import { hostAccess } from '../run/bootstrap.js';
import { flowByCommand } from '../flows/modules/index.js';
import { RESTORE_USAGE } from '../flows/modules/snapshot-restore.js';
import { DEFAULT_BOOTSTRAP_TIMEOUTS } from '../plans/bootstrap.js';
import { recordRefusal } from '../run/flow.js';
import { FLOW_EXIT, flowExitCode, outcomeLine, presentPlan, runPlanHeadless } from './headless.js';
import { openHostRun, writableInventory } from './host-run.js';
import { emptyView, type ClusterView } from '../health/view.js';


export async function runRestoreCommand(args: string[], flags: CliFlags, env: NodeJS.ProcessEnv): Promise<number> {
  const [file, ...names] = args;
  if (!file) throw new ConfigError(`snapshot restore: the snapshot FILE is missing (usage:\n${RESTORE_USAGE})`);
  const loaded = writableInventory('snapshot restore', flags, env);
  const { inventory } = loaded;
  const out = process.stdout;
  // The current cluster, when anything answers: an old member outside the restored set that still runs is a refusal.
  const settings = newClusterSettings(loaded, flags);
  const run = openHostRun(flags, loaded, settings, DEFAULT_HEALTH_OPTIONS);
  const { audit, pool, gateway, observe } = run;
  try {
    let view: ClusterView | undefined;
    try {
      view = await observe({ alarms: false });
    } catch {
      view = undefined;
    }
    const def = flowByCommand(['snapshot', 'restore']);
    if (!def?.cli || !def.prepare) throw new Error('no flow module for snapshot restore');
    const input = def.cli.fromCli({ args, options: { skipHashCheck: flags.skipHashCheck, bumpRevision: flags.bumpRevision, token: flags.token }, usage: RESTORE_USAGE });
    const onHost = (name: string, state: string) => {
      if (state === 'connecting') process.stderr.write(`preflight: ${name} ...\n`);
    };
    const prepared = await def.prepare(view ?? emptyView(DEFAULT_HEALTH_OPTIONS, Date.now()), input, {
      inventory,
      pool,
      context: loaded.context.name,
      onHost,
      ...(flags.waitMs ? { timeouts: { ...DEFAULT_BOOTSTRAP_TIMEOUTS, waitMs: flags.waitMs } } : {}),
    });
    const planned = prepared.planned;
    if (!planned.ok && pool.unknownKeys.size > 0) {
      planned.refusal += `\n${[...pool.unknownKeys.entries()].map(([n, k]) => `unknown host key of ${n} (${k.host}:${k.port}): ${k.keyType} ${k.fingerprint}; check it on the host, then run again with --accept-new-host-key`).join('\n')}`;
    }
    const gate = await presentPlan(planned, { out, flags, audit, context: loaded.context.name, command: 'snapshot-restore', args: { file, hosts: names }, view });
    if (!gate.ok) return gate.exit;
    const before = view ?? emptyView(DEFAULT_HEALTH_OPTIONS, Date.now());
    const result = await runPlanHeadless(gate.plan, before, {
      gateway,
      observe,
      audit,
      out,
      context: loaded.context.name,
      hosts: hostAccess(pool, inventory.settings),
      abortText: 'aborting: the current step stops, then everything done so far is undone (before the point of no return) ...\n',
    });
    if (result.rollback) {
      out.write('ROLLBACK:\n');
      for (const l of result.rollback.done) out.write(`  undone: ${l}\n`);
      for (const l of result.rollback.failed) out.write(`  NOT UNDONE: ${l}\n`);
      if (result.rollback.failed.length === 0) out.write('  every host is back as it was\n');
    } else if (result.outcome !== 'succeeded') {
      out.write(`the restored cluster had started when the run stopped: nothing was rolled back; the old data dirs are kept aside (see the plan)\n`);
    }
    out.write(outcomeLine(result));
    out.write(`audit record appended to ${audit.path}\n`);
    return flowExitCode(result);
  } catch (error) {
    if (error instanceof ConfigError) recordRefusal(audit, loaded.context.name, 'snapshot-restore', { file, hosts: names }, undefined, error.message);
    throw error;
  } finally {
    await run.close();
  }
}

export { FLOW_EXIT };
