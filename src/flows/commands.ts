/**
 * The membership flows in the command registry: the commands that open a flow (dashboard and
 * member detail, or `:id [member]` from the palette) and the keys of the flow dialog (scope 'flow').
 * All are `dangerous`: read-only mode drops them, so no flow can be opened there. Pure: they only
 * read the store and call the FlowActions of the command context.
 */
import type { Command, CommandContext } from '../commands/types.js';
import type { AppState } from '../store/store.js';
import type { FlowId } from '../domain/plan.js';
import type { Member } from '../domain/types.js';
import { memberLabel } from '../format/ids.js';
import { addedMember } from './state.js';

const MEMBER_SCREENS: Command['screens'] = ['dashboard', 'detail'];

/** The selected member, as the newest view knows it. */
export function selectedMember(state: AppState): Member | undefined {
  return state.latest.members.find((m) => m.id === state.ui.selectedId);
}

function open(kind: FlowId) {
  return (ctx: CommandContext, argument?: string) => {
    if (!ctx.flows) return ctx.store.getState().say('flows are not available in this console', 'warn');
    ctx.flows.open(kind, argument);
  };
}

/** Reasons shared by the flows that act on one member. */
function needMember(state: AppState, argument: string | undefined, what: string): string | undefined {
  if (argument) return undefined;
  if (!state.latest.loaded) return 'the member list has not been read yet';
  return selectedMember(state) ? undefined : `select ${what}`;
}

const flow = (state: AppState) => state.flow;

const DIALOG: Pick<Command, 'category' | 'dangerous' | 'screens' | 'hint'> = { category: 'dialog', dangerous: true, screens: ['flow'], hint: ['flow'] };

export const FLOW_COMMANDS: Command[] = [
  {
    id: 'add-learner',
    title: 'Add learner',
    description: 'Add a member as a learner: a form (name, peer URLs), the plan with the env block it must start with, MemberAdd (`:add-learner NAME URLS`)',
    keys: ['a'],
    category: 'cluster',
    dangerous: true,
    screens: MEMBER_SCREENS,
    hint: ['dashboard'],
    disabledReason: (s) => (s.latest.loaded ? undefined : 'the member list has not been read yet'),
    run: open('add-learner'),
  },
  {
    id: 'promote',
    title: 'Promote',
    description: 'Promote the selected learner: a catch-up gauge (rate, time left), then promote, retrying while it is not in sync (`:promote NAME`)',
    keys: ['p'],
    category: 'cluster',
    dangerous: true,
    screens: MEMBER_SCREENS,
    hint: ['dashboard'],
    disabledReason: (s, argument) => {
      const reason = needMember(s, argument, 'a learner to promote');
      if (reason || argument) return reason;
      const m = selectedMember(s);
      return m && !m.isLearner ? `select a learner to promote (${memberLabel(m)} is a voting member)` : undefined;
    },
    run: open('promote'),
  },
  {
    id: 'remove',
    title: 'Remove',
    description: 'Remove the selected member: quorum before and after, refused if the rest would lose it; a leader hands over first; type its name (`:remove NAME`)',
    keys: ['x'],
    category: 'cluster',
    dangerous: true,
    screens: MEMBER_SCREENS,
    hint: ['dashboard'],
    disabledReason: (s, argument) => needMember(s, argument, 'a member to remove'),
    run: open('remove'),
  },
  {
    id: 'replace',
    title: 'Replace',
    description: 'Replace the selected failed member: confirm it is down, remove it, add the new one as a learner, wait for it, promote, verify (`:replace NAME`)',
    keys: ['R'],
    category: 'cluster',
    dangerous: true,
    screens: MEMBER_SCREENS,
    hint: ['dashboard'],
    disabledReason: (s, argument) => {
      const reason = needMember(s, argument, 'a failed member to replace');
      if (reason || argument) return reason;
      const m = selectedMember(s);
      return m && s.latest.probes[m.id]?.ok ? `select a failed member to replace (${memberLabel(m)} answers)` : undefined;
    },
    run: open('replace'),
  },
  {
    id: 'move-leader',
    title: 'Move leader',
    description: 'Make the selected member the leader (a healthy, caught-up voter; the request goes to the current leader) (`:move-leader NAME`)',
    keys: ['m'],
    category: 'cluster',
    dangerous: true,
    screens: MEMBER_SCREENS,
    hint: ['dashboard'],
    disabledReason: (s, argument) => needMember(s, argument, 'the member that should lead'),
    run: open('move-leader'),
  },
  {
    id: 'defrag',
    title: 'Defrag',
    description: 'Rolling defrag: members chosen by a rule (default free >= 100MB || inUse/size < 0.55), followers first, leader last, health gates between members (`:defrag all`, `:defrag move-leader`, `:defrag RULE`)',
    keys: ['D'],
    category: 'cluster',
    dangerous: true,
    screens: MEMBER_SCREENS,
    disabledReason: (s) => (s.latest.loaded ? undefined : 'the member list has not been read yet'),
    run: open('defrag'),
  },
  {
    id: 'compact',
    title: 'Compact',
    description: 'Compact the history, keeping the last N revisions (`:compact 10000`); says what it costs watchers',
    keys: ['C'],
    category: 'cluster',
    dangerous: true,
    screens: MEMBER_SCREENS,
    disabledReason: (s) => (s.latest.loaded ? undefined : 'the member list has not been read yet'),
    run: open('compact'),
  },
  {
    id: 'alarms',
    title: 'NOSPACE recovery',
    description: 'Recover from NOSPACE: compact, rolling defrag of every voter, check every member is below the quota, disarm NOSPACE only (CORRUPT never)',
    keys: ['A'],
    category: 'cluster',
    dangerous: true,
    screens: MEMBER_SCREENS,
    disabledReason: (s) => (s.latest.loaded ? undefined : 'the member list has not been read yet'),
    run: open('recover-nospace'),
  },
  {
    id: 'snapshot',
    title: 'Snapshot',
    description: 'Save a verified snapshot from the leader (`:snapshot FILE`): streamed, sha256 checked, fsynced, renamed, with a JSON sidecar',
    keys: ['S'],
    category: 'cluster',
    dangerous: true,
    screens: MEMBER_SCREENS,
    disabledReason: (s) => (s.latest.loaded ? undefined : 'the member list has not been read yet'),
    run: open('snapshot-save'),
  },
  {
    id: 'bootstrap-join',
    title: 'Join host',
    description: "Bootstrap over SSH: preflight a host of the context's inventory (J alone: the one host not in the cluster), add it as a learner, put certs, env file and unit in place, start it, promote it; undone on failure (`:bootstrap-join HOST`)",
    keys: ['J'],
    category: 'cluster',
    dangerous: true,
    screens: MEMBER_SCREENS,
    disabledReason: (s) => (s.latest.loaded ? undefined : 'the member list has not been read yet'),
    run: open('bootstrap-join'),
  },
  {
    id: 'bootstrap-cluster',
    title: 'New cluster',
    description: "Bootstrap over SSH: a new cluster on the context's hosts (all, or `:bootstrap-cluster H1 H2 H3`), initial-cluster-state new, a new token; the context is saved",
    keys: ['B'],
    category: 'cluster',
    dangerous: true,
    screens: MEMBER_SCREENS,
    run: open('bootstrap-cluster'),
  },
  // The flow dialog's own keys. Text typed into a form field or the confirmation goes to the
  // controller before these (see screens/App.tsx).
  {
    ...DIALOG,
    id: 'flow-next',
    title: 'Next',
    description: 'In a flow: plan the form, run the plan (or go on to type the name), confirm the typed name, close when done',
    keys: ['enter'],
    disabledReason: (s) => {
      const f = flow(s);
      if (!f) return 'no flow open';
      if (f.stage === 'running') return 'the flow is running (a aborts it)';
      if (f.stage === 'preview' && !f.plan) return 'refused: there is nothing to run (esc closes)';
      return f.busy;
    },
    run: (ctx) => ctx.flows?.next(),
  },
  {
    ...DIALOG,
    id: 'flow-back',
    title: 'Edit',
    description: 'In a flow: back from the plan to the form, keeping what was typed',
    keys: ['b'],
    disabledReason: (s) => {
      const f = flow(s);
      return f && f.stage === 'preview' && f.fields.length > 0 ? undefined : 'only from the plan of a flow with a form';
    },
    run: (ctx) => ctx.flows?.backToForm(),
  },
  {
    ...DIALOG,
    id: 'start-locally',
    title: 'Start locally',
    description: 'In a flow (sandbox only): toggle whether the console starts the new member itself on 127.0.0.1',
    keys: ['l'],
    disabledReason: (s) => {
      const f = flow(s);
      if (f?.startLocally === undefined) return 'only in the sandbox (etcd-tui sandbox) and for flows that add a member';
      return f.stage === 'preview' ? undefined : 'only before the flow runs';
    },
    run: (ctx) => ctx.flows?.toggleStartLocally(),
  },
  {
    ...DIALOG,
    id: 'abort',
    title: 'Abort',
    description: 'In a flow: abort the run (it stops between steps or inside the current wait; nothing already done is undone, except by the bootstrap flows, which undo what they did)',
    keys: ['a'],
    disabledReason: (s) => {
      const f = flow(s);
      if (f?.stage !== 'running') return 'nothing is running';
      return f.aborting ? 'already aborting: the run stops after the current call' : undefined;
    },
    run: (ctx) => ctx.flows?.abort(),
  },
  {
    ...DIALOG,
    id: 'remove-learner',
    title: 'Remove learner',
    description: 'In a flow: after a failed or aborted promote, remove the learner left behind (opens the remove flow, with its confirmation)',
    keys: ['x'],
    disabledReason: (s) => (flow(s)?.result?.followUp ? undefined : 'no learner was left behind'),
    run: (ctx) => ctx.flows?.removeLeftoverLearner(),
  },
  {
    ...DIALOG,
    id: 'write-env',
    title: 'Write env file',
    description: "In a flow: write the new member's env block to ./etcd-NAME.env (mode 0600)",
    keys: ['w'],
    disabledReason: (s) => {
      const f = flow(s);
      if (f?.kind === 'bootstrap-join') return 'the bootstrap put the env file on the host already';
      return f?.stage === 'done' && addedMember(f.result) ? undefined : 'no env block to write (only after a member was added)';
    },
    run: (ctx) => ctx.flows?.writeEnv(),
  },
  {
    ...DIALOG,
    id: 'trust-host-key',
    title: 'Trust host key',
    description: 'In a bootstrap flow: trust the host keys shown (check each fingerprint on its host first); they are recorded in known_hosts and preflight runs again. A changed key is never trusted here',
    keys: ['t'],
    disabledReason: (s) => {
      const f = flow(s);
      if (!f?.unknownKeys?.length) return 'no unknown host key to trust';
      return f.busy;
    },
    run: (ctx) => ctx.flows?.trustHostKeys(),
  },
  {
    ...DIALOG,
    id: 'flow-scroll-down',
    title: 'Scroll down',
    description: 'In a flow: scroll a plan or result that is taller than the screen down (5 lines)',
    keys: ['down', 'pagedown'],
    hint: [],
    disabledReason: (s) => (flow(s)?.stage === 'form' ? 'in the form, ↓ moves to the next field' : undefined),
    run: (ctx) => ctx.flows?.scroll(5),
  },
  {
    ...DIALOG,
    id: 'flow-scroll-up',
    title: 'Scroll up',
    description: 'In a flow: scroll the dialog up (5 lines)',
    keys: ['up', 'pageup'],
    hint: [],
    disabledReason: (s) => (flow(s)?.stage === 'form' ? 'in the form, ↑ moves to the previous field' : undefined),
    run: (ctx) => ctx.flows?.scroll(-5),
  },
  {
    ...DIALOG,
    id: 'flow-close',
    title: 'Close',
    description: 'In a flow: close the dialog (not while it runs: abort first)',
    keys: ['escape'],
    disabledReason: (s) => (flow(s)?.stage === 'running' ? 'the flow is running: press a to abort it first' : undefined),
    run: (ctx) => ctx.flows?.close(),
  },
];
