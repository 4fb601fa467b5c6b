/**
 * Headless membership flows: `etcd-tui member add-learner|promote|remove|move-leader|replace`.
 * Same planner and executor as the console: print the plan, confirm (a terminal, or --yes), run
 * one line per step, record the audit entry, exit non-zero on refusal or failure.
 */
import { writeFileSync } from 'node:fs';
import { MEMBER_USAGE } from './usage.js';
import type { CliFlags } from './args.js';
import type { ConnectionSettings } from '../domain/config.js';
import { ConfigError } from '../domain/errors.js';
import { DEFAULT_HEALTH_OPTIONS } from '../domain/types.js';
import { EtcdGateway } from '../cluster/etcd-gateway.js';
import { deadlinesFor } from './deadlines.js';
import { collectStatus } from './status.js';
import { envLines } from '../plans/membership.js';
import { AuditLog, defaultAuditPath } from '../run/audit.js';
import { auditLine, auditOutputs, checkOutputs, guardAudit } from './outputs.js';
import { errorMessage } from '../domain/errors.js';
import { readAuditLines } from '../monitor/backup.js';
import { namesFromAudit } from '../health/backup.js';
import { executeFlow } from '../run/flow.js';
import { abortOnSignal, cliPlanEnv, flowExitCode, outcomeLine, flowFromCli, presentPlan, printer } from './headless.js';
import { flowByCommand } from '../flows/modules/index.js';
import type { AnyFlowDefinition } from '../flows/flow.js';

export { FLOW_EXIT, confirm, planText, printer } from './headless.js';


export { MEMBER_USAGE } from './usage.js';

/** The flow module of a `member` subcommand. */
function memberFlow(sub: string): AnyFlowDefinition {
  const def = flowByCommand(['member', sub]);
  if (!def) throw new ConfigError(`unknown member command "${sub}" (usage:\n${MEMBER_USAGE})`);
  return def;
}

export async function runMemberCommand(sub: string | undefined, args: string[], flags: CliFlags, settings: ConnectionSettings): Promise<number> {
  if (!sub) throw new ConfigError(`member: which command? (usage:\n${MEMBER_USAGE})`);
  if (settings.readOnly) throw new ConfigError(`member ${sub}: not available in read-only mode (--read-only or the context's readOnly)`);
  const gateway = new EtcdGateway(settings, deadlinesFor(settings));
  const health = { ...DEFAULT_HEALTH_OPTIONS, ...(settings.quotaBytes ? { quotaBytes: settings.quotaBytes } : {}) };
  const observe = (opts?: { alarms?: boolean }) => collectStatus(gateway, health, Date.now, opts);
  const audit = guardAudit(new AuditLog(flags.auditLog ?? defaultAuditPath()));
  const out = process.stdout;
  try {
    const flow = flowFromCli(memberFlow(sub), args, flags, MEMBER_USAGE);
    // Every local output is checked before the cluster is looked at, let alone changed.
    checkOutputs([...auditOutputs(audit.path), ...(flags.envOut ? [{ kind: 'new-file' as const, path: flags.envOut, what: 'the env file (--env-out)', existing: 'refuse' as const }] : [])]);
    const view = await observe();
    // The names the add flows gave to members that have not started yet (etcd lists them nameless).
    const planned = flow.plan(view, { ...cliPlanEnv(settings), memberNames: namesFromAudit(readAuditLines(audit.path)) });
    const gate = await presentPlan(planned, { out, flags, audit, context: settings.contextName, command: sub, args: flow.audit, view });
    if (!gate.ok) return gate.exit;
    const plan = gate.plan;
    const result = await abortOnSignal(out, 'aborting after the current wait ...\n', (signal) =>
      executeFlow(plan, view, { gateway, observe, onEvent: printer(plan, out), signal, audit, context: settings.contextName }),
    );
    const added = Object.values(result.data ?? {}).find((d) => d.kind === 'member-added');
    if (flags.envOut && added?.kind === 'member-added') {
      try {
        // 'wx': never over a file that appeared since the check.
        writeFileSync(flags.envOut, envLines(added.env).join('\n') + '\n', { mode: 0o600, flag: 'wx' });
        out.write(`env block written to ${flags.envOut}\n`);
      } catch (error) {
        process.stderr.write(`etcd-tui: WARNING: the env block could not be written to ${flags.envOut}: ${errorMessage(error)} (it is printed above)\n`);
      }
    }
    out.write(outcomeLine(result));
    out.write(auditLine(audit));
    return flowExitCode(result);
  } finally {
    gateway.close();
  }
}
