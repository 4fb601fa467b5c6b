/**
 * What every headless flow command shares: the plan as text, the gate before a run (refusal with
 * its audit record, --dry-run, no terminal without --yes, the confirmation), and one line per step.
 */
import { askLine } from './ask.js';
import type { CliFlags } from './args.js';
import type { Plan, PlanResult, RunEvent, RunResult } from '../domain/plan.js';
import type { ClusterView } from '../health/view.js';
import type { AuditLog } from '../run/audit.js';
import { recordRefusal } from '../run/flow.js';
import { formatDuration } from '../format/units.js';
import { lstatSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { ConnectionSettings } from '../domain/config.js';
import { DEFAULT_HEALTH_OPTIONS } from '../domain/types.js';
import type { AnyFlowDefinition, PlanEnv } from '../flows/flow.js';
import type { ClusterGateway } from '../cluster/gateway.js';
import type { ExecutorDeps, HostAccess } from '../run/types.js';
import { executeFlow } from '../run/flow.js';
import { RunJournal, journalDir } from '../run/journal.js';
import { abortOnSignal } from './signals.js';

export { abortOnSignal };

/** Exit codes of the flows (0 success, 4 usage as elsewhere). */
export const FLOW_EXIT = { ok: 0, usage: 4, refused: 5, failed: 6, aborted: 7 } as const;

/** The plan as text: title, preview, warnings, steps with their etcdctl equivalents. */
export function planText(plan: Plan): string {
  const lines = [`PLAN: ${plan.title}`, ...plan.preview.map((l) => `  ${l}`)];
  for (const w of plan.warnings) lines.push(`  WARNING: ${w}`);
  lines.push('STEPS:');
  plan.steps.forEach((s, i) => {
    lines.push(`  ${i + 1}. ${s.title}`);
    lines.push(`       $ ${s.command}`);
    if (s.preconditions.length) lines.push(`       requires: ${s.preconditions.join('; ')}`);
  });
  return lines.join('\n');
}

/** Ask on the terminal (stderr) unless --yes: the member name for type-to-confirm plans, else y/N. */
export async function confirm(plan: Plan, flags: CliFlags): Promise<boolean> {
  if (flags.yes) return true;
  // Ctrl-C or Ctrl-D at the question: undefined, not confirmed.
  if (plan.confirmPhrase) return (await askLine(`Type the member name "${plan.confirmPhrase}" to go ahead: `))?.trim() === plan.confirmPhrase;
  return /^y(es)?$/i.test((await askLine('Go ahead? [y/N] '))?.trim() ?? '');
}

/** One line per step event (progress at most once a second per step). */
export function printer(plan: Plan, out: NodeJS.WritableStream, opts: { delayFirstProgress?: boolean } = {}): (e: RunEvent) => void {
  let lastProgress = 0;
  const n = plan.steps.length;
  return (e) => {
    const tag = 'index' in e ? `[${e.index + 1}/${n}]` : '';
    switch (e.type) {
      case 'step-start':
        // A step's first progress line shows at once, or (a snapshot's byte counter) after a second.
        lastProgress = opts.delayFirstProgress ? Date.now() : 0;
        out.write(`${tag} ${plan.steps[e.index].title} ...\n`);
        break;
      case 'step-done':
        out.write(`${tag} ok${e.detail ? `: ${e.detail}` : ''}\n`);
        break;
      case 'step-failed':
        out.write(`${tag} FAILED: ${e.error}\n`);
        break;
      case 'output':
        for (const l of e.lines) out.write(`      ${l}\n`);
        break;
      case 'retry':
        out.write(`${tag} try ${e.attempt}: ${e.error}; again in ${formatDuration(e.nextInMs)}\n`);
        break;
      case 'progress':
        if (Date.now() - lastProgress >= 1000) {
          lastProgress = Date.now();
          out.write(`${tag} ${e.text}\n`);
        }
        break;
    }
  };
}

export interface GateContext {
  out: NodeJS.WritableStream;
  flags: CliFlags;
  audit: AuditLog;
  context: string;
  command: string;
  /** The arguments as recorded with a refusal. */
  args: Record<string, unknown>;
  view?: ClusterView;
}

/**
 * Print the plan (or the refusal, recorded unless --dry-run) and decide whether to run it:
 * --dry-run stops here, no terminal needs --yes, a terminal asks. Returns the plan to run or the exit code.
 */
export async function presentPlan(planned: PlanResult, ctx: GateContext): Promise<{ ok: true; plan: Plan } | { ok: false; exit: number }> {
  const { out, flags } = ctx;
  if (!planned.ok) {
    out.write(`REFUSED: ${planned.refusal}\nnothing was changed\n`);
    if (!flags.dryRun) recordRefusal(ctx.audit, ctx.context, ctx.command, ctx.args, ctx.view, planned.refusal);
    return { ok: false, exit: FLOW_EXIT.refused };
  }
  const plan = planned.plan;
  out.write(planText(plan) + '\n');
  if (flags.dryRun) {
    out.write('dry run: nothing was changed\n');
    return { ok: false, exit: FLOW_EXIT.ok };
  }
  if (!flags.yes && !process.stdin.isTTY) {
    // "Not confirmed" (exit 7, as the help says), not a usage error: the plan was fine.
    process.stderr.write('etcd-tui: not confirmed: pass --yes to run without a terminal to ask on (or --dry-run to see the plan only); nothing was changed\n');
    return { ok: false, exit: FLOW_EXIT.aborted };
  }
  if (!(await confirm(plan, flags))) {
    out.write('not confirmed: nothing was changed\n');
    return { ok: false, exit: FLOW_EXIT.aborted };
  }
  return { ok: true, plan };
}

/** The run's last line: outcome, duration, error. */
export function outcomeLine(result: RunResult): string {
  return `${result.outcome.toUpperCase()} in ${formatDuration(result.durationMs)}${result.error ? `: ${result.error}` : ''}\n`;
}

/** The exit code of a run's outcome (see FLOW_EXIT). */
export function flowExitCode(result: RunResult): number {
  return result.outcome === 'succeeded' ? FLOW_EXIT.ok : result.outcome === 'aborted' ? FLOW_EXIT.aborted : FLOW_EXIT.failed;
}

/**
 * The planners' environment of a headless command, from the connection settings (the console fills
 * the same from its store): the same gap threshold, quota, command timeout and file checks.
 */
export function cliPlanEnv(settings: ConnectionSettings): PlanEnv {
  return {
    gapThreshold: DEFAULT_HEALTH_OPTIONS.indexGapThreshold,
    quotaBytes: settings.quotaBytes ?? DEFAULT_HEALTH_OPTIONS.quotaBytes,
    quotaGiven: settings.quotaBytes !== undefined,
    commandTimeoutMs: settings.commandTimeoutMs,
    downSince: {},
    now: Date.now,
    withAuth: Boolean(settings.user),
    existing: (paths) =>
      paths.filter((p) => {
        try {
          lstatSync(p);
          return true;
        } catch {
          return false;
        }
      }),
    resolvePath: (p) => resolvePath(p),
  };
}

/**
 * A flow module's input from a command line (its CLI parser: usage errors throw ConfigError, exit 4),
 * with the plan function and the audit fields of a refusal.
 */
export function flowFromCli(def: AnyFlowDefinition, args: string[], flags: CliFlags, usage: string): { plan(view: ClusterView, env: PlanEnv): PlanResult; audit: Record<string, unknown> } {
  if (!def.cli) throw new Error(`flow ${def.id} has no command line`);
  const input: unknown = def.cli.fromCli({ args, options: flags, usage });
  return { plan: (view, env) => def.plan(view, input, env), audit: def.audit(input, { argument: args.join(' ') || undefined, target: args[0] }) };
}

export interface HeadlessRunDeps {
  gateway: ClusterGateway;
  observe: (o?: { alarms?: boolean }) => Promise<ClusterView>;
  audit: AuditLog;
  out: NodeJS.WritableStream;
  /** The context's name (audit record, run journal). */
  context: string;
  /** The executor's way to the hosts (flows over SSH). */
  hosts?: HostAccess;
  /** What SIGINT / SIGTERM prints before the run stops and undoes. */
  abortText?: string;
  /** Awaited before each step (a rolling run's pacer: --pause-between). */
  beforeStep?: ExecutorDeps['beforeStep'];
  /** How often gates and waits look again (default the executor's). */
  pollMs?: number;
}

/**
 * Run a confirmed plan headless, journaled: the run ID and its journal are printed first (a run cut
 * off by kill -9 or a lost session is finished later with `etcd-tui undo RUN`), one line per step,
 * SIGINT / SIGTERM abort (and undo), the rollback's lines as they come, the journal closed at the end.
 */
export async function runPlanHeadless(plan: Plan, before: ClusterView, deps: HeadlessRunDeps): Promise<RunResult> {
  const print = printer(plan, deps.out);
  const journal = RunJournal.start(journalDir(deps.audit.path), plan, deps.context);
  deps.out.write(`run ${journal.id}: journal in ${journal.path} (if this run is cut off: etcd-tui undo ${journal.id})\n`);
  const result = await abortOnSignal(deps.out, deps.abortText ?? 'aborting: the current step stops, then everything done so far is undone ...\n', (signal) =>
    executeFlow(plan, before, {
      gateway: deps.gateway,
      observe: deps.observe,
      onEvent: (e) => {
        if (e.type === 'rollback') deps.out.write(`  rollback: ${e.ok ? '' : 'FAILED: '}${e.text}\n`);
        else print(e);
      },
      signal,
      audit: deps.audit,
      context: deps.context,
      ...(deps.hosts ? { hosts: deps.hosts } : {}),
      ...(deps.beforeStep ? { beforeStep: deps.beforeStep } : {}),
      ...(deps.pollMs ? { pollMs: deps.pollMs } : {}),
      journal,
    }),
  );
  journal.finish(result.outcome);
  if (result.rollback && result.rollback.failed.length > 0) deps.out.write(`what was not undone can be undone later, once the hosts answer: etcd-tui undo ${journal.id}\n`);
  return result;
}
