/**
 * Headless snapshot commands:
 *  - `etcd-tui snapshot save FILE [--from ID|NAME] [--dry-run] [--json]`: plan, then a verified save
 *    (src/run/snapshot-save.ts) through the same executor and audit log as the other flows. No
 *    question is asked: a save changes nothing in the cluster and never overwrites a file, and
 *    scheduled backups run without a terminal (etcdctl does not ask either). --yes is accepted.
 *  - `etcd-tui snapshot status FILE [--json]`: what `etcdutl snapshot status` prints, computed in
 *    TypeScript (src/snapshot), plus the sha256 trailer check. Needs no cluster and no settings.
 */
import path from 'node:path';
import { SNAPSHOT_USAGE } from './usage.js';
import { readFileSync } from 'node:fs';
import type { CliFlags } from './args.js';
import type { ConnectionSettings } from '../domain/config.js';
import { ConfigError } from '../domain/errors.js';
import { DEFAULT_HEALTH_OPTIONS } from '../domain/types.js';
import { EtcdGateway } from '../cluster/etcd-gateway.js';
import { deadlinesFor } from './deadlines.js';
import { collectStatus } from './status.js';
import { FLOW_EXIT, abortOnSignal, cliPlanEnv, flowExitCode, flowFromCli, outcomeLine, planText, printer } from './headless.js';
import { flowByCommand } from '../flows/modules/index.js';
import { AuditLog, defaultAuditPath } from '../run/audit.js';
import { auditLine, auditOutputs, checkOutputs, guardAudit } from './outputs.js';
import { executeFlow, recordRefusal } from '../run/flow.js';
import { snapshotPaths } from '../run/snapshot-save.js';
import { formatSha256, formatStatusJson, formatStatusTable, snapshotStatus, type SnapshotStatus } from '../snapshot/status.js';
import { SnapshotError } from '../snapshot/errors.js';

export { SNAPSHOT_USAGE } from './usage.js';

/** Exit codes of `snapshot status`. */
export const STATUS_EXIT = { ok: 0, noTrailer: 1, shaMismatch: 2, invalid: 3, usage: 4 } as const;

export async function runSnapshotCommand(sub: string | undefined, args: string[], flags: CliFlags, settings: () => Promise<ConnectionSettings>): Promise<number> {
  switch (sub) {
    case 'status':
      return status(args, flags);
    case 'save':
      return save(args, flags, await settings());
    case undefined:
      throw new ConfigError(`snapshot: which command? (usage:\n${SNAPSHOT_USAGE})`);
    default:
      throw new ConfigError(`unknown snapshot command "${sub}" (usage:\n${SNAPSHOT_USAGE})`);
  }
}

function oneFile(args: string[], sub: string): string {
  if (args.length === 0 || !args[0]) throw new ConfigError(`snapshot ${sub}: the snapshot FILE is missing (usage:\n${SNAPSHOT_USAGE})`);
  if (args.length > 1) throw new ConfigError(`snapshot ${sub}: unexpected argument "${args[1]}" (one FILE; usage:\n${SNAPSHOT_USAGE})`);
  return args[0];
}

/** The `--json` document of `snapshot status`: etcdutl's four fields first, then the trailer check. */
export function statusJsonText(s: SnapshotStatus): string {
  const base = JSON.parse(formatStatusJson(s)) as Record<string, unknown>;
  return JSON.stringify({ ...base, fileSize: s.fileSize, sha256: s.sha256 });
}

export function statusExitCode(s: SnapshotStatus): number {
  if (!s.sha256.present) return STATUS_EXIT.noTrailer;
  return s.sha256.ok ? STATUS_EXIT.ok : STATUS_EXIT.shaMismatch;
}

async function status(args: string[], flags: CliFlags): Promise<number> {
  const file = oneFile(args, 'status');
  let s: SnapshotStatus;
  try {
    s = await snapshotStatus(file);
  } catch (error) {
    if (!(error instanceof SnapshotError)) throw error;
    const code = error.kind === 'io' ? STATUS_EXIT.usage : STATUS_EXIT.invalid;
    if (flags.json) process.stdout.write(JSON.stringify({ file, valid: false, error: { kind: error.kind, message: error.message } }) + '\n');
    process.stderr.write(`etcd-tui: ${file}: ${error.message}${code === STATUS_EXIT.invalid ? ' (not a valid snapshot)' : ''}\n`);
    return code;
  }
  process.stdout.write(flags.json ? statusJsonText(s) + '\n' : `${formatStatusTable(s)}\n${formatSha256(s)}\n`);
  return statusExitCode(s);
}

async function save(args: string[], flags: CliFlags, settings: ConnectionSettings): Promise<number> {
  const def = flowByCommand(['snapshot', 'save']);
  if (!def) throw new Error('no snapshot-save flow');
  // The file is recorded as an absolute path, also in the audit record of a refusal.
  const file = path.resolve(oneFile(args, 'save'));
  const flow = flowFromCli(def, [file], flags, SNAPSHOT_USAGE);
  // With --json, stdout carries only the sidecar document; people read stderr.
  const out = flags.json ? process.stderr : process.stdout;
  const gateway = new EtcdGateway(settings, deadlinesFor(settings));
  const health = { ...DEFAULT_HEALTH_OPTIONS, ...(settings.quotaBytes ? { quotaBytes: settings.quotaBytes } : {}) };
  // No alarm list (a raft entry on etcd 3.4/3.5): a save leaves the cluster's log as it was; the
  // members' Status errors carry their alarms.
  const observe = () => collectStatus(gateway, health, Date.now, { alarms: false });
  const audit = guardAudit(new AuditLog(flags.auditLog ?? defaultAuditPath()));
  try {
    // The snapshot's directory and the audit log, before anything is read (an existing file is the planner's refusal).
    checkOutputs([{ kind: 'new-file', path: file, what: 'the snapshot file', existing: 'planner' }, ...auditOutputs(audit.path)]);
    const view = await observe();
    const planned = flow.plan(view, cliPlanEnv(settings));
    if (!planned.ok) {
      out.write(`REFUSED: ${planned.refusal}\nnothing was saved\n`);
      if (!flags.dryRun) recordRefusal(audit, settings.contextName, 'snapshot-save', flow.audit, view, planned.refusal);
      return FLOW_EXIT.refused;
    }
    const plan = planned.plan;
    out.write(planText(plan) + '\n');
    if (flags.dryRun) {
      out.write('dry run: nothing was saved\n');
      return FLOW_EXIT.ok;
    }
    const result = await abortOnSignal(
      out,
      'aborting: the partial file is removed ...\n',
      (signal) => executeFlow(plan, view, { gateway, observe, onEvent: printer(plan, out, { delayFirstProgress: true }), signal, audit, context: settings.contextName }),
    );
    out.write(outcomeLine(result));
    out.write(auditLine(audit));
    if (result.outcome === 'succeeded' && flags.json) {
      process.stdout.write(readFileSync(snapshotPaths(file).sidecar, 'utf8'));
    }
    return flowExitCode(result);
  } finally {
    gateway.close();
  }
}
