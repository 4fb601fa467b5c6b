/** Rolling defrag: members chosen by a rule, followers first, leader last, health gates between members. */
import { planDefrag, type DefragInput } from '../../plans/maintenance.js';
import { FLOW_DEFAULTS } from '../../plans/defaults.js';
import { defineFlow, type PlanEnv } from '../flow.js';
import { needList, usageError } from './common.js';

type Input = Pick<DefragInput, 'rule' | 'all' | 'compactRetain' | 'moveLeader'>;

export function maintenanceCommon(env: PlanEnv) {
  return {
    quotaBytes: env.quotaBytes,
    ...(env.quotaGiven !== undefined ? { quotaGiven: env.quotaGiven } : {}),
    gapThreshold: env.gapThreshold,
    timeouts: { commandMs: env.commandTimeoutMs, moveLeaderMs: FLOW_DEFAULTS.moveTimeoutMs },
  };
}

export default defineFlow<Input>({
  id: 'defrag',
  title: 'Rolling defrag',
  command: {
    id: 'defrag',
    title: 'Defrag',
    description: 'Rolling defrag: members chosen by a rule (default free >= 100MB || inUse/size < 0.55), followers first, leader last, health gates between members (`:defrag all`, `:defrag move-leader`, `:defrag RULE`)',
    keys: ['D'],
    disabledReason: needList,
  },
  opening: { kind: 'argument' },
  // `:defrag` (the default rule), `:defrag all`, `:defrag move-leader`, `:defrag <rule>`.
  fromConsole: ({ argument }) => {
    const words = (argument ?? '').split(/\s+/).filter(Boolean);
    const rule = words.filter((w) => w !== 'all' && w !== 'move-leader').join(' ') || undefined;
    return { ok: true, input: { all: words.includes('all'), rule, moveLeader: words.includes('move-leader') } };
  },
  cli: {
    command: ['defrag'],
    fromCli: ({ options, usage }) => {
      if (options.rule !== undefined && options.all) throw usageError('defrag: give --rule EXPR or --all, not both', usage);
      return { rule: options.rule, all: options.all, compactRetain: options.compactRetain, moveLeader: options.moveLeader ?? false };
    },
  },
  plan: (view, input, env) => planDefrag(view, { ...maintenanceCommon(env), ...input }),
  audit: (input) => ({ ...input }),
});
