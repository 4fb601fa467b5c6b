/** Certificate rotation over SSH: new member certificates from the CA dir, one member at a time, verified by the serial it presents, or rolled back. */
import { planRolling } from '../../plans/rolling.js';
import { prepareRotateCertsInput } from '../../run/rotate-certs.js';
import { DEFAULT_HEALTH_OPTIONS } from '../../domain/types.js';
import { defineFlow } from '../flow.js';
import { needList } from './common.js';

export default defineFlow<{ hosts: string[]; caDir?: string }>({
  id: 'rotate-certs',
  title: 'Rotate member certificates over SSH',
  command: {
    id: 'rotate-certs',
    title: 'Rotate certs',
    description: "New member certificates from the context's CA dir (checked: SANs, usages, chain, expiry), one member at a time, each verified by the serial it presents, or rolled back; the CA stays (`:rotate-certs [HOST...]`)",
    keys: ['X'],
    disabledReason: needList,
  },
  opening: { kind: 'hosts', target: (argument) => ({ ok: true, argument, title: argument?.trim() ? `Rotate member certificates: ${argument.trim()}` : undefined }) },
  needsHosts: true,
  // The console shows the rolling board and paces the run (space pauses, s steps).
  rolling: () => ({}),
  fromConsole: ({ argument }) => ({ ok: true, input: { hosts: (argument ?? '').trim().split(/\s+/).filter(Boolean) } }),
  cli: { command: ['rotate-certs'], fromCli: ({ args }) => ({ hosts: args }) },
  plan: () => ({ ok: false, refusal: 'the certificates have not been checked yet' }),
  prepare: async (view, input, session) => {
    const r = await prepareRotateCertsInput(view, session.inventory, session.pool, { only: input.hosts, ...(input.caDir ? { caDir: input.caDir } : {}), tls: session.tls ?? {}, gapThreshold: DEFAULT_HEALTH_OPTIONS.indexGapThreshold, onHost: session.onHost });
    if ('refusal' in r) return { planned: { ok: false, refusal: r.refusal }, replan: () => ({ ok: false, refusal: r.refusal }) };
    // Typed confirmation, as restart-all: the member's name for one member, else the context's name.
    const phrase = r.input.only?.length === 1 ? r.input.only[0] : session.context;
    const confirmed = (result: ReturnType<typeof planRolling>) => (result.ok ? { ...result, plan: { ...result.plan, confirmPhrase: phrase } } : result);
    return { planned: confirmed(planRolling(view, r.input)), hosts: r.input.only, replan: (fresh) => confirmed(planRolling(fresh, r.input)) };
  },
  audit: (input, source) => ({ argument: source.argument, ...(input?.hosts.length ? { hosts: input.hosts } : {}) }),
});
