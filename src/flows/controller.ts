/**
 * The FlowController: one membership flow's lifecycle, outside React. It plans from the store's
 * newest view with the pure planners, writes the dialog's state into the store's `flow` slice
 * (form -> preview -> confirm -> running -> done), runs the plan with the executor (executeFlow:
 * progress events, abort signal, audit record) and offers the clean-up a failed promote needs.
 * Screens only read the slice; keys reach it through the command registry (src/flows/commands.ts)
 * and, for typed text, through handleText().
 */
import { join } from 'node:path';
import type { AppStore } from '../store/store.js';
import type { FlowActions } from '../commands/types.js';
import type { ClusterGateway } from '../cluster/gateway.js';
import type { ClusterView } from '../health/view.js';
import type { AuditRecord, FlowId, Plan, PlanResult, RunEvent, RunResult } from '../domain/plan.js';
import { DEFAULT_COMMAND_TIMEOUT_MS } from '../domain/config.js';
import { addedMember, type FlowField, type FlowFollowUp, type FlowView } from './state.js';
import { envLines } from '../plans/membership.js';
import { executeFlow, recordRefusal } from '../run/flow.js';
import { RunJournal, journalDir } from '../run/journal.js';
import { UndoDialog } from './undo-dialog.js';
import { errorMessage } from '../domain/errors.js';
import type { AuditLog } from '../run/audit.js';
import type { HostPort, HostPrepared } from '../run/host-port.js';
import { localFiles, localOutputsProblem, planOutputs, type FilePort } from '../run/local-files.js';
import { memberLabel } from '../format/ids.js';
import { formatDuration } from '../format/units.js';
import { givenLabel, resolveMember } from '../plans/membership.js';
import { FLOW_DEFAULTS } from '../plans/defaults.js';
import type { AnyFlowDefinition, ConsoleInputSource, FormEnv, PlanEnv } from './flow.js';
import { flowById } from './modules/index.js';
import { editLine, isPrintable } from './line-editor.js';
import { applyRunEvent, finalSteps, nextMove, planKey, stepViews } from './stages.js';
import { RollingPacer } from '../run/rolling-pacer.js';
import { boardAfterEvent } from './rolling-board.js';

export { FLOW_DEFAULTS };
export { suggestMemberName } from './modules/common.js';

export interface FlowDeps {
  /** The current context's gateway (undefined while not connected). */
  gateway(): ClusterGateway | undefined;
  /** A fresh round: member list, every status; the alarms too unless told not to (frequent gates skip them: a raft request). */
  observe(opts?: { alarms?: boolean }): Promise<ClusterView>;
  audit: AuditLog;
  /** The context name, for the audit record. */
  context(): string;
  /** Sandbox only: start the newly added member's etcd locally. */
  startMember?: (name: string, peerURLs: string[], initialCluster: string) => Promise<void>;
  /** Sandbox only: a free peer URL to prefill the form with. */
  suggestPeerURL?: () => Promise<string>;
  /** Poll interval of the executor's waits (tests make it short). */
  pollMs?: number;
  /** Overrides FLOW_DEFAULTS.waitMs (tests). */
  waitMs?: number;
  /** Where `w` writes env files (default: the working directory). */
  envDir?: string;
  now?: () => number;
  /** The context's hosts over SSH, for the flows that need hosts; undefined when the console has no inventory. */
  hosts?: HostPort;
  /** The connection's per-request timeout (--command-timeout): the least time a maintenance call may take. */
  commandTimeoutMs?: number;
  /** Local files (the snapshot's target, the env file `w` writes); default the real file system. */
  files?: FilePort;
}

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
  } catch {
    return false;
  }
}


const errorText = errorMessage;

function isHostsFlow(def: AnyFlowDefinition): boolean {
  return def.opening.kind === 'hosts';
}

/** The member a plan promotes by ID (a promote of an existing learner), if it does. */
function promotedMember(plan: Plan): string | undefined {
  if (addedPeerURLs(plan)) return undefined;
  for (const s of plan.steps) if (s.action.kind === 'member-promote' && s.action.memberId) return s.action.memberId;
  return undefined;
}

/** The peer URLs of the member a plan adds, if it adds one. */
function addedPeerURLs(plan: Plan): string[] | undefined {
  for (const s of plan.steps) if (s.action.kind === 'member-add') return s.action.peerURLs;
  return undefined;
}

export class FlowController implements FlowActions {
  /** Bumped whenever a flow opens or closes, so late answers of an older one are dropped. */
  private generation = 0;
  private abortController?: AbortController;
  /** A hosts flow's preflight and files, for the check before running. */
  private prepared?: HostPrepared;
  /** A secret being typed: its characters live here only, never in the store. */
  private secret?: { chars: string; resolve: (value: string | undefined) => void };
  /** A rolling run's pace (pause, step mode, wait between members): a property of the run, awaited by the executor. */
  private pacer?: RollingPacer;

  /** `:undo RUN` and the dashboard's offer of unfinished runs (src/flows/undo-dialog.ts). */
  private readonly undoDialog: UndoDialog;

  constructor(
    private readonly store: AppStore,
    private readonly deps: FlowDeps,
  ) {
    this.undoDialog = new UndoDialog(store, deps, {
      flow: () => this.flow,
      running: () => this.running,
      generation: () => this.generation,
      newGeneration: () => ++this.generation,
      update: (g, patch) => this.update(g, patch),
      say: (text, level) => this.say(text, level),
      askSecret: (q) => this.askSecret(q),
      record: (write) => this.record(write),
      finish: (g, plan, result, audit) => this.finish(g, plan, result, audit),
    });
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

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  open(kind: FlowId, argument?: string): void {
    if (this.running) return this.say('a flow is running: abort it (a) or wait until it ends', 'warn');
    const generation = ++this.generation;
    const state = this.store.getState();
    const view = state.latest;
    const def = flowById(kind);
    const base: FlowView = { kind, title: def.title, stage: 'preview', fields: [], focus: 0, typed: '', steps: [] };
    const startLocally = def.startsMember && this.deps.startMember ? true : undefined;
    state.clearMessage();
    const opening = def.opening;

    switch (opening.kind) {
      case 'argument':
        state.setFlow({ ...base, argument: argument?.trim() || undefined });
        return this.plan();
      case 'hosts': {
        this.prepared = undefined;
        const arg = argument?.trim() || undefined;
        const hosts = this.deps.hosts?.hosts();
        if (!this.deps.hosts || !hosts) {
          const title = opening.target?.(arg, [], view).title ?? def.title;
          state.setFlow({ ...base, title: arg && opening.target ? `${def.title}: ${arg}` : title, argument: arg, refusal: "this context has no hosts: add a hosts list to the context in the contexts file (README, \"Hosts over SSH\"), then reopen the console on it" });
          return;
        }
        const chosen = opening.target ? opening.target(arg, hosts, view) : { ok: true as const, argument: arg };
        const title = chosen.title ?? def.title;
        if (!chosen.ok) {
          state.setFlow({ ...base, title, argument: chosen.argument, refusal: chosen.refusal });
          return;
        }
        state.setFlow({ ...base, title, argument: chosen.argument });
        void this.prepareHosts(generation);
        return;
      }
      case 'form': {
        const form = opening.form(argument, view, this.formEnv());
        state.setFlow({ ...base, stage: 'form', fields: form.fields, focus: form.focus, startLocally, ...(form.notes ? { formNotes: form.notes } : {}) });
        if (form.complete) return this.plan();
        if (!form.fields.find((x) => x.key === 'peerURLs')?.value && this.deps.suggestPeerURL) {
          this.deps.suggestPeerURL().then(
            (url) => this.update(generation, (f) => ({ fields: f.fields.map((x) => (x.key === 'peerURLs' && !x.value ? { ...x, value: url } : x)) })),
            () => undefined,
          );
        }
        return;
      }
      case 'member': {
        const ref = argument?.trim() || state.ui.selectedId;
        // A member not started yet is found by the name the add flow gave it (from the audit log).
        const found = ref ? resolveMember(view, ref, state.inspect.memberNames) : { ok: false as const, refusal: 'no member selected: select one on the dashboard or give its name (e.g. :remove m2)' };
        if (!found.ok) {
          state.setFlow({ ...base, refusal: found.refusal });
          return;
        }
        const target = found.member;
        const title = `${def.title}: ${givenLabel(target, state.inspect.memberNames)}`;
        if (opening.form) {
          state.setFlow({ ...base, title, target: target.id, stage: 'form', fields: opening.form(target), startLocally });
          // Refusals that do not depend on the form (the member answers, quorum) show at once.
          const planned = this.planWith(view, this.flow!);
          if (!planned.ok) this.update(generation, { refusal: planned.refusal });
          return;
        }
        state.setFlow({ ...base, title, target: target.id });
        return this.plan();
      }
    }
  }

  /** Ask for a secret in the dialog (masked); resolves with it on enter, undefined on esc or when the dialog closes. */
  askSecret(question: string): Promise<string | undefined> {
    this.endSecret(undefined);
    return new Promise((resolve) => {
      this.secret = { chars: '', resolve };
      this.update(this.generation, { secretPrompt: { question, length: 0 } });
    });
  }

  private endSecret(value: string | undefined): void {
    const s = this.secret;
    if (!s) return;
    this.secret = undefined;
    this.update(this.generation, { secretPrompt: undefined });
    s.resolve(value);
  }

  /** Typed text for the form fields and the confirmation; true when the key was taken. */
  handleText(name: string, raw: string): boolean {
    if (this.secret) {
      const s = this.secret;
      if (name === 'enter') this.endSecret(s.chars);
      else if (name === 'escape') this.endSecret(undefined);
      else {
        const edited = editLine(s.chars, name, raw);
        if (edited === undefined) return true;
        s.chars = edited;
      }
      if (this.secret) this.update(this.generation, (f) => ({ secretPrompt: f.secretPrompt ? { ...f.secretPrompt, length: s.chars.length } : undefined }));
      return true;
    }
    const f = this.flow;
    if (!f || (f.stage !== 'form' && f.stage !== 'confirm')) return false;
    const g = this.generation;
    if (f.stage === 'confirm') {
      const typed = editLine(f.typed, name, raw);
      if (typed === undefined) return false;
      this.update(g, { typed });
      return true;
    }
    const choices = f.fields[f.focus]?.choices;
    if (choices && (raw === ' ' || name === 'space' || name === 'left' || name === 'right')) {
      // A choice field: space or ←/→ switches its value; typed text does not apply.
      const at = choices.indexOf(f.fields[f.focus].value);
      const value = choices[(at + (name === 'left' ? choices.length - 1 : 1)) % choices.length];
      this.update(g, { refusal: undefined, fields: f.fields.map((x, i) => (i === f.focus ? { ...x, value } : x)) });
      return true;
    }
    if (name === 'tab' || name === 'down') this.update(g, { focus: (f.focus + 1) % f.fields.length });
    else if (name === 'up') this.update(g, { focus: (f.focus + f.fields.length - 1) % f.fields.length });
    else if (choices && (name === 'backspace' || isPrintable(raw))) return true;
    else if (name === 'backspace' || isPrintable(raw)) {
      const value = editLine(f.fields[f.focus]?.value ?? '', name, raw) ?? '';
      this.update(g, { refusal: undefined, fields: f.fields.map((x, i) => (i === f.focus ? { ...x, value } : x)) });
    } else return false;
    return true;
  }

  next(): void {
    const f = this.flow;
    if (!f) return;
    const move = nextMove(f, f.stage === 'preview' ? this.localStartProblem(f) : undefined);
    switch (move.kind) {
      case 'plan':
        return this.plan();
      case 'confirm':
        return this.update(this.generation, { stage: 'confirm', typed: '' });
      case 'run':
        void this.run();
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
    this.endSecret(undefined);
    this.generation++;
    this.store.getState().setFlow(undefined);
  }

  abort(): void {
    if (!this.running || !this.abortController) return;
    this.abortController.abort();
    this.update(this.generation, { aborting: true });
  }

  /** space in a rolling run: pause before the next member; while held, go on with it. */
  togglePause(): void {
    if (!this.running || !this.pacer) return;
    this.pacer.togglePause();
  }

  /** s in a rolling run: step mode on or off (the run holds before each member). */
  toggleStepMode(): void {
    if (!this.running || !this.pacer) return;
    this.pacer.toggleStep();
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

  /** Preflight over SSH through the host port, then the plan (or the refusal with every failed check). */
  private async prepareHosts(g: number): Promise<void> {
    const f = this.flow;
    const port = this.deps.hosts;
    if (!f || !port) return;
    const def = flowById(f.kind);
    if (!def.prepare) return;
    this.update(g, { busy: 'preflight: connecting to the hosts over SSH (read-only checks)', hostStates: {}, refusal: undefined, plan: undefined, steps: [], unknownKeys: undefined });
    const onHost = (host: string, state: string) => this.update(g, (x) => ({ hostStates: { ...(x.hostStates ?? {}), [host]: state } }));
    const view = this.store.getState().latest;
    const input = def.fromConsole(this.source(f), this.planEnv());
    let prepared: HostPrepared & { unknownKeys: FlowView['unknownKeys'] };
    try {
      if (!input.ok) throw new Error(input.refusal);
      const prepare = def.prepare;
      prepared = await port.prepare({ flow: f.kind, argument: f.argument }, (session) => prepare(view, input.input, session), onHost, (q) => (g === this.generation ? this.askSecret(q) : Promise.resolve(undefined)));
    } catch (error) {
      this.update(g, { busy: undefined, refusal: `preflight could not run: ${errorText(error)}; nothing was changed` });
      return;
    }
    if (g !== this.generation) return;
    this.prepared = prepared;
    const unknownKeys = prepared.unknownKeys && prepared.unknownKeys.length > 0 ? prepared.unknownKeys : undefined;
    if (!prepared.planned.ok) {
      const refusal = prepared.planned.refusal;
      const auditError = this.record(() => recordRefusal(this.deps.audit, this.deps.context(), f.kind, { argument: f.argument }, this.store.getState().latest, refusal));
      if (auditError) this.say(`audit record not written: ${auditError}`, 'error');
      this.update(g, { busy: undefined, refusal, unknownKeys });
      return;
    }
    this.update(g, { busy: undefined, refusal: undefined, unknownKeys, plan: prepared.planned.plan, steps: stepViews(prepared.planned.plan) });
  }

  trustHostKeys(): void {
    const f = this.flow;
    const port = this.deps.hosts;
    if (!f?.unknownKeys?.length || !port || f.busy || this.running) return;
    const g = this.generation;
    const hosts = f.unknownKeys.map((k) => k.host);
    this.update(g, { busy: `recording the host keys of ${hosts.join(', ')} in known_hosts` });
    port.trust(hosts).then(
      () => {
        this.say(`trusted the host keys of ${hosts.join(', ')}`);
        void this.prepareHosts(g);
      },
      (error: unknown) => this.update(g, { busy: undefined, refusal: `could not record the host keys: ${errorText(error)}` }),
    );
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
      this.say(`cannot write ${path}: ${errorText(error)}`, 'error');
    }
  }

  /** What the preview must point out beyond the plan: the down-time already seen; a local start that cannot work. */
  private notice(f: FlowView): string | undefined {
    const lines: string[] = [];
    for (const s of f.plan?.steps ?? []) {
      if (s.action.kind !== 'confirm-down') continue;
      const seen = this.store.getState().latest.downSince[s.action.memberId];
      if (seen !== undefined) {
        const forMs = s.action.forMs;
        lines.push(`the console has seen ${s.action.name} down for ${formatDuration(this.now() - seen)}: step 1 ${forMs > 0 ? `checks it for ${formatDuration(forMs)} more` : 'checks it once'}`);
      }
    }
    const problem = this.localStartProblem(f);
    if (problem) lines.push(problem);
    return lines.length > 0 ? lines.join('\n') : undefined;
  }

  /** Why the sandbox cannot start the new member itself with the typed peer URL. */
  private localStartProblem(f: FlowView): string | undefined {
    if (!f.startLocally || !f.plan) return undefined;
    const urls = addedPeerURLs(f.plan);
    if (!urls || urls.every(isLoopback)) return undefined;
    return 'the sandbox starts members on 127.0.0.1 only: use a 127.0.0.1 peer URL (b edits), or press l and start it yourself';
  }

  private field(f: FlowView, key: FlowField['key']): string {
    return f.fields.find((x) => x.key === key)?.value ?? '';
  }

  /** What the flow's input parser reads from the dialog. */
  private source(f: FlowView): ConsoleInputSource {
    return { argument: f.argument, target: f.target, field: (key) => this.field(f, key) };
  }

  /** The planners' environment, from the store and the connection (the CLI fills the same from its flags). */
  private planEnv(): PlanEnv {
    const state = this.store.getState();
    const files = this.deps.files ?? localFiles;
    return {
      gapThreshold: state.health.indexGapThreshold,
      quotaBytes: state.health.quotaBytes,
      commandTimeoutMs: this.deps.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      downSince: state.latest.downSince,
      now: () => this.now(),
      withAuth: Boolean(state.connection.user),
      existing: (paths) => files.existing(paths),
      resolvePath: (path) => files.resolve(path),
      waitMs: this.deps.waitMs ?? FLOW_DEFAULTS.waitMs,
      memberNames: state.inspect.memberNames,
    };
  }

  /** What a flow's form reads to prefill itself: the planners' environment, the context, the compacted revision the last consistency check saw. */
  private formEnv(): FormEnv {
    const state = this.store.getState();
    const answers = state.inspect.consistency.result?.answers ?? [];
    const compacted = Math.max(-1, ...answers.map((a) => (a.ok ? a.compactRevision : -1)));
    return { ...this.planEnv(), context: this.deps.context(), ...(compacted > 0 ? { compactedRevision: compacted } : {}) };
  }

  /** The planner's answer for this flow against a view. */
  private planWith(view: ClusterView, f: FlowView): PlanResult {
    const def = flowById(f.kind);
    // A flow on hosts plans from its preflight (prepareHosts), again on a fresh view before it runs.
    if (isHostsFlow(def)) return this.prepared ? this.prepared.replan(view) : { ok: false, refusal: 'preflight has not run yet' };
    const env = this.planEnv();
    const input = def.fromConsole(this.source(f), env);
    return input.ok ? def.plan(view, input.input, env) : input;
  }

  private refusalArgs(f: FlowView): Record<string, unknown> {
    const def = flowById(f.kind);
    const input = def.fromConsole(this.source(f), this.planEnv());
    return def.audit(input.ok ? input.input : undefined, this.source(f));
  }

  private record(write: () => void): string | undefined {
    try {
      write();
      return undefined;
    } catch (error) {
      return errorText(error);
    }
  }

  /** Plan from the newest view: preview, or the refusal where the operator is (nothing runs). */
  private plan(): void {
    const f = this.flow;
    if (!f) return;
    const def = flowById(f.kind);
    if (isHostsFlow(def)) {
      void this.prepareHosts(this.generation);
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
    const planned = this.planWith(view, f);
    const candidates = def.previewLines?.(view, this.planEnv());
    if (!planned.ok) {
      const auditError = this.record(() => recordRefusal(this.deps.audit, this.deps.context(), f.kind, this.refusalArgs(f), view, planned.refusal));
      if (auditError) this.say(`audit record not written: ${auditError}`, 'error');
      this.update(this.generation, { stage: f.fields.length > 0 ? 'form' : 'preview', refusal: planned.refusal, plan: undefined, candidates, steps: [] });
      return;
    }
    this.update(this.generation, { stage: 'preview', refusal: undefined, notice: this.notice({ ...f, plan: planned.plan }), plan: planned.plan, candidates, steps: stepViews(planned.plan) });
  }

  private async run(): Promise<void> {
    const f = this.flow;
    if (!f?.plan) return;
    if (f.undoRun) return this.undoDialog.run();
    const g = this.generation;
    const previewed = f.plan;
    const gateway = this.deps.gateway();
    if (!gateway) return this.finish(g, previewed, { outcome: 'failed', error: 'not connected to a cluster; nothing was changed', output: [], durationMs: 0 });
    const abort = new AbortController();
    this.abortController = abort;
    this.update(g, { stage: 'running', busy: 'checking the cluster before the first step', aborting: false, notice: undefined, steps: stepViews(previewed) });
    let before: ClusterView;
    try {
      before = await this.deps.observe();
    } catch (error) {
      return this.finish(g, previewed, { outcome: 'failed', error: `cannot look at the cluster: ${errorText(error)}; nothing was changed`, output: [], durationMs: 0 });
    }
    if (abort.signal.aborted) return this.finish(g, previewed, { outcome: 'aborted', error: 'aborted before the first step; nothing was changed', output: [], durationMs: 0 });
    // The cluster may have changed since the preview: plan again on a fresh look, and run only
    // what the operator saw.
    const again = this.planWith(before, f);
    if (!again.ok) {
      const error = this.record(() => recordRefusal(this.deps.audit, this.deps.context(), f.kind, this.refusalArgs(f), before, again.refusal));
      return this.finish(g, previewed, { outcome: 'refused', error: `${again.refusal} (the cluster changed since the preview; nothing was changed)`, output: [], durationMs: 0 }, { written: true, error });
    }
    if (planKey(again.plan) !== planKey(previewed)) {
      this.abortController = undefined;
      this.update(g, {
        stage: 'preview',
        busy: undefined,
        plan: again.plan,
        steps: stepViews(again.plan),
        typed: '',
        notice: 'the cluster changed since the preview: this is the new plan; nothing was changed yet, confirm again to run it',
      });
      return;
    }
    // Every local output (audit log, run journals, a snapshot's file) before the first step: a refusal, nothing changed.
    const outputProblem = localOutputsProblem(planOutputs(again.plan, this.deps.audit.path));
    if (outputProblem) return this.finish(g, previewed, { outcome: 'refused', error: `${outputProblem}; nothing was changed`, output: [], durationMs: 0 });
    this.update(g, { busy: undefined, plan: again.plan });
    let auditError: string | undefined;
    // executeFlow writes the record; a log that cannot be written must not hide the run's outcome.
    const audit: AuditLog = {
      path: this.deps.audit.path,
      append: (record: AuditRecord) => {
        auditError = this.record(() => this.deps.audit.append(record));
      },
    };
    // Flows that undo (on hosts) keep a run journal, so a console killed mid-run can be finished with `etcd-tui undo RUN`.
    let journal: RunJournal | undefined;
    if (again.plan.rollbackOnFailure) {
      try {
        journal = RunJournal.start(journalDir(this.deps.audit.path), again.plan, this.deps.context());
      } catch (error) {
        this.say(`run journal not written (${errorText(error)}): if this console is killed mid-run, undo by hand`, 'warn');
      }
    }
    // A rolling run: the board, and the pacer the executor awaits before each step.
    const def = flowById(f.kind);
    const rollingInput = def.rolling ? def.fromConsole(this.source(f), this.planEnv()) : undefined;
    const pace = def.rolling && rollingInput?.ok ? def.rolling(rollingInput.input) : undefined;
    const pacer = pace ? new RollingPacer({ ...pace, now: () => this.now(), onChange: (state) => this.update(g, (x) => (x.board ? { board: { ...x.board, pacer: state } } : {})) }) : undefined;
    this.pacer = pacer;
    if (pacer) this.update(g, { board: { times: {}, pacer: pacer.state } });
    const result = await executeFlow(again.plan, before, {
      ...(pacer ? { beforeStep: pacer.beforeStep } : {}),
      journal,
      gateway,
      observe: (opts) => this.deps.observe(opts),
      onEvent: (e) => this.onEvent(g, e),
      signal: abort.signal,
      audit,
      context: this.deps.context(),
      startMember: f.startLocally ? this.deps.startMember : undefined,
      pollMs: this.deps.pollMs,
      hosts: this.deps.hosts && flowById(f.kind).needsHosts ? this.deps.hosts.access() : undefined,
    }).catch((error: unknown): RunResult => ({ outcome: 'failed', error: errorText(error), output: [], durationMs: 0 }));
    try {
      journal?.finish(result.outcome);
    } catch {
      // the journal's end record is a convenience for `etcd-tui runs`; the audit record has the outcome
    }
    let after: string | undefined;
    const prepared = this.prepared;
    if (prepared?.after && flowById(f.kind).needsHosts) {
      after = await prepared.after(result).catch((error: unknown) => `after the run: ${errorText(error)}`);
    }
    this.finish(g, again.plan, result, { written: true, error: auditError }, after);
  }

  private onEvent(g: number, e: RunEvent): void {
    this.update(g, (f) => ({ ...applyRunEvent(f, e), ...(f.board ? { board: boardAfterEvent(f.board, e) } : {}) }));
  }

  /**
   * The learner a failed promote (or add, or replace) left behind, to offer its removal. From the
   * newest view: the run's own looks at the cluster have just refreshed it, and asking again would
   * keep the operator waiting on the member that is slow or down.
   */
  private followUp(plan: Plan, result: RunResult): FlowFollowUp | undefined {
    if (result.outcome !== 'failed' && result.outcome !== 'aborted') return undefined;
    const promotedId = promotedMember(plan);
    const peerURLs = addedPeerURLs(plan);
    if (!promotedId && !peerURLs) return undefined;
    const view = this.store.getState().latest;
    const learner = view.members.find((m) => m.isLearner && (promotedId ? m.id === promotedId : m.peerURLs.some((u) => peerURLs?.includes(u))));
    return learner ? { member: learner.id, label: memberLabel(learner) } : undefined;
  }

  private finish(g: number, plan: Plan, result: RunResult, audit: { written: boolean; error?: string } = { written: false }, after?: string): void {
    const followUp = this.followUp(plan, result);
    this.abortController = undefined;
    this.pacer = undefined;
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
