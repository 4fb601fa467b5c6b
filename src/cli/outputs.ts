/**
 * The headless flows' local outputs: each is checked before anything changes (a refusal, exit 5,
 * one sentence naming the path), and the audit log is written so that a write that fails after the
 * change (a full disk, a log moved away) warns instead of ending the command with a crash.
 */
import { ExitError, errorMessage } from '../domain/errors.js';
import type { AuditRecord } from '../domain/plan.js';
import type { AuditLog } from '../run/audit.js';
import { journalDir } from '../run/journal.js';
import { localOutputsProblem, type LocalOutput } from '../run/local-files.js';
import { FLOW_EXIT } from './headless.js';

/** The audit log (and, for flows that keep one, the run-journal directory beside it). */
export function auditOutputs(auditPath: string, opts: { journal?: boolean } = {}): LocalOutput[] {
  const list: LocalOutput[] = [{ kind: 'append', path: auditPath, what: 'the audit log' }];
  if (opts.journal) list.push({ kind: 'dir', path: journalDir(auditPath), what: 'the run-journal directory' });
  return list;
}

/** Refuse (exit 5, one line) when any of these outputs cannot be written; nothing has changed yet. */
export function checkOutputs(outputs: LocalOutput[]): void {
  const problem = localOutputsProblem(outputs);
  if (problem) throw new ExitError(`refused: ${problem}; nothing was changed`, FLOW_EXIT.refused);
}

/** An audit log whose failed appends become a warning line (the run's outcome and exit code stand). */
export interface GuardedAudit extends AuditLog {
  /** Why the last append failed, if it did. */
  failure(): string | undefined;
}

export function guardAudit(log: AuditLog, warn: NodeJS.WritableStream = process.stderr): GuardedAudit {
  let failed: string | undefined;
  return {
    path: log.path,
    append(record: AuditRecord) {
      try {
        log.append(record);
        failed = undefined;
      } catch (error) {
        failed = errorMessage(error);
        warn.write(`etcd-tui: WARNING: the audit record (${record.command}, ${record.outcome}) could not be written to ${log.path}: ${failed}\n`);
      }
    },
    failure: () => failed,
  };
}

/** The closing line about the audit record: where it went, or that it could not be written. */
export function auditLine(audit: GuardedAudit): string {
  return audit.failure() ? `audit record NOT written to ${audit.path} (see the warning above)\n` : `audit record appended to ${audit.path}\n`;
}
