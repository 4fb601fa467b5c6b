/**
 * Carrying out a confirmed flow in the console: a fresh look at the cluster, the plan again on it
 * (only what the operator saw runs: a changed plan goes back to the preview), the check of every
 * local output before the first step, the run journal of flows that undo, the rolling pace, the
 * executor (progress events, abort signal, audit record) and what comes after a run on hosts. The
 * controller shows the outcome (DialogHost.finish).
 */
import type { ClusterView } from '../health/view.js';
import type { AuditRecord, Plan, RunEvent, RunResult } from '../domain/plan.js';
import type { AuditLog } from '../run/audit.js';
import type { FlowDeps } from './deps.js';
import type { DialogHost } from './dialog-host.js';
import type { FlowPlanning } from './planning.js';
import type { HostPreflight } from './host-preflight.js';
import type { RollingPace } from './rolling-pace.js';
import { errorMessage } from '../domain/errors.js';
import { executeFlow } from '../run/flow.js';
import { RunJournal, journalDir } from '../run/journal.js';
import { localOutputsProblem, planOutputs } from '../run/local-files.js';
import { applyRunEvent, planKey, stepViews } from './stages.js';
import { boardAfterEvent } from './rolling-board.js';
import { flowById } from './modules/index.js';

/** Between confirm and the first step: go; the plan changed (show it again); or a refusal (nothing changed). */
export type RunGate = { kind: 'go' } | { kind: 'changed' } | { kind: 'refused'; error: string };

/** The fresh plan must be the one previewed, and every local output (audit log, run journals, a snapshot's file) writable. */
export function runGate(previewed: Plan, again: Plan, auditPath: string): RunGate {
  if (planKey(again) !== planKey(previewed)) return { kind: 'changed' };
  const problem = localOutputsProblem(planOutputs(again, auditPath));
  return problem ? { kind: 'refused', error: `${problem}; nothing was changed` } : { kind: 'go' };
}

/** A result where nothing ran. */
function notRun(outcome: RunResult['outcome'], error: string): RunResult {
  return { outcome, error, output: [], durationMs: 0 };
}

export class FlowRun {
  private abortController?: AbortController;

  constructor(
    private readonly deps: FlowDeps,
    private readonly host: DialogHost,
    private readonly planning: FlowPlanning,
    private readonly preflight: HostPreflight,
    private readonly pace: RollingPace,
  ) {}

  /** a: stop the running flow between steps or inside its current wait. */
  abort(): void {
    if (!this.host.running() || !this.abortController) return;
    this.abortController.abort();
    this.host.update(this.host.generation(), { aborting: true });
  }

  /** The run is over (its outcome shown): nothing left to abort or pace. */
  ended(): void {
    this.abortController = undefined;
    this.pace.end();
  }

  /** Runs the previewed plan of the dialog open now. */
  async run(): Promise<void> {
    const f = this.host.flow();
    if (!f?.plan) return;
    const g = this.host.generation();
    const previewed = f.plan;
    const gateway = this.deps.gateway();
    if (!gateway) return this.host.finish(g, previewed, notRun('failed', 'not connected to a cluster; nothing was changed'));
    const abort = new AbortController();
    this.abortController = abort;
    this.host.update(g, { stage: 'running', busy: 'checking the cluster before the first step', aborting: false, notice: undefined, steps: stepViews(previewed) });
    let before: ClusterView;
    try {
      before = await this.deps.observe();
    } catch (error) {
      return this.host.finish(g, previewed, notRun('failed', `cannot look at the cluster: ${errorMessage(error)}; nothing was changed`));
    }
    if (abort.signal.aborted) return this.host.finish(g, previewed, notRun('aborted', 'aborted before the first step; nothing was changed'));
    // The cluster may have changed since the preview: plan again on a fresh look, and run only
    // what the operator saw.
    const again = this.planning.planWith(before, f, this.preflight.prepared);
    if (!again.ok) {
      const error = this.planning.recordRefusal(f, this.planning.refusalArgs(f), before, again.refusal);
      return this.host.finish(g, previewed, notRun('refused', `${again.refusal} (the cluster changed since the preview; nothing was changed)`), { written: true, error });
    }
    const gate = runGate(previewed, again.plan, this.deps.audit.path);
    if (gate.kind === 'changed') {
      this.abortController = undefined;
      this.host.update(g, {
        stage: 'preview',
        busy: undefined,
        plan: again.plan,
        steps: stepViews(again.plan),
        typed: '',
        notice: 'the cluster changed since the preview: this is the new plan; nothing was changed yet, confirm again to run it',
      });
      return;
    }
    if (gate.kind === 'refused') return this.host.finish(g, previewed, notRun('refused', gate.error));
    this.host.update(g, { busy: undefined, plan: again.plan });
    let auditError: string | undefined;
    // executeFlow writes the record; a log that cannot be written must not hide the run's outcome.
    const audit: AuditLog = {
      path: this.deps.audit.path,
      append: (record: AuditRecord) => {
        auditError = this.host.record(() => this.deps.audit.append(record));
      },
    };
    // Flows that undo (on hosts) keep a run journal, so a console killed mid-run can be finished with `etcd-tui undo RUN`.
    let journal: RunJournal | undefined;
    if (again.plan.rollbackOnFailure) {
      try {
        journal = RunJournal.start(journalDir(this.deps.audit.path), again.plan, this.deps.context());
      } catch (error) {
        this.host.say(`run journal not written (${errorMessage(error)}): if this console is killed mid-run, undo by hand`, 'warn');
      }
    }
    // A rolling run: the board, and the pacer the executor awaits before each step.
    const beforeStep = this.pace.start(g, f);
    const needsHosts = flowById(f.kind).needsHosts;
    const result = await executeFlow(again.plan, before, {
      ...(beforeStep ? { beforeStep } : {}),
      journal,
      gateway,
      observe: (opts) => this.deps.observe(opts),
      onEvent: (e) => this.onEvent(g, e),
      signal: abort.signal,
      audit,
      context: this.deps.context(),
      startMember: f.startLocally ? this.deps.startMember : undefined,
      pollMs: this.deps.pollMs,
      hosts: this.deps.hosts && needsHosts ? this.deps.hosts.access() : undefined,
    }).catch((error: unknown): RunResult => notRun('failed', errorMessage(error)));
    try {
      journal?.finish(result.outcome);
    } catch {
      // the journal's end record is a convenience for `etcd-tui runs`; the audit record has the outcome
    }
    let after: string | undefined;
    const prepared = this.preflight.prepared;
    if (prepared?.after && needsHosts) {
      after = await prepared.after(result).catch((error: unknown) => `after the run: ${errorMessage(error)}`);
    }
    this.host.finish(g, again.plan, result, { written: true, error: auditError }, after);
  }

  private onEvent(g: number, e: RunEvent): void {
    this.host.update(g, (f) => ({ ...applyRunEvent(f, e), ...(f.board ? { board: boardAfterEvent(f.board, e) } : {}) }));
  }
}
