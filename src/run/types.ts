/**
 * The executor's types, apart from the executor itself so that the modules that own actions
 * (membership-actions, maintenance-actions, snapshot-actions, remote-actions) import only types and
 * the executor imports them: no import cycle. Types only.
 */
import type { Action, PlanStep, RunEvent, StepData } from '../domain/plan.js';
import type { Member } from '../domain/types.js';
import type { EtcdSettings, HostSpec } from '../domain/hosts.js';
import type { ClusterGateway } from '../cluster/gateway.js';
import type { HostConnection } from '../hosts/gateway.js';
import type { UndoSpec } from './undo-spec.js';
import type { ClusterView } from '../health/view.js';

/** How the executor reaches the hosts of a plan. */
export interface HostAccess {
  spec(name: string): HostSpec;
  settings: EtcdSettings;
  /** An open (cached) connection to the host; throws HostError. */
  connection(name: string): Promise<HostConnection>;
}

/** How to undo one thing a step did (a plan with rollbackOnFailure runs them newest first). */
export interface UndoEntry {
  /** What will be undone ("stop etcd.service on h4"). */
  title: string;
  /** Undo it; resolves with what was done, throws when it could not be. */
  run(): Promise<string>;
  /** The same undo as data, for the run journal (src/run/undo-steps.ts). */
  spec?: UndoSpec;
}

/** What the executor asks of the run journal (src/run/journal.ts implements it). */
export interface RunJournalPort {
  /** Wraps the event sink: each step's start is on disk before the step runs, then its end. */
  onEvent(inner: (event: RunEvent) => void): (event: RunEvent) => void;
  /** The run's undo list: each entry is on disk the moment it is added. */
  undoList(): UndoEntry[];
  /** A point of no return: the undo entries recorded so far no longer apply (also for `etcd-tui undo`). */
  commit(): void;
}

/** Everything the executor and its action handlers depend on: the one place to add a dependency. */
export interface ExecutorDeps {
  gateway: ClusterGateway;
  /**
   * A fresh look at the cluster: member list and every status; the alarms too when asked (an alarm
   * GET is a raft request, so the frequent gates of a wait leave it out).
   */
  observe(opts?: { alarms?: boolean }): Promise<ClusterView>;
  onEvent(event: RunEvent): void;
  signal: AbortSignal;
  /** Poll interval of waits (default 250 ms). */
  pollMs?: number;
  now?: () => number;
  /** Sandbox only: start the new member's etcd locally with its env block. */
  startMember?(name: string, peerURLs: string[], initialCluster: string): Promise<void>;
  /** SSH access to the inventory's hosts (flows that need hosts). */
  hosts?: HostAccess;
  /** The run journal (src/run/journal.ts): steps and undo entries written down as they happen. */
  journal?: RunJournalPort;
  /**
   * Awaited before each step starts (a rolling run's pause, step mode and --pause-between: see
   * RollingPacer in src/run/rolling.ts). Rejecting with AbortedError (the signal) aborts the run there.
   */
  beforeStep?(step: PlanStep, index: number, signal: AbortSignal): Promise<void>;
}

/** What one run has done so far, shared by its steps. */
export interface RunContext {
  /** Members added during this run, by name. */
  added: Map<string, Member>;
  /** Lines the operator needs afterwards (the env block of a new member). */
  output: string[];
  /** Record how to undo what a step just did (see recordUndo in executor.ts: the one place undo entries are kept). */
  recordUndo(entry: UndoEntry): void;
  /**
   * Drop every undo recorded so far and record none from now on: past this point a failure is not
   * rolled back (a restored cluster has started; putting the old data back would be a second
   * restore). With `final: false` (a rolling run's member done) later steps record their undo again,
   * so only the member in flight is rolled back. Returns how many were dropped.
   */
  commit(opts?: { final?: boolean }): number;
}

/** What a handler returns: the step's one-line detail, or the detail with typed data. */
export type StepResult = string | undefined | { detail?: string; data?: StepData };

export type ActionKind = Action['kind'];
export type ActionOf<K extends ActionKind> = Extract<Action, { kind: K }>;

/** Carries out one action; throws (StepError or any Error) with the operator's sentence when it fails. */
export type ActionHandler<K extends ActionKind> = (action: ActionOf<K>, index: number, deps: ExecutorDeps, run: RunContext) => Promise<StepResult>;

/** The handlers a module registers, by action kind. */
export type ActionHandlers<K extends ActionKind = ActionKind> = { [P in K]: ActionHandler<P> };
