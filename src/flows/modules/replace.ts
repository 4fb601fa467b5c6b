/** Replace a failed member: confirm it is down, remove it, add the new one as a learner, wait, promote, verify. */
import { planReplace, type ReplaceInput } from '../../plans/membership.js';
import { FLOW_DEFAULTS } from '../../plans/defaults.js';
import { memberLabel } from '../../format/ids.js';
import { defineFlow } from '../flow.js';
import { memberArg, memberForm, needMember, selectedMember } from './common.js';

export default defineFlow<ReplaceInput>({
  id: 'replace',
  title: 'Replace a failed member',
  command: {
    id: 'replace',
    title: 'Replace',
    description: 'Replace the selected failed member: confirm it is down, remove it, add the new one as a learner, wait for it, promote, verify (`:replace NAME`)',
    keys: ['R'],
    hint: ['dashboard'],
    disabledReason: (s, argument) => {
      const reason = needMember(s, argument, 'a failed member to replace');
      if (reason || argument) return reason;
      const m = selectedMember(s);
      return m && s.latest.probes[m.id]?.ok ? `select a failed member to replace (${memberLabel(m)} answers)` : undefined;
    },
  },
  opening: { kind: 'member', form: (target) => memberForm(target.name, target.peerURLs.join(',')) },
  startsMember: true,
  fromConsole: (source, env) => {
    const member = source.target ?? '';
    // How long the console has already seen it down: a member down long enough is not waited on again.
    const since = env.downSince[member];
    return {
      ok: true,
      input: {
        member,
        newName: source.field('name'),
        peerURLs: source.field('peerURLs'),
        downForMs: FLOW_DEFAULTS.downForMs,
        waitMs: env.waitMs ?? FLOW_DEFAULTS.waitMs,
        downSinceMs: since !== undefined ? Math.max(0, env.now() - since) : 0,
      },
    };
  },
  cli: {
    command: ['member', 'replace'],
    fromCli: ({ args, options, usage }) => ({
      member: memberArg(args, usage),
      newName: options.newName,
      peerURLs: options.peerURLs,
      downForMs: options.downForMs ?? FLOW_DEFAULTS.downForMs,
      waitMs: options.waitMs ?? FLOW_DEFAULTS.waitMs,
      downSinceMs: 0,
    }),
  },
  plan: (view, input) => planReplace(view, input),
  audit: (input, source) => ({ member: source.target, name: input?.newName, peerURLs: input?.peerURLs }),
});
