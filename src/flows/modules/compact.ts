/**
 * Compact the history. The console opens a form: the revision to compact up to, with the current
 * revision and the compacted one shown; 0 keeps only the newest revision (compacts up to the current
 * one, with the warning about watchers). The CLI keeps `--retain N` / `--revision R`.
 */
import { currentRevision, planCompact, type CompactInput } from '../../plans/maintenance.js';
import type { PlanResult } from '../../domain/plan.js';
import { defineFlow } from '../flow.js';
import { needList, usageError } from './common.js';

/** The CLI's input, or the console's: `newest` is `:compact 0` (up to the current revision). */
type Input = CompactInput & { newest?: boolean; console?: boolean };

/** The console's syntax, named in its refusals. */
export const COMPACT_SYNTAX = ':compact REV (0 keeps only the newest revision)';

/** The form's value as a compaction: a whole number >= 0, or why not (the console's syntax). */
export function parseCompactRevision(text: string): { ok: true; revision: number } | { ok: false; refusal: string } {
  const value = text.trim();
  if (!value) return { ok: false, refusal: `give the revision to compact up to: ${COMPACT_SYNTAX}` };
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) return { ok: false, refusal: `"${value}" is not a revision: give a whole number, ${COMPACT_SYNTAX}` };
  return { ok: true, revision: Number(value) };
}

/** The planner's answer in the console's words: no CLI flag named; `0` explained. */
function inConsoleWords(result: PlanResult, input: Input, current: number): PlanResult {
  if (!result.ok) return { ok: false, refusal: result.refusal.replace(/--retain N \(keep the last N revisions\) or --revision R, one of them/, COMPACT_SYNTAX) };
  const warnings = result.plan.warnings.filter((w) => !w.includes('is the current revision'));
  if (input.newest || input.revision === current) {
    warnings.unshift(`${input.newest ? ':compact 0 keeps only the newest revision' : `revision ${current} is the current revision`}: the whole history before revision ${current} is gone for good, and every watcher behind it (e.g. Kubernetes informers) gets "required revision has been compacted" and must relist; a lower revision keeps some history`);
  }
  return { ok: true, plan: { ...result.plan, warnings, ...(input.newest ? { args: { ...result.plan.args, newest: true } } : {}) } };
}

export default defineFlow<Input>({
  id: 'compact',
  title: 'Compact history',
  command: {
    id: 'compact',
    title: 'Compact',
    description: 'Compact the history up to a revision: a form with the current and compacted revisions (`:compact REV`; `:compact 0` keeps only the newest revision); says what it costs watchers',
    keys: ['C'],
    disabledReason: needList,
  },
  opening: {
    kind: 'form',
    form: (argument, view, env) => {
      const current = currentRevision(view);
      const value = (argument ?? '').trim();
      return {
        fields: [{ key: 'revision', label: 'revision', value, placeholder: current > 1 ? `e.g. ${Math.max(1, current - 1000)}; 0 keeps only the newest` : '0 keeps only the newest' }],
        focus: 0,
        complete: value !== '',
        notes: [
          `current revision: ${current > 0 ? current : 'not known (no member answers)'}`,
          `compacted revision: ${env.compactedRevision !== undefined ? `${env.compactedRevision} (the last consistency check)` : "not known (etcd's status does not report it; :consistency reads it)"}`,
          'everything before the revision is gone for good; 0 compacts up to the current revision and keeps only the newest',
        ],
      };
    },
  },
  fromConsole: (source) => {
    const parsed = parseCompactRevision(source.field('revision'));
    if (!parsed.ok) return parsed;
    return { ok: true, input: parsed.revision === 0 ? { newest: true, console: true } : { revision: parsed.revision, console: true } };
  },
  cli: {
    command: ['compact'],
    fromCli: ({ options, usage }) => {
      if ((options.retain === undefined) === (options.revision === undefined)) throw usageError('compact: give --retain N (keep the last N revisions) or --revision R, one of them', usage);
      return { retain: options.retain, revision: options.revision };
    },
  },
  plan: (view, input) => {
    const current = currentRevision(view);
    const planned = planCompact(view, input.newest ? { revision: current > 0 ? current : undefined } : { retain: input.retain, revision: input.revision });
    if (input.newest && current === 0) return { ok: false, refusal: 'no member reports a revision: the cluster is not reachable' };
    return input.console ? inConsoleWords(planned, input, current) : planned;
  },
  audit: (input, source) => (input ? { retain: input.retain, revision: input.revision, ...(input.newest ? { newest: true } : {}) } : { revision: source.field?.('revision') ?? source.argument }),
});
