/** Promote a learner: a catch-up gauge, then promote, retrying while it is not in sync. */
import { planPromote, type PromoteInput } from '../../plans/membership.js';
import { FLOW_DEFAULTS } from '../../plans/defaults.js';
import { memberLabel } from '../../format/ids.js';
import { defineFlow } from '../flow.js';
import { memberArg, needMember, selectedMember } from './common.js';

export default defineFlow<PromoteInput>({
  id: 'promote',
  title: 'Promote a learner',
  command: {
    id: 'promote',
    title: 'Promote',
    description: 'Promote the selected learner: a catch-up gauge (rate, time left), then promote, retrying while it is not in sync (`:promote NAME`)',
    keys: ['p'],
    hint: ['dashboard'],
    disabledReason: (s, argument) => {
      const reason = needMember(s, argument, 'a learner to promote');
      if (reason || argument) return reason;
      const m = selectedMember(s);
      return m && !m.isLearner ? `select a learner to promote (${memberLabel(m)} is a voting member)` : undefined;
    },
  },
  opening: { kind: 'member' },
  fromConsole: (source, env) => ({ ok: true, input: { member: source.target ?? '', waitMs: env.waitMs ?? FLOW_DEFAULTS.waitMs } }),
  cli: {
    command: ['member', 'promote'],
    fromCli: ({ args, options, usage }) => ({ member: memberArg(args, usage), waitMs: options.waitMs ?? FLOW_DEFAULTS.waitMs }),
  },
  plan: (view, input, env) => planPromote(view, { ...input, names: env.memberNames }),
  audit: (_input, source) => ({ member: source.target }),
});
