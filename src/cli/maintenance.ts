/**
 * Headless maintenance flows: `etcd-tui defrag`, `compact`, `alarm list`, `alarm recover-nospace`.
 * Same planners and executor as the console, the same shape as `etcd-tui member ...`: print the plan,
 * confirm (a terminal, or --yes), one line per step, a summary of every member's state at the end,
 * the audit record, exit 0 ok / 4 usage / 5 refused / 6 failed / 7 aborted or not confirmed.
 */
import type { CliFlags } from './args.js';
import { MAINTENANCE_USAGE } from './usage.js';
import type { ConnectionSettings } from '../domain/config.js';
import type { Plan, RunEvent, StepData, StepState } from '../domain/plan.js';
import { ConfigError } from '../domain/errors.js';
import { DEFAULT_HEALTH_OPTIONS, type AlarmType } from '../domain/types.js';
import { EtcdGateway } from '../cluster/etcd-gateway.js';
import { deadlinesFor } from './deadlines.js';
import { collectStatus } from './status.js';
import { abortOnSignal, cliPlanEnv, flowExitCode, flowFromCli, outcomeLine, presentPlan, printer } from './headless.js';
import { flowByCommand } from '../flows/modules/index.js';
import type { AnyFlowDefinition } from '../flows/flow.js';
import { AuditLog, defaultAuditPath } from '../run/audit.js';
import { auditLine, auditOutputs, checkOutputs, guardAudit } from './outputs.js';
import { executeFlow } from '../run/flow.js';
import type { ClusterView } from '../health/view.js';
import { formatBytes } from '../format/units.js';
import { hexId, memberLabel } from '../format/ids.js';
import { textTable } from '../format/text-table.js';

export { MAINTENANCE_USAGE } from './usage.js';

/** Exit codes of `alarm list`: as `status`, 0 none, 2 an alarm is armed, 3 the alarms could not be read. */
export const ALARM_EXIT = { none: 0, armed: 2, unreachable: 3 } as const;

type Sub = 'defrag' | 'compact' | 'recover-nospace';

function usage(text: string): ConfigError {
  return new ConfigError(`${text} (usage:\n${MAINTENANCE_USAGE})`);
}

/** Which flow a command line asks for; usage errors (exit 4) for what no planner should see. */
function subcommand(command: string, args: string[]): Sub | 'alarm-list' {
  if (command === 'alarm') {
    const [sub, ...extra] = args;
    if (sub !== 'list' && sub !== 'recover-nospace') throw usage(`alarm: which command? "list" or "recover-nospace"${sub ? `, not "${sub}"` : ''}`);
    if (extra.length) throw usage(`alarm ${sub}: unexpected argument "${extra[0]}"`);
    // Options that are not for the command were refused by the parser (src/cli/commands.ts).
    return sub === 'list' ? 'alarm-list' : 'recover-nospace';
  }
  if (args.length) throw usage(`${command}: unexpected argument "${args[0]}"`);
  if (command === 'defrag' || command === 'compact') return command;
  throw usage(`unknown maintenance command "${command}"`);
}

/** The flow module of a maintenance command. */
function maintenanceFlow(sub: Sub): AnyFlowDefinition {
  const def = flowByCommand(sub === 'recover-nospace' ? ['alarm', 'recover-nospace'] : [sub]);
  if (!def) throw usage(`unknown maintenance command "${sub}"`);
  return def;
}

/** "m1", "m1 and m2", "m1, m2 and m3". */
function names(list: string[]): string {
  return list.length <= 1 ? (list[0] ?? '') : `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`;
}

function stepLabel(plan: Plan, index: number): string {
  const a = plan.steps[index].action;
  switch (a.kind) {
    case 'compact':
      return 'compaction';
    case 'move-leader':
      return `leadership move to ${a.toName}`;
    case 'check-quota':
      return 'quota check';
    case 'disarm-nospace':
      return 'NOSPACE disarm';
    case 'defrag-member':
      return a.name;
    default:
      return plan.steps[index].title;
  }
}

/**
 * The state of the run in one line, from the step states and errors the executor reported:
 * "m1 done, m2 failed: <error>, m3 and m4 not started", then the other steps, the members skipped,
 * and the bytes reclaimed (from the defrag steps' typed data).
 */
export function runSummary(plan: Plan, states: StepState[], errors: Record<number, string>, data: Record<number, StepData | undefined> = {}): string {
  const phrase = (state: StepState, label: string, i: number) =>
    state === 'done' ? `${label} done` : state === 'failed' ? (errors[i] === 'aborted' ? `${label} stopped by the abort` : `${label} failed: ${errors[i] ?? 'unknown error'}`) : state === 'running' ? `${label} interrupted` : `${label} not started`;
  // Segments in step order; consecutive members in the same state (done, not started) share one.
  const segments: Array<{ member: boolean; text: string }> = [];
  let group: { state: StepState; labels: string[] } | undefined;
  const flush = () => {
    if (group) segments.push({ member: true, text: phrase(group.state, names(group.labels), -1) });
    group = undefined;
  };
  plan.steps.forEach((s, i) => {
    const state = states[i] ?? 'pending';
    if (s.action.kind !== 'defrag-member') {
      flush();
      segments.push({ member: false, text: phrase(state, stepLabel(plan, i), i) });
    } else if (state === 'failed' || state === 'running') {
      flush();
      segments.push({ member: true, text: phrase(state, s.action.name, i) });
    } else if (group && group.state === state) {
      group.labels.push(s.action.name);
    } else {
      flush();
      group = { state, labels: [s.action.name] };
    }
  });
  flush();
  // Members read as the issue puts it ("m1 done, m2 failed: ..., m3 and m4 not started"); other steps apart.
  let text = '';
  segments.forEach((seg, i) => {
    if (i > 0) text += seg.member && segments[i - 1].member ? ', ' : '; ';
    text += seg.text;
  });
  const parts = text ? [text] : [];
  const skipped = ((plan.args.skipped as Array<{ member: string; why: string }> | undefined) ?? []).filter((s) => /learner/.test(s.why)).map((s) => s.member);
  if (skipped.length) parts.push(`${names(skipped)} skipped (learner${skipped.length > 1 ? 's' : ''}: no online defrag)`);
  const corrupt = (plan.args.corrupt as string[] | undefined) ?? [];
  if (corrupt.length) parts.push(`CORRUPT left armed on ${names(corrupt)}: replace the member (etcd-tui member replace ${corrupt[0]})`);
  let reclaimed = 0;
  let counted = 0;
  for (const d of Object.values(data)) {
    if (d?.kind === 'defragmented') {
      reclaimed += d.reclaimedBytes;
      counted++;
    }
  }
  if (counted) parts.push(`reclaimed ${formatBytes(reclaimed)} in total`);
  return parts.join('; ');
}

/** The alarm matrix: every member (and any alarmed ID no longer a member) x NOSPACE / CORRUPT. */
export function alarmMatrix(view: ClusterView): Array<{ id: string; hexId: string; name: string; NOSPACE: boolean; CORRUPT: boolean }> {
  const ids = [...view.members.map((m) => m.id), ...view.alarms.map((a) => a.memberId).filter((id) => !view.members.some((m) => m.id === id))];
  return [...new Set(ids)].map((id) => {
    const has = (t: AlarmType) => view.alarms.some((a) => a.memberId === id && a.alarm === t);
    const m = view.members.find((x) => x.id === id);
    return { id, hexId: hexId(id), name: m ? memberLabel(m) : `(not a member) ${hexId(id)}`, NOSPACE: has('NOSPACE'), CORRUPT: has('CORRUPT') };
  });
}

async function alarmList(flags: CliFlags, settings: ConnectionSettings): Promise<number> {
  const gateway = new EtcdGateway(settings, deadlinesFor(settings));
  try {
    const view = await collectStatus(gateway, DEFAULT_HEALTH_OPTIONS);
    const rows = alarmMatrix(view);
    const readable = view.loaded && !view.alarmsError;
    const code = !readable ? ALARM_EXIT.unreachable : view.alarms.length ? ALARM_EXIT.armed : ALARM_EXIT.none;
    if (flags.json) {
      const doc = {
        clusterId: view.clusterId ?? null,
        members: rows.map((r) => ({ id: r.id, hexId: r.hexId, name: r.name, alarms: { NOSPACE: r.NOSPACE, CORRUPT: r.CORRUPT } })),
        alarms: view.alarms.map((a) => ({ memberId: a.memberId, hexId: hexId(a.memberId), name: rows.find((r) => r.id === a.memberId)?.name ?? hexId(a.memberId), alarm: a.alarm })),
        error: !view.loaded ? (view.membershipError?.error ?? 'no answer') : (view.alarmsError ?? null),
        exitCode: code,
      };
      process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
      return code;
    }
    const out: string[] = [];
    if (!readable) {
      out.push(`alarms unknown: ${!view.loaded ? (view.membershipError?.error ?? 'no answer') : view.alarmsError}`);
    } else {
      out.push(textTable(['MEMBER', 'ID', 'NOSPACE', 'CORRUPT'], rows.map((r) => [r.name, r.hexId, r.NOSPACE ? 'ARMED' : '-', r.CORRUPT ? 'ARMED' : '-'])));
      const on = (t: AlarmType) => names(rows.filter((r) => r[t]).map((r) => r.name));
      if (rows.some((r) => r.NOSPACE)) out.push(`NOSPACE armed (${on('NOSPACE')}): the cluster accepts only reads, deletes and compaction; recover with: etcd-tui alarm recover-nospace`);
      for (const r of rows.filter((x) => x.CORRUPT)) out.push(`CORRUPT armed on ${r.name}: its data differs from the others; replace it (etcd-tui member replace ${r.name}) or restore it from a snapshot, then disarm CORRUPT`);
      if (!view.alarms.length) out.push('no alarms');
    }
    process.stdout.write(out.join('\n') + '\n');
    return code;
  } finally {
    gateway.close();
  }
}

export async function runMaintenanceCommand(command: string, args: string[], flags: CliFlags, settings: ConnectionSettings): Promise<number> {
  const sub = subcommand(command, args);
  if (sub === 'alarm-list') return alarmList(flags, settings);
  const label = sub === 'recover-nospace' ? 'alarm recover-nospace' : sub;
  const flow = flowFromCli(maintenanceFlow(sub), [], flags, MAINTENANCE_USAGE);
  if (settings.readOnly) throw new ConfigError(`${label}: not available in read-only mode (--read-only or the context's readOnly)`);
  const gateway = new EtcdGateway(settings, deadlinesFor(settings));
  const health = { ...DEFAULT_HEALTH_OPTIONS, ...(settings.quotaBytes ? { quotaBytes: settings.quotaBytes } : {}) };
  const observe = (opts?: { alarms?: boolean }) => collectStatus(gateway, health, Date.now, opts);
  const audit = guardAudit(new AuditLog(flags.auditLog ?? defaultAuditPath()));
  const out = process.stdout;
  try {
    checkOutputs(auditOutputs(audit.path));
    const view = await observe();
    const planned = flow.plan(view, cliPlanEnv(settings));
    const gate = await presentPlan(planned, { out, flags, audit, context: settings.contextName, command: sub, args: flow.audit, view });
    if (!gate.ok) return gate.exit;
    const plan = gate.plan;
    const states: StepState[] = plan.steps.map(() => 'pending');
    const errors: Record<number, string> = {};
    const data: Record<number, StepData | undefined> = {};
    const print = printer(plan, out);
    const onEvent = (e: RunEvent) => {
      if (e.type === 'step-start') states[e.index] = 'running';
      if (e.type === 'step-done') {
        states[e.index] = 'done';
        data[e.index] = e.data;
      }
      if (e.type === 'step-failed') {
        states[e.index] = 'failed';
        errors[e.index] = e.error;
      }
      print(e);
    };
    // SIGINT (Ctrl-C, or systemd's KillSignal in the defrag unit), SIGTERM and SIGHUP stop the run between
    // members: the member being defragmented is finished and verified first.
    const result = await abortOnSignal(
      out,
      'aborting: the current member is finished and verified first, no further member is started ...\n',
      (signal) => executeFlow(plan, view, { gateway, observe, onEvent, signal, audit, context: settings.contextName }),
      { once: true },
    );
    out.write(outcomeLine(result));
    out.write(`SUMMARY: ${runSummary(plan, states, errors, data)}\n`);
    out.write(auditLine(audit));
    return flowExitCode(result);
  } finally {
    gateway.close();
  }
}
