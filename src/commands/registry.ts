/**
 * The one command registry. Footer hints, the `?` help screen, the `:` palette and the README key
 * table all come from here. Read-only mode drops the dangerous commands.
 */
import type { AppState, ScreenName } from '../store/store.js';
import { visibleMembers } from '../store/store.js';
import { FLOW_COMMANDS } from '../flows/commands.js';
import { INSPECT_COMMANDS } from './inspect.js';
import { selectedMember } from '../flows/modules/common.js';

export type { Category, Command, CommandContext, FlowActions } from './types.js';
import type { Command, CommandContext } from './types.js';

const noMembers = (state: AppState) => (visibleMembers(state).length === 0 ? 'no member to show (none known yet, or the filter hides them all)' : undefined);

const ALL_COMMANDS: Command[] = [
  {
    id: 'up',
    title: 'Up',
    description: 'Move the selection up',
    keys: ['up', 'k'],
    category: 'navigation',
    dangerous: false,
    hint: ['dashboard'],
    run: ({ store }) => (store.getState().ui.screen === 'contexts' ? store.getState().moveContextCursor(-1) : store.getState().moveSelection(-1)),
  },
  {
    id: 'down',
    title: 'Down',
    description: 'Move the selection down',
    keys: ['down', 'j'],
    category: 'navigation',
    dangerous: false,
    hint: ['dashboard'],
    run: ({ store }) => (store.getState().ui.screen === 'contexts' ? store.getState().moveContextCursor(1) : store.getState().moveSelection(1)),
  },
  {
    id: 'detail',
    title: 'Detail',
    description: "Open the selected member's detail (all status fields, URLs, index and DB size history)",
    keys: ['enter'],
    category: 'navigation',
    dangerous: false,
    screens: ['dashboard'],
    hint: ['dashboard'],
    disabledReason: noMembers,
    run: ({ store }) => store.getState().navigate('detail'),
  },
  {
    id: 'use-context',
    title: 'Use context',
    description: 'Connect to the context under the cursor',
    keys: ['enter'],
    category: 'navigation',
    dangerous: false,
    screens: ['contexts'],
    hint: ['contexts'],
    disabledReason: (s) => (s.contexts.length === 0 ? 'no contexts file, or it lists no context' : undefined),
    run: (ctx) => {
      const s = ctx.store.getState();
      const name = s.contexts[s.ui.contextCursor];
      if (name) ctx.switchContext(name);
    },
  },
  {
    id: 'back',
    title: 'Back',
    description: 'Close the input or go back to the previous screen; on the dashboard, clear the filter',
    keys: ['escape'],
    category: 'navigation',
    dangerous: false,
    hint: ['detail', 'help', 'events', 'contexts'],
    run: ({ store }) => store.getState().back(),
  },
  {
    id: 'help',
    title: 'Help',
    description: 'Show every command and its keys',
    keys: ['?'],
    category: 'view',
    dangerous: false,
    hint: ['dashboard', 'detail'],
    run: ({ store }) => store.getState().navigate('help'),
  },
  {
    id: 'palette',
    title: 'Command',
    description: 'Open the command palette: type a command id (e.g. help, events, ctx prod, quit)',
    keys: [':'],
    category: 'view',
    dangerous: false,
    hint: ['dashboard'],
    run: ({ store }) => store.getState().setInput({ kind: 'palette', text: '' }),
  },
  {
    id: 'filter',
    title: 'Filter',
    description: 'Filter members by name, hex ID or URL',
    keys: ['/'],
    category: 'view',
    dangerous: false,
    screens: ['dashboard'],
    hint: ['dashboard'],
    run: ({ store }) => store.getState().setInput({ kind: 'filter', text: store.getState().ui.filter }),
  },
  {
    id: 'events',
    title: 'Events',
    description: 'Show the whole event timeline (leader and term changes, members, reachability, alarms)',
    keys: ['e'],
    category: 'view',
    dangerous: false,
    hint: ['dashboard'],
    run: ({ store }) => store.getState().navigate('events'),
  },
  {
    id: 'ctx',
    title: 'Contexts',
    description: 'Switch to another cluster from the contexts file (`:ctx NAME` switches directly)',
    keys: ['c'],
    category: 'view',
    dangerous: false,
    hint: ['dashboard'],
    run: (ctx, argument) => {
      if (argument) return ctx.switchContext(argument);
      const s = ctx.store.getState();
      const i = s.contexts.indexOf(s.connection.contextName);
      ctx.store.setState({ ui: { ...s.ui, contextCursor: i < 0 ? 0 : i } });
      s.navigate('contexts');
    },
  },
  {
    id: 'refresh',
    title: 'Refresh',
    description: 'Refresh every member now',
    keys: ['r'],
    category: 'view',
    dangerous: false,
    run: ({ refreshNow, store }) => {
      refreshNow();
      store.getState().say('refreshing');
    },
  },
  ...FLOW_COMMANDS,
  {
    id: 'restart',
    title: 'Restart member',
    description: "Restart the selected member on its host over SSH (`:restart NAME`): the rolling engine with this one member, gated (the cluster can lose it), waited for; a member that is down gets no gate (its restart is the recovery step)",
    keys: ['o'],
    category: 'cluster',
    dangerous: true,
    screens: ['dashboard', 'detail'],
    disabledReason: (state, argument) => (argument?.trim() || selectedMember(state) ? undefined : 'select a member (or give its name: :restart m2)'),
    run: (ctx, argument) => {
      if (!ctx.flows) return ctx.store.getState().say('flows are not available in this console', 'warn');
      const name = argument?.trim() || selectedMember(ctx.store.getState())?.name;
      if (name) ctx.flows.open('rolling-restart', name);
    },
  },
  {
    id: 'undo',
    title: 'Undo run',
    description: 'Finish an unfinished run of this context (its process died): show what it did and the undo steps its rollback would have taken, type the run ID, undo (`:undo RUN`; the same as etcd-tui undo RUN)',
    keys: ['u'],
    category: 'cluster',
    dangerous: true,
    screens: ['dashboard'],
    disabledReason: (s, argument) => (argument || s.inspect.unfinishedRuns?.length ? undefined : 'no unfinished run of this context (etcd-tui runs lists every run)'),
    run: (ctx, argument) => (ctx.flows?.openUndo ? ctx.flows.openUndo(argument) : ctx.store.getState().say('undo is not available in this console', 'warn')),
  },
  ...INSPECT_COMMANDS,
  {
    id: 'quit',
    title: 'Quit',
    description: 'Leave the console',
    keys: ['q', 'ctrl+c'],
    category: 'general',
    dangerous: false,
    hint: ['dashboard'],
    run: ({ quit }) => quit(),
  },
];

export interface RegistryOptions {
  readOnly: boolean;
  /** Extra commands (flows register themselves here). */
  extra?: Command[];
}

export class CommandRegistry {
  readonly commands: Command[];

  constructor(options: RegistryOptions) {
    const all = [...ALL_COMMANDS, ...(options.extra ?? [])];
    this.commands = options.readOnly ? all.filter((c) => !c.dangerous) : all;
  }

  byId(id: string): Command | undefined {
    return this.commands.find((c) => c.id === id);
  }

  /** The command bound to a key on a screen; screen-scoped bindings win over global ones. */
  forKey(key: string, screen: ScreenName): Command | undefined {
    const matches = this.commands.filter((c) => c.keys.includes(key) && (!c.screens || c.screens.includes(screen)));
    return matches.find((c) => c.screens) ?? matches[0];
  }

  /** Footer hints for a screen; given the state, only the commands that can run now. */
  hints(screen: ScreenName, state?: AppState): Array<{ keys: string; title: string }> {
    return this.commands
      .filter((c) => c.hint?.includes(screen) && !(state && c.disabledReason?.(state)))
      .map((c) => ({ keys: c.keys.map(keyLabel).join('/'), title: c.title }));
  }

  /** Palette completion: the commands whose id starts with the text. */
  complete(text: string): Command[] {
    const word = text.trim().split(/\s+/)[0] ?? '';
    return this.commands.filter((c) => c.id.startsWith(word));
  }
}

/** How a key name is shown to a person. */
export function keyLabel(key: string): string {
  const labels: Record<string, string> = { up: '↑', down: '↓', enter: 'enter', escape: 'esc', 'ctrl+c': 'ctrl-c', ' ': 'space' };
  return labels[key] ?? key;
}

/** Run a command by key or by id, saying why when it is disabled. Returns true if something ran. */
export function runCommand(command: Command, ctx: CommandContext, argument?: string): boolean {
  const reason = command.disabledReason?.(ctx.store.getState(), argument);
  if (reason) {
    ctx.store.getState().say(`${command.title}: ${reason}`, 'warn');
    return false;
  }
  command.run(ctx, argument);
  return true;
}

/** Parse palette text "ctx prod" into a command and its argument. */
export function parsePalette(registry: CommandRegistry, text: string): { command?: Command; argument?: string; error?: string } {
  const [id, ...rest] = text.trim().split(/\s+/);
  if (!id) return {};
  const aliases: Record<string, string> = { q: 'quit', 'q!': 'quit', context: 'ctx', contexts: 'ctx', '?': 'help' };
  const command = registry.byId(aliases[id] ?? id);
  if (!command) {
    const near = registry.complete(id).map((c) => c.id);
    return { error: `no command "${id}"${near.length ? ` (did you mean ${near.join(', ')}?)` : ' (press ? for the list)'}` };
  }
  return { command, argument: rest.join(' ') || undefined };
}

/** The key table in Markdown, for the README (a test checks the README holds it). */
export function keyTableMarkdown(registry: CommandRegistry): string {
  const rows = registry.commands.map((c) => `| ${c.keys.map((k) => '`' + keyLabel(k) + '`').join(' ')} | \`:${c.id}\` | ${c.description}${c.dangerous ? ' (hidden in read-only mode)' : ''} |`);
  return ['| keys | command | what it does |', '|---|---|---|', ...rows].join('\n');
}
