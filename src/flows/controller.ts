/**
 * The FlowController: one membership flow's lifecycle, outside React. It plans from the store's
 * newest view with the pure planners, writes the dialog's state into the store's `flow` slice
 * (form -> preview -> confirm -> running -> done), runs the plan with the executor (executeFlow:
 * progress events, abort signal, audit record) and offers the clean-up a failed promote needs.
 * Screens only read the slice; keys reach it through the command registry (src/flows/commands.ts)
 * and, for typed text, through handleText().
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppStore } from '../store/store.js';
import type { FlowActions } from '../commands/types.js';
import type { ClusterGateway } from '../cluster/gateway.js';
import type { ClusterView } from '../health/view.js';
import type { AuditRecord, FlowId, Plan, PlanResult, RunEvent, RunResult } from '../domain/plan.js';
import type { Member } from '../domain/types.js';
import { addedMember, type FlowField, type FlowFollowUp, type FlowStepView, type FlowView } from './state.js';
import { envLines, leaderCandidates, planAddLearner, planMoveLeader, planPromote, planRemove, planReplace, resolveMember } from '../plans/membership.js';
import { executeFlow, recordRefusal } from '../run/flow.js';
import { errorMessage } from '../domain/errors.js';
import type { AuditLog } from '../run/audit.js';
import { hexId, memberLabel } from '../format/ids.js';
import { formatDuration } from '../format/units.js';

/** Defaults, the same as the headless `etcd-tui member` commands (src/cli/member.ts). */
import { FLOW_DEFAULTS } from '../plans/defaults.js';
import { existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { planCompact, planDefrag, planRecoverNospace } from '../plans/maintenance.js';
import { planSnapshotSave } from '../plans/snapshot.js';
import type { BootstrapPort, BootstrapPrepared } from './bootstrap-port.js';

/** The least time a maintenance call may take (defragment timeouts grow with the DB from here). */
const MAINTENANCE_COMMAND_MS = 60_000;
export { FLOW_DEFAULTS };

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
  /** Bootstrap over SSH (the context's hosts); undefined when the console has no inventory. */
  bootstrap?: BootstrapPort;
}

const TITLES: Record<FlowId, string> = {
  'add-learner': 'Add a learner',
  promote: 'Promote a learner',
  remove: 'Remove a member',
  replace: 'Replace a failed member',
  'move-leader': 'Move the leader',
  defrag: 'Rolling defrag',
  compact: 'Compact history',
  'recover-nospace': 'Recover from NOSPACE',
  'snapshot-save': 'Save a snapshot',
  'bootstrap-join': 'Join a host over SSH',
 'snapshot-restore': 'Snapshot restore',
  'bootstrap-cluster': 'New cluster over SSH',
};

const FORM_FIELDS = (name: string, peerURLs: string, placeholder?: string): FlowField[] => [
  { key: 'name', label: 'name', value: name, placeholder: 'etcd-4' },
  { key: 'peerURLs', label: 'peer URLs', value: peerURLs, placeholder: placeholder ?? 'https://10.0.0.4:2380 (comma-separated for several)' },
];

/** A name for a new member: the next number after the members' common prefix ("etcd-3" -> "etcd-4"), else m<N+1>. */
export function suggestMemberName(members: Member[]): string {
  const names = new Set(members.map((m) => m.name));
  const parsed = members.map((m) => /^(.*?)(\d+)$/.exec(m.name)).filter((x): x is RegExpExecArray => x !== null);
  const prefixes = new Set(parsed.map((x) => x[1]));
  const prefix = parsed.length > 0 && prefixes.size === 1 ? parsed[0][1] : 'm';
  let n = Math.max(members.length, ...parsed.filter((x) => x[1] === prefix).map((x) => Number(x[2]))) + 1;
  while (names.has(`${prefix}${n}`)) n++;
  return `${prefix}${n}`;
}

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
  } catch {
    return false;
  }
}

function stepViews(plan: Plan): FlowStepView[] {
  return plan.steps.map((s) => ({ title: s.title, command: s.command, preconditions: s.preconditions, state: 'pending', retries: [], output: [] }));
}

/** What must not change between the preview and the run: the steps themselves. */
function planKey(plan: Plan): string {
  return JSON.stringify(plan.steps.map((s) => [s.title, s.command]));
}

const errorText = errorMessage;

/** The peer URLs of the member a plan adds, if it adds one. */
function addedPeerURLs(plan: Plan): string[] | undefined {
  for (const s of plan.steps) if (s.action.kind === 'member-add') return s.action.peerURLs;
  return undefined;
}

export class FlowController implements FlowActions {
  /** Bumped whenever a flow opens or closes, so late answers of an older one are dropped. */
  private generation = 0;
  private abortController?: AbortController;
  /** The bootstrap flow's preflight and files, for the check before running. */
  private prepared?: BootstrapPrepared;
  /** A secret being typed: its characters live here only, never in the store. */
  private secret?: { chars: string; resolve: (value: string | undefined) => void };

  constructor(
    private readonly store: AppStore,
    private readonly deps: FlowDeps,
  ) {}

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
    const base: FlowView = { kind, title: TITLES[kind], stage: 'preview', fields: [], focus: 0, typed: '', steps: [] };
    state.clearMessage();

    if (kind === 'defrag' || kind === 'compact' || kind === 'recover-nospace' || kind === 'snapshot-save') {
      state.setFlow({ ...base, argument: argument?.trim() || undefined });
      return this.plan();
    }

    if (kind === 'bootstrap-join' || kind === 'bootstrap-cluster') {
      this.prepared = undefined;
      const arg = argument?.trim() || undefined;
      const title = kind === 'bootstrap-join' && arg ? `${TITLES[kind]}: ${arg}` : TITLES[kind];
      const hosts = this.deps.bootstrap?.hosts();
      if (!this.deps.bootstrap || !hosts) {
        state.setFlow({ ...base, title, argument: arg, refusal: "this context has no hosts: add a hosts list to the context in the contexts file (README, \"Hosts over SSH\"), then reopen the console on it" });
        return;
      }
      let target = arg;
      if (kind === 'bootstrap-join' && !target) {
        // J alone: the one host of the inventory that is not a member yet, if there is exactly one.
        const outside = hosts.filter((h) => !view.members.some((m) => m.name === h));
        if (outside.length === 1) target = outside[0];
        else {
          const which = outside.length === 0 ? `every host of this context is a member already (${hosts.join(', ')}); add the new host to the context's hosts list` : `hosts not in the cluster: ${outside.join(', ')}`;
          state.setFlow({ ...base, title, refusal: `name the host to join: :bootstrap-join HOST (${which})` });
          return;
        }
      }
      if (kind === 'bootstrap-join' && target && target.split(/\s+/).length !== 1) {
        state.setFlow({ ...base, title, argument: target, refusal: `name one host to join: :bootstrap-join HOST (hosts: ${hosts.join(', ')})` });
        return;
      }
      state.setFlow({ ...base, title: kind === 'bootstrap-join' && target ? `${TITLES[kind]}: ${target}` : title, argument: target });
      void this.prepareBootstrap(generation);
      return;
    }

    if (kind === 'add-learner') {
      const [name, peerURLs] = (argument ?? '').trim().split(/\s+/).filter(Boolean);
      const fields = FORM_FIELDS(name ?? suggestMemberName(view.members), peerURLs ?? '');
      state.setFlow({ ...base, stage: 'form', fields, focus: name ? 1 : 0, startLocally: this.deps.startMember ? true : undefined });
      if (name && peerURLs) return this.plan();
      if (!peerURLs && this.deps.suggestPeerURL) {
        this.deps.suggestPeerURL().then(
          (url) => this.update(generation, (f) => ({ fields: f.fields.map((x) => (x.key === 'peerURLs' && !x.value ? { ...x, value: url } : x)) })),
          () => undefined,
        );
      }
      return;
    }

    const ref = argument?.trim() || state.ui.selectedId;
    const found = ref ? resolveMember(view, ref) : { ok: false as const, refusal: 'no member selected: select one on the dashboard or give its name (e.g. :remove m2)' };
    if (!found.ok) {
      state.setFlow({ ...base, refusal: found.refusal });
      return;
    }
    const target = found.member;
    const title = `${TITLES[kind]}: ${memberLabel(target)}`;
    if (kind === 'replace') {
      const fields = FORM_FIELDS(target.name, target.peerURLs.join(','));
      state.setFlow({ ...base, title, target: target.id, stage: 'form', fields, startLocally: this.deps.startMember ? true : undefined });
      // Refusals that do not depend on the form (the member answers, quorum) show at once.
      const planned = this.planWith(view, this.flow!);
      if (!planned.ok) this.update(generation, { refusal: planned.refusal });
      return;
    }
    state.setFlow({ ...base, title, target: target.id });
    this.plan();
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
      else if (name === 'backspace') s.chars = s.chars.slice(0, -1);
      else if (raw.length > 0 && [...raw].every((ch) => ch >= ' ' && ch !== '\x7f')) s.chars += raw;
      else return true;
      if (this.secret) this.update(this.generation, (f) => ({ secretPrompt: f.secretPrompt ? { ...f.secretPrompt, length: s.chars.length } : undefined }));
      return true;
    }
    const f = this.flow;
    if (!f || (f.stage !== 'form' && f.stage !== 'confirm')) return false;
    const g = this.generation;
    const printable = raw.length > 0 && [...raw].every((ch) => ch >= ' ' && ch !== '\x7f');
    if (f.stage === 'confirm') {
      if (name === 'backspace') this.update(g, { typed: f.typed.slice(0, -1) });
      else if (printable) this.update(g, { typed: f.typed + raw });
      else return false;
      return true;
    }
    const edit = (fn: (v: string) => string) => this.update(g, { refusal: undefined, fields: f.fields.map((x, i) => (i === f.focus ? { ...x, value: fn(x.value) } : x)) });
    if (name === 'tab' || name === 'down') this.update(g, { focus: (f.focus + 1) % f.fields.length });
    else if (name === 'up') this.update(g, { focus: (f.focus + f.fields.length - 1) % f.fields.length });
    else if (name === 'backspace') edit((v) => v.slice(0, -1));
    else if (printable) edit((v) => v + raw);
    else return false;
    return true;
  }

  next(): void {
    const f = this.flow;
    if (!f) return;
    switch (f.stage) {
      case 'form':
        return this.plan();
      case 'preview': {
        if (!f.plan) return;
        const problem = this.localStartProblem(f);
        if (problem) return this.say(problem, 'warn');
        if (f.plan.confirmPhrase) return this.update(this.generation, { stage: 'confirm', typed: '' });
        void this.run();
        return;
      }
      case 'confirm': {
        const phrase = f.plan?.confirmPhrase ?? '';
        if (f.typed.trim() !== phrase) return this.say(`"${f.typed}" is not "${phrase}": type the member's name exactly to go ahead (esc cancels)`, 'warn');
        void this.run();
        return;
      }
      case 'done':
        return this.close();
      default:
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

  /** Preflight over SSH, then the plan (or the refusal with every failed check). */
  private async prepareBootstrap(g: number): Promise<void> {
    const f = this.flow;
    const port = this.deps.bootstrap;
    if (!f || !port || (f.kind !== 'bootstrap-join' && f.kind !== 'bootstrap-cluster')) return;
    this.update(g, { busy: 'preflight: connecting to the hosts over SSH (read-only checks)', hostStates: {}, refusal: undefined, plan: undefined, steps: [], unknownKeys: undefined });
    const onHost = (host: string, state: string) => this.update(g, (x) => ({ hostStates: { ...(x.hostStates ?? {}), [host]: state } }));
    let prepared: BootstrapPrepared;
    try {
      prepared = await port.prepare(f.kind, this.store.getState().latest, (f.argument ?? '').split(/\s+/).filter(Boolean), onHost, (q) => (g === this.generation ? this.askSecret(q) : Promise.resolve(undefined)));
    } catch (error) {
      this.update(g, { busy: undefined, refusal: `preflight could not run: ${errorText(error)}; nothing was changed` });
      return;
    }
    if (g !== this.generation) return;
    this.prepared = prepared;
    const unknownKeys = prepared.unknownKeys.length > 0 ? prepared.unknownKeys : undefined;
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
    const port = this.deps.bootstrap;
    if (!f?.unknownKeys?.length || !port || f.busy || this.running) return;
    const g = this.generation;
    const hosts = f.unknownKeys.map((k) => k.host);
    this.update(g, { busy: `recording the host keys of ${hosts.join(', ')} in known_hosts` });
    port.trust(hosts).then(
      () => {
        this.say(`trusted the host keys of ${hosts.join(', ')}`);
        void this.prepareBootstrap(g);
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
    const path = join(this.deps.envDir ?? process.cwd(), `etcd-${added.name || 'member'}.env`);
    try {
      writeFileSync(path, envLines(added.env).join('\n') + '\n', { mode: 0o600 });
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

  /** The planner's answer for this flow against a view. */
  private planWith(view: ClusterView, f: FlowView): PlanResult {
    const gapThreshold = this.store.getState().health.indexGapThreshold;
    const waitMs = this.deps.waitMs ?? FLOW_DEFAULTS.waitMs;
    const member = f.target ?? '';
    switch (f.kind) {
      case 'add-learner':
        return planAddLearner(view, { name: this.field(f, 'name'), peerURLs: this.field(f, 'peerURLs') });
      case 'promote':
        return planPromote(view, { member, waitMs });
      case 'remove':
        return planRemove(view, { member, moveLeaderFirst: true, gapThreshold, moveTimeoutMs: FLOW_DEFAULTS.moveTimeoutMs });
      case 'move-leader':
        return planMoveLeader(view, { member, timeoutMs: FLOW_DEFAULTS.moveTimeoutMs, gapThreshold });
      case 'replace': {
        // How long the console has already seen it down: a member down long enough is not waited on again.
        const since = this.store.getState().latest.downSince[member];
        return planReplace(view, {
          member,
          newName: this.field(f, 'name'),
          peerURLs: this.field(f, 'peerURLs'),
          downForMs: FLOW_DEFAULTS.downForMs,
          waitMs,
          downSinceMs: since !== undefined ? Math.max(0, this.now() - since) : 0,
        });
      }
      case 'defrag': {
        // `:defrag` (the default rule), `:defrag all`, `:defrag move-leader`, `:defrag <rule>`.
        const words = (f.argument ?? '').split(/\s+/).filter(Boolean);
        const all = words.includes('all');
        const moveLeader = words.includes('move-leader');
        const rule = words.filter((w) => w !== 'all' && w !== 'move-leader').join(' ') || undefined;
        return planDefrag(view, { all, rule, moveLeader, quotaBytes: this.store.getState().health.quotaBytes, gapThreshold, timeouts: { commandMs: MAINTENANCE_COMMAND_MS, moveLeaderMs: FLOW_DEFAULTS.moveTimeoutMs } });
      }
      case 'compact': {
        const retain = Number(f.argument);
        if (!f.argument || !Number.isInteger(retain) || retain < 1) return { ok: false, refusal: 'give the number of revisions to keep: :compact 10000' };
        return planCompact(view, { retain });
      }
      case 'recover-nospace':
        return planRecoverNospace(view, { quotaBytes: this.store.getState().health.quotaBytes, gapThreshold, timeouts: { commandMs: MAINTENANCE_COMMAND_MS, moveLeaderMs: FLOW_DEFAULTS.moveTimeoutMs } });
      case 'snapshot-restore':
        return { ok: false, refusal: 'snapshot restore runs headless for now: etcd-tui snapshot restore FILE [HOST...]' };
      case 'bootstrap-join':
      case 'bootstrap-cluster':
        return this.prepared ? this.prepared.replan(view) : { ok: false, refusal: 'preflight has not run yet' };
      case 'snapshot-save': {
        if (!f.argument) return { ok: false, refusal: 'give the file to save to: :snapshot /var/backups/etcd/snap.db' };
        const file = resolvePath(f.argument);
        const existing = [file, `${file}.part`, `${file}.json`].filter((p) => existsSync(p));
        return planSnapshotSave(view, { from: undefined, file, existing, withAuth: Boolean(this.store.getState().connection.user) });
      }
    }
  }

  /** Who could lead instead, and why the others cannot (move-leader's preview). */
  private candidateLines(view: ClusterView): string[] {
    const gap = this.store.getState().health.indexGapThreshold;
    return leaderCandidates(view, [], gap).map((c) => `${memberLabel(c.member)} (${hexId(c.member.id)}): ${c.ok ? 'can lead' : c.reason}`);
  }

  private refusalArgs(f: FlowView): Record<string, unknown> {
    return f.fields.length > 0 ? { member: f.target, name: this.field(f, 'name'), peerURLs: this.field(f, 'peerURLs') } : { member: f.target };
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
    if (f.kind === 'bootstrap-join' || f.kind === 'bootstrap-cluster') {
      void this.prepareBootstrap(this.generation);
      return;
    }
    const view = this.store.getState().latest;
    const planned = this.planWith(view, f);
    const candidates = f.kind === 'move-leader' ? this.candidateLines(view) : undefined;
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
    this.update(g, { busy: undefined, plan: again.plan });
    let auditError: string | undefined;
    // executeFlow writes the record; a log that cannot be written must not hide the run's outcome.
    const audit: AuditLog = {
      path: this.deps.audit.path,
      append: (record: AuditRecord) => {
        auditError = this.record(() => this.deps.audit.append(record));
      },
    };
    const result = await executeFlow(again.plan, before, {
      gateway,
      observe: (opts) => this.deps.observe(opts),
      onEvent: (e) => this.onEvent(g, e),
      signal: abort.signal,
      audit,
      context: this.deps.context(),
      startMember: f.startLocally ? this.deps.startMember : undefined,
      pollMs: this.deps.pollMs,
      hosts: this.deps.bootstrap && (f.kind === 'bootstrap-join' || f.kind === 'bootstrap-cluster') ? this.deps.bootstrap.access() : undefined,
    }).catch((error: unknown): RunResult => ({ outcome: 'failed', error: errorText(error), output: [], durationMs: 0 }));
    let after: string | undefined;
    if (this.deps.bootstrap && (f.kind === 'bootstrap-join' || f.kind === 'bootstrap-cluster')) {
      after = await this.deps.bootstrap.after(again.plan, result).catch((error: unknown) => `after the run: ${errorText(error)}`);
    }
    this.finish(g, again.plan, result, { written: true, error: auditError }, after);
  }

  private onEvent(g: number, e: RunEvent): void {
    if (e.type === 'rollback') {
      this.update(g, (f) => ({ rollback: [...(f.rollback ?? []), { text: e.text, ok: e.ok }] }));
      return;
    }
    this.update(g, (f) => {
      const steps = f.steps.map((s, i) => {
        if (i !== e.index) return s;
        switch (e.type) {
          case 'step-start':
            return { ...s, state: 'running' as const };
          case 'step-done':
            return { ...s, state: 'done' as const, detail: e.detail };
          case 'step-failed':
            return { ...s, state: 'failed' as const, error: e.error };
          case 'progress':
            return { ...s, progress: { ratio: e.ratio, text: e.text } };
          case 'output':
            return { ...s, output: [...s.output, ...e.lines] };
          case 'retry':
            return { ...s, retries: [...s.retries, `try ${e.attempt}: ${e.error}; again in ${formatDuration(e.nextInMs)}`].slice(-5) };
        }
      });
      return { steps };
    });
  }

  /**
   * The learner a failed promote (or add, or replace) left behind, to offer its removal. From the
   * newest view: the run's own looks at the cluster have just refreshed it, and asking again would
   * keep the operator waiting on the member that is slow or down.
   */
  private followUp(plan: Plan, result: RunResult): FlowFollowUp | undefined {
    if (result.outcome !== 'failed' && result.outcome !== 'aborted') return undefined;
    const promotedId = plan.flow === 'promote' ? String(plan.args.id ?? '') : undefined;
    const peerURLs = addedPeerURLs(plan);
    if (!promotedId && !peerURLs) return undefined;
    const view = this.store.getState().latest;
    const learner = view.members.find((m) => m.isLearner && (promotedId ? m.id === promotedId : m.peerURLs.some((u) => peerURLs?.includes(u))));
    return learner ? { member: learner.id, label: memberLabel(learner) } : undefined;
  }

  private finish(g: number, plan: Plan, result: RunResult, audit: { written: boolean; error?: string } = { written: false }, after?: string): void {
    const followUp = this.followUp(plan, result);
    this.abortController = undefined;
    this.update(g, (f) => ({
      stage: 'done',
      busy: undefined,
      aborting: false,
      steps: f.steps.map((s) => (result.outcome !== 'succeeded' && s.state === 'pending' ? { ...s, state: 'skipped' as const } : s)),
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
