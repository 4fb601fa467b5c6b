/** Certificate rotation over SSH: new member certificates from the CA dir, one member at a time, verified by the serial it presents, or rolled back. */
import { planRolling } from '../../plans/rolling.js';
import { caBundlePath, caRunState, planCaRotation, type CaPhase } from '../../plans/ca-rotation.js';
import type { ClusterView } from '../../health/view.js';
import type { Plan, PlanResult, RunResult } from '../../domain/plan.js';
import { DEFAULT_HEALTH_OPTIONS } from '../../domain/types.js';
import { defineFlow, type Parsed } from '../flow.js';
import { needList } from './common.js';

/** What the console's (and the CLI's) certificate rotation is asked: hosts (none: every member), another CA dir, one phase of a CA change. */
export interface RotateCertsInput {
  hosts: string[];
  caDir?: string;
  phase?: CaPhase;
}

const USAGE = ':rotate-certs [HOST...] [--ca-dir DIR] [--phase 1|2|3]';

/** The palette's words: `[HOST...] [--ca-dir DIR] [--phase 1|2|3]`. */
export function parseRotateCertsArgument(argument: string | undefined, resolvePath: (p: string) => string): Parsed<RotateCertsInput> {
  const words = (argument ?? '').trim().split(/\s+/).filter(Boolean);
  const input: RotateCertsInput = { hosts: [] };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '--phase') {
      const phase = Number(words[++i]);
      if (![1, 2, 3].includes(phase)) return { ok: false, refusal: `--phase: "${words[i] ?? ''}" is not 1, 2 or 3 (${USAGE})` };
      input.phase = phase as CaPhase;
    } else if (w === '--ca-dir') {
      const dir = words[++i];
      if (!dir || dir.startsWith('-')) return { ok: false, refusal: `--ca-dir needs the directory with the new certificates (${USAGE})` };
      input.caDir = resolvePath(dir);
    } else if (w.startsWith('-')) return { ok: false, refusal: `:rotate-certs does not know ${w} (${USAGE})` };
    else input.hosts.push(w);
  }
  return { ok: true, input };
}

/** After a CA change that stopped: where it is, in the headless command's STATE words, with the console's syntax to finish. */
export function caChangeAfter(plan: Plan, result: RunResult): string | undefined {
  if (plan.args.caChange !== true || result.outcome === 'succeeded') return undefined;
  const state = caRunState(plan, result.failedStep, String(plan.args.caDir), caBundlePath(plan) ?? '(the bundle)', 'console');
  return state ? `STATE: ${state}` : undefined;
}

export default defineFlow<RotateCertsInput>({
  id: 'rotate-certs',
  title: 'Rotate member certificates over SSH',
  command: {
    id: 'rotate-certs',
    title: 'Rotate certs',
    description: "New member certificates from the context's CA dir (checked: SANs, usages, chain, expiry), one member at a time, each verified by the serial it presents, or rolled back; another CA in the CA dir is the three-phase CA change, the context pointed at the new files at the end (`:rotate-certs [HOST...] [--ca-dir DIR]`, `:rotate-certs --phase N`, N = 1, 2 or 3)",
    keys: ['X'],
    disabledReason: needList,
  },
  opening: { kind: 'hosts', target: (argument) => ({ ok: true, argument, title: argument?.trim() ? `Rotate member certificates: ${argument.trim()}` : undefined }) },
  needsHosts: true,
  // The console shows the rolling board and paces the run (space pauses, s steps).
  rolling: () => ({}),
  fromConsole: ({ argument }, env) => parseRotateCertsArgument(argument, env.resolvePath),
  cli: { command: ['rotate-certs'], fromCli: ({ args }) => ({ hosts: args }) },
  plan: () => ({ ok: false, refusal: 'the certificates have not been checked yet' }),
  prepare: async (view, input, session) => {
    const r = await (await import('../../run/rotate-certs.js')).prepareRotateCertsInput(view, session.inventory, session.pool, {
      only: input.hosts,
      ...(input.caDir ? { caDir: input.caDir } : {}),
      ...(input.phase ? { phase: input.phase } : {}),
      tls: session.tls ?? {},
      gapThreshold: DEFAULT_HEALTH_OPTIONS.indexGapThreshold,
      onHost: session.onHost,
      // A CA change points the context at the new files at the end, as the headless command does (its writability checked first).
      ...(session.contextsFile ? { contexts: session.contextsFile } : {}),
    });
    if ('refusal' in r) return { planned: { ok: false, refusal: r.refusal }, replan: () => ({ ok: false, refusal: r.refusal }) };
    // Typed confirmation, as restart-all: the member's name for one member, else the context's name.
    const only = 'ca' in r ? r.ca.states.map((s) => s.host.name) : r.input.only;
    const phrase = only?.length === 1 ? only[0] : session.context;
    const confirmed = (result: PlanResult) => (result.ok ? { ...result, plan: { ...result.plan, confirmPhrase: phrase } } : result);
    const plan = (v: ClusterView) => ('ca' in r ? planCaRotation(v, r.ca) : planRolling(v, r.input));
    // The plan last made (the one that runs: the run plans again on a fresh view and runs only the same steps).
    let last = confirmed(plan(view));
    const replan = (fresh: ClusterView) => (last = confirmed(plan(fresh)));
    return { planned: last, hosts: only, replan, after: async (result) => (last.ok ? caChangeAfter(last.plan, result) : undefined) };
  },
  audit: (input, source) => ({ argument: source.argument, ...(input?.hosts.length ? { hosts: input.hosts } : {}), ...(input?.caDir ? { caDir: input.caDir } : {}) }),
});
