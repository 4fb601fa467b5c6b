/**
 * `etcd-tui check consistency [--json] [--wait DURATION]`: HashKV on every member at the leader's
 * revision, side by side. Exit codes: 0 all agree, 1 a member did not answer (nothing differs among
 * the others), 2 a member's hash differs, 3 no member answered, 4 usage.
 */
import type { ConnectionSettings } from '../domain/config.js';
import { ConfigError } from '../domain/errors.js';
import { EtcdGateway } from '../cluster/etcd-gateway.js';
import type { ClusterGateway, InspectGateway } from '../cluster/gateway.js';
import { deadlinesFor } from './deadlines.js';
import { CheckAborted, runConsistencyCheck } from '../monitor/consistency.js';
import { compareHashes, consistencyExitCode, type ConsistencyResult, type ConsistencyVerdict } from '../health/consistency.js';
import { textTable } from '../format/text-table.js';
import type { CommandIO } from './certs.js';

export interface CheckOptions {
  json?: boolean;
  /** Bound for each member's HashKV (it reads the whole DB); default 2 min. */
  waitMs?: number;
}

export const DEFAULT_HASH_TIMEOUT_MS = 120_000;

export function consistencyText(result: ConsistencyResult, verdict: ConsistencyVerdict): string {
  const mark = { ok: 'ok  ', warn: 'WARN', crit: 'CRIT', info: 'info', unknown: '?   ' } as const;
  return [
    `revision ${result.revision} (from ${result.revisionFrom})`,
    textTable(
      ['MEMBER', 'KV HASH', 'COMPACTED AT', 'TIME', 'STATE'],
      result.answers.map((a) =>
        a.ok
          ? [a.member, a.hash, a.compactRevision < 0 ? 'never' : String(a.compactRevision), `${a.ms} ms`, verdict.differing.includes(a.member) ? 'DIFFERS' : verdict.incomparable.includes(a.member) ? 'not comparable' : 'ok']
          : [a.member, '-', '-', `${a.ms} ms`, `no answer: ${a.error}`],
      ),
    ),
    '',
    ...verdict.reasons.map((r) => `${mark[r.level]} ${r.text}`),
  ].join('\n');
}

export async function runCheckCommand(what: string | undefined, settings: ConnectionSettings, options: CheckOptions, io: CommandIO, gateway?: ClusterGateway & InspectGateway): Promise<number> {
  if (what !== 'consistency') throw new ConfigError(`check: ${what ? `unknown check "${what}"` : 'which check?'} (the one check is: etcd-tui check consistency)`);
  const own = gateway ?? new EtcdGateway(settings, deadlinesFor(settings));
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = await runConsistencyCheck(own, options.waitMs ?? DEFAULT_HASH_TIMEOUT_MS, (p) => io.stderr.write(`hashing at revision ${p.revision}: ${p.done}/${p.total} members done\n`), abort.signal);
    const verdict = compareHashes(result);
    const code = consistencyExitCode(verdict, result.answers.filter((a) => a.ok).length);
    io.stdout.write((options.json ? JSON.stringify({ revision: result.revision, revisionFrom: result.revisionFrom, answers: result.answers, differing: verdict.differing, missing: verdict.missing, majorityHash: verdict.majorityHash ?? null, reasons: verdict.reasons, exitCode: code }, null, 2) : consistencyText(result, verdict)) + '\n');
    return code;
  } catch (error) {
    if (!(error instanceof CheckAborted)) throw error;
    io.stderr.write('etcd-tui: consistency check aborted; nothing was changed\n');
    return 7;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!gateway) own.close();
  }
}
