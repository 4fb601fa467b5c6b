/**
 * The HEALTH pane's lines for a given width and number of rows: problems first (critical, then
 * degraded, unknown, info, passed), each line whole and wrapped when the rows allow it; when they
 * do not, the passed checks folded into one line, then the problems shortened from the middle
 * (never their next step), and only then problems left out, with a line that says how many. Pure.
 */
import type { VerdictReason } from '../domain/types.js';
import { healthLines } from './layout.js';

export type HealthLevel = VerdictReason['level'];

export interface HealthLine {
  level: HealthLevel;
  /** The text of this row (a wrapped reason takes several rows; only the first shows the mark). */
  text: string;
  first: boolean;
}

const ORDER: HealthLevel[] = ['crit', 'warn', 'unknown', 'info', 'ok'];

/** Reasons in the order the pane lists them: the worst first, the verdict's order within a level. */
export function orderReasons(reasons: VerdictReason[]): VerdictReason[] {
  return ORDER.flatMap((level) => reasons.filter((r) => r.level === level));
}

function layout(reasons: VerdictReason[], width: number, mode: 'wrap' | 'short'): HealthLine[] {
  return reasons.flatMap((r) => healthLines(mode === 'short' ? (r.brief ?? r.text) : r.text, r.fix, width, mode).map((text, i) => ({ level: r.level, text, first: i === 0 })));
}

/** The rows the pane would like: every reason whole. */
export function healthRowsWanted(reasons: VerdictReason[], width: number): number {
  return layout(reasons, width, 'wrap').length;
}

/** The rows the pane needs at least: the worst problem, shortened. */
export function healthRowsNeeded(reasons: VerdictReason[], width: number): number {
  const worst = orderReasons(reasons)[0];
  return worst ? layout([worst], width, 'short').length : 1;
}

/** The lines that fit `rows` rows (all of them when rows is undefined). */
export function healthPaneLines(reasons: VerdictReason[], width: number, rows?: number): HealthLine[] {
  const ordered = orderReasons(reasons);
  const wrapped = layout(ordered, width, 'wrap');
  if (rows === undefined || wrapped.length <= rows) return wrapped;
  if (rows <= 0) return [];
  // Rows are scarce: the passed checks fold into one line first, then the problems are shortened.
  const passed = ordered.filter((r) => r.level === 'ok');
  const problems = ordered.filter((r) => r.level !== 'ok');
  const passedText = problems.length === 0 ? `all ${passed.length} checks passed` : `${passed.length} more check${passed.length === 1 ? '' : 's'} passed`;
  const folded: HealthLine[] = passed.length ? [{ level: 'ok', text: passedText, first: true }] : [];
  const wrappedProblems = layout(problems, width, 'wrap');
  if (wrappedProblems.length + folded.length <= rows) return [...wrappedProblems, ...folded];
  const shortProblems = layout(problems, width, 'short');
  if (shortProblems.length + folded.length <= rows) return [...shortProblems, ...folded];
  // Not even the problems fit: as many whole ones as the rows allow, then how many are left out.
  const out: HealthLine[] = [];
  let shown = 0;
  for (const r of problems) {
    const lines = layout([r], width, 'short');
    if (out.length + lines.length > rows - 1) break;
    out.push(...lines);
    shown += 1;
  }
  const left = problems.length - shown;
  out.push({ level: 'info', text: `+${left} more problem${left === 1 ? '' : 's'}${passed.length ? `, ${passed.length} passed` : ''}: a taller terminal or \`etcd-tui status\` shows all`, first: true });
  return out.slice(0, rows);
}
