/** Remove a member: quorum before and after, a leader hands over first, type its name. */
import { planRemove, type RemoveInput } from '../../plans/membership.js';
import { FLOW_DEFAULTS } from '../../plans/defaults.js';
import { defineFlow } from '../flow.js';
import { memberArg, needMember } from './common.js';

type Input = Omit<RemoveInput, 'gapThreshold' | 'moveTimeoutMs'>;

export default defineFlow<Input>({
  id: 'remove',
  title: 'Remove a member',
  command: {
    id: 'remove',
    title: 'Remove',
    description: 'Remove the selected member: quorum before and after, refused if the rest would lose it; a leader hands over first; type its name (`:remove NAME`)',
    keys: ['x'],
    hint: ['dashboard'],
    disabledReason: (s, argument) => needMember(s, argument, 'a member to remove'),
  },
  opening: { kind: 'member' },
  fromConsole: (source) => ({ ok: true, input: { member: source.target ?? '', moveLeaderFirst: true } }),
  cli: {
    command: ['member', 'remove'],
    fromCli: ({ args, options, usage }) => ({ member: memberArg(args, usage), moveLeaderFirst: !options.noMoveLeader }),
  },
  plan: (view, input, env) => planRemove(view, { ...input, gapThreshold: env.gapThreshold, moveTimeoutMs: FLOW_DEFAULTS.moveTimeoutMs, names: env.memberNames }),
  audit: (_input, source) => ({ member: source.target }),
});
