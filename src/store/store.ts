/**
 * The one store: plain data and actions, made by a factory so each test gets its own. The poller
 * writes refresh batches into it; screens select the few fields they show.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { HealthOptions, Member } from '../domain/types.js';
import { DEFAULT_HEALTH_OPTIONS } from '../domain/types.js';
import { applyRefreshes, emptyView, type ClusterView, type Refresh } from '../health/view.js';
import { displaySignature } from '../format/signature.js';
import type { FlowView } from '../flows/state.js';
import { emptyInspect, type InspectState } from './inspect.js';
import { withChecks } from '../health/checks.js';

/**
 * A published view is refreshed at least this often even when nothing visible changed: at each
 * multiple of it on the clock, so the republish falls on a step of the header's "updated" (15 s,
 * screens/components/Header.tsx) and both redraw in one frame.
 */
const MAX_PUBLISH_AGE_MS = 30_000;

/** An info message ("refreshing", "switched to context x") goes with the first refresh this long after it was said. */
export const INFO_MESSAGE_MS = 3_000;

/** Scroll positions are clamped by the screens; this only bounds what a held key can pile up. */
const SCROLL_LIMIT = 1000;

/**
 * Where key bindings act: a screen, or 'flow', the flow dialog (open over any screen while the
 * store's `flow` is set; it takes the keys first).
 */
export type ScreenName = 'dashboard' | 'detail' | 'help' | 'events' | 'contexts' | 'flow' | 'certs' | 'metrics' | 'consistency' | 'keyspace';

export interface InputState {
  kind: 'filter' | 'palette';
  text: string;
}

export interface Message {
  text: string;
  level: 'info' | 'warn' | 'error';
  at: number;
}

export interface ConnectionInfo {
  contextName: string;
  endpoints: string[];
  readOnly: boolean;
  refreshMs: number;
  secure: boolean;
  user?: string;
}

export interface UiState {
  screen: ScreenName;
  /** Screens to go back to with esc. */
  stack: ScreenName[];
  /** Selected member (by ID, so the selection survives reordering). */
  selectedId?: string;
  filter: string;
  input?: InputState;
  message?: Message;
  /** Cursor in the context switcher. */
  contextCursor: number;
  /** First line shown on the screens that scroll (help; events counts back from the newest). */
  scroll?: number;
  /** The member detail's tab: its status (default) or its certificates. */
  detailTab?: 'status' | 'certs';
}

export interface AppState {
  connection: ConnectionInfo;
  contexts: string[];
  health: HealthOptions;
  /** The view the screens show: published when something visible changed. */
  view: ClusterView;
  /** The newest view, folded from every refresh batch (history, freshness). */
  latest: ClusterView;
  ui: UiState;
  startedAt: number;
  /** Time of the first batch with data, for the start-up figure. */
  firstDataAt?: number;
  /** The open flow dialog (add a learner, promote, remove, ...), written by the FlowController. */
  flow?: FlowView;
  /** Certificates, metrics, consistency check, keyspace triage and their health lines (src/store/inspect.ts). */
  inspect: InspectState;

  applyBatch(batch: Refresh[]): void;
  resetView(connection: ConnectionInfo, health?: Partial<HealthOptions>): void;
  setContexts(names: string[]): void;
  navigate(screen: ScreenName): void;
  back(): void;
  moveSelection(delta: number): void;
  select(id: string | undefined): void;
  setInput(input: InputState | undefined): void;
  setFilter(filter: string): void;
  say(text: string, level?: Message['level']): void;
  clearMessage(): void;
  moveContextCursor(delta: number): void;
  /** A scrolling screen says how far it can scroll, so that scrolling back starts at once. */
  clampScroll(max: number): void;
  setFlow(flow: FlowView | undefined): void;
  /** Update the visibility panes; a `checks` change is appended to the verdict at once. */
  setInspect(patch: Partial<InspectState>): void;
}

export type AppStore = StoreApi<AppState>;

export interface StoreInit {
  connection: ConnectionInfo;
  contexts?: string[];
  health?: Partial<HealthOptions>;
  now?: () => number;
}

/** Members as shown: the filter applied (name, hex ID or URL contains the text). */
export function visibleMembers(state: Pick<AppState, 'view' | 'ui'>): Member[] {
  const f = state.ui.filter.trim().toLowerCase();
  const members = [...state.view.members].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  if (!f) return members;
  return members.filter((m) => {
    const hex = BigInt(m.id).toString(16);
    return m.name.toLowerCase().includes(f) || hex.includes(f) || m.clientURLs.some((u) => u.includes(f)) || m.peerURLs.some((u) => u.includes(f));
  });
}

/**
 * How far a member's status-call latency may drift from the figure on screen before it is redrawn:
 * a factor of LATENCY_FACTOR, measured on latency + LATENCY_FLOOR_MS (2 ms vs 60 ms is noise on a live
 * cluster and on a busy bastion, 5 ms vs 200 ms is not).
 */
const LATENCY_FACTOR = 3;
const LATENCY_FLOOR_MS = 50;

/** A member's latency left the band around the published one (or a member got or lost its probe). */
export function latencyMoved(published: Pick<ClusterView, 'probes'>, next: Pick<ClusterView, 'members' | 'probes'>): boolean {
  return next.members.some((m) => {
    const was = published.probes[m.id];
    const now = next.probes[m.id];
    if (!was || !now) return was !== now;
    const ratio = (now.latencyMs + LATENCY_FLOOR_MS) / (was.latencyMs + LATENCY_FLOOR_MS);
    return ratio > LATENCY_FACTOR || ratio < 1 / LATENCY_FACTOR;
  });
}

export function createAppStore(init: StoreInit): AppStore {
  const now = init.now ?? Date.now;
  const health: HealthOptions = { ...DEFAULT_HEALTH_OPTIONS, ...init.health };
  // The signature of the published view, kept so each batch computes only the new one.
  let publishedSignature = '';
  return createStore<AppState>()((set, get) => ({
    connection: init.connection,
    contexts: init.contexts ?? [],
    health,
    view: emptyView(health, now()),
    latest: emptyView(health, now()),
    ui: { screen: 'dashboard', stack: [], filter: '', contextCursor: 0 },
    startedAt: now(),
    inspect: emptyInspect(),

    applyBatch(batch) {
      const state = get();
      const view = applyRefreshes(state.latest, batch, state.health);
      if (view === state.latest) return;
      const message = state.ui.message;
      const ui = message && message.level === 'info' && now() - message.at >= INFO_MESSAGE_MS ? { ...state.ui, message: undefined } : state.ui;
      view.verdict = withChecks(view.verdict, state.inspect.checks);
      const signature = displaySignature(view, state.health);
      if (signature === publishedSignature && !latencyMoved(state.view, view) && Math.floor(view.updatedAt / MAX_PUBLISH_AGE_MS) === Math.floor(state.view.updatedAt / MAX_PUBLISH_AGE_MS)) return set(ui === state.ui ? { latest: view } : { latest: view, ui });
      publishedSignature = signature;
      const hasData = view.members.length > 0 && Object.keys(view.probes).length > 0;
      const selectedId = ui.selectedId && view.members.some((m) => m.id === ui.selectedId) ? ui.selectedId : visibleMembers({ view, ui })[0]?.id;
      set({
        view,
        latest: view,
        ui: selectedId === ui.selectedId ? ui : { ...ui, selectedId },
        firstDataAt: state.firstDataAt ?? (hasData ? now() : undefined),
      });
    },
    resetView(connection, overrides) {
      // Each context starts from the defaults: a quota or threshold of the previous one never carries over.
      const h = { ...health, quotaBytes: DEFAULT_HEALTH_OPTIONS.quotaBytes, quotaAssumed: true, ...overrides };
      publishedSignature = '';
      set({ connection, health: h, view: emptyView(h, now()), latest: emptyView(h, now()), firstDataAt: undefined, inspect: emptyInspect(), ui: { ...get().ui, selectedId: undefined, screen: 'dashboard', stack: [] } });
    },
    setContexts(names) {
      set({ contexts: names });
    },
    navigate(screen) {
      const ui = get().ui;
      if (ui.screen === screen) return;
      set({ ui: { ...ui, screen, stack: [...ui.stack, ui.screen].slice(-10), scroll: 0 } });
    },
    back() {
      const ui = get().ui;
      if (ui.input) return set({ ui: { ...ui, input: undefined } });
      if (ui.stack.length === 0) {
        if (ui.filter) set({ ui: { ...ui, filter: '' } });
        return;
      }
      const stack = ui.stack.slice(0, -1);
      set({ ui: { ...ui, screen: ui.stack[ui.stack.length - 1], stack, scroll: 0 } });
    },
    moveSelection(delta) {
      const state = get();
      // On the screens that scroll, up and down scroll them (the screen clamps what it shows).
      if (state.ui.screen === 'help' || state.ui.screen === 'events') {
        const scroll = Math.max(0, Math.min(SCROLL_LIMIT, (state.ui.scroll ?? 0) + (state.ui.screen === 'events' ? delta * -1 : delta)));
        return set({ ui: { ...state.ui, scroll } });
      }
      const list = visibleMembers(state);
      if (list.length === 0) return;
      const i = list.findIndex((m) => m.id === state.ui.selectedId);
      const next = Math.max(0, Math.min(list.length - 1, (i < 0 ? 0 : i) + delta));
      set({ ui: { ...state.ui, selectedId: list[next].id } });
    },
    select(id) {
      set({ ui: { ...get().ui, selectedId: id } });
    },
    setInput(input) {
      set({ ui: { ...get().ui, input } });
    },
    setFilter(filter) {
      const state = get();
      const ui = { ...state.ui, filter };
      const list = visibleMembers({ view: state.view, ui });
      set({ ui: { ...ui, selectedId: list.some((m) => m.id === ui.selectedId) ? ui.selectedId : list[0]?.id } });
    },
    say(text, level = 'info') {
      set({ ui: { ...get().ui, message: { text, level, at: now() } } });
    },
    clearMessage() {
      if (get().ui.message) set({ ui: { ...get().ui, message: undefined } });
    },
    moveContextCursor(delta) {
      const { ui, contexts } = get();
      if (contexts.length === 0) return;
      set({ ui: { ...ui, contextCursor: Math.max(0, Math.min(contexts.length - 1, ui.contextCursor + delta)) } });
    },
    clampScroll(max) {
      const ui = get().ui;
      if ((ui.scroll ?? 0) > max) set({ ui: { ...ui, scroll: Math.max(0, max) } });
    },
    setFlow(flow) {
      set({ flow });
    },
    setInspect(patch) {
      const s = get();
      const inspect = { ...s.inspect, ...patch };
      if (!patch.checks) return set({ inspect });
      set({ inspect, view: { ...s.view, verdict: withChecks(s.view.verdict, inspect.checks) }, latest: { ...s.latest, verdict: withChecks(s.latest.verdict, inspect.checks) } });
    },
  }));
}
