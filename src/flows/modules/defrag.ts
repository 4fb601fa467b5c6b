/**
 * Rolling defrag: members chosen by a rule, followers first, leader last, health gates between
 * members. The console opens a form: which members (the default rule, another rule, `all`, or one
 * member's name or ID) and whether to move the leader first.
 */
import { planDefrag, type DefragInput } from '../../plans/maintenance.js';
import { DEFAULT_DEFRAG_RULE } from '../../plans/defrag-rule.js';
import { FLOW_DEFAULTS } from '../../plans/defaults.js';
import { parseMemberId, memberLabel } from '../../format/ids.js';
import { leaderAgreement } from '../../health/verdict.js';
import { formatBytes } from '../../format/units.js';
import type { ClusterView } from '../../health/view.js';
import type { Member } from '../../domain/types.js';
import type { PlanResult } from '../../domain/plan.js';
import { defineFlow, type PlanEnv } from '../flow.js';
import { needList, usageError } from './common.js';

type Input = Pick<DefragInput, 'rule' | 'all' | 'compactRetain' | 'moveLeader'> & {
  /** The console's "members" field: a rule, `all`, or one member's name or ID (told apart against the view). */
  members?: string;
  /** From the console's form: refusals and warnings name its fields, not CLI flags. */
  console?: boolean;
};

export function maintenanceCommon(env: PlanEnv) {
  return {
    quotaBytes: env.quotaBytes,
    ...(env.quotaGiven !== undefined ? { quotaGiven: env.quotaGiven } : {}),
    gapThreshold: env.gapThreshold,
    timeouts: { commandMs: env.commandTimeoutMs, moveLeaderMs: FLOW_DEFAULTS.moveTimeoutMs },
  };
}

/** The one member the field names (its name or ID), if it names one. */
function namedMember(view: ClusterView, text: string): Member | undefined {
  const byName = view.members.filter((m) => m.name === text);
  if (byName.length === 1) return byName[0];
  const id = parseMemberId(text);
  return id ? view.members.find((m) => m.id === id) : undefined;
}

/** Refusals in the console's words: the form's fields, not --rule / --all / --move-leader. */
function inConsoleWords(result: PlanResult): PlanResult {
  const words = (text: string) =>
    text
      .replace(/give --rule EXPR or --all, not both/, 'give a rule or all in the "members" field')
      .replace(/use --all to/, 'put all in the "members" field to')
      .replace(/\(use --all to/, '(put all in the "members" field to')
      .replace(/--move-leader:/, 'move leader first:')
      .replace(/--move-leader moves/, '"move leader first" moves');
  if (!result.ok) return { ok: false, refusal: words(result.refusal) };
  return { ok: true, plan: { ...result.plan, warnings: result.plan.warnings.map(words), preview: result.plan.preview.map(words) } };
}

/** One member only: the plan for every voter, cut down to that member's step. */
function planOneMember(view: ClusterView, member: Member, input: Input, env: PlanEnv): PlanResult {
  const label = memberLabel(member);
  if (member.isLearner) return { ok: false, refusal: `${label} is a learner: a learner cannot be defragmented online (etcd answers "rpc not supported for learner"); promote it first, or defragment it offline with etcd stopped` };
  const probe = view.probes[member.id];
  if (!probe?.ok) return { ok: false, refusal: `${label} does not answer${probe && !probe.ok ? ` (${probe.error})` : ''}: it cannot be defragmented now` };
  const all = planDefrag(view, { ...maintenanceCommon(env), all: true, moveLeader: false });
  if (!all.ok) return inConsoleWords(all);
  const step = all.plan.steps.find((s) => s.action.kind === 'defrag-member' && s.action.memberId === member.id);
  if (!step) return { ok: false, refusal: `${label} is not among the voters that can be defragmented now` };
  const isLeader = leaderAgreement(view.members, view.probes).leaderId === member.id;
  const warnings = isLeader
    ? [`${label} is the leader: while it is defragmented the whole cluster's reads and writes wait${input.moveLeader ? '; "move leader first" needs a voter defragmented earlier in the same run: put all in the "members" field to defragment the followers first and move leadership to one of them' : ''}`]
    : [];
  const keep = all.plan.preview.filter((l) => /^(cluster|quota):/.test(l) || l.startsWith('each member blocks'));
  return {
    ok: true,
    plan: {
      ...all.plan,
      title: `Defragment ${label}`,
      preview: [keep[0] ?? '', `members: ${label} only (${isLeader ? 'the leader' : 'a follower'}), DB ${formatBytes(probe.status.dbSize)}, in use ${formatBytes(probe.status.dbSizeInUse)}`, ...keep.slice(1)].filter(Boolean),
      warnings,
      steps: [{ ...step, title: step.title.replace(/member \d+ of \d+, /, '') }],
      args: { ...all.plan.args, all: false, member: label, order: [label], moveLeader: false },
    },
  };
}

export default defineFlow<Input>({
  id: 'defrag',
  title: 'Rolling defrag',
  command: {
    id: 'defrag',
    title: 'Defrag',
    description: `Rolling defrag: a form with the members (a rule, default ${DEFAULT_DEFRAG_RULE}; all; or one member) and whether to move the leader first; followers first, leader last, health gates between members (\`:defrag all\`, \`:defrag move-leader\`, \`:defrag RULE\`, \`:defrag NAME\`)`,
    keys: ['D'],
    disabledReason: needList,
  },
  opening: {
    kind: 'form',
    // `:defrag` (the form with the default rule), `:defrag all`, `:defrag move-leader`, `:defrag <rule or member>`: planned at once.
    form: (argument) => {
      const words = (argument ?? '').split(/\s+/).filter(Boolean);
      const moveLeader = words.includes('move-leader');
      const members = words.filter((w) => w !== 'move-leader').join(' ');
      return {
        fields: [
          { key: 'members', label: 'members', value: members || DEFAULT_DEFRAG_RULE, placeholder: `a rule, all, or a member's name` },
          { key: 'moveLeader', label: 'move leader', value: moveLeader ? 'yes' : 'no', choices: ['no', 'yes'] },
        ],
        focus: 0,
        complete: words.length > 0,
        notes: [
          `members: a rule over size, inUse, free, quota (default ${DEFAULT_DEFRAG_RULE}); all (every voter); or one member's name or ID`,
          'move leader first (space switches): leadership moves to a defragmented voter before the leader\'s turn',
        ],
      };
    },
  },
  fromConsole: (source) => {
    const members = source.field('members').trim();
    const moveLeader = source.field('moveLeader') === 'yes';
    if (!members) return { ok: false, refusal: `give the members: a rule (default ${DEFAULT_DEFRAG_RULE}), all, or a member's name (:defrag all)` };
    if (members === 'all') return { ok: true, input: { all: true, moveLeader, console: true } };
    return { ok: true, input: { members, moveLeader, console: true } };
  },
  cli: {
    command: ['defrag'],
    fromCli: ({ options, usage }) => {
      if (options.rule !== undefined && options.all) throw usageError('defrag: give --rule EXPR or --all, not both', usage);
      return { rule: options.rule, all: options.all, compactRetain: options.compactRetain, moveLeader: options.moveLeader ?? false };
    },
  },
  plan: (view, input, env) => {
    if (input.members === undefined) {
      const planned = planDefrag(view, { ...maintenanceCommon(env), rule: input.rule, all: input.all, compactRetain: input.compactRetain, moveLeader: input.moveLeader });
      return input.console ? inConsoleWords(planned) : planned;
    }
    const member = namedMember(view, input.members);
    if (member) return planOneMember(view, member, input, env);
    return inConsoleWords(planDefrag(view, { ...maintenanceCommon(env), rule: input.members, moveLeader: input.moveLeader }));
  },
  audit: (input, source) => (input ? { rule: input.rule ?? (input.members !== undefined ? input.members : undefined), all: input.all, compactRetain: input.compactRetain, moveLeader: input.moveLeader } : { members: source.field?.('members') ?? source.argument }),
});
