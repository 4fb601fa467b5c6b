/**
 * Restore a snapshot onto the context's hosts over SSH, as a new cluster of exactly these hosts:
 * checks on the bastion and every host, seed 004's order, old data moved aside, verified by a new
 * cluster ID, the revision and one HashKV; everything put back when a step fails before the start.
 */
import { defineFlow } from '../flow.js';
import { usageError } from './common.js';

export interface RestoreFlowInput {
  file: string;
  hosts: string[];
  bumpRevision?: number;
  skipHashCheck: boolean;
  token?: string;
}

export const RESTORE_USAGE = `etcd-tui snapshot restore FILE [HOST...] [--skip-hash-check] [--bump-revision N] [--token T] [--accept-new-host-key] [--wait 5m]
  FILE: a snapshot on the bastion (etcd-tui snapshot save, etcdctl snapshot save)
  HOST: hosts of the context's inventory (default: all of them); the new cluster is exactly these
  also takes --dry-run (checks and plan, change nothing), --yes, --audit-log FILE`;

/** `:restore FILE [HOST...] [--skip-hash-check] [--bump-revision N]` in the palette. */
export function parseRestoreArgument(argument: string | undefined): { ok: true; input: RestoreFlowInput } | { ok: false; refusal: string } {
  const words = (argument ?? '').split(/\s+/).filter(Boolean);
  const input: RestoreFlowInput = { file: '', hosts: [], skipHashCheck: false };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '--skip-hash-check') input.skipHashCheck = true;
    else if (w === '--bump-revision') {
      const n = Number(words[++i]);
      if (!Number.isSafeInteger(n) || n < 1) return { ok: false, refusal: `--bump-revision needs a positive whole number: :restore FILE --bump-revision 1000000000` };
      input.bumpRevision = n;
    } else if (w.startsWith('-')) return { ok: false, refusal: `:restore does not know ${w} (:restore FILE [HOST...] [--skip-hash-check] [--bump-revision N])` };
    else if (!input.file) input.file = w;
    else input.hosts.push(w);
  }
  if (!input.file) return { ok: false, refusal: 'name the snapshot file: :restore FILE [HOST...] (a file on this machine; HOSTs default to every host of the context)' };
  return { ok: true, input };
}

export default defineFlow<RestoreFlowInput>({
  id: 'snapshot-restore',
  title: 'Restore a snapshot over SSH',
  command: {
    id: 'restore',
    title: 'Restore snapshot',
    description: "Disaster recovery over SSH: restore a snapshot onto the context's hosts as a new cluster (`:restore FILE [HOST...]`); old data moved aside, undone before the start",
    keys: ['O'],
  },
  opening: {
    kind: 'hosts',
    target: (argument) => {
      const parsed = parseRestoreArgument(argument);
      if (!parsed.ok) return { ok: false, refusal: parsed.refusal, argument };
      return { ok: true, argument, title: `Restore ${parsed.input.file}` };
    },
  },
  needsHosts: true,
  fromConsole: ({ argument }) => parseRestoreArgument(argument),
  cli: {
    command: ['snapshot', 'restore'],
    fromCli: ({ args, options, usage }) => {
      const [file, ...hosts] = args;
      if (!file) throw usageError('snapshot restore: the snapshot FILE is missing', usage);
      return { file, hosts, bumpRevision: options.bumpRevision, skipHashCheck: options.skipHashCheck ?? false, token: options.token };
    },
  },
  // The plan is made from the snapshot and the hosts' preflight (prepare).
  plan: () => ({ ok: false, refusal: 'preflight has not run yet' }),
  prepare: async (view, input, session) => {
    const viewOrNone = view.members.length > 0 ? view : undefined;
    const timeouts = session.timeouts?.waitMs ? { formMs: session.timeouts.waitMs, verifyMs: session.timeouts.waitMs } : undefined;
    const p = await (await import('../../run/restore.js')).prepareRestore(session.inventory, session.pool, {
      file: input.file,
      hostNames: input.hosts,
      view: viewOrNone,
      context: session.context,
      token: input.token ?? session.token,
      bumpRevision: input.bumpRevision,
      skipHashCheck: input.skipHashCheck,
      ...(timeouts ? { timeouts } : {}),
      onHost: session.onHost,
    });
    if ('refusal' in p) return { planned: { ok: false, refusal: p.refusal }, replan: () => ({ ok: false, refusal: p.refusal }) };
    const planned = p.planned;
    // The plan was checked against the hosts; a fresh view of the old cluster does not change it.
    return { planned, hosts: p.hosts.map((h) => h.name), replan: () => planned };
  },
  audit: (input, source) => ({ argument: source.argument, ...(input ? { file: input.file, hosts: input.hosts } : {}) }),
});
