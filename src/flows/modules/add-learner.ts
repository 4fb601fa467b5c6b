/** Add a member as a learner: a form (name, peer URLs), the env block it must start with, MemberAdd. */
import { planAddLearner, type AddLearnerInput } from '../../plans/membership.js';
import { defineFlow } from '../flow.js';
import { memberForm, needList, suggestMemberName, usageError } from './common.js';

export default defineFlow<AddLearnerInput>({
  id: 'add-learner',
  title: 'Add a learner',
  command: {
    id: 'add-learner',
    title: 'Add learner',
    description: 'Add a member as a learner: a form (name, peer URLs), the plan with the env block it must start with, MemberAdd (`:add-learner NAME URLS`)',
    keys: ['a'],
    hint: ['dashboard'],
    disabledReason: needList,
  },
  opening: {
    kind: 'form',
    form: (argument, view) => {
      const [name, peerURLs] = (argument ?? '').trim().split(/\s+/).filter(Boolean);
      return { fields: memberForm(name ?? suggestMemberName(view.members), peerURLs ?? ''), focus: name ? 1 : 0, complete: Boolean(name && peerURLs) };
    },
  },
  startsMember: true,
  fromConsole: (source) => ({ ok: true, input: { name: source.field('name'), peerURLs: source.field('peerURLs') } }),
  cli: {
    command: ['member', 'add-learner'],
    fromCli: ({ options, usage }) => {
      if (!options.name) throw usageError('--name is missing', usage);
      if (!options.peerURLs) throw usageError('--peer-urls is missing', usage);
      return { name: options.name, peerURLs: options.peerURLs };
    },
  },
  plan: (view, input) => planAddLearner(view, input),
  audit: (input, source) => (input ? { name: input.name, peerURLs: input.peerURLs } : { member: source.target }),
});
