/**
 * Rolling restart over SSH (after OS patching, say): every member (or those named) restarted one at a
 * time, followers first, the leader last after a verified move, each gated before and waited for after.
 * Also the single-member restart of the dashboard (`o`): the same engine with one member; a member
 * that is down gets no gate (its restart is the recovery step). The board shows the run (src/flows/rolling-board.ts).
 */
import { planRolling } from '../../plans/rolling.js';
import { DEFAULT_HEALTH_OPTIONS } from '../../domain/types.js';
import type { HostPrepared, HostSession } from '../../run/host-port.js';
import type { ClusterView } from '../../health/view.js';
import { defineFlow, type Parsed, type PlanEnv } from '../flow.js';
import { needList } from './common.js';

/** What a rolling run of the console or the CLI is asked to do. */
export interface RollingFlowInput {
  /** Members (by name) to do; empty: all. */
  only: string[];
  /** upgrade: the new etcd binary or release tarball on this machine, and its version when it cannot be asked. */
  binary?: string;
  version?: string;
  /** Wait this long between two members (abortable). */
  pauseBetweenMs?: number;
  /** Hold before each member until the operator goes on. */
  stepMode?: boolean;
  /** upgrade: a verified snapshot before every member, not only the first. */
  snapshotEach?: boolean;
  /** The connection authenticates (3.4 -> 3.5 is refused then). */
  withAuth?: boolean;
  gapThreshold?: number;
}

export const RESTART_ALL_USAGE = `etcd-tui restart-all [HOST...] [--pause-between DURATION] [--accept-new-host-key] [--wait 5m]
  HOST: members (by name) to restart; default every member of the context
  also takes --dry-run (plan only), --yes, --audit-log FILE`;

/** A wait between members: "30s", "2m", "500ms", "1.5h" (bare numbers are seconds); undefined when it is not one. */
export function parsePause(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  return m ? Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h']) : undefined;
}

/**
 * The palette's words: `[MEMBER...] [--pause-between 30s] [--step]`, and for `:upgrade` the binary
 * first (`PATH [--version V] ...`).
 */
export function parseRollingArgument(argument: string | undefined, opts: { upgrade: boolean }): Parsed<RollingFlowInput> {
  const words = (argument ?? '').split(/\s+/).filter(Boolean);
  const input: RollingFlowInput = { only: [] };
  const usage = opts.upgrade ? ':upgrade PATH [MEMBER...] [--version V] [--pause-between 30s] [--step] [--snapshot-each]' : ':restart-all [MEMBER...] [--pause-between 30s] [--step]';
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '--step') input.stepMode = true;
    else if (opts.upgrade && w === '--snapshot-each') input.snapshotEach = true;
    else if (w === '--pause-between') {
      const text = words[++i] ?? '';
      const ms = parsePause(text);
      if (ms === undefined) return { ok: false, refusal: `--pause-between: "${text}" is not a duration (examples: 30s, 2m) (${usage})` };
      input.pauseBetweenMs = ms;
    } else if (opts.upgrade && w === '--version') {
      const v = words[++i];
      if (!v || !/^\d+\.\d+\.\d+$/.test(v)) return { ok: false, refusal: `--version needs an etcd version like 3.5.16 (${usage})` };
      input.version = v;
    } else if (w.startsWith('-')) return { ok: false, refusal: `${opts.upgrade ? ':upgrade' : ':restart-all'} does not know ${w} (${usage})` };
    else if (opts.upgrade && !input.binary) input.binary = w;
    else input.only.push(w);
  }
  if (opts.upgrade && !input.binary) return { ok: false, refusal: `name the new etcd: ${usage} (an etcd binary or a release .tar.gz on this machine)` };
  return { ok: true, input };
}

/** The console's input: the palette words, with what the connection knows. */
export function rollingFromConsole(argument: string | undefined, env: PlanEnv, upgrade: boolean): Parsed<RollingFlowInput> {
  const parsed = parseRollingArgument(argument, { upgrade });
  return parsed.ok ? { ok: true, input: { ...parsed.input, withAuth: env.withAuth, gapThreshold: env.gapThreshold } } : parsed;
}

/** Preflight (the upgrade's path and flag checks over SSH), then the plan; planned again on a fresh view before the run. */
export async function prepareRollingFlow(view: ClusterView, input: RollingFlowInput, session: HostSession): Promise<HostPrepared> {
  const p = await (await import('../../run/rolling.js')).prepareRollingInput(view, session.inventory, session.pool, {
    only: input.only,
    gapThreshold: input.gapThreshold ?? DEFAULT_HEALTH_OPTIONS.indexGapThreshold,
    ...(session.timeouts?.waitMs ? { backMs: session.timeouts.waitMs } : {}),
    ...(input.binary ? { upgrade: { binary: input.binary, version: input.version, authEnabled: Boolean(input.withAuth), ...(input.snapshotEach ? { snapshotEach: true } : {}) } } : {}),
    onHost: session.onHost,
  });
  if ('refusal' in p) return { planned: { ok: false, refusal: p.refusal }, replan: () => ({ ok: false, refusal: p.refusal }) };
  // Typed confirmation: the member's name for one member, else the context's name.
  const confirmPhrase = input.only.length === 1 ? input.only[0] : session.context;
  const withPace = (result: ReturnType<typeof planRolling>) => {
    if (!result.ok) return result;
    const planned = { ...result, plan: { ...result.plan, confirmPhrase } };
    const pace = [...(input.pauseBetweenMs ? [`a wait of ${Math.round(input.pauseBetweenMs / 1000)}s between two members (abortable)`] : []), ...(input.stepMode ? ['step mode: the run holds before each member until you go on (space)'] : [])];
    return pace.length > 0 ? { ...planned, plan: { ...planned.plan, preview: [...planned.plan.preview, ...pace] } } : planned;
  };
  return { planned: withPace(planRolling(view, p.input)), hosts: input.only.length > 0 ? input.only : session.inventory.hosts.map((h) => h.name), replan: (fresh) => withPace(planRolling(fresh, p.input)) };
}

export function hostsTarget(argument: string | undefined, hosts: string[], upgrade: boolean, title: string) {
  const parsed = parseRollingArgument(argument, { upgrade });
  if (!parsed.ok) return { ok: false as const, refusal: parsed.refusal, argument };
  const unknown = parsed.input.only.filter((n) => !hosts.includes(n));
  if (unknown.length > 0) return { ok: false as const, argument, title, refusal: `${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not a host of this context (hosts: ${hosts.join(', ')})` };
  return { ok: true as const, argument, title: parsed.input.only.length > 0 ? `${title}: ${parsed.input.only.join(', ')}` : title };
}

export default defineFlow<RollingFlowInput>({
  id: 'rolling-restart',
  title: 'Rolling restart over SSH',
  command: {
    id: 'restart-all',
    title: 'Rolling restart',
    description: 'Rolling restart over SSH: every member (or those named) one at a time, followers first, the leader last after a verified move, gated and waited for; space pauses, s steps (`:restart-all [MEMBER...] [--pause-between 30s] [--step]`)',
    keys: ['T'],
    disabledReason: needList,
  },
  opening: { kind: 'hosts', target: (argument, hosts) => hostsTarget(argument, hosts, false, 'Rolling restart over SSH') },
  needsHosts: true,
  fromConsole: ({ argument }, env) => rollingFromConsole(argument, env, false),
  cli: {
    command: ['restart-all'],
    fromCli: ({ args, options }) => ({ only: args, ...(options.pauseBetweenMs ? { pauseBetweenMs: options.pauseBetweenMs } : {}), ...(options.step ? { stepMode: true } : {}) }),
  },
  // Planned from the hosts' preflight (prepare).
  plan: () => ({ ok: false, refusal: 'preflight has not run yet' }),
  prepare: prepareRollingFlow,
  rolling: (input) => ({ pauseBetweenMs: input.pauseBetweenMs, stepMode: input.stepMode }),
  audit: (input, source) => ({ argument: source.argument, ...(input ? { hosts: input.only, ...(input.pauseBetweenMs ? { pauseBetweenMs: input.pauseBetweenMs } : {}) } : {}) }),
});
