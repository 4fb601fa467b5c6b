/**
 * Headless membership flows: `etcd-tui member add-learner|promote|remove|move-leader|replace`.
 * Same planner and executor as the console: print the plan, confirm (a terminal, or --yes), run
 * one line per step, record the audit entry, exit non-zero on refusal or failure.
 */
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { CliFlags } from './args.js';
import type { ConnectionSettings } from '../domain/config.js';
import type { Plan, PlanResult, RunEvent } from '../domain/plan.js';
import { ConfigError } from '../domain/errors.js';
import { DEFAULT_HEALTH_OPTIONS } from '../domain/types.js';
import { EtcdGateway } from '../cluster/etcd-gateway.js';
import { deadlinesFor } from './deadlines.js';
import { collectStatus } from './status.js';
import { planAddLearner, planMoveLeader, planPromote, planRemove, planReplace } from '../plans/membership.js';
import { AuditLog, defaultAuditPath } from '../run/audit.js';
import { executeFlow, recordRefusal } from '../run/flow.js';
import type { ClusterView } from '../health/view.js';
import { formatDuration } from '../format/units.js';
import { FLOW_DEFAULTS } from '../plans/defaults.js';

/** Exit codes of the flows (0 success, 4 usage as elsewhere). */
export const FLOW_EXIT = { ok: 0, usage: 4, refused: 5, failed: 6, aborted: 7 } as const;


export const MEMBER_USAGE = `etcd-tui member add-learner --name NAME --peer-urls URL[,URL] [--env-out FILE]
etcd-tui member promote ID|NAME [--wait 5m]
etcd-tui member remove ID|NAME [--no-move-leader]
etcd-tui member move-leader ID|NAME
etcd-tui member replace ID|NAME [--new-name NAME] [--peer-urls URL] [--down-for 30s] [--wait 5m]
  every one also takes --dry-run (show the plan, change nothing), --yes (no question), --audit-log FILE`;

function need(value: string | undefined, what: string): string {
  if (!value) throw new ConfigError(`${what} is missing (usage:\n${MEMBER_USAGE})`);
  return value;
}

/** The plan for a `member` subcommand. */
export function planFor(sub: string, args: string[], flags: CliFlags, view: ClusterView, downSinceMs = 0): PlanResult {
  const wait = flags.waitMs ?? FLOW_DEFAULTS.waitMs;
  switch (sub) {
    case 'add-learner':
      return planAddLearner(view, { name: need(flags.name, '--name'), peerURLs: need(flags.peerURLs, '--peer-urls') });
    case 'promote':
      return planPromote(view, { member: need(args[0], 'the member (ID or name)'), waitMs: wait });
    case 'remove':
      return planRemove(view, { member: need(args[0], 'the member (ID or name)'), moveLeaderFirst: !flags.noMoveLeader, gapThreshold: DEFAULT_HEALTH_OPTIONS.indexGapThreshold, moveTimeoutMs: FLOW_DEFAULTS.moveTimeoutMs });
    case 'move-leader':
      return planMoveLeader(view, { member: need(args[0], 'the member (ID or name)'), timeoutMs: FLOW_DEFAULTS.moveTimeoutMs, gapThreshold: DEFAULT_HEALTH_OPTIONS.indexGapThreshold });
    case 'replace':
      return planReplace(view, {
        member: need(args[0], 'the member (ID or name)'),
        newName: flags.newName,
        peerURLs: flags.peerURLs,
        downForMs: flags.downForMs ?? FLOW_DEFAULTS.downForMs,
        waitMs: wait,
        downSinceMs,
      });
    default:
      throw new ConfigError(`unknown member command "${sub}" (usage:\n${MEMBER_USAGE})`);
  }
}

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
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    if (plan.confirmPhrase) {
      const answer = await rl.question(`Type the member name "${plan.confirmPhrase}" to go ahead: `);
      return answer.trim() === plan.confirmPhrase;
    }
    const answer = await rl.question('Go ahead? [y/N] ');
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** One line per step event (progress at most once a second per step). */
export function printer(plan: Plan, out: NodeJS.WritableStream): (e: RunEvent) => void {
  let lastProgress = 0;
  const n = plan.steps.length;
  return (e) => {
    const tag = 'index' in e ? `[${e.index + 1}/${n}]` : '';
    switch (e.type) {
      case 'step-start':
        lastProgress = 0; // a step's first progress line always shows
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

export async function runMemberCommand(sub: string | undefined, args: string[], flags: CliFlags, settings: ConnectionSettings): Promise<number> {
  if (!sub) throw new ConfigError(`member: which command? (usage:\n${MEMBER_USAGE})`);
  if (settings.readOnly) throw new ConfigError(`member ${sub}: not available in read-only mode (--read-only or the context's readOnly)`);
  const gateway = new EtcdGateway(settings, deadlinesFor(settings));
  const health = { ...DEFAULT_HEALTH_OPTIONS, ...(settings.quotaBytes ? { quotaBytes: settings.quotaBytes } : {}) };
  const observe = (opts?: { alarms?: boolean }) => collectStatus(gateway, health, Date.now, opts);
  const audit = new AuditLog(flags.auditLog ?? defaultAuditPath());
  const out = process.stdout;
  try {
    const view = await observe();
    const planned = planFor(sub, args, flags, view);
    if (!planned.ok) {
      out.write(`REFUSED: ${planned.refusal}\nnothing was changed\n`);
      if (!flags.dryRun) recordRefusal(audit, settings.contextName, sub, { args, name: flags.name, peerURLs: flags.peerURLs }, view, planned.refusal);
      return FLOW_EXIT.refused;
    }
    const plan = planned.plan;
    out.write(planText(plan) + '\n');
    if (flags.dryRun) {
      out.write('dry run: nothing was changed\n');
      return FLOW_EXIT.ok;
    }
    if (!flags.yes && !process.stdin.isTTY) {
      // "Not confirmed" (exit 7, as the help says), not a usage error: the plan was fine.
      process.stderr.write('etcd-tui: not confirmed: pass --yes to run without a terminal to ask on (or --dry-run to see the plan only); nothing was changed\n');
      return FLOW_EXIT.aborted;
    }
    if (!(await confirm(plan, flags))) {
      out.write('not confirmed: nothing was changed\n');
      return FLOW_EXIT.aborted;
    }
    const controller = new AbortController();
    const onSigint = () => {
      out.write('aborting after the current wait ...\n');
      controller.abort();
    };
    process.on('SIGINT', onSigint);
    try {
      const result = await executeFlow(plan, view, { gateway, observe, onEvent: printer(plan, out), signal: controller.signal, audit, context: settings.contextName });
      if (flags.envOut && result.output.length) {
        writeFileSync(flags.envOut, result.output.filter((l) => !l.startsWith('#')).join('\n') + '\n', { mode: 0o600 });
        out.write(`env block written to ${flags.envOut}\n`);
      }
      out.write(`${result.outcome.toUpperCase()} in ${formatDuration(result.durationMs)}${result.error ? `: ${result.error}` : ''}\n`);
      out.write(`audit record appended to ${audit.path}\n`);
      return result.outcome === 'succeeded' ? FLOW_EXIT.ok : result.outcome === 'aborted' ? FLOW_EXIT.aborted : FLOW_EXIT.failed;
    } finally {
      process.off('SIGINT', onSigint);
    }
  } finally {
    gateway.close();
  }
}
