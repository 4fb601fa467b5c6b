/**
 * The command registry's types (src/commands/registry.ts), apart so that the modules that
 * contribute commands (src/flows/commands.ts) import only types: no import cycle. Types only.
 */
import type { AppState, AppStore, ScreenName } from '../store/store.js';
import type { FlowId } from '../domain/plan.js';

/** `dialog`: the keys inside an open flow dialog. */
export type Category = 'navigation' | 'view' | 'cluster' | 'dialog' | 'general';

/** What the flow commands ask of the flow controller (src/flows/controller.ts), which lives outside React. */
export interface FlowActions {
  /** Open a flow: on the member named by the argument (name or ID), else the selected one; add-learner takes "NAME [PEER-URLS]". */
  open(kind: FlowId, argument?: string): void;
  /** enter: plan the form; run the plan (or go on to type the name); check the typed name; close when done. */
  next(): void;
  /** esc: close the dialog (not while a flow runs). */
  close(): void;
  /** Stop the running flow between steps or inside its current wait. */
  abort(): void;
  /** From the preview back to the form, keeping what was typed. */
  backToForm(): void;
  /** Sandbox: whether the console starts the new member itself. */
  toggleStartLocally(): void;
  /** After a failed or aborted promote: open the remove flow for the learner left behind. */
  removeLeftoverLearner(): void;
  /** Write the new member's env block to a file. */
  writeEnv(): void;
  /** Bootstrap: trust the host keys the preflight showed (recorded in known_hosts), then check again. */
  trustHostKeys(): void;
  /** Scroll the dialog's body by this many lines (negative: up). */
  scroll(lines: number): void;
  /** A rolling run: pause before the next member, or go on with the held one. */
  togglePause?(): void;
  /** A rolling run: step mode on or off (hold before each member). */
  toggleStepMode?(): void;
  /** Open the undo of an unfinished run of this context (`:undo RUN`; default the oldest one offered). */
  openUndo?(runId?: string): void;
}

/** What a command may do to the running console. */
export interface CommandContext {
  store: AppStore;
  quit(): void;
  refreshNow(): void;
  switchContext(name: string): void;
  /** The membership flows; absent where the console has no cluster to change (some tests). */
  flows?: FlowActions;
  /** Certificates, metrics, consistency check, keyspace scan (src/monitor/inspect.ts); absent in some tests. */
  inspect?: InspectActions;
}

/** What the inspection commands ask of the inspection monitor (src/monitor/inspect.ts). */
export interface InspectActions {
  refreshCertificates(): void;
  startConsistencyCheck(): void;
  startKeyspaceScan(prefix?: string, depth?: number): void;
  /** Abort the running consistency check or keyspace scan. */
  abortTask(): void;
}

export interface Command {
  id: string;
  title: string;
  description: string;
  /** Key names as the dispatcher produces them: "q", "?", "enter", "escape", "up", "ctrl+c". */
  keys: string[];
  category: Category;
  dangerous: boolean;
  /** Screens where the keys act (undefined: everywhere). */
  screens?: ScreenName[];
  /** Shown in the footer of these screens. */
  hint?: ScreenName[];
  /** Why the command cannot run now, or undefined when it can (the argument is the palette's, e.g. `:remove m2`). */
  disabledReason?: (state: AppState, argument?: string) => string | undefined;
  run(ctx: CommandContext, argument?: string): void;
}

