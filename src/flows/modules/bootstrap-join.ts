/** Join a host of the context's inventory over SSH: preflight, add as a learner, files, start, promote; undone on failure. */
import { planJoin } from '../../plans/bootstrap.js';
import type { PlanResult } from '../../domain/plan.js';
import { defineFlow } from '../flow.js';
import { needList } from './common.js';

export default defineFlow<{ host: string }>({
  id: 'bootstrap-join',
  title: 'Join a host over SSH',
  command: {
    id: 'bootstrap-join',
    title: 'Join host',
    description: "Bootstrap over SSH: preflight a host of the context's inventory (J alone: the one host not in the cluster), add it as a learner, put certs, env file and unit in place, start it, promote it; undone on failure (`:bootstrap-join HOST`)",
    keys: ['J'],
    disabledReason: needList,
  },
  opening: {
    kind: 'hosts',
    target: (argument, hosts, view) => {
      const title = (target?: string) => (target ? `Join a host over SSH: ${target}` : undefined);
      let target = argument;
      if (!target) {
        // J alone: the one host of the inventory that is not a member yet, if there is exactly one.
        const outside = hosts.filter((h) => !view.members.some((m) => m.name === h));
        if (outside.length !== 1) {
          const which = outside.length === 0 ? `every host of this context is a member already (${hosts.join(', ')}); add the new host to the context's hosts list` : `hosts not in the cluster: ${outside.join(', ')}`;
          return { ok: false, refusal: `name the host to join: :bootstrap-join HOST (${which})` };
        }
        target = outside[0];
      }
      if (target.split(/\s+/).length !== 1) return { ok: false, argument: target, title: title(argument), refusal: `name one host to join: :bootstrap-join HOST (hosts: ${hosts.join(', ')})` };
      return { ok: true, argument: target, title: title(target) };
    },
  },
  needsHosts: true,
  fromConsole: ({ argument }) => ({ ok: true, input: { host: (argument ?? '').trim() } }),
  cli: { command: ['bootstrap', 'join'], fromCli: ({ args }) => ({ host: args[0] }) },
  // A host joins on a plan made from the preflight (prepare); without it there is nothing to plan.
  plan: () => ({ ok: false, refusal: 'preflight has not run yet' }),
  prepare: async (view, input, session) => {
    const p = await (await import('../../run/bootstrap.js')).prepareJoin(view, session.inventory, input.host, session.pool, { onHost: session.onHost, timeouts: session.timeouts });
    if ('refusal' in p) return { planned: { ok: false, refusal: p.refusal }, replan: () => ({ ok: false, refusal: p.refusal }) };
    return { planned: p.planned, replan: (fresh): PlanResult => planJoin(fresh, { host: p.host, settings: session.inventory.settings, preflight: p.preflight, files: p.files }) };
  },
  audit: (input, source) => ({ argument: source.argument ?? input?.host }),
});
