/**
 * The root of the console: one input dispatcher with scopes (the open input line first; then an
 * open flow dialog, which takes typed text and its own 'flow' bindings and lets only ctrl-c
 * through; then the screen's bindings, then global ones), and the current screen. Screens only
 * read the store and dispatch commands.
 */
import { useMemo } from 'react';
import type { ScreenName } from '../src/store/store.js';
import { readOnlyMessage, unknownCommandMessage } from '../src/format/suggest.js';
import { BodySizeContext, useTerminalSize } from './components/size.js';
import { headerRows } from './components/Header.js';
import { Box, Text, useInput, useStdin } from 'ink';
import { StoreContext, RegistryContext, useAppStore } from './context.js';
import type { AppStore } from '../src/store/store.js';
import { CommandRegistry, parsePalette, runCommand, type CommandContext } from '../src/commands/registry.js';
import { keyNames } from './keys.js';
import { editLine } from '../src/flows/line-editor.js';
import { Header } from './components/Header.js';
import { Footer } from './components/Footer.js';
import { Dashboard } from './dashboard/Dashboard.js';
import { MemberDetail } from './detail/MemberDetail.js';
import { Help } from './help/Help.js';
import { Events } from './events/Events.js';
import { Contexts } from './contexts/Contexts.js';
import { FlowScreen } from './flow/FlowScreen.js';
import { InspectScreen } from './inspect/InspectScreen.js';

/** The flow controller as the dispatcher sees it: the registry's actions plus typed text. */
export interface FlowInput {
  /** Text for a form field or the type-to-confirm line; true when the key was taken. */
  handleText(name: string, raw: string): boolean;
}

export interface AppProps {
  store: AppStore;
  actions: Omit<CommandContext, 'store' | 'flows'> & { flows?: CommandContext['flows'] & FlowInput };
}

interface DispatcherProps extends AppProps {
  registry: CommandRegistry;
  /** The registry as it would be without read-only mode, to say why a key does nothing there. */
  fullRegistry: CommandRegistry;
}

/** In read-only mode: the message for a key whose command was taken away, if it was. */
function readOnlyRefusal(fullRegistry: CommandRegistry, registry: CommandRegistry, key: string, screen: ScreenName): string | undefined {
  const hidden = fullRegistry.forKey(key, screen);
  if (!hidden || registry.byId(hidden.id)) return undefined;
  return readOnlyMessage(`${hidden.title} (${key})`);
}

function handleInputLine(ctx: CommandContext, registry: CommandRegistry, fullRegistry: CommandRegistry, name: string, raw: string): void {
  const state = ctx.store.getState();
  const input = state.ui.input;
  if (!input) return;
  if (name === 'escape') {
    if (input.kind === 'filter') state.setFilter('');
    state.setInput(undefined);
    return;
  }
  if (name === 'enter') {
    state.setInput(undefined);
    if (input.kind === 'palette') {
      const parsed = parsePalette(registry, input.text);
      if (parsed.error) {
        // The nearest commands by edit distance, and why a command read-only mode hides is missing.
        const word = input.text.trim().split(/\s+/)[0] ?? '';
        const ids = registry.commands.map((c) => c.id);
        const hidden = fullRegistry.commands.map((c) => c.id).filter((id) => !ids.includes(id));
        state.say(unknownCommandMessage(word, ids, hidden), 'warn');
      }
      else if (parsed.command) runCommand(parsed.command, ctx, parsed.argument);
    }
    return;
  }
  if (name === 'ctrl+c') return ctx.quit();
  let text = input.text;
  if (name === 'tab' && input.kind === 'palette') text = registry.complete(text)[0]?.id ?? text;
  else {
    const edited = editLine(text, name, raw);
    if (edited === undefined) return;
    text = edited;
  }
  state.setInput({ ...input, text });
  if (input.kind === 'filter') state.setFilter(text);
}

function Dispatcher({ store, registry, fullRegistry, actions }: DispatcherProps) {
  const { isRawModeSupported } = useStdin();
  useInput(
    (input, key) => {
      const ctx: CommandContext = { store, ...actions };
      const names = keyNames(input, key);
      for (const name of names) {
        const state = store.getState();
        const raw = names.length > 1 ? (name.length === 1 ? name : '') : input;
        if (state.ui.input) {
          handleInputLine(ctx, registry, fullRegistry, name, raw);
          continue;
        }
        if (state.flow) {
          // The flow dialog is modal: typed text first, then its own bindings; only ctrl-c gets out.
          if (name !== 'ctrl+c' && actions.flows?.handleText(name, raw)) continue;
          state.clearMessage();
          const command = registry.forKey(name, 'flow');
          if (command && (command.screens?.includes('flow') || name === 'ctrl+c')) runCommand(command, ctx);
          continue;
        }
        state.clearMessage();
        const command = registry.forKey(name, state.ui.screen);
        if (command) runCommand(command, ctx);
        else {
          const refusal = readOnlyRefusal(fullRegistry, registry, name, state.ui.screen);
          if (refusal) state.say(refusal, 'warn');
        }
      }
    },
    { isActive: isRawModeSupported === true },
  );
  return null;
}

function CurrentScreen() {
  const screen = useAppStore((s) => s.ui.screen);
  const flowOpen = useAppStore((s) => s.flow !== undefined);
  if (flowOpen) return <FlowScreen />;
  switch (screen) {
    case 'detail':
      return <MemberDetail />;
    case 'help':
      return <Help />;
    case 'events':
      return <Events />;
    case 'contexts':
      return <Contexts />;
    case 'certs':
    case 'metrics':
    case 'consistency':
    case 'keyspace':
      return <InspectScreen screen={screen} />;
    default:
      return <Dashboard />;
  }
}

/** The registry follows the connection's read-only setting (a context switch can change it). */
function Console(props: AppProps) {
  const readOnly = useAppStore((s) => s.connection.readOnly);
  const registry = useMemo(() => new CommandRegistry({ readOnly }), [readOnly]);
  const fullRegistry = useMemo(() => new CommandRegistry({ readOnly: false }), []);
  // The whole console fits the terminal (one row spare: a full screen would scroll): header and
  // footer always on screen, the current screen in the rows between them.
  const { columns, rows } = useTerminalSize();
  const width = Math.max(20, columns - 1);
  const total = rows ? Math.max(8, rows - 1) : undefined;
  const body = useMemo(() => ({ width, height: total ? Math.max(1, total - headerRows(readOnly) - 1) : undefined }), [width, total, readOnly]);
  return (
    <RegistryContext.Provider value={registry}>
      <BodySizeContext.Provider value={body}>
        <Box flexDirection="column" height={total} width={columns}>
          <Header width={width} />
          <Box flexDirection="column" flexGrow={1} flexShrink={1} overflow={total ? 'hidden' : undefined}>
            <CurrentScreen />
          </Box>
          <Footer width={width} />
          <Dispatcher {...props} registry={registry} fullRegistry={fullRegistry} />
        </Box>
      </BodySizeContext.Provider>
    </RegistryContext.Provider>
  );
}

export function App(props: AppProps) {
  return (
    <StoreContext.Provider value={props.store}>
      <Console {...props} />
    </StoreContext.Provider>
  );
}

/** Shown instead of the console when stdin is not a terminal. */
export function NoTerminal() {
  return <Text color="red">etcd-tui needs an interactive terminal for the console; use `etcd-tui status` in scripts.</Text>;
}
