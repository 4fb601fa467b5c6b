/**
 * The executor: carries out a plan's steps one at a time through the action handlers (src/run/actions.ts),
 * reports progress, honours an abort signal between steps and inside waits, verifies each step, never
 * continues past a failed one, and with plan.rollbackOnFailure undoes what the run did.
 */
import type { Action, Plan, RunResult, StepData } from '../domain/plan.js';
import type { ActionHandler, ActionHandlers, ActionKind, ExecutorDeps, RunContext, StepResult, UndoEntry } from './types.js';
import { AbortedError, errorMessage } from '../domain/errors.js';

export type { ExecutorDeps, HostAccess, UndoEntry } from './types.js';

/**
 * The one place where undo entries are recorded (a run journal can hook in here). Without
 * plan.rollbackOnFailure nothing is kept: the flow does not undo.
 */
function recordUndo(undo: UndoEntry[] | undefined, entry: UndoEntry): void {
  undo?.push(entry);
}

/**
 * The action table, loaded with the first step of the first run: the handlers and what they use
 * (the snapshot writer and reader, SSH, templates) are code the console's first frame does not need.
 */
let handlers: Promise<ActionHandlers> | undefined;
function actionHandlers(): Promise<ActionHandlers> {
  handlers ??= import('./actions.js').then(
    (m) => m.ACTION_HANDLERS,
    (error: unknown) => {
      handlers = undefined;
      throw error;
    },
  );
  return handlers;
}

async function dispatch(action: Action, index: number, deps: ExecutorDeps, ctx: RunContext): Promise<StepResult> {
  const handler = (await actionHandlers())[action.kind] as ActionHandler<ActionKind> | undefined;
  if (!handler) throw new Error(`no handler for the action "${action.kind}"`);
  return handler(action as never, index, deps, ctx);
}

/** Run every step of the plan in order. */
export async function runPlan(plan: Plan, deps: ExecutorDeps): Promise<RunResult> {
  const now = deps.now ?? Date.now;
  const started = now();
  // The run journal (src/run/journal.ts) writes each step and each undo entry down as it happens.
  if (deps.journal) deps = { ...deps, onEvent: deps.journal.onEvent(deps.onEvent) };
  const journal = deps.journal;
  const undo: UndoEntry[] | undefined = plan.rollbackOnFailure ? (journal?.undoList() ?? []) : undefined;
  // After a point of no return nothing more is recorded: a failure then stops the run as it is.
  let committed = false;
  const ctx: RunContext = {
    added: new Map(),
    output: [],
    recordUndo: (entry) => (committed ? undefined : recordUndo(undo, entry)),
    commit: (opts) => {
      if (opts?.final !== false) committed = true;
      journal?.commit();
      return undo ? undo.splice(0, undo.length).length : 0;
    },
  };
  const data: Record<number, StepData> = {};
  const withData = () => (Object.keys(data).length > 0 ? { data } : {});
  const end = async (result: Omit<RunResult, 'durationMs' | 'output'>): Promise<RunResult> => {
    const rollback = undo && undo.length > 0 ? await rollBack(undo, deps) : undefined;
    return { ...result, output: ctx.output, durationMs: now() - started, ...(rollback ? { rollback } : {}), ...withData() };
  };
  for (let index = 0; index < plan.steps.length; index++) {
    if (deps.signal.aborted) return end({ outcome: 'aborted', failedStep: index, error: `aborted before step ${index + 1}` });
    if (deps.beforeStep) {
      // A rolling run's pause, step mode or wait between members: abortable, nothing runs meanwhile.
      try {
        await deps.beforeStep(plan.steps[index], index, deps.signal);
      } catch (error) {
        if (error instanceof AbortedError || deps.signal.aborted) return end({ outcome: 'aborted', failedStep: index, error: `aborted before step ${index + 1}: ${plan.steps[index].title}` });
        return end({ outcome: 'failed', failedStep: index, error: errorMessage(error) });
      }
    }
    deps.onEvent({ type: 'step-start', index, at: now() });
    try {
      const result = await dispatch(plan.steps[index].action, index, deps, ctx);
      const detail = typeof result === 'object' ? result.detail : result;
      const stepData = typeof result === 'object' ? result.data : undefined;
      if (stepData) data[index] = stepData;
      deps.onEvent({ type: 'step-done', index, at: now(), detail, ...(stepData ? { data: stepData } : {}) });
    } catch (error) {
      if (error instanceof AbortedError || deps.signal.aborted) {
        deps.onEvent({ type: 'step-failed', index, at: now(), error: 'aborted' });
        return end({ outcome: 'aborted', failedStep: index, error: `aborted during step ${index + 1}: ${plan.steps[index].title}` });
      }
      const text = errorMessage(error);
      deps.onEvent({ type: 'step-failed', index, at: now(), error: text });
      return end({ outcome: 'failed', failedStep: index, error: text });
    }
  }
  return { outcome: 'succeeded', output: ctx.output, durationMs: now() - started, ...withData() };
}

/**
 * Undo what the run did, newest first. Every undo is tried even when one fails (the operator gets
 * the list of what is left to do by hand). Not abortable: this is the way back.
 */
async function rollBack(undo: UndoEntry[], deps: ExecutorDeps): Promise<{ done: string[]; failed: string[] }> {
  const done: string[] = [];
  const failed: string[] = [];
  for (const u of [...undo].reverse()) {
    try {
      const text = await u.run();
      done.push(text);
      deps.onEvent({ type: 'rollback', text, ok: true });
    } catch (error) {
      const text = `could not ${u.title}: ${errorMessage(error)}`;
      failed.push(text);
      deps.onEvent({ type: 'rollback', text, ok: false });
    }
  }
  return { done, failed };
}
