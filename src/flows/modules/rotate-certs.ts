/** Certificate rotation over SSH: new member certificates from the CA dir, one member at a time, verified by the serial it presents, or rolled back. */
import { planRolling } from '../../plans/rolling.js';
import { planCaRotation, type CaPhase } from '../../plans/ca-rotation.js';
import type { ClusterView } from '../../health/view.js';
import type { PlanResult } from '../../domain/plan.js';
import { prepareRotateCertsInput } from '../../run/rotate-certs.js';
import { DEFAULT_HEALTH_OPTIONS } from '../../domain/types.js';
import { defineFlow } from '../flow.js';
import { needList } from './common.js';

export default defineFlow<{ hosts: string[]; caDir?: string; phase?: CaPhase }>({
  id: 'rotate-certs',
  title: 'Rotate member certificates over SSH',
  command: {
    id: 'rotate-certs',
    title: 'Rotate certs',
    description: "New member certificates from the context's CA dir (checked: SANs, usages, chain, expiry), one member at a time, each verified by the serial it presents, or rolled back; another CA in the CA dir is the three-phase CA change (`:rotate-certs [HOST...]`, `:rotate-certs --phase N`, N = 1, 2 or 3)",
    keys: ['X'],
    disabledReason: needList,
  },
  opening: { kind: 'hosts', target: (argument) => ({ ok: true, argument, title: argument?.trim() ? `Rotate member certificates: ${argument.trim()}` : undefined }) },
  needsHosts: true,
  // The console shows the rolling board and paces the run (space pauses, s steps).
  rolling: () => ({}),
  fromConsole: ({ argument }) => {
    const words = (argument ?? '').trim().split(/\s+/).filter(Boolean);
    const at = words.indexOf('--phase');
    if (at < 0) return { ok: true, input: { hosts: words } };
    const phase = Number(words[at + 1]);
    if (![1, 2, 3].includes(phase)) return { ok: false, refusal: `--phase: "${words[at + 1] ?? ''}" is not 1, 2 or 3 (:rotate-certs --phase 1|2|3)` };
    return { ok: true, input: { hosts: words.filter((_, i) => i !== at && i !== at + 1), phase: phase as CaPhase } };
  },
  cli: { command: ['rotate-certs'], fromCli: ({ args }) => ({ hosts: args }) },
  plan: () => ({ ok: false, refusal: 'the certificates have not been checked yet' }),
  prepare: async (view, input, session) => {
    const r = await prepareRotateCertsInput(view, session.inventory, session.pool, { only: input.hosts, ...(input.caDir ? { caDir: input.caDir } : {}), ...(input.phase ? { phase: input.phase } : {}), tls: session.tls ?? {}, gapThreshold: DEFAULT_HEALTH_OPTIONS.indexGapThreshold, onHost: session.onHost });
    if ('refusal' in r) return { planned: { ok: false, refusal: r.refusal }, replan: () => ({ ok: false, refusal: r.refusal }) };
    // Typed confirmation, as restart-all: the member's name for one member, else the context's name.
    const only = 'ca' in r ? r.ca.states.map((s) => s.host.name) : r.input.only;
    const phrase = only?.length === 1 ? only[0] : session.context;
    const confirmed = (result: PlanResult) => (result.ok ? { ...result, plan: { ...result.plan, confirmPhrase: phrase } } : result);
    // A CA change in the console: the contexts file is not rewritten here (the headless command does it).
    const plan = (v: ClusterView) => ('ca' in r ? planCaRotation(v, r.ca) : planRolling(v, r.input));
    return { planned: confirmed(plan(view)), hosts: only, replan: (fresh) => confirmed(plan(fresh)) };
  },
  audit: (input, source) => ({ argument: source.argument, ...(input?.hosts.length ? { hosts: input.hosts } : {}) }),
});
