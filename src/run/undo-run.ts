/**
 * Finishing a run that did not finish (its process died: kill -9, a bastion crash, a closed session),
 * shared by `etcd-tui undo RUN` (src/cli/runs.ts) and the console's `:undo RUN`: which runs are
 * unfinished, what a run did, the undo steps its rollback would have taken (newest first), carrying
 * them out with the journal and the audit log told, and the line the console's dashboard offers.
 */
import type { AuditRecord } from '../domain/plan.js';
import { appendToRun, listRuns, runIsAlive, type RunSummary } from './journal.js';
import { undoEntry, undoTitle, type UndoEnv } from './undo-steps.js';
import type { UndoSpec } from './undo-spec.js';
import { osUser } from './audit.js';

/** A run's state as `etcd-tui runs` shows it. */
export function runState(run: RunSummary): string {
  if (runIsAlive(run)) return `running (pid ${run.pid})`;
  const cut = run.steps.findIndex((s) => s.state === 'running');
  if (cut >= 0) return `cut off at step ${cut + 1}/${run.steps.length}`;
  if (run.ended) return `${run.ended}${run.pending.length > 0 ? ', rollback incomplete' : ''}`;
  return 'cut off between steps';
}

/** How many undo steps a run has left (before looking for members whose add was cut off). */
export function undoCount(run: RunSummary): number {
  return run.pending.length + run.cutUploads.length + run.cutMemberAdds.length;
}

/** The unfinished runs of a context whose process is gone (oldest first): what the console offers to finish. */
export function unfinishedRunsOf(dir: string, context: string): RunSummary[] {
  return listRuns(dir).filter((r) => r.unfinished && r.context === context && !runIsAlive(r));
}

/** The dashboard's offer: "unfinished run ID (flow, started HH:MM, N steps to undo): u to undo, see etcd-tui runs". */
export function offerLine(run: RunSummary, opts: { readOnly?: boolean } = {}): string {
  const started = new Date(run.started);
  const hhmm = Number.isNaN(started.getTime()) ? run.started : `${String(started.getHours()).padStart(2, '0')}:${String(started.getMinutes()).padStart(2, '0')}`;
  const n = undoCount(run);
  return `unfinished run ${run.id} (${run.flow}, started ${hhmm}, ${n} step${n === 1 ? '' : 's'} to undo): ${opts.readOnly ? 'undo it outside read-only mode' : 'u to undo'}, see etcd-tui runs`;
}

/**
 * Members whose add was cut off before etcd's answer: found in the member list by their peer URLs
 * (unstarted: no name yet). Returns their removal and a line for each add that did not go through.
 */
export function cutMemberRemovals(run: RunSummary, members: Array<{ id: string; name: string; peerURLs: string[] }>): { found: UndoSpec[]; notes: string[] } {
  const found: UndoSpec[] = [];
  const notes: string[] = [];
  for (const add of run.cutMemberAdds) {
    const m = members.find((x) => x.name === '' && x.peerURLs.some((u) => add.peerURLs.includes(u)));
    if (m) found.push({ kind: 'member-remove', name: add.name, memberId: m.id });
    else notes.push(`the add of ${add.name} was cut off: no unstarted member with ${add.peerURLs.join(', ')} in the cluster (it did not go through)`);
  }
  return { found, notes };
}

/** Whether undoing the run needs the cluster (a member to remove, or to look for). */
export function undoNeedsCluster(run: RunSummary): boolean {
  return run.cutMemberAdds.length > 0 || run.pending.some((u) => u.spec?.kind === 'member-remove');
}

/** Whether the undo steps need the hosts (SSH). */
export function undoNeedsHosts(specs: UndoSpec[]): boolean {
  return specs.some((s) => s.kind !== 'member-remove');
}

/** A journal undo step without its description: it cannot be replayed. */
export class UndoNotDescribed extends Error {}

/**
 * What undo will do, newest first: the cut-off uploads' leftovers, then the journal's undo steps,
 * and last the members whose add was cut off before etcd's answer (`found`).
 */
export function undoSteps(run: RunSummary, found: UndoSpec[]): UndoSpec[] {
  const specs: UndoSpec[] = run.cutUploads.map((u) => ({ kind: 'upload-leftovers', host: u.host, path: u.path }));
  for (const u of [...run.pending].reverse()) {
    if (!u.spec) throw new UndoNotDescribed(`run ${run.id}: the undo step "${u.title}" has no description in the journal; do it by hand`);
    specs.push(u.spec);
  }
  return [...specs, ...found];
}

/** What the run did (and what was undone already), as lines. */
export function describeRunDone(run: RunSummary): string[] {
  const lines = [`RUN ${run.id}: ${run.title}`, `  context ${run.context}, started ${run.started} by ${run.user} on ${run.host}, ${runState(run)}`, 'WHAT IT DID:'];
  run.steps.forEach((s, i) => {
    if (s.state === 'pending') return;
    const mark = s.state === 'done' ? 'done' : s.state === 'failed' ? `FAILED${s.error ? `: ${s.error}` : ''}` : 'CUT OFF in the middle';
    lines.push(`  ${i + 1}. ${s.title}: ${mark}`);
  });
  const done = run.undo.filter((u) => u.outcome?.ok);
  if (done.length > 0) lines.push('ALREADY UNDONE:', ...done.map((u) => `  ${u.outcome!.text}`));
  return lines;
}

/** What the run did and what undo will do: the list `etcd-tui undo RUN` prints. */
export function describeRun(run: RunSummary, specs: UndoSpec[]): string[] {
  return [...describeRunDone(run), 'TO UNDO (in this order):', ...specs.map((s, i) => `  ${i + 1}. ${undoTitle(s)}`)];
}

/** The text of an error for an undo line (one line, no stack). */
function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

/** Removes a member for undo: a member already gone is fine; "unhealthy cluster" is tried again for a while. */
export async function removeMemberPatiently(
  remove: (id: string) => Promise<void>,
  id: string,
  opts: { retryMs?: number; isGone(error: unknown): boolean; isTransient(error: unknown): boolean; sleep?: (ms: number) => Promise<void> },
): Promise<void> {
  const deadline = Date.now() + (opts.retryMs ?? 15_000);
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (;;) {
    try {
      await remove(id);
      return;
    } catch (error) {
      if (opts.isGone(error)) return;
      if (opts.isTransient(error) && Date.now() + 1000 < deadline) {
        await sleep(1000);
        continue;
      }
      throw error;
    }
  }
}

export interface UndoOutcome {
  done: string[];
  failed: string[];
  durationMs: number;
}

/**
 * Carries out the undo steps in order: each one's outcome goes to the run's journal as it happens
 * (and, when all went through, the end record: the run is finished), then one audit record.
 * `onStep` hears each step start and end (index into `specs`).
 */
export async function carryOutUndo(
  run: RunSummary,
  specs: UndoSpec[],
  env: UndoEnv,
  opts: { audit: { append(record: AuditRecord): void }; by: string; onStep?: (index: number, state: 'start' | 'done' | 'failed', text: string) => void },
): Promise<UndoOutcome> {
  const journal = appendToRun(run.path);
  const byNumber = new Map(run.pending.map((u) => [u.spec, u.n]));
  const done: string[] = [];
  const failed: string[] = [];
  const t0 = Date.now();
  try {
    for (const [i, spec] of specs.entries()) {
      const entry = undoEntry(spec, env);
      const n = byNumber.get(spec);
      opts.onStep?.(i, 'start', entry.title);
      try {
        const text = await entry.run();
        done.push(text);
        opts.onStep?.(i, 'done', text);
        if (n !== undefined) journal.append({ t: 'undone', n, ok: true, text, time: new Date().toISOString() });
      } catch (error) {
        const text = `could not ${entry.title}: ${message(error)}`;
        failed.push(text);
        opts.onStep?.(i, 'failed', text);
        if (n !== undefined) journal.append({ t: 'undone', n, ok: false, text, time: new Date().toISOString() });
      }
    }
    // Cut-off uploads have no undo record of their own: once cleaned, the run is over.
    if (failed.length === 0) journal.append({ t: 'end', outcome: 'undone', time: new Date().toISOString(), by: opts.by });
  } finally {
    journal.close();
  }
  const durationMs = Date.now() - t0;
  opts.audit.append({
    time: new Date().toISOString(),
    user: osUser(),
    context: run.context,
    command: 'undo',
    arguments: { run: run.id },
    outcome: failed.length === 0 ? 'succeeded' : 'failed',
    durationMs,
    rollback: { done, failed },
    ...(failed.length > 0 ? { error: `${failed.length} undo step(s) failed` } : {}),
  });
  return { done, failed, durationMs };
}
