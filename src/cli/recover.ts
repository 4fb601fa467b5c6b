/**
 * Headless quorum-loss recovery over SSH: `etcd-tui recover quorum [--from HOST]`. Phase one (one
 * plan, one typed confirmation: the survivor's name): stop every member, start the best survivor once
 * with --force-new-cluster, put its env file back and restart it, move the other hosts' data aside.
 * Phase two: each other host joins back through the join flow (learner, catch-up, promote), one at a
 * time, each plan printed before it runs; the first failure stops the recovery and says where it is.
 */
import type { CliFlags } from './args.js';
import { ConfigError } from '../domain/errors.js';
import { DEFAULT_HEALTH_OPTIONS } from '../domain/types.js';
import { newClusterSettings } from './bootstrap-context.js';
import { hostAccess, prepareJoin } from '../run/bootstrap.js';
import { prepareRecovery } from '../run/recover-quorum.js';
import { recordRefusal } from '../run/flow.js';
import { FLOW_EXIT, flowExitCode, outcomeLine, presentPlan, runPlanHeadless } from './headless.js';
import { openHostRun, writableInventory } from './host-run.js';
import { DEFAULT_BOOTSTRAP_TIMEOUTS } from '../plans/bootstrap.js';
import { emptyView, type ClusterView } from '../health/view.js';
import type { Plan, RunResult } from '../domain/plan.js';

export const RECOVER_USAGE = `etcd-tui recover quorum [--from HOST] [--accept-new-host-key] [--wait 5m]
  when quorum is lost and the missing members are not coming back: the best survivor (highest raft
  index, or --from HOST) becomes a one-member cluster, then every other host of the context joins
  back as a learner and is promoted; refused while quorum is present
  also takes --dry-run (checks and the first plan, change nothing), --yes, --audit-log FILE`;

export async function runRecoverCommand(sub: string | undefined, args: string[], flags: CliFlags, env: NodeJS.ProcessEnv): Promise<number> {
  if (sub !== 'quorum') throw new ConfigError(`${sub ? `unknown recover command "${sub}"` : 'recover: which command?'} (usage:\n${RECOVER_USAGE})`);
  if (args.length > 0) throw new ConfigError(`recover quorum: unexpected argument "${args[0]}" (name the survivor with --from HOST; usage:\n${RECOVER_USAGE})`);
  const loaded = writableInventory('recover quorum', flags, env);
  const { inventory } = loaded;
  const out = process.stdout;
  const settings = newClusterSettings(loaded, flags);
  const hostRun = openHostRun(flags, loaded, settings, DEFAULT_HEALTH_OPTIONS);
  const { audit, pool, gateway, observe } = hostRun;
  const timeouts = { ...DEFAULT_BOOTSTRAP_TIMEOUTS, ...(flags.waitMs ? { waitMs: flags.waitMs } : {}) };
  const onHost = (name: string, state: string) => {
    if (state === 'connecting') process.stderr.write(`preflight: ${name} ...\n`);
  };
  const run = (plan: Plan, before: ClusterView): Promise<RunResult> =>
    runPlanHeadless(plan, before, {
      gateway,
      observe,
      audit,
      out,
      context: loaded.context.name,
      hosts: hostAccess(pool, inventory.settings),
      abortText: 'aborting: the current step stops; before the point of no return everything done so far is undone ...\n',
    });
  const report = (result: RunResult): void => {
    if (result.rollback) {
      out.write('ROLLBACK:\n');
      for (const l of result.rollback.done) out.write(`  undone: ${l}\n`);
      for (const l of result.rollback.failed) out.write(`  NOT UNDONE: ${l}\n`);
    }
    out.write(outcomeLine(result));
  };
  try {
    const view = await observe({ alarms: false }).catch(() => undefined);
    const prepared = await prepareRecovery(inventory, pool, loaded.context.name, {
      from: flags.from,
      view: view && view.members.length > 0 ? view : undefined,
      raftIndex: async (url) => (await gateway.status(url)).raftIndex,
      ...(flags.waitMs ? { timeouts: { formMs: flags.waitMs } } : {}),
      onHost,
    });
    const gate = await presentPlan(prepared.planned, { out, flags, audit, context: loaded.context.name, command: 'recover-quorum', args: { from: flags.from }, view });
    if (!gate.ok) {
      if (flags.dryRun && prepared.others.length > 0) out.write(`then ${prepared.others.join(', ')} would join back one at a time through the join flow (each previewed as it starts)\n`);
      return gate.exit;
    }
    const first = await run(gate.plan, view ?? emptyView(DEFAULT_HEALTH_OPTIONS, Date.now()));
    report(first);
    if (first.outcome !== 'succeeded') {
      out.write(`audit record appended to ${audit.path}\n`);
      return flowExitCode(first);
    }
    out.write(`${prepared.survivor} leads a one-member cluster; joining ${prepared.others.join(', ') || 'no other host'} back\n`);
    // Phase two: the confirmation above covers the joins; each plan is printed before it runs.
    const joined: string[] = [];
    for (const name of prepared.others) {
      const now = await observe();
      const join = await prepareJoin(now, inventory, name, pool, { onHost, timeouts });
      const planned = 'refusal' in join ? { ok: false as const, refusal: join.refusal } : join.planned;
      const joinGate = await presentPlan(planned, { out, flags: { ...flags, yes: true }, audit, context: loaded.context.name, command: 'bootstrap-join', args: { host: name, recovery: true }, view: now });
      if (!joinGate.ok) {
        out.write(`the recovery stopped before ${name} joined: ${prepared.survivor}${joined.length ? `, ${joined.join(', ')}` : ''} form the cluster; join the rest with etcd-tui bootstrap join HOST\n`);
        out.write(`audit record appended to ${audit.path}\n`);
        return joinGate.exit;
      }
      const result = await run(joinGate.plan, now);
      report(result);
      if (result.outcome !== 'succeeded') {
        out.write(`the recovery stopped at ${name}: ${prepared.survivor}${joined.length ? `, ${joined.join(', ')}` : ''} form the cluster; fix ${name} and join it with etcd-tui bootstrap join ${name}\n`);
        out.write(`audit record appended to ${audit.path}\n`);
        return flowExitCode(result);
      }
      joined.push(name);
    }
    const final = await observe();
    out.write(`RECOVERED: ${final.members.filter((m) => !m.isLearner).length} voters (${final.members.map((m) => m.name).join(', ')})\n`);
    out.write(`audit record appended to ${audit.path}\n`);
    return FLOW_EXIT.ok;
  } catch (error) {
    if (error instanceof ConfigError) recordRefusal(audit, loaded.context.name, 'recover-quorum', { from: flags.from }, undefined, error.message);
    throw error;
  } finally {
    await hostRun.close();
  }
}
