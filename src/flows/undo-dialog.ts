/**
 * The console's undo of an unfinished run (`:undo RUN`, u on the dashboard): which runs of the
 * context shown are offered (the dashboard's line), the dialog's preview (what the run did, the undo
 * steps its rollback would have taken, the run ID to type) and carrying the steps out, with the same
 * shared code as `etcd-tui undo RUN` (src/run/undo-run.ts). The FlowController owns the dialog's
 * state and hands this its few primitives (UndoDialogHost).
 */
import { join } from 'node:path';
import type { AppStore } from '../store/store.js';
import type { ClusterGateway } from '../cluster/gateway.js';
import type { AuditRecord, FlowId, Plan, RunResult } from '../domain/plan.js';
import type { DialogHost } from './dialog-host.js';
import type { HostPort } from '../run/host-port.js';
import type { HostAccess } from '../run/types.js';
import { ClusterError, errorMessage } from '../domain/errors.js';
import { UNHEALTHY_CLUSTER } from '../cluster/classify.js';
import { isRunId, journalDir, readRun, runIsAlive, type RunSummary } from '../run/journal.js';
import { carryOutUndo, cutMemberRemovals, describeRunDone, offerLine, removeMemberPatiently, undoNeedsHosts, undoSteps, unfinishedRunsOf } from '../run/undo-run.js';
import { undoTitle, type UndoSpec } from '../run/undo-steps.js';
import { osUser } from '../run/audit.js';

/** What the undo reads of the console (the FlowController's deps satisfy it). */
export interface UndoDialogDeps {
  gateway(): ClusterGateway | undefined;
  audit: { path: string; append(record: AuditRecord): void };
  context(): string;
  hosts?: HostPort;
}

/** The FlowController's primitives the undo dialog uses: its flow slice, generation, messages and result. */
export type UndoDialogHost = DialogHost;

export class UndoDialog {
  /** The run the dialog opened: its journal summary and the undo steps shown. */
  private undo?: { run: RunSummary; specs: UndoSpec[] };

  constructor(
    private readonly store: AppStore,
    private readonly deps: UndoDialogDeps,
    private readonly host: UndoDialogHost,
  ) {}

  /** Looks in the run journals for unfinished runs of this context whose process is gone; the dashboard offers them. */
  scan(): void {
    let runs: RunSummary[];
    try {
      runs = unfinishedRunsOf(journalDir(this.deps.audit.path), this.deps.context());
    } catch {
      runs = [];
    }
    const readOnly = this.store.getState().connection.readOnly;
    const list = runs.map((r) => ({ id: r.id, line: offerLine(r, { readOnly }) }));
    const shown = this.store.getState().inspect.unfinishedRuns ?? [];
    if (JSON.stringify(shown) === JSON.stringify(list)) return;
    this.store.getState().setInspect({ unfinishedRuns: list.length > 0 ? list : undefined });
  }

  /** `:undo RUN` (u): what the run did and the undo steps its rollback would have taken; enter, the run ID typed, runs them. */
  open(runId?: string): void {
    if (this.host.running()) return this.host.say('a flow is running: abort it (a) or wait until it ends', 'warn');
    const id = runId?.trim() || this.store.getState().inspect.unfinishedRuns?.[0]?.id;
    if (!id) return this.host.say('no unfinished run of this context to undo (etcd-tui runs lists them)', 'warn');
    if (!isRunId(id)) return this.host.say(`undo: "${id}" is not a run ID (etcd-tui runs lists them)`, 'warn');
    const dir = journalDir(this.deps.audit.path);
    let run: RunSummary;
    try {
      run = readRun(join(dir, `${id}.jsonl`));
    } catch {
      return this.host.say(`undo: no run ${id} in ${dir} (etcd-tui runs lists them)`, 'warn');
    }
    const context = this.deps.context();
    if (run.context !== context) return this.host.say(`undo: run ${id} was on context "${run.context}", not "${context}": switch to it first (c)`, 'warn');
    if (runIsAlive(run)) return this.host.say(`undo: run ${id} is still running (pid ${run.pid}); stop it (SIGINT undoes what it did), then look again`, 'warn');
    if (!run.unfinished) {
      this.scan();
      return this.host.say(`run ${id} has nothing left to undo (${run.ended ?? 'no changes recorded'})`);
    }
    const generation = this.host.newGeneration();
    this.undo = undefined;
    this.store.getState().clearMessage();
    this.store.getState().setFlow({ kind: run.flow as FlowId, title: `Undo run ${id}`, stage: 'preview', fields: [], focus: 0, typed: '', steps: [], undoRun: id, busy: 'reading the run journal' });
    void this.prepare(generation, run);
  }

  private async prepare(g: number, run: RunSummary): Promise<void> {
    const notes: string[] = [];
    let found: UndoSpec[] = [];
    if (run.cutMemberAdds.length > 0) {
      const gateway = this.deps.gateway();
      if (!gateway) return this.host.update(g, { busy: undefined, refusal: 'not connected to the cluster: the members whose add was cut off cannot be looked for; nothing was changed' });
      try {
        const cut = cutMemberRemovals(run, (await gateway.memberList()).members);
        found = cut.found;
        notes.push(...cut.notes);
      } catch (error) {
        return this.host.update(g, { busy: undefined, refusal: `cannot read the member list: ${errorMessage(error)}; nothing was changed` });
      }
    }
    let specs: UndoSpec[];
    try {
      specs = undoSteps(run, found);
    } catch (error) {
      return this.host.update(g, { busy: undefined, refusal: errorMessage(error) });
    }
    if (g !== this.host.generation()) return;
    this.undo = { run, specs };
    const warnings: string[] = [];
    if (undoNeedsHosts(specs) && !this.deps.hosts?.hosts()) warnings.push(`context "${run.context}" has no hosts in the contexts file here: the steps on hosts will fail; run etcd-tui undo ${run.id} where the inventory is`);
    const plan: Plan = { flow: run.flow as FlowId, title: `Undo run ${run.id}: ${run.title}`, preview: [...describeRunDone(run), ...notes, 'TO UNDO: the steps below, in this order (the same as etcd-tui undo would take)'], warnings, steps: [], confirmPhrase: run.id, args: { run: run.id } };
    this.host.update(g, { busy: undefined, plan, steps: specs.map((spec) => ({ title: undoTitle(spec), command: '', preconditions: [], state: 'pending', retries: [], output: [] })) });
  }

  /** Carries out the undo steps of the run `:undo` opened, as `etcd-tui undo RUN` does. */
  async run(): Promise<void> {
    const f = this.host.flow();
    const undo = this.undo;
    if (!f?.plan || !undo) return;
    const g = this.host.generation();
    const plan = f.plan;
    const { run, specs } = undo;
    this.host.update(g, { stage: 'running', busy: undefined, notice: undefined });
    const gateway = this.deps.gateway();
    // The hosts through the console's host port: one session opened for the undo, then its connections.
    let access: HostAccess | undefined;
    const connection = async (host: string) => {
      const port = this.deps.hosts;
      if (!port?.hosts()) throw new Error(`context "${run.context}" has no hosts in the contexts file: cannot reach ${host}`);
      if (!access) {
        await port.prepare(
          { flow: run.flow as FlowId, argument: run.id },
          async () => ({ planned: { ok: false, refusal: 'undo' }, replan: () => ({ ok: false, refusal: 'undo' }) }),
          () => undefined,
          (q) => (g === this.host.generation() ? this.host.askSecret(q) : Promise.resolve(undefined)),
        );
        access = port.access();
      }
      return access.connection(host);
    };
    const removeMember = gateway
      ? (id: string) =>
          removeMemberPatiently((x) => gateway.memberRemove(x), id, {
            isGone: (error) => error instanceof ClusterError && error.kind === 'not-found',
            isTransient: (error) => error instanceof ClusterError && error.message.startsWith(UNHEALTHY_CLUSTER),
          })
      : undefined;
    let auditError: string | undefined;
    const audit = { append: (record: AuditRecord) => (auditError = this.host.record(() => this.deps.audit.append(record))) };
    const onStep = (index: number, state: 'start' | 'done' | 'failed', text: string) =>
      this.host.update(g, (x) => ({ steps: x.steps.map((s, i) => (i !== index ? s : state === 'start' ? { ...s, state: 'running' as const } : state === 'done' ? { ...s, state: 'done' as const, detail: text } : { ...s, state: 'failed' as const, error: text })) }));
    let result: RunResult;
    try {
      const outcome = await carryOutUndo(run, specs, { connection, ...(removeMember ? { removeMember } : {}) }, { audit, by: `etcd-tui console (${osUser()})`, onStep });
      const failed = outcome.failed.length;
      result = {
        outcome: failed === 0 ? 'succeeded' : 'failed',
        ...(failed > 0 ? { error: `${failed} undo step(s) failed: fix what they say, then :undo ${run.id} again (it goes on where it stopped)` } : {}),
        output: failed === 0 ? [`everything run ${run.id} changed was undone`] : [],
        durationMs: outcome.durationMs,
        rollback: { done: outcome.done, failed: outcome.failed },
      };
    } catch (error) {
      result = { outcome: 'failed', error: `the undo could not go on: ${errorMessage(error)}`, output: [], durationMs: 0 };
    }
    this.undo = undefined;
    this.host.finish(g, plan, result, { written: true, error: auditError });
    this.scan();
  }
}
