/** Opens the interactive console: store, session (gateway + poller) and the Ink app. */
import { render } from 'ink';
import type { ConnectionSettings } from '../domain/config.js';
import { createAppStore } from '../store/store.js';
import { Session, connectionInfo } from '../monitor/session.js';
import { EtcdGateway } from '../cluster/etcd-gateway.js';
import { deadlinesFor } from './deadlines.js';
import { App } from '../../screens/App.js';

export interface ConsoleOptions {
  settings: ConnectionSettings;
  contexts: string[];
  loadContext: (name: string) => Promise<ConnectionSettings>;
  /** Lines shown in the message bar at start (e.g. where the sandbox lives). */
  greeting?: string;
}

export async function runConsole(options: ConsoleOptions): Promise<void> {
  // Node's deprecation warnings (e.g. DEP0123 for TLS to an IP address) would corrupt the screen.
  process.noDeprecation = true;
  const store = createAppStore({ connection: connectionInfo(options.settings), contexts: options.contexts });
  const session = new Session(store, (s) => new EtcdGateway(s, deadlinesFor(s)), options.loadContext);
  session.start(options.settings);
  if (options.greeting) store.getState().say(options.greeting);
  const quit = () => {
    session.stop();
    app.unmount();
  };
  const app = render(
    <App
      store={store}
      actions={{
        quit,
        refreshNow: () => session.refreshNow(),
        switchContext: (name) => void session.switchContext(name),
      }}
    />,
    { exitOnCtrlC: false },
  );
  await app.waitUntilExit();
  session.stop();
}
