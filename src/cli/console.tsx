/** Opens the interactive console: store, session (gateway + poller), flow controller and the Ink app. */
import { render } from 'ink';
import type { ConnectionSettings } from '../domain/config.js';
import { createAppStore } from '../store/store.js';
import { Session, connectionInfo } from '../monitor/session.js';
import { EtcdGateway } from '../cluster/etcd-gateway.js';
import { deadlinesFor } from './deadlines.js';
import { FlowController } from '../flows/controller.js';
import { AuditLog, defaultAuditPath } from '../run/audit.js';
import { App } from '../../screens/App.js';
import type { BootstrapPort } from '../flows/bootstrap-port.js';

/** What only the sandbox can do for the flows: start a new member on this machine. */
export interface LocalMembers {
  startMember(name: string, peerURLs: string[], initialCluster: string): Promise<void>;
  suggestPeerURL(): Promise<string>;
}

export interface ConsoleOptions {
  settings: ConnectionSettings;
  contexts: string[];
  loadContext: (name: string) => Promise<ConnectionSettings>;
  /** Lines shown in the message bar at start (e.g. where the sandbox lives). */
  greeting?: string;
  /** The flows' audit log (--audit-log); default defaultAuditPath(). */
  auditLog?: string;
  /** Sandbox only: the flows may start new members locally. */
  localMembers?: LocalMembers;
  /** The bootstrap flows' port for the shown context (its hosts), given the context's name. */
  bootstrap?: (currentContext: () => string) => BootstrapPort;
}

export async function runConsole(options: ConsoleOptions): Promise<void> {
  // Node's deprecation warnings (e.g. DEP0123 for TLS to an IP address) would corrupt the screen.
  process.noDeprecation = true;
  const store = createAppStore({ connection: connectionInfo(options.settings), contexts: options.contexts });
  const session = new Session(store, (s) => new EtcdGateway(s, deadlinesFor(s)), options.loadContext, options.auditLog ?? defaultAuditPath());
  const flows = new FlowController(store, {
    gateway: () => session.currentGateway(),
    observe: (opts) => session.observe(opts),
    audit: new AuditLog(options.auditLog ?? defaultAuditPath()),
    context: () => store.getState().connection.contextName,
    startMember: options.localMembers?.startMember,
    suggestPeerURL: options.localMembers?.suggestPeerURL,
    bootstrap: options.bootstrap?.(() => store.getState().connection.contextName),
  });
  session.start(options.settings);
  if (options.greeting) store.getState().say(options.greeting);
  let quitAsked = false;
  const quit = () => {
    // Leaving in the middle of a membership change would leave it half done and unrecorded:
    // the first quit aborts the flow, a second one leaves anyway.
    if (flows.running && !quitAsked) {
      quitAsked = true;
      flows.abort();
      store.getState().say('a flow is running: aborting it; quit again to leave now', 'warn');
      return;
    }
    session.stop();
    app.unmount();
  };
  const switchContext = (name: string) => {
    if (flows.running) return store.getState().say('a flow is running: abort it (a) before switching context', 'warn');
    flows.close();
    void session.switchContext(name);
  };
  const app = render(<App store={store} actions={{ quit, refreshNow: () => session.refreshNow(), switchContext, flows, inspect: session.inspectActions() }} />, { exitOnCtrlC: false });
  await app.waitUntilExit();
  session.stop();
}
