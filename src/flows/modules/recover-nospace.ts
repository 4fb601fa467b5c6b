/** NOSPACE recovery: compact, rolling defrag of every voter, check the quota, disarm NOSPACE only. */
import { planRecoverNospace, type RecoverNospaceInput } from '../../plans/maintenance.js';
import { defineFlow } from '../flow.js';
import { needList } from './common.js';
import { maintenanceCommon } from './defrag.js';

type Input = Pick<RecoverNospaceInput, 'compactRetain' | 'moveLeader'> & { console?: boolean };

export default defineFlow<Input>({
  id: 'recover-nospace',
  title: 'Recover from NOSPACE',
  command: {
    id: 'alarms',
    title: 'NOSPACE recovery',
    description: 'Recover from NOSPACE: compact (keeping the last N revisions: `:alarms N`), rolling defrag of every voter, check every member is below the quota, disarm NOSPACE only (CORRUPT never)',
    keys: ['A'],
    disabledReason: needList,
  },
  opening: { kind: 'argument' },
  // `:alarms` (keep the default number of revisions), `:alarms N` (keep the last N), `:alarms N move-leader`.
  fromConsole: ({ argument }) => {
    const words = (argument ?? '').split(/\s+/).filter(Boolean);
    const moveLeader = words.includes('move-leader');
    const rest = words.filter((w) => w !== 'move-leader');
    if (rest.length === 0) return { ok: true, input: { moveLeader, console: true } };
    if (rest.length > 1 || !/^\d+$/.test(rest[0]) || !Number.isSafeInteger(Number(rest[0]))) return { ok: false, refusal: `"${rest.join(' ')}" is not a number of revisions to keep: :alarms N (e.g. :alarms 10000), or :alarms alone for the default` };
    return { ok: true, input: { compactRetain: Number(rest[0]), moveLeader, console: true } };
  },
  cli: {
    command: ['alarm', 'recover-nospace'],
    fromCli: ({ options }) => ({ compactRetain: options.compactRetain, moveLeader: options.moveLeader ?? false }),
  },
  plan: (view, input, env) => {
    const planned = planRecoverNospace(view, { ...maintenanceCommon(env), compactRetain: input.compactRetain, moveLeader: input.moveLeader });
    if (!input.console || !planned.ok) return planned;
    // The console's words: `:alarms N`, not the CLI's --compact-retain N.
    return { ok: true, plan: { ...planned.plan, warnings: planned.plan.warnings.map((w) => w.replace(/^--compact-retain (\d+):/, ':alarms $1:')) } };
  },
  audit: (input) => ({ ...input }),
});
