/**
 * The flows in the command registry: the commands that open a flow (one per flow module in
 * src/flows/modules: dashboard and member detail keys, or `:id [argument]` from the palette) and the
 * keys of the flow dialog (scope 'flow').
 * All are `dangerous`: read-only mode drops them, so no flow can be opened there. Pure: they only
 * read the store and call the FlowActions of the command context.
 */
import type { Command, CommandContext } from '../commands/types.js';
import type { AppState } from '../store/store.js';
import type { FlowId } from '../domain/plan.js';
import { FLOWS } from './modules/index.js';
import { addedMember } from './state.js';

const MEMBER_SCREENS: Command['screens'] = ['dashboard', 'detail'];

export { selectedMember } from './modules/common.js';

function open(kind: FlowId) {
  return (ctx: CommandContext, argument?: string) => {
    if (!ctx.flows) return ctx.store.getState().say('flows are not available in this console', 'warn');
    ctx.flows.open(kind, argument);
  };
}

const flow = (state: AppState) => state.flow;

const DIALOG: Pick<Command, 'category' | 'dangerous' | 'screens' | 'hint'> = { category: 'dialog', dangerous: true, screens: ['flow'], hint: ['flow'] };

/** The command of each flow module (src/flows/modules): keys on the dashboard and member detail, `:id [argument]` in the palette. */
const OPEN_COMMANDS: Command[] = FLOWS.map((def) => ({ ...def.command, category: 'cluster', dangerous: true, screens: MEMBER_SCREENS, run: open(def.id) }));

export const FLOW_COMMANDS: Command[] = [
  ...OPEN_COMMANDS,
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
  {
    ...DIALOG,
    id: 'rolling-pause',
    title: 'Pause/go on',
    description: 'In a rolling run: pause before the next member (the member in flight finishes first); while held, go on with it',
    keys: [' '],
    disabledReason: (s) => (flow(s)?.stage === 'running' && flow(s)?.board ? undefined : 'only while a rolling run (restart-all, upgrade) runs'),
    run: (ctx) => ctx.flows?.togglePause?.(),
  },
  {
    ...DIALOG,
    id: 'rolling-step',
    title: 'Step mode',
    description: 'In a rolling run: step mode on or off (the run holds before each member until space)',
    keys: ['s'],
    disabledReason: (s) => (flow(s)?.stage === 'running' && flow(s)?.board ? undefined : 'only while a rolling run (restart-all, upgrade) runs'),
    run: (ctx) => ctx.flows?.toggleStepMode?.(),
  },
];
