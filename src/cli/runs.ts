/**
 * Runs that did not finish: `etcd-tui runs` lists them (from the run journals next to the audit log),
 * `etcd-tui undo RUN` shows what the run did and undoes it with the same undo steps its rollback would
 * have taken (src/run/undo-steps.ts), newest first, and records that in the journal and the audit log.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { CliFlags } from './args.js';
import type { ConnectionSettings } from '../domain/config.js';
import { ClusterError, ConfigError } from '../domain/errors.js';
import { AuditLog, defaultAuditPath, osUser } from '../run/audit.js';
import { appendToRun, isRunId, journalDir, listRuns, readRun, runIsAlive, type RunSummary } from '../run/journal.js';
import { undoEntry, undoTitle, type UndoEnv, type UndoSpec } from '../run/undo-steps.js';
import { UNHEALTHY_CLUSTER } from '../cluster/classify.js';
import { FLOW_EXIT } from './headless.js';

export const RUNS_USAGE = `etcd-tui runs [--all]            runs that did not finish (cut off, or with undo steps left)
etcd-tui undo RUN [--dry-run] [--yes]   show what RUN did and undo it, as its rollback would have`;

function auditPath(flags: CliFlags): string {
  return flags.auditLog ?? defaultAuditPath();
}

function stateOf(run: RunSummary): string {
  if (runIsAlive(run)) return `running (pid ${run.pid})`;
  const cut = run.steps.findIndex((s) => s.state === 'running');
  if (cut >= 0) return `cut off at step ${cut + 1}/${run.steps.length}`;
  if (run.ended) return `${run.ended}${run.pending.length > 0 ? ', rollback incomplete' : ''}`;
  return 'cut off between steps';
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
  const rows = runs.map((r) => [r.id, r.context, r.started.replace(/\.\d+Z$/, 'Z'), stateOf(r), r.unfinished ? `${r.pending.length + r.cutUploads.length + r.cutMemberAdds.length} undo step(s) left` : 'nothing to undo', r.title]);
  const head = ['RUN', 'CONTEXT', 'STARTED', 'STATE', 'UNDO', 'WHAT'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [head, ...rows]) out.write(row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join('  ') + '\n');
  if (runs.some((r) => r.unfinished)) out.write('finish one with: etcd-tui undo RUN (--dry-run shows what it would do)\n');
  return FLOW_EXIT.ok;
}

/**
 * What `undo` will do, newest first: the cut-off uploads' leftovers, then the journal's undo steps,
 * and last a member whose add was cut off before etcd's answer (found by its peer URLs, never started).
 */
function undoPlan(run: RunSummary, found: UndoSpec[]): UndoSpec[] {
  const specs: UndoSpec[] = run.cutUploads.map((u) => ({ kind: 'upload-leftovers', host: u.host, path: u.path }));
  for (const u of [...run.pending].reverse()) {
    if (!u.spec) throw new ConfigError(`run ${run.id}: the undo step "${u.title}" has no description in the journal; do it by hand`);
    specs.push(u.spec);
  }
  return [...specs, ...found];
}

function describe(run: RunSummary, specs: UndoSpec[]): string[] {
  const lines = [`RUN ${run.id}: ${run.title}`, `  context ${run.context}, started ${run.started} by ${run.user} on ${run.host}, ${stateOf(run)}`, 'WHAT IT DID:'];
  run.steps.forEach((s, i) => {
    if (s.state === 'pending') return;
    const mark = s.state === 'done' ? 'done' : s.state === 'failed' ? `FAILED${s.error ? `: ${s.error}` : ''}` : 'CUT OFF in the middle';
    lines.push(`  ${i + 1}. ${s.title}: ${mark}`);
  });
  const done = run.undo.filter((u) => u.outcome?.ok);
  if (done.length > 0) lines.push('ALREADY UNDONE:', ...done.map((u) => `  ${u.outcome!.text}`));
  lines.push('TO UNDO (in this order):', ...specs.map((s, i) => `  ${i + 1}. ${undoTitle(s)}`));
  return lines;
}

/** Member removal for undo: a member already gone is fine; "unhealthy cluster" is retried for a while. */
async function memberRemover(settings: ConnectionSettings, retryMs = 15_000): Promise<{ remove(id: string): Promise<void>; list(): Promise<Array<{ id: string; name: string; peerURLs: string[] }>>; close(): void }> {
  const { EtcdGateway } = await import('../cluster/etcd-gateway.js');
  const { deadlinesFor } = await import('./deadlines.js');
  const gateway = new EtcdGateway(settings, deadlinesFor(settings));
  return {
    remove: async (id: string) => {
      const deadline = Date.now() + retryMs;
      for (;;) {
        try {
          await gateway.memberRemove(id);
          return;
        } catch (error) {
          // Gone already (an earlier undo went through): the wanted state holds.
          if (error instanceof ClusterError && error.kind === 'not-found') return;
          if (error instanceof ClusterError && error.message.startsWith(UNHEALTHY_CLUSTER) && Date.now() + 1000 < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 1000));
            continue;
          }
          throw error;
        }
      }
    },
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
  const needsCluster = run.cutMemberAdds.length > 0 || run.pending.some((u) => u.spec?.kind === 'member-remove');
  const cluster = needsCluster ? await memberRemover(await resolveSettings(runFlags)) : undefined;
  try {
    const found: UndoSpec[] = [];
    for (const add of run.cutMemberAdds) {
      const members = await cluster!.list();
      const m = members.find((x) => x.name === '' && x.peerURLs.some((u) => add.peerURLs.includes(u)));
      if (m) found.push({ kind: 'member-remove', name: add.name, memberId: m.id });
      else out.write(`the add of ${add.name} was cut off: no unstarted member with ${add.peerURLs.join(', ')} in the cluster (it did not go through)\n`);
    }
    return await undoRun(run, undoPlan(run, found), file, flags, runFlags, env, out, cluster);
  } finally {
    cluster?.close();
  }
}

async function undoRun(
  run: RunSummary,
  specs: UndoSpec[],
  file: string,
  flags: CliFlags,
  runFlags: CliFlags,
  env: NodeJS.ProcessEnv,
  out: NodeJS.WritableStream,
  cluster: { remove(id: string): Promise<void> } | undefined,
): Promise<number> {
  const id = run.id;
  out.write(describe(run, specs).join('\n') + '\n');
  if (flags.dryRun) {
    out.write('dry run: nothing was changed\n');
    return FLOW_EXIT.ok;
  }
  if (!flags.yes) {
    if (!process.stdin.isTTY) {
      process.stderr.write('etcd-tui: not confirmed: pass --yes to undo without a terminal to ask on (or --dry-run to see the steps only); nothing was changed\n');
      return FLOW_EXIT.aborted;
    }
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`Type the run ID "${id}" to undo it: `).finally(() => rl.close());
    if (answer.trim() !== id) {
      out.write('not confirmed: nothing was changed\n');
      return FLOW_EXIT.aborted;
    }
  }

  const { loadInventory } = await import('./bootstrap-context.js');
  const { SshGateway } = await import('../hosts/ssh-gateway.js');
  const { HostPool } = await import('../hosts/pool.js');
  const { inventory } = loadInventory(runFlags, env);
  const pool = new HostPool(new SshGateway(), inventory.hosts, { unknownHost: 'refuse' });
  const undoEnv: UndoEnv = { connection: (h) => pool.connection(h), ...(cluster ? { removeMember: (mid: string) => cluster.remove(mid) } : {}) };
  const journal = appendToRun(file);
  const byNumber = new Map(run.pending.map((u) => [u.spec, u.n]));
  const done: string[] = [];
  const failed: string[] = [];
  const t0 = Date.now();
  try {
    for (const spec of specs) {
      const entry = undoEntry(spec, undoEnv);
      const n = byNumber.get(spec);
      try {
        const text = await entry.run();
        done.push(text);
        out.write(`  undone: ${text}\n`);
        if (n !== undefined) journal.append({ t: 'undone', n, ok: true, text, time: new Date().toISOString() });
      } catch (error) {
        const text = `could not ${entry.title}: ${error instanceof Error ? error.message : String(error)}`;
        failed.push(text);
        out.write(`  NOT UNDONE: ${text}\n`);
        if (n !== undefined) journal.append({ t: 'undone', n, ok: false, text, time: new Date().toISOString() });
      }
    }
    // Cut-off uploads have no undo record of their own: once cleaned, the run is over.
    if (failed.length === 0) journal.append({ t: 'end', outcome: 'undone', time: new Date().toISOString(), by: `etcd-tui undo (${osUser()})` });
  } finally {
    journal.close();
    await pool.closeAll();
  }
  new AuditLog(auditPath(flags)).append({
    time: new Date().toISOString(),
    user: osUser(),
    context: run.context,
    command: 'undo',
    arguments: { run: id },
    outcome: failed.length === 0 ? 'succeeded' : 'failed',
    durationMs: Date.now() - t0,
    rollback: { done, failed },
    ...(failed.length > 0 ? { error: `${failed.length} undo step(s) failed` } : {}),
  });
  if (failed.length === 0) {
    out.write(`everything run ${id} changed was undone\n`);
    return FLOW_EXIT.ok;
  }
  out.write(`${failed.length} undo step(s) failed: fix what they say, then run etcd-tui undo ${id} again (it goes on where it stopped)\n`);
  return FLOW_EXIT.failed;
}
