/**
 * The primitives the FlowController hands the parts of the flow dialog (preflight, run, undo): its
 * flow slice, the generation that drops late answers of a closed dialog, messages, the secret prompt,
 * a guarded write and the end of a run. The controller owns the state; the parts only go through this.
 */
import type { Plan, RunResult } from '../domain/plan.js';
import type { FlowView } from './state.js';

export interface DialogHost {
  flow(): FlowView | undefined;
  running(): boolean;
  generation(): number;
  /** A new dialog: bumps the generation (late answers of an older one are dropped). */
  newGeneration(): number;
  /** Patches the dialog if it is still the one of this generation. */
  update(generation: number, patch: Partial<FlowView> | ((f: FlowView) => Partial<FlowView>)): void;
  say(text: string, level?: 'info' | 'warn' | 'error'): void;
  askSecret(question: string): Promise<string | undefined>;
  /** Runs a write; the error's text if it failed. */
  record(write: () => void): string | undefined;
  /** The done stage: the outcome, the audit record's fate, what came after the run. */
  finish(generation: number, plan: Plan, result: RunResult, audit?: { written: boolean; error?: string }, after?: string): void;
}
