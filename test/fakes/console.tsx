/**
 * The console on fakes for screen tests: a fresh store polled once from a fake gateway, a
 * FlowController whose `observe` refreshes the store as the Session does, the App rendered with
 * ink-testing-library, and the helpers the tests use (wait for a frame, press keys, read the audit
 * records). Each test gets its own state directory (audit log, env files, journals), removed by done().
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { App } from '../../screens/App.js';
import { createAppStore, type AppStore } from '../../src/store/store.js';
import { pollOnce } from '../../src/monitor/poller.js';
import { collectStatus } from '../../src/monitor/observe.js';
import { FlowController, type FlowDeps } from '../../src/flows/controller.js';
import { AuditLog } from '../../src/run/audit.js';
import { FakeGateway } from './fake-gateway.js';
import { waitFor } from '../harness/wait.js';

export const TEST_CONNECTION = { contextName: 'test', endpoints: ['http://127.0.0.1:2389'], readOnly: false, refreshMs: 1000, secure: false };

export interface FakeConsoleOptions {
  /** The cluster (default: a fresh FakeGateway with m1..m3). */
  gateway?: FakeGateway;
  readOnly?: boolean;
  /** The state directory's name prefix. */
  dirPrefix?: string;
  /** Runs once the state directory exists, before the controller (it scans the run journals there). */
  before?(dir: string): void;
  /** What the controller gets besides the defaults (hosts, startMember, files, another audit log, ...). */
  deps?(dir: string, gateway: FakeGateway): Partial<FlowDeps>;
  /** How long a frame is waited for (default 5 s). */
  frameTimeoutMs?: number;
  /** A terminal of this size (default ink-testing-library's). */
  size?: { columns: number; rows: number };
  /** Frames without colour codes. */
  plain?: boolean;
}

/** One audit record as the tests read it back. */
export interface AuditRecordRead {
  command: string;
  outcome: string;
  error?: string;
  arguments: Record<string, unknown>;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** A console on fakes; call done() at the end (unmounts, removes the state directory). */
export async function fakeConsole(opts: FakeConsoleOptions = {}) {
  const gateway = opts.gateway ?? new FakeGateway();
  const store: AppStore = createAppStore({ connection: { ...TEST_CONNECTION, readOnly: opts.readOnly ?? false } });
  const refresh = async () => store.getState().applyBatch(await pollOnce(gateway));
  await refresh();
  const dir = mkdtempSync(join(tmpdir(), opts.dirPrefix ?? 'etcd-tui-console-'));
  opts.before?.(dir);
  const deps: FlowDeps = {
    gateway: () => gateway,
    // Like the Session: a complete round for the flow, and the console's view refreshed too.
    observe: async (o) => {
      await refresh();
      return collectStatus(gateway, store.getState().health, Date.now, o);
    },
    audit: new AuditLog(join(dir, 'audit.jsonl')),
    context: () => store.getState().connection.contextName,
    pollMs: 20,
    envDir: dir,
    ...opts.deps?.(dir, gateway),
  };
  const audit = deps.audit;
  const flows = new FlowController(store, deps);
  let quitCalled = false;
  const ui = render(<App store={store} actions={{ quit: () => (quitCalled = true), refreshNow: () => undefined, switchContext: () => undefined, flows }} />);
  if (opts.size) {
    Object.defineProperty(ui.stdout, 'columns', { value: opts.size.columns, configurable: true });
    Object.defineProperty(ui.stdout, 'rows', { value: opts.size.rows, configurable: true });
    ui.stdout.emit('resize');
  }
  const frame = (what: string, check: (f: string) => boolean) =>
    waitFor(
      () => {
        const raw = ui.lastFrame() ?? '';
        const f = opts.plain ? raw.replace(ANSI, '') : raw;
        return check(f) ? f : undefined;
      },
      { what, timeoutMs: opts.frameTimeoutMs ?? 5000, intervalMs: 10 },
    );
  const press = async (key: string) => {
    ui.stdin.write(key);
    await new Promise((r) => setImmediate(r));
  };
  const records = (): AuditRecordRead[] => (existsSync(audit.path) ? readFileSync(audit.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditRecordRead) : []);
  const done = () => {
    ui.unmount();
    rmSync(dir, { recursive: true, force: true });
  };
  return { gateway, store, ui, frame, press, flows, records, dir, audit, refresh, done, quit: () => quitCalled };
}

/** What fakeConsole gives a test. */
export type FakeConsole = Awaited<ReturnType<typeof fakeConsole>>;

/** The frame as one line of words: the dialog's border and line breaks folded (sentences wrap). */
export const flat = (f: string) => f.replace(/[\s│]+/g, ' ');
