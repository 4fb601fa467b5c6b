/**
 * The flow dialog's stage machine, pure: form -> preview -> confirm -> running -> done. What enter does
 * in each stage, how the run's events change the steps shown, what must not change between the preview
 * and the run. The controller (controller.ts) carries out the answers (plan, run, close) and writes the
 * store.
 */
import type { Plan, RunEvent } from '../domain/plan.js';
import type { FlowStepView, FlowView } from './state.js';
import { formatDuration } from '../format/units.js';

/** What enter does now. */
export type NextMove =
  | { kind: 'plan' }
  | { kind: 'confirm' }
  | { kind: 'run' }
  | { kind: 'close' }
  /** Stay; say why (a warning). */
  | { kind: 'warn'; text: string }
  | { kind: 'none' };

/** Enter in the dialog: plan the form; run the plan (or go on to type the name); check the typed name; close when done. */
export function nextMove(f: Pick<FlowView, 'stage' | 'plan' | 'typed'> & Partial<Pick<FlowView, 'undoRun'>>, localStartProblem?: string): NextMove {
  switch (f.stage) {
    case 'form':
      return { kind: 'plan' };
    case 'preview':
      if (!f.plan) return { kind: 'none' };
      if (localStartProblem) return { kind: 'warn', text: localStartProblem };
      return f.plan.confirmPhrase ? { kind: 'confirm' } : { kind: 'run' };
    case 'confirm': {
      const phrase = f.plan?.confirmPhrase ?? '';
      if (f.typed.trim() !== phrase) return { kind: 'warn', text: `"${f.typed}" is not "${phrase}": type the ${f.undoRun ? 'run ID' : "member's name"} exactly to go ahead (esc cancels)` };
      return { kind: 'run' };
    }
    case 'done':
      return { kind: 'close' };
    default:
      return { kind: 'none' };
  }
}

/** The plan's steps as the dialog shows them before they run. */
export function stepViews(plan: Plan): FlowStepView[] {
  return plan.steps.map((s) => ({ title: s.title, command: s.command, preconditions: s.preconditions, state: 'pending', retries: [], output: [] }));
}

/** What must not change between the preview and the run: the steps themselves. */
export function planKey(plan: Plan): string {
  return JSON.stringify(plan.steps.map((s) => [s.title, s.command]));
}

/** The dialog after one event of the run. */
export function applyRunEvent(f: Pick<FlowView, 'steps' | 'rollback'>, e: RunEvent): Partial<FlowView> {
  if (e.type === 'rollback') return { rollback: [...(f.rollback ?? []), { text: e.text, ok: e.ok }] };
  const steps = f.steps.map((s, i) => {
    if (i !== e.index) return s;
    switch (e.type) {
      case 'step-start':
        return { ...s, state: 'running' as const };
      case 'step-done':
        return { ...s, state: 'done' as const, detail: e.detail };
      case 'step-failed':
        return { ...s, state: 'failed' as const, error: e.error };
      case 'progress':
        return { ...s, progress: { ratio: e.ratio, text: e.text } };
      case 'output':
        return { ...s, output: [...s.output, ...e.lines] };
      case 'retry':
        return { ...s, retries: [...s.retries, `try ${e.attempt}: ${e.error}; again in ${formatDuration(e.nextInMs)}`].slice(-5) };
    }
  });
  return { steps };
}

/** The steps after a run that did not succeed: those never started are skipped. */
export function finalSteps(steps: FlowStepView[], succeeded: boolean): FlowStepView[] {
  return steps.map((s) => (!succeeded && s.state === 'pending' ? { ...s, state: 'skipped' as const } : s));
}
