/** A rolling config change over SSH: etcd settings rendered into each node's env file, one member at a time, verified or rolled back. */
import { applyConfig, knownConfigKeys, parseConfigArgs } from '../../plans/config-change.js';
import { planRolling } from '../../plans/rolling.js';
import { DEFAULT_HEALTH_OPTIONS } from '../../domain/types.js';
import { defineFlow } from '../flow.js';
import { needList, usageError } from './common.js';

const USAGE = 'etcd-tui config set KEY=VALUE... [HOST...]';

export default defineFlow<{ words: string[] }>({
  id: 'config-change',
  title: 'Config change over SSH',
  command: {
    id: 'config',
    title: 'Config change',
    description: `Change etcd settings in every node's env file (rendered from the templates), one member at a time, each verified or rolled back (\`:config KEY=VALUE... [HOST...]\`; keys: ${knownConfigKeys()})`,
    keys: ['E'],
    disabledReason: needList,
  },
  opening: {
    kind: 'hosts',
    target: (argument) => {
      const words = (argument ?? '').trim().split(/\s+/).filter(Boolean);
      const parsed = parseConfigArgs(words);
      if ('refusal' in parsed) return { ok: false, argument, refusal: `${parsed.refusal} (:config KEY=VALUE... [HOST...])` };
      return { ok: true, argument: words.join(' '), title: `Config change: ${parsed.assignments.map((a) => `${a.key.key}=${a.value}`).join(' ')}` };
    },
  },
  needsHosts: true,
  // The console shows the rolling board and paces the run (space pauses, s steps).
  rolling: () => ({}),
  fromConsole: ({ argument }) => {
    const words = (argument ?? '').trim().split(/\s+/).filter(Boolean);
    const parsed = parseConfigArgs(words);
    return 'refusal' in parsed ? { ok: false, refusal: parsed.refusal } : { ok: true, input: { words } };
  },
  cli: {
    command: ['config', 'set'],
    fromCli: ({ args }) => {
      const parsed = parseConfigArgs(args);
      if ('refusal' in parsed) throw usageError(parsed.refusal, USAGE);
      return { words: args };
    },
  },
  plan: () => ({ ok: false, refusal: 'the env files have not been read yet' }),
  prepare: async (view, input, session) => {
    const r = await (await import('../../run/config-change.js')).prepareConfigChangeInput(view, session.inventory, session.pool, { words: input.words, gapThreshold: DEFAULT_HEALTH_OPTIONS.indexGapThreshold, onHost: session.onHost });
    if ('refusal' in r) return { planned: { ok: false, refusal: r.refusal }, replan: () => ({ ok: false, refusal: r.refusal }) };
    // Typed confirmation, as restart-all: the member's name for one member, else the context's name.
    const phrase = r.input.only?.length === 1 ? r.input.only[0] : session.context;
    const confirmed = (result: ReturnType<typeof planRolling>) => (result.ok ? { ...result, plan: { ...result.plan, confirmPhrase: phrase } } : result);
    // Every member: the contexts file gets the new values after the run (checked writable before it).
    const parsed = parseConfigArgs(input.words);
    const applied = 'refusal' in parsed ? undefined : applyConfig(session.inventory.settings, session.inventory.hosts, parsed.assignments);
    const settingsPort = session.contextSettings;
    const rewrite = settingsPort && !('refusal' in parsed) && parsed.hosts.length === 0 && applied && !('refusal' in applied) ? { port: settingsPort, assignments: parsed.assignments, settings: applied.settings } : undefined;
    const problem = rewrite?.port.problem();
    if (problem) return { planned: { ok: false, refusal: `${problem}; nothing was changed` }, replan: () => ({ ok: false, refusal: problem }) };
    return {
      planned: confirmed(planRolling(view, r.input)),
      hosts: r.input.only,
      replan: (fresh) => confirmed(planRolling(fresh, r.input)),
      ...(rewrite ? { after: async (result) => (result.outcome === 'succeeded' ? rewrite.port.update(rewrite.assignments, rewrite.settings) : undefined) } : {}),
    };
  },
  audit: (input, source) => ({ argument: source.argument, ...(input ? { settings: input.words.filter((w) => w.includes('=')) } : {}) }),
});
