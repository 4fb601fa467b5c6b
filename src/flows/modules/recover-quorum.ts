/**
 * Quorum-loss recovery from the best survivor over SSH, phase one: every member stopped, the survivor
 * (highest raft index, or the host named) started once with --force-new-cluster, its env file put
 * back, the other hosts' data moved aside. The headless `etcd-tui recover quorum` then joins the
 * others back; in the console the dialog ends by naming them for `J` (bootstrap join), one at a time.
 */
import { defineFlow } from '../flow.js';

export default defineFlow<{ from?: string }>({
  id: 'recover-quorum',
  title: 'Recover quorum from the best survivor',
  command: {
    id: 'recover-quorum',
    title: 'Recover quorum',
    description: 'Quorum lost for good: make the best survivor (highest raft index, or `:recover-quorum HOST`) a one-member cluster over SSH, then join the other hosts back with J; refused while quorum is present',
    keys: ['Q'],
  },
  opening: { kind: 'hosts', target: (argument) => ({ ok: true, argument, title: argument ? `Recover quorum from ${argument}` : undefined }) },
  needsHosts: true,
  fromConsole: ({ argument }) => ({ ok: true, input: argument?.trim() ? { from: argument.trim() } : {} }),
  cli: { command: ['recover', 'quorum'], fromCli: ({ options }) => (options.from ? { from: options.from } : {}) },
  plan: () => ({ ok: false, refusal: 'preflight has not run yet' }),
  prepare: async (view, input, session) => {
    // The console's view: each member's raft index as its last status said (a member answers Status without quorum).
    const raftIndex = async (url: string): Promise<number> => {
      const m = view.members.find((x) => x.clientURLs.includes(url));
      const p = m ? view.probes[m.id] : undefined;
      if (!p?.ok) throw new Error('no answer');
      return p.status.raftIndex;
    };
    const p = await (await import('../../run/recover-quorum.js')).prepareRecovery(session.inventory, session.pool, session.context, { from: input.from, view: view.members.length > 0 ? view : undefined, raftIndex, onHost: session.onHost });
    const planned = p.planned;
    return {
      planned,
      hosts: session.inventory.hosts.map((h) => h.name),
      replan: () => planned,
      after: async (result) =>
        result.outcome === 'succeeded' && p.others.length > 0
          ? `${p.survivor} leads a one-member cluster: join ${p.others.join(', ')} back one at a time with J (:bootstrap-join ${p.others[0]})`
          : undefined,
    };
  },
  audit: (input, source) => ({ argument: source.argument, ...(input?.from ? { from: input.from } : {}) }),
});
