/**
 * How the flow dialog plans: the planners' environment (from the store and the connection, as the CLI
 * fills it from its flags), what the flow's input parser reads of the dialog, the planner's answer on
 * a view (a flow on hosts plans from its preflight), and the audit record of a refusal.
 */
import type { AppStore } from '../store/store.js';
import type { ClusterView } from '../health/view.js';
import type { PlanResult } from '../domain/plan.js';
import type { FlowField, FlowView } from './state.js';
import type { AnyFlowDefinition, ConsoleInputSource, FormEnv, Parsed, PlanEnv } from './flow.js';
import type { HostPrepared } from '../run/host-port.js';
import type { FlowDeps } from './deps.js';
import { DEFAULT_COMMAND_TIMEOUT_MS } from '../domain/config.js';
import { FLOW_DEFAULTS } from '../plans/defaults.js';
import { localFiles } from '../run/local-files.js';
import { recordRefusal } from '../run/flow.js';
import { errorMessage } from '../domain/errors.js';
import { flowById } from './modules/index.js';

/** A flow that plans on the context's hosts over SSH (bootstrap): preflight first. */
export function isHostsFlow(def: AnyFlowDefinition): boolean {
  return def.opening.kind === 'hosts';
}

export class FlowPlanning {
  constructor(
    private readonly store: AppStore,
    private readonly deps: FlowDeps,
  ) {}

  now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** What the flow's input parser reads from the dialog. */
  source(f: FlowView): ConsoleInputSource {
    const field = (key: FlowField['key']) => f.fields.find((x) => x.key === key)?.value ?? '';
    return { argument: f.argument, target: f.target, field };
  }

  /** The planners' environment, from the store and the connection (the CLI fills the same from its flags). */
  planEnv(): PlanEnv {
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
  formEnv(): FormEnv {
    const state = this.store.getState();
    const answers = state.inspect.consistency.result?.answers ?? [];
    const compacted = Math.max(-1, ...answers.map((a) => (a.ok ? a.compactRevision : -1)));
    return { ...this.planEnv(), context: this.deps.context(), ...(compacted > 0 ? { compactedRevision: compacted } : {}) };
  }

  /** The flow's input as its console parser reads the dialog. */
  input(f: FlowView): Parsed<unknown> {
    return flowById(f.kind).fromConsole(this.source(f), this.planEnv());
  }

  /** The planner's answer for this flow against a view; a flow on hosts answers from its preflight. */
  planWith(view: ClusterView, f: FlowView, prepared: HostPrepared | undefined): PlanResult {
    const def = flowById(f.kind);
    // A flow on hosts plans from its preflight (prepareHosts), again on a fresh view before it runs.
    if (isHostsFlow(def)) return prepared ? prepared.replan(view) : { ok: false, refusal: 'preflight has not run yet' };
    const env = this.planEnv();
    const input = def.fromConsole(this.source(f), env);
    return input.ok ? def.plan(view, input.input, env) : input;
  }

  /** The arguments an audit record of this dialog's refusal keeps. */
  refusalArgs(f: FlowView): Record<string, unknown> {
    const def = flowById(f.kind);
    const input = def.fromConsole(this.source(f), this.planEnv());
    return def.audit(input.ok ? input.input : undefined, this.source(f));
  }

  /** Records a refusal in the audit log; the error's text if the record could not be written. */
  recordRefusal(f: FlowView, args: Record<string, unknown>, view: ClusterView, refusal: string): string | undefined {
    try {
      recordRefusal(this.deps.audit, this.deps.context(), f.kind, args, view, refusal);
      return undefined;
    } catch (error) {
      return errorMessage(error);
    }
  }
}
