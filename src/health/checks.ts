/**
 * Extra health lines from the visibility checks (certificates, metrics, consistency, backup age)
 * appended to the cluster verdict with one call. The level follows the same rule as the verdict:
 * any crit -> critical, any warn -> degraded. Appending again replaces the earlier extra lines.
 * Pure (the memo only remembers which verdict a result was built from).
 */
import type { Verdict, VerdictReason } from '../domain/types.js';

const BASE = new WeakMap<Verdict, Verdict>();

/** The verdict with the checks' reasons appended (by source, in a stable order). */
export function withChecks(verdict: Verdict, checks: Record<string, VerdictReason[]>): Verdict {
  const base = BASE.get(verdict) ?? verdict;
  const extra = Object.keys(checks)
    .sort()
    .flatMap((k) => checks[k]);
  if (extra.length === 0) return base;
  const reasons = [...base.reasons, ...extra];
  if (base.level === 'unknown') {
    const result = { ...base, reasons };
    BASE.set(result, base);
    return result;
  }
  const crit = reasons.filter((r) => r.level === 'crit');
  const warn = reasons.filter((r) => r.level === 'warn');
  const level = crit.length > 0 ? 'critical' : warn.length > 0 ? 'degraded' : 'healthy';
  const first = crit[0] ?? warn[0];
  const summary = first ? `${level}: ${first.text}` : base.summary;
  const result: Verdict = { ...base, level, summary, reasons };
  BASE.set(result, base);
  return result;
}
