/** A new cluster on the context's hosts over SSH: initial-cluster-state new, a new token; the context is saved. */
import { defineFlow } from '../flow.js';

export default defineFlow<{ hosts: string[] }>({
  id: 'bootstrap-cluster',
  title: 'New cluster over SSH',
  command: {
    id: 'bootstrap-cluster',
    title: 'New cluster',
    description: "Bootstrap over SSH: a new cluster on the context's hosts (all, or `:bootstrap-cluster H1 H2 H3`), initial-cluster-state new, a new token; the context is saved",
    keys: ['B'],
  },
  opening: { kind: 'hosts' },
  needsHosts: true,
  fromConsole: ({ argument }) => ({ ok: true, input: { hosts: (argument ?? '').split(/\s+/).filter(Boolean) } }),
  cli: { command: ['bootstrap', 'cluster'], fromCli: ({ args }) => ({ hosts: args }) },
  plan: () => ({ ok: false, refusal: 'preflight has not run yet' }),
  prepare: async (_view, input, session) => {
    const p = await (await import('../../run/bootstrap.js')).prepareNewCluster(session.inventory, input.hosts, session.pool, { context: session.context, token: session.token, onHost: session.onHost, timeouts: session.timeouts });
    if ('refusal' in p) return { planned: { ok: false, refusal: p.refusal }, replan: () => ({ ok: false, refusal: p.refusal }) };
    const planned = p.planned;
    const hosts = p.hosts.map((h) => h.name);
    return {
      planned,
      hosts,
      // A new cluster does not depend on a running one: the same plan (same token) stands.
      replan: () => planned,
      after: async (result) => (result.outcome === 'succeeded' && session.saveContext ? session.saveContext(hosts, p.token) : undefined),
    };
  },
  audit: (_input, source) => ({ argument: source.argument }),
});
