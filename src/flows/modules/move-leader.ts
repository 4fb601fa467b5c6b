/** Move the leader to a healthy, caught-up voter (the request goes to the current leader). */
import { leaderCandidates, planMoveLeader } from '../../plans/membership.js';
import { FLOW_DEFAULTS } from '../../plans/defaults.js';
import { hexId, memberLabel } from '../../format/ids.js';
import { defineFlow } from '../flow.js';
import { memberArg, needMember } from './common.js';

export default defineFlow<{ member: string }>({
  id: 'move-leader',
  title: 'Move the leader',
  command: {
    id: 'move-leader',
    title: 'Move leader',
    description: 'Make the selected member the leader (a healthy, caught-up voter; the request goes to the current leader) (`:move-leader NAME`)',
    keys: ['m'],
    hint: ['dashboard'],
    disabledReason: (s, argument) => needMember(s, argument, 'the member that should lead'),
  },
  opening: { kind: 'member' },
  fromConsole: (source) => ({ ok: true, input: { member: source.target ?? '' } }),
  cli: {
    command: ['member', 'move-leader'],
    fromCli: ({ args, usage }) => ({ member: memberArg(args, usage) }),
  },
  plan: (view, input, env) => planMoveLeader(view, { member: input.member, timeoutMs: FLOW_DEFAULTS.moveTimeoutMs, gapThreshold: env.gapThreshold }),
  // Who could lead instead, and why the others cannot.
  previewLines: (view, env) => leaderCandidates(view, [], env.gapThreshold).map((c) => `${memberLabel(c.member)} (${hexId(c.member.id)}): ${c.ok ? 'can lead' : c.reason}`),
  audit: (_input, source) => ({ member: source.target }),
});
