/**
 * Runs that did not finish: `etcd-tui runs` lists them (from the run journals next to the audit log),
 * `etcd-tui undo RUN` shows what the run did and undoes it with the same undo steps its rollback would
 * have taken (src/run/undo-steps.ts), newest first, and records that in the journal and the audit log.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { askLine } from './ask.js';
import type { CliFlags } from './args.js';
import type { ConnectionSettings } from '../domain/config.js';
import { ClusterError, ConfigError } from '../domain/errors.js';
import { AuditLog, defaultAuditPath, osUser } from '../run/audit.js';
import { isRunId, journalDir, listRuns, readRun, runIsAlive, type RunSummary } from '../run/journal.js';
import { carryOutUndo, cutMemberRemovals, describeRun, removeMemberPatiently, runState, undoCount, undoNeedsCluster, undoNeedsHosts, undoSteps, UndoNotDescribed, type UndoOutcome } from '../run/undo-run.js';
import type { UndoEnv, UndoSpec } from '../run/undo-steps.js';
import type { HostConnection } from '../hosts/gateway.js';
import { UNHEALTHY_CLUSTER } from '../cluster/classify.js';
import { FLOW_EXIT } from './headless.js';
import { runStarting } from './signals.js';

export const RUNS_USAGE = `etcd-tui runs [--all]            runs that did not finish (cut off, or with undo steps left)
etcd-tui undo RUN [--dry-run] [--yes]   show what RUN did and undo it, as its rollback would have`;

function auditPath(flags: CliFlags): string {
  return flags.auditLog ?? defaultAuditPath();
}

/** `etcd-tui runs`: unfinished runs (with --all, every run in the journal dir). */
export async function runsCommand(args: string[], flags: CliFlags): Promise<number> {
  if (args.length > 0) throw new ConfigError(`runs: unexpected argument "${args[0]}" (usage:\n${RUNS_USAGE})`);
  const dir = journalDir(auditPath(flags));
  const runs = listRuns(dir).filter((r) => flags.all || r.unfinished);
  const out = process.stdout;
  if (runs.length === 0) {
    out.write(`no ${flags.all ? '' : 'unfinished '}runs (journals in ${dir})\n`);
    return FLOW_EXIT.ok;
  }
  const rows = runs.map((r) => [r.id, r.context, r.started.replace(/\.\d+Z$/, 'Z'), runState(r), r.unfinished ? `${undoCount(r)} undo step(s) left` : 'nothing to undo', r.title]);
  const head = ['RUN', 'CONTEXT', 'STARTED', 'STATE', 'UNDO', 'WHAT'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [head, ...rows]) out.write(row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join('  ') + '\n');
  if (runs.some((r) => r.unfinished)) out.write('finish one with: etcd-tui undo RUN (--dry-run shows what it would do)\n');
  return FLOW_EXIT.ok;
}

/** Member removal for undo: a member already gone is fine; "unhealthy cluster" is retried for a while. */
async function memberRemover(settings: ConnectionSettings, retryMs = 15_000): Promise<{ remove(id: string): Promise<void>; list(): Promise<Array<{ id: string; name: string; peerURLs: string[] }>>; close(): void }> {
  const { EtcdGateway } = await import('../cluster/etcd-gateway.js');
  const { deadlinesFor } = await import('./deadlines.js');
  const gateway = new EtcdGateway(settings, deadlinesFor(settings));
  return {
    remove: (id: string) =>
      removeMemberPatiently((x) => gateway.memberRemove(x), id, {
        retryMs,
        // Gone already (an earlier undo went through): the wanted state holds.
        isGone: (error) => error instanceof ClusterError && error.kind === 'not-found',
        isTransient: (error) => error instanceof ClusterError && error.message.startsWith(UNHEALTHY_CLUSTER),
      }),
    list: async () => (await gateway.memberList()).members,
    close: () => gateway.close(),
  };
}

/** `etcd-tui undo RUN`. */
export async function undoCommand(
  args: string[],
  flags: CliFlags,
  env: NodeJS.ProcessEnv,
  resolveSettings: (flags: CliFlags) => Promise<ConnectionSettings>,
): Promise<number> {
  if (args.length !== 1) throw new ConfigError(`undo: give one run (usage:\n${RUNS_USAGE})`);
  const id = args[0];
  if (!isRunId(id)) throw new ConfigError(`undo: "${id}" is not a run ID (etcd-tui runs lists them)`);
  if (flags.readOnly) throw new ConfigError('undo: not available in read-only mode');
  const dir = journalDir(auditPath(flags));
  const file = join(dir, `${id}.jsonl`);
  if (!existsSync(file)) throw new ConfigError(`undo: no run ${id} in ${dir} (etcd-tui runs lists them)`);
  const run = readRun(file);
  if (flags.context && flags.context !== run.context) throw new ConfigError(`undo: run ${id} was on context "${run.context}", not "${flags.context}"`);
  const out = process.stdout;
  if (runIsAlive(run)) {
    out.write(`REFUSED: run ${id} is still running (pid ${run.pid}); stop it (SIGINT undoes what it did), then look again\n`);
    return FLOW_EXIT.refused;
  }
  if (!run.unfinished) {
    out.write(`run ${id} has nothing left to undo (${run.ended ?? 'no changes recorded'})\n`);
    return FLOW_EXIT.ok;
  }
  // The run's context: its hosts (SSH) and, for a member to remove or to look for, its cluster.
  const runFlags: CliFlags = { ...flags, context: run.context };
  const cluster = undoNeedsCluster(run) ? await memberRemover(await resolveSettings(runFlags)) : undefined;
  try {
    const cut = run.cutMemberAdds.length > 0 ? cutMemberRemovals(run, await cluster!.list()) : { found: [], notes: [] };
    for (const note of cut.notes) out.write(note + '\n');
    let specs: UndoSpec[];
    try {
      specs = undoSteps(run, cut.found);
    } catch (error) {
      if (error instanceof UndoNotDescribed) throw new ConfigError(error.message);
      throw error;
    }
    return await undoRun(run, specs, flags, runFlags, env, out, cluster);
  } finally {
    cluster?.close();
  }
}

async function undoRun(
  run: RunSummary,
  specs: UndoSpec[],
  flags: CliFlags,
  runFlags: CliFlags,
  env: NodeJS.ProcessEnv,
  out: NodeJS.WritableStream,
  cluster: { remove(id: string): Promise<void> } | undefined,
): Promise<number> {
  const id = run.id;
  out.write(describeRun(run, specs).join('\n') + '\n');
  if (flags.dryRun) {
    out.write('dry run: nothing was changed\n');
    return FLOW_EXIT.ok;
  }
  if (!flags.yes) {
    if (!process.stdin.isTTY) {
      process.stderr.write('etcd-tui: not confirmed: pass --yes to undo without a terminal to ask on (or --dry-run to see the steps only); nothing was changed\n');
      return FLOW_EXIT.aborted;
    }
    // Ctrl-C or Ctrl-D: not confirmed.
    const answer = await askLine(`Type the run ID "${id}" to undo it: `);
    if (answer?.trim() !== id) {
      out.write('not confirmed: nothing was changed\n');
      return FLOW_EXIT.aborted;
    }
  }

  // The hosts (SSH) only when a step needs them: a run that only added a member needs the cluster alone.
  let pool: { connection(host: string): Promise<HostConnection>; closeAll(): Promise<void> } | undefined;
  if (undoNeedsHosts(specs)) {
    const { loadInventory } = await import('./bootstrap-context.js');
    const { SshGateway } = await import('../hosts/ssh-gateway.js');
    const { HostPool } = await import('../hosts/pool.js');
    const { inventory } = loadInventory(runFlags, env);
    pool = new HostPool(new SshGateway(), inventory.hosts, { unknownHost: 'refuse' });
  }
  const hosts = pool;
  const undoEnv: UndoEnv = {
    connection: (h) => (hosts ? hosts.connection(h) : Promise.reject(new ConfigError(`context "${run.context}" has no hosts to reach ${h}`))),
    ...(cluster ? { removeMember: (mid: string) => cluster.remove(mid) } : {}),
  };
  let outcome: UndoOutcome;
  // Steps change things from here: a signal no longer says "no step ran".
  runStarting();
  try {
    outcome = await carryOutUndo(run, specs, undoEnv, {
      audit: new AuditLog(auditPath(flags)),
      by: `etcd-tui undo (${osUser()})`,
      onStep: (_i, state, text) => {
        if (state === 'done') out.write(`  undone: ${text}\n`);
        else if (state === 'failed') out.write(`  NOT UNDONE: ${text}\n`);
      },
    });
  } finally {
    await pool?.closeAll();
  }
  const { failed } = outcome;
  if (failed.length === 0) {
    out.write(`everything run ${id} changed was undone\n`);
    return FLOW_EXIT.ok;
  }
  out.write(`${failed.length} undo step(s) failed: fix what they say, then run etcd-tui undo ${id} again (it goes on where it stopped)\n`);
  return FLOW_EXIT.failed;
}
