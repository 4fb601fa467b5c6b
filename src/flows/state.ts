/**
 * The flow slice of the store: what the flow dialog shows, as plain data. The FlowController
 * (src/flows/controller.ts) writes it; screens/flow/FlowScreen.tsx only reads it. Pure types.
 */
import type { FlowId, Outcome, Plan, StepData, StepState } from '../domain/plan.js';
import type { PacerState } from '../run/rolling-pacer.js';

/** form -> preview -> confirm -> running -> done; refusals stay in form/preview with nothing run. */
export type FlowStage = 'form' | 'preview' | 'confirm' | 'running' | 'done';

/** One text field of a flow's form. */
export interface FlowField {
  key: 'name' | 'peerURLs' | 'revision' | 'file' | 'from' | 'members' | 'moveLeader' | 'binary' | 'version' | 'pause' | 'step' | 'snapshotEach';
  label: string;
  value: string;
  /** Shown greyed while the field is empty. */
  placeholder?: string;
  /** A choice, not text: space (or ←/→) switches between these values. */
  choices?: string[];
}

/** A plan step as the dialog shows it while (and after) it runs. */
export interface FlowStepView {
  title: string;
  command: string;
  preconditions: string[];
  state: StepState;
  /** What the executor said when the step finished. */
  detail?: string;
  error?: string;
  /** Live progress: a ratio in [0, 1] draws a bar (catch-up, confirm-down); the text has rate and ETA. */
  progress?: { ratio?: number; text: string };
  /** Each retry of the step ("try 2: not in sync; again in 1.0s"), newest last. */
  retries: string[];
  /** Lines the step printed (the env block of a new member). */
  output: string[];
}

/** The removal offered after a promote (or replace) that left a learner behind. */
export interface FlowFollowUp {
  /** Member reference for the remove flow (decimal ID). */
  member: string;
  /** How the member is named in the offer. */
  label: string;
}

export interface FlowResultView {
  outcome: Outcome;
  error?: string;
  output: string[];
  durationMs: number;
  /** Where the audit record went (undefined: nothing was tried, so nothing was recorded). */
  auditPath?: string;
  /** Why the audit record could not be written, if it could not. */
  auditError?: string;
  followUp?: FlowFollowUp;
  /** What a rollback undid and what it could not (bootstrap flows). */
  rollback?: { done: string[]; failed: string[] };
  /** A message from after the run (bootstrap cluster: the context was saved). */
  after?: string;
  /** The steps' typed data (the new member's env block, bytes reclaimed, the snapshot saved), by step index. */
  data?: Record<number, StepData>;
}

/** The member a run added (its env block), from the run's typed data. */
export function addedMember(result: FlowResultView | undefined): Extract<StepData, { kind: 'member-added' }> | undefined {
  for (const d of Object.values(result?.data ?? {})) if (d.kind === 'member-added') return d;
  return undefined;
}

/** A host key that known_hosts lacks, shown with its fingerprint so the operator can trust it (t). */
export interface FlowUnknownKey {
  host: string;
  address: string;
  keyType: string;
  fingerprint: string;
}

export interface FlowView {
  kind: FlowId;
  /** The dialog's title before a plan exists ("Add a learner"). */
  title: string;
  stage: FlowStage;
  /** The member the flow acts on (decimal ID), resolved when the flow opened. */
  target?: string;
  /** The palette argument of a flow that acts on the cluster, not one member (`:defrag all`). */
  argument?: string;
  fields: FlowField[];
  /** Index of the focused field in the form. */
  focus: number;
  /** Lines the form shows under its fields (the current and compacted revisions, what a value means). */
  formNotes?: string[];
  /** The dialog undoes an unfinished run (`:undo RUN`): its ID; enter runs the undo steps, not a plan. */
  undoRun?: string;
  /** Why the planner refused (nothing runs); shown in the form or preview. */
  refusal?: string;
  /** A note above the plan (e.g. "the cluster changed since the preview"). */
  notice?: string;
  plan?: Plan;
  /** Lines listing who could lead, with the reason for those who cannot (move-leader). */
  candidates?: string[];
  /** Sandbox: whether the console starts the new member itself; undefined when not offered. */
  startLocally?: boolean;
  /** The text typed to confirm (type-to-confirm). */
  typed: string;
  steps: FlowStepView[];
  /** Abort requested; the executor stops between steps or inside the current wait. */
  aborting?: boolean;
  /** Something slow in progress before the run ("checking the cluster"). */
  busy?: string;
  result?: FlowResultView;
  /** Where the env block was written (w in the done stage). */
  envFile?: string;
  /** Bootstrap: host keys to trust before preflight can pass. */
  unknownKeys?: FlowUnknownKey[];
  /** Bootstrap: each host's preflight state while it runs ("h4: checking"). */
  hostStates?: Record<string, string>;
  /** Rollback lines while a failed bootstrap undoes itself. */
  rollback?: Array<{ text: string; ok: boolean }>;
  /** A secret being typed (an SSH key's passphrase): the question and how many characters so far (the text itself stays out of the store). */
  secretPrompt?: { question: string; length: number };
  /** Lines the operator scrolled the dialog by, from where the stage shows it by itself. */
  scroll?: { stage: FlowStage; delta: number };
  /** A rolling run: the board's timings and the pacer (src/flows/rolling-board.ts). */
  board?: RollingBoardState;
}

/** What the controller keeps for a rolling run's board while it runs. */
export interface RollingBoardState {
  /** When each step started and ended (epoch ms), by step index. */
  times: Record<number, { start?: number; end?: number }>;
  pacer: PacerState;
}
