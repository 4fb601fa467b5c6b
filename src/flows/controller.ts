/**
 * The FlowController: one flow dialog's state machine, outside React. It writes the dialog's state
 * into the store's `flow` slice (form -> preview -> confirm -> running -> done) and wires the parts
 * that do the work: how a dialog opens (openings.ts), typed text and secrets (dialog-input.ts), the
 * planners' environment and refusals (planning.ts), the preflight on hosts (host-preflight.ts), the
 * run (flow-run.ts) with its rolling pace (rolling-pace.ts), what the dialog says about a plan
 * (plan-notes.ts) and the undo of an unfinished run (undo-dialog.ts). Screens only read the slice;
 * keys reach it through the command registry (src/flows/commands.ts) and, for typed text, through
 * handleText().
 */
import { join } from 'node:path';
import type { AppStore } from '../store/store.js';
import type { FlowActions } from '../commands/types.js';
import type { ClusterView } from '../health/view.js';
import type { FlowId, Plan, RunResult } from '../domain/plan.js';
import type { FlowDeps } from './deps.js';
import type { DialogHost } from './dialog-host.js';
import { addedMember, type FlowView } from './state.js';
import { envLines } from '../plans/membership.js';
import { errorMessage } from '../domain/errors.js';
import { localFiles } from '../run/local-files.js';
import { flowById } from './modules/index.js';
import { finalSteps, nextMove, stepViews } from './stages.js';
import { UndoDialog } from './undo-dialog.js';
import { SecretPrompt, dialogKey } from './dialog-input.js';
import { FlowPlanning, isHostsFlow } from './planning.js';
import { HostPreflight } from './host-preflight.js';
import { RollingPace } from './rolling-pace.js';
import { FlowRun } from './flow-run.js';
import { openFlow } from './openings.js';
import { leftoverLearner, localStartProblem, previewNotice } from './plan-notes.js';

export type { FlowDeps } from './deps.js';
export { FLOW_DEFAULTS } from '../plans/defaults.js';
export { suggestMemberName } from './modules/common.js';

export class FlowController implements FlowActions {
  /** Bumped whenever a flow opens or closes, so late answers of an older one are dropped. */
  private generation = 0;
  /** The primitives the parts use (DialogHost). */
  private readonly host: DialogHost;
  /** A secret being typed: its characters live there only, never in the store. */
  private readonly secret: SecretPrompt;
  private readonly planning: FlowPlanning;
  /** A hosts flow's preflight and what it prepared, for the check before running. */
  private readonly preflight: HostPreflight;
  /** A rolling run's pace (pause, step mode, wait between members): a property of the run, awaited by the executor. */
  private readonly pace: RollingPace;
  private readonly runner: FlowRun;
  /** `:undo RUN` and the dashboard's offer of unfinished runs (src/flows/undo-dialog.ts). */
  private readonly undoDialog: UndoDialog;

  constructor(
    private readonly store: AppStore,
    private readonly deps: FlowDeps,
  ) {
    this.host = {
      flow: () => this.flow,
      running: () => this.running,
      generation: () => this.generation,
      newGeneration: () => ++this.generation,
      update: (g, patch) => this.update(g, patch),
      say: (text, level) => this.say(text, level),
      askSecret: (q) => this.askSecret(q),
      record: (write) => this.record(write),
      finish: (g, plan, result, audit, after) => this.finish(g, plan, result, audit, after),
    };
    this.secret = new SecretPrompt((prompt) => this.update(this.generation, typeof prompt === 'function' ? (f) => ({ secretPrompt: prompt(f) }) : { secretPrompt: prompt }));
    this.planning = new FlowPlanning(store, deps);
    this.preflight = new HostPreflight(store, deps, this.host, this.planning);
    this.pace = new RollingPace(this.host, this.planning);
    this.runner = new FlowRun(deps, this.host, this.planning, this.preflight, this.pace);
    this.undoDialog = new UndoDialog(store, deps, this.host);
    // Unfinished runs of the context shown, offered on the dashboard: at start and whenever the view is
    // reset for a connection (the session's start, each context switch), which also clears the offer.
    this.scanRuns();
    store.subscribe((s, prev) => {
      if (s.connection !== prev.connection) this.scanRuns();
    });
  }

  /** Looks in the run journals for unfinished runs of this context whose process is gone; the dashboard offers them. */
  scanRuns(): void {
    this.undoDialog.scan();
  }

  /** `:undo RUN` (u): what the run did and the undo steps its rollback would have taken; enter, the run ID typed, runs them. */
  openUndo(runId?: string): void {
    this.undoDialog.open(runId);
  }

  /** True while a plan is being carried out (the dialog cannot be closed then, only aborted). */
  get running(): boolean {
    return this.store.getState().flow?.stage === 'running';
  }

  private get flow(): FlowView | undefined {
    return this.store.getState().flow;
  }

  private update(generation: number, patch: Partial<FlowView> | ((f: FlowView) => Partial<FlowView>)): void {
    const f = this.flow;
    if (!f || generation !== this.generation) return;
    this.store.getState().setFlow({ ...f, ...(typeof patch === 'function' ? patch(f) : patch) });
  }

  private say(text: string, level: 'info' | 'warn' | 'error' = 'info'): void {
    this.store.getState().say(text, level);
  }

  private record(write: () => void): string | undefined {
    try {
      write();
      return undefined;
    } catch (error) {
      return errorMessage(error);
    }
  }

  open(kind: FlowId, argument?: string): void {
    if (this.running) return this.say('a flow is running: abort it (a) or wait until it ends', 'warn');
    const generation = ++this.generation;
    const state = this.store.getState();
    const def = flowById(kind);
    state.clearMessage();
    if (isHostsFlow(def)) this.preflight.reset();
    const opened = openFlow(def, argument, {
      view: state.latest,
      hosts: this.deps.hosts?.hosts(),
      selectedId: state.ui.selectedId,
      memberNames: state.inspect.memberNames,
      canStartMembers: Boolean(this.deps.startMember),
      canSuggestPeerURL: Boolean(this.deps.suggestPeerURL),
      formEnv: () => this.planning.formEnv(),
    });
    state.setFlow(opened.flow);
    switch (opened.then) {
      case 'plan':
        return this.plan();
      case 'preflight':
        void this.preflight.run(generation);
        return;
      case 'suggest-peer-url':
        this.deps.suggestPeerURL?.().then(
          (url) => this.update(generation, (f) => ({ fields: f.fields.map((x) => (x.key === 'peerURLs' && !x.value ? { ...x, value: url } : x)) })),
          () => undefined,
        );
        return;
      case 'check-refusal': {
        const planned = this.planning.planWith(state.latest, opened.flow, this.preflight.prepared);
        if (!planned.ok) this.update(generation, { refusal: planned.refusal });
        return;
      }
      case 'none':
        return;
    }
  }

  /** Ask for a secret in the dialog (masked); resolves with it on enter, undefined on esc or when the dialog closes. */
  askSecret(question: string): Promise<string | undefined> {
    return this.secret.ask(question);
  }

  /** Typed text for the form fields and the confirmation; true when the key was taken. */
  handleText(name: string, raw: string): boolean {
    if (this.secret.key(name, raw)) return true;
    const f = this.flow;
    if (!f) return false;
    const key = dialogKey(f, name, raw);
    if (key.taken && key.patch) this.update(this.generation, key.patch);
    return key.taken;
  }

  next(): void {
    const f = this.flow;
    if (!f) return;
    const move = nextMove(f, f.stage === 'preview' ? localStartProblem(f) : undefined);
    switch (move.kind) {
      case 'plan':
        return this.plan();
      case 'confirm':
        return this.update(this.generation, { stage: 'confirm', typed: '' });
      case 'run':
        void (f.undoRun ? this.undoDialog.run() : this.runner.run());
        return;
      case 'close':
        return this.close();
      case 'warn':
        return this.say(move.text, 'warn');
      case 'none':
        return;
    }
  }

  close(): void {
    if (this.running) return this.say('the flow is running: press a to abort it first', 'warn');
    this.secret.end(undefined);
    this.generation++;
    this.store.getState().setFlow(undefined);
  }

  abort(): void {
    this.runner.abort();
  }

  /** space in a rolling run: pause before the next member; while held, go on with it. */
  togglePause(): void {
    this.pace.togglePause();
  }

  /** s in a rolling run: step mode on or off (the run holds before each member). */
  toggleStepMode(): void {
    this.pace.toggleStep();
  }

  backToForm(): void {
    const f = this.flow;
    if (!f || f.stage !== 'preview' || f.fields.length === 0) return;
    this.update(this.generation, { stage: 'form', plan: undefined, notice: undefined, candidates: undefined, steps: [] });
  }

  toggleStartLocally(): void {
    const f = this.flow;
    if (!f || f.startLocally === undefined || f.stage !== 'preview') return;
    const startLocally = !f.startLocally;
    this.update(this.generation, { startLocally, notice: this.notice({ ...f, startLocally }) });
  }

  trustHostKeys(): void {
    this.preflight.trust();
  }

  scroll(lines: number): void {
    const f = this.flow;
    if (!f) return;
    const base = f.scroll && f.scroll.stage === f.stage ? f.scroll.delta : 0;
    this.update(this.generation, { scroll: { stage: f.stage, delta: base + lines } });
  }

  removeLeftoverLearner(): void {
    const followUp = this.flow?.result?.followUp;
    if (followUp) this.open('remove', followUp.member);
  }

  writeEnv(): void {
    const f = this.flow;
    const added = addedMember(f?.result);
    if (!f || !added) return;
    const files = this.deps.files ?? localFiles;
    const path = join(this.deps.envDir ?? files.cwd(), `etcd-${added.name || 'member'}.env`);
    try {
      files.write(path, envLines(added.env).join('\n') + '\n', 0o600);
      this.update(this.generation, { envFile: path });
    } catch (error) {
      this.say(`cannot write ${path}: ${errorMessage(error)}`, 'error');
    }
  }

  /** What the preview must point out beyond the plan (plan-notes.ts). */
  private notice(f: FlowView): string | undefined {
    return previewNotice(f, this.store.getState().latest.downSince, this.planning.now());
  }

  /** Plan from the newest view: preview, or the refusal where the operator is (nothing runs). */
  private plan(): void {
    const f = this.flow;
    if (!f) return;
    if (isHostsFlow(flowById(f.kind))) {
      void this.preflight.run(this.generation);
      return;
    }
    const view = this.store.getState().latest;
    // Voters not asked yet (the console just started, or the member list just changed): plan on a
    // fresh look, not on a view that would read as "no quorum: 0 of 3 voters answer".
    if (view.members.some((m) => !m.isLearner && m.clientURLs.length > 0 && view.probes[m.id] === undefined) && this.deps.gateway()) {
      const g = this.generation;
      this.update(g, { busy: "waiting for every member's first answer" });
      void this.deps.observe({ alarms: false }).then(
        (fresh) => g === this.generation && this.planOn(fresh),
        () => g === this.generation && this.planOn(view),
      );
      return;
    }
    this.planOn(view);
  }

  private planOn(view: ClusterView): void {
    const f = this.flow;
    if (!f) return;
    if (f.busy) this.update(this.generation, { busy: undefined });
    const def = flowById(f.kind);
    const planned = this.planning.planWith(view, f, this.preflight.prepared);
    const candidates = def.previewLines?.(view, this.planning.planEnv());
    if (!planned.ok) {
      const auditError = this.planning.recordRefusal(f, this.planning.refusalArgs(f), view, planned.refusal);
      if (auditError) this.say(`audit record not written: ${auditError}`, 'error');
      this.update(this.generation, { stage: f.fields.length > 0 ? 'form' : 'preview', refusal: planned.refusal, plan: undefined, candidates, steps: [] });
      return;
    }
    this.update(this.generation, { stage: 'preview', refusal: undefined, notice: this.notice({ ...f, plan: planned.plan }), plan: planned.plan, candidates, steps: stepViews(planned.plan) });
  }

  /** The done stage: the outcome, where the audit record went, the removal of a learner left behind. */
  private finish(g: number, plan: Plan, result: RunResult, audit: { written: boolean; error?: string } = { written: false }, after?: string): void {
    const followUp = leftoverLearner(plan, result, this.store.getState().latest);
    this.runner.ended();
    this.update(g, (f) => ({
      stage: 'done',
      busy: undefined,
      aborting: false,
      steps: finalSteps(f.steps, result.outcome === 'succeeded'),
      result: {
        outcome: result.outcome,
        error: result.error,
        output: result.output,
        durationMs: result.durationMs,
        auditPath: audit.written ? this.deps.audit.path : undefined,
        auditError: audit.error,
        followUp,
        ...(result.rollback ? { rollback: result.rollback } : {}),
        ...(after ? { after } : {}),
        ...(result.data ? { data: result.data } : {}),
      },
    }));
  }
}
