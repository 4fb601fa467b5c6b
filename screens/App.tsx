/**
 * The root of the console: one input dispatcher with scopes (the open input line first; then an
 * open flow dialog, which takes typed text and its own 'flow' bindings and lets only ctrl-c
 * through; then the screen's bindings, then global ones), and the current screen. Screens only
 * read the store and dispatch commands.
 */
import { useMemo } from 'react';
import { Box, Text, useInput, useStdin } from 'ink';
import { StoreContext, RegistryContext, useAppStore } from './context.js';
import type { AppStore } from '../src/store/store.js';
import { CommandRegistry, parsePalette, runCommand, type CommandContext } from '../src/commands/registry.js';
import { keyNames } from './keys.js';
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
}

function handleInputLine(ctx: CommandContext, registry: CommandRegistry, name: string, raw: string): void {
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
      if (parsed.error) state.say(parsed.error, 'warn');
      else if (parsed.command) runCommand(parsed.command, ctx, parsed.argument);
    }
    return;
  }
  if (name === 'ctrl+c') return ctx.quit();
  let text = input.text;
  if (name === 'backspace') text = text.slice(0, -1);
  else if (name === 'tab' && input.kind === 'palette') text = registry.complete(text)[0]?.id ?? text;
  else if (raw && [...raw].every((ch) => ch >= ' ')) text += raw;
  else return;
  state.setInput({ ...input, text });
  if (input.kind === 'filter') state.setFilter(text);
}

function Dispatcher({ store, registry, actions }: DispatcherProps) {
  const { isRawModeSupported } = useStdin();
  useInput(
    (input, key) => {
      const ctx: CommandContext = { store, ...actions };
      const names = keyNames(input, key);
      for (const name of names) {
        const state = store.getState();
        const raw = names.length > 1 ? (name.length === 1 ? name : '') : input;
        if (state.ui.input) {
          handleInputLine(ctx, registry, name, raw);
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
  return (
    <RegistryContext.Provider value={registry}>
      <Box flexDirection="column">
        <Header />
        <CurrentScreen />
        <Box marginTop={1}>
          <Footer />
        </Box>
        <Dispatcher {...props} registry={registry} />
      </Box>
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
