/**
 * Headless membership flows: `etcd-tui member add-learner|promote|remove|move-leader|replace`.
 * Same planner and executor as the console: print the plan, confirm (a terminal, or --yes), run
 * one line per step, record the audit entry, exit non-zero on refusal or failure.
 */
import { writeFileSync } from 'node:fs';
import type { CliFlags } from './args.js';
import type { ConnectionSettings } from '../domain/config.js';
import type { PlanResult } from '../domain/plan.js';
import { ConfigError } from '../domain/errors.js';
import { DEFAULT_HEALTH_OPTIONS } from '../domain/types.js';
import { EtcdGateway } from '../cluster/etcd-gateway.js';
import { deadlinesFor } from './deadlines.js';
import { collectStatus } from './status.js';
import { envLines, planAddLearner, planMoveLeader, planPromote, planRemove, planReplace } from '../plans/membership.js';
import { AuditLog, defaultAuditPath } from '../run/audit.js';
import { executeFlow } from '../run/flow.js';
import { abortOnSignal, flowExitCode, outcomeLine, presentPlan, printer } from './headless.js';
import type { ClusterView } from '../health/view.js';
import { FLOW_DEFAULTS } from '../plans/defaults.js';

export { FLOW_EXIT, confirm, planText, printer } from './headless.js';


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
    const gate = await presentPlan(planned, { out, flags, audit, context: settings.contextName, command: sub, args: { args, name: flags.name, peerURLs: flags.peerURLs }, view });
    if (!gate.ok) return gate.exit;
    const plan = gate.plan;
    const result = await abortOnSignal(out, 'aborting after the current wait ...\n', (signal) =>
      executeFlow(plan, view, { gateway, observe, onEvent: printer(plan, out), signal, audit, context: settings.contextName }),
    );
    const added = Object.values(result.data ?? {}).find((d) => d.kind === 'member-added');
    if (flags.envOut && added?.kind === 'member-added') {
      writeFileSync(flags.envOut, envLines(added.env).join('\n') + '\n', { mode: 0o600 });
      out.write(`env block written to ${flags.envOut}\n`);
    }
    out.write(outcomeLine(result));
    out.write(`audit record appended to ${audit.path}\n`);
    return flowExitCode(result);
  } finally {
    gateway.close();
  }
}
