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
import type { HostPort } from '../run/host-port.js';
import type { HostFileReader } from '../monitor/certs.js';
import type { AppStore } from '../store/store.js';
import { constants as osConstants } from 'node:os';
import { guardStdin } from './input-guard.js';
import { LastResort } from './last-resort.js';
import { traceStartup, tracingStartup } from '../diagnostics/startup-trace.js';
import { renderTracer } from '../../screens/components/render-trace.js';

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
  bootstrap?: (currentContext: () => string) => HostPort;
  /** The context's hosts, for the certificates pane's files over SSH (undefined: no hosts). */
  hostFiles?: (settings: ConnectionSettings) => Promise<HostFileReader | undefined>;
}

/** How long leaving waits for a running flow to finish its abort (and undo) before it goes anyway. */
const FLOW_END_WAIT_MS = 60_000;
/** Exit code when leaving aborted a running flow (as the headless flows' "aborted"). */
const EXIT_ABORTED = 7;
/** Exit code of the last-resort handler (an internal error), as main's for an unexpected error. */
const EXIT_INTERNAL = 70;

/** Resolves true once no flow is running (false after `timeoutMs`). */
function flowEnded(store: AppStore, flows: FlowController, timeoutMs: number): Promise<boolean> {
  if (!flows.running) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      unsubscribe();
      resolve(false);
    }, timeoutMs);
    const unsubscribe = store.subscribe(() => {
      if (flows.running) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(true);
    });
  });
}

/** Puts the terminal back as the shell expects it: raw mode off, cursor shown. Never throws. */
export function restoreTerminal(stdin: NodeJS.ReadStream = process.stdin, stdout: NodeJS.WriteStream = process.stdout): void {
  try {
    if (stdin.isTTY && stdin.isRaw) stdin.setRawMode(false);
  } catch {
    // the terminal is gone (SIGHUP)
  }
  try {
    if (stdout.isTTY && stdout.writable) stdout.write('\x1b[?25h');
  } catch {
    // the terminal is gone
  }
}

/**
 * ETCD_TUI_TRACE_STARTUP: marks the first member list, the first status of every member, and the
 * first write to the terminal after that (the first frame with live data). Returns the undo.
 */
function traceFirstFrame(store: AppStore): () => void {
  const stdout = process.stdout;
  const write = stdout.write;
  let live = false;
  const unsubscribe = store.subscribe((s) => {
    if (s.latest.members.length > 0) traceStartup('first-member-list');
    if (s.latest.members.length > 0 && s.latest.members.every((m) => s.latest.probes[m.id])) {
      traceStartup('first-status-round');
      live = true;
      unsubscribe();
    }
  });
  const traced = function (this: NodeJS.WriteStream, ...args: unknown[]): boolean {
    if (live) {
      traceStartup('first-render');
      stdout.write = write;
    }
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  };
  stdout.write = traced as typeof stdout.write;
  return () => {
    unsubscribe();
    if (stdout.write === traced) stdout.write = write;
  };
}

/** The message of an error as one line (no stack). */
function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0].slice(0, 300);
}

/**
 * Opens the console and resolves with the exit code when it ends: 0 after q, 7 when leaving aborted
 * a running flow, 128+n after signal n (SIGTERM, SIGHUP), 70 after an internal error. A signal, a
 * second quit while a flow runs and the last-resort handler all go the same way out: abort the
 * flow through its abort path, wait until it has ended (its undo run, its audit record written),
 * stop polling, restore the terminal, one line on stderr.
 */
export async function runConsole(options: ConsoleOptions): Promise<number> {
  // Node's deprecation warnings (e.g. DEP0123 for TLS to an IP address) would corrupt the screen.
  process.noDeprecation = true;
  traceStartup('config');
  const store = createAppStore({ connection: connectionInfo(options.settings), contexts: options.contexts });
  const session = new Session(store, (s) => new EtcdGateway(s, deadlinesFor(s)), options.loadContext, options.auditLog ?? defaultAuditPath(), options.hostFiles);
  const hostPort = options.bootstrap?.(() => store.getState().connection.contextName);
  const flows = new FlowController(store, {
    gateway: () => session.currentGateway(),
    observe: (opts) => session.observe(opts),
    audit: new AuditLog(options.auditLog ?? defaultAuditPath()),
    context: () => store.getState().connection.contextName,
    startMember: options.localMembers?.startMember,
    suggestPeerURL: options.localMembers?.suggestPeerURL,
    hosts: hostPort,
    commandTimeoutMs: options.settings.commandTimeoutMs,
  });
  const untrace = tracingStartup() ? traceFirstFrame(store) : undefined;
  session.start(options.settings);
  if (options.greeting) store.getState().say(options.greeting);

  let exitCode = 0;
  /** A quit aborted a flow: leaving says so and exits 7, also when the abort is through by then. */
  let quitAborted = false;
  let farewell: string | undefined;
  let leaving = false;
  let ended: () => void = () => undefined;
  const forcedEnd = new Promise<void>((resolve) => (ended = resolve));
  /** Leaves the console: abort a running flow and wait for it (bounded), then stop everything. */
  const leave = async (code: number, why?: string): Promise<void> => {
    if (leaving) return;
    leaving = true;
    exitCode = code;
    if (flows.running || quitAborted) {
      flows.abort();
      exitCode = code === 0 || code >= 128 ? EXIT_ABORTED : code;
      const done = await flowEnded(store, flows, FLOW_END_WAIT_MS);
      const outcome = store.getState().flow?.result;
      const flowLine = done
        ? `the running flow was aborted${outcome?.rollback ? ' and undone' : ''}${outcome?.auditPath ? ` (audit: ${outcome.auditPath})` : ''}`
        : `the running flow did not end within ${FLOW_END_WAIT_MS / 1000} s after the abort: check the cluster`;
      farewell = why ? `${why}; ${flowLine}` : flowLine;
    } else {
      farewell = why;
    }
    session.stop();
    // Open SSH connections of the flows on hosts would keep the process alive after the quit (bounded: a hung one is dropped).
    if (hostPort?.close) await Promise.race([hostPort.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    try {
      app.unmount();
    } catch {
      // Ink may be the thing that broke; the terminal is restored below anyway
    }
    restoreTerminal();
    ended();
  };
  let quitAsked = false;
  const quit = () => {
    // Leaving in the middle of a membership change would leave it half done and unrecorded: the
    // first quit aborts the flow, a second one leaves as soon as the abort (and undo) is through.
    if (flows.running && !quitAsked) {
      quitAsked = true;
      quitAborted = true;
      flows.abort();
      store.getState().say('a flow is running: aborting it; quit again to leave once it has ended', 'warn');
      return;
    }
    if (flows.running) store.getState().say('leaving once the aborted flow has ended (its undo and audit record)', 'warn');
    void leave(0);
  };
  const switchContext = (name: string) => {
    if (flows.running) return store.getState().say('a flow is running: abort it (a) before switching context', 'warn');
    flows.close();
    void session.switchContext(name);
  };

  // Closing the terminal (SIGHUP) and automation (SIGTERM) go out through the abort path; a
  // second signal while that runs leaves at once.
  const onSignal = (signal: NodeJS.Signals) => {
    if (leaving) {
      restoreTerminal();
      process.stderr.write(`etcd-tui: ${signal} again: leaving now\n`);
      process.exit(128 + (osConstants.signals[signal] ?? 0));
    }
    void leave(128 + (osConstants.signals[signal] ?? 0), `${signal}`);
  };
  // The last resort: an error nothing else caught must not leave a raw terminal, a half-done
  // flow without its record, or a stack on the operator's screen.
  const onFatal = (error: unknown) => {
    if (leaving) return; // errors while leaving (a closed terminal) change nothing
    void leave(EXIT_INTERNAL, `internal error: ${oneLine(error)}`);
  };
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);

  const stdin = guardStdin(process.stdin, {
    onError: (error) => store.getState().say(`ignored input the console could not read (${oneLine(error)})`, 'warn'),
  });
  const app = render(
    <LastResort onError={onFatal}>
      <App store={store} actions={{ quit, refreshNow: () => session.refreshNow(), switchContext, flows, inspect: session.inspectActions() }} />
    </LastResort>,
    { exitOnCtrlC: false, stdin, onRender: renderTracer() },
  );
  try {
    // Ink ends with an error only when something failed below the boundary: the same way out.
    await Promise.race([app.waitUntilExit().catch((error: unknown) => onFatal(error)), forcedEnd]);
    if (leaving) await forcedEnd;
    session.stop();
  } finally {
    for (const s of signals) process.off(s, onSignal);
    process.off('uncaughtException', onFatal);
    process.off('unhandledRejection', onFatal);
    restoreTerminal();
    untrace?.();
  }
  if (farewell) process.stderr.write(`etcd-tui: ${farewell}\n`);
  // Whatever still holds the event loop (a socket of a dead terminal) must not keep us alive.
  if (exitCode !== 0) setTimeout(() => process.exit(exitCode), 5_000).unref();
  return exitCode;
}
