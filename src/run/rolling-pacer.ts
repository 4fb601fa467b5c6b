/**
 * The pace of a rolling run, as a property of the run (not of a screen): the executor awaits
 * `beforeStep` before every step (ExecutorDeps.beforeStep), and before the first step of each member
 * (its leadership move or its gate) the pacer may hold the run:
 *   - `--pause-between DURATION`: a wait between two members (abortable);
 *   - pause (`space` in the console): the run holds before the next member until resumed;
 *   - step mode (`s`, or `--step`): the run holds before each member until the operator goes on.
 * Held or waiting, nothing runs and the abort signal ends the wait (AbortedError): the run stops
 * between members with every member done staying done. The console and the headless commands use it
 * the same way; `onChange` tells them what it is doing (the board's status line, a line of output).
 */
import type { PlanStep } from '../domain/plan.js';
import { AbortedError } from '../domain/errors.js';
import { sleep } from './wait.js';

/** What the pacer is doing, as plain data (the board shows it). */
export interface PacerState {
  /** Hold before the next member (space). */
  paused: boolean;
  /** Hold before each member (s). */
  stepMode: boolean;
  /** The member the run holds before, waiting for the operator (paused or step mode). */
  holding?: string;
  /** --pause-between: the run waits until this time (epoch ms) before `next`. */
  waitingUntil?: number;
  /** The member the run goes on with after the wait or the hold. */
  next?: string;
  /** Members started so far. */
  started: number;
}

export interface PacerOptions {
  pauseBetweenMs?: number;
  stepMode?: boolean;
  now?: () => number;
  onChange?(state: PacerState): void;
}

/** The member whose turn a step of a rolling plan begins (its leadership move or its gate), if it begins one. */
export function memberTurn(step: PlanStep): string | undefined {
  if (step.action.kind === 'rolling-gate') return step.action.name;
  const m = /^move-(.+)$/.exec(step.id);
  return step.action.kind === 'move-leader' && m ? m[1] : undefined;
}

export class RollingPacer {
  private s: PacerState;
  /** Resolves the current hold (space, s, or abort wake it up to look again). */
  private wake?: () => void;
  /** The operator let the held member go (step mode). */
  private released = false;
  private lastMember?: string;

  constructor(private readonly opts: PacerOptions = {}) {
    this.s = { paused: false, stepMode: opts.stepMode ?? false, started: 0 };
  }

  get state(): PacerState {
    return { ...this.s };
  }

  private set(patch: Partial<PacerState>): void {
    this.s = { ...this.s, ...patch };
    this.opts.onChange?.(this.state);
  }

  /** space: pause before the next member; while held (paused or step mode), go on with it. */
  togglePause(): void {
    if (this.s.holding) {
      this.released = true;
      this.set({ paused: false });
      this.wake?.();
    } else this.set({ paused: !this.s.paused });
  }

  /** s: step mode on or off (off while held in step mode lets the member go, unless paused). */
  toggleStep(): void {
    this.set({ stepMode: !this.s.stepMode });
    this.wake?.();
  }

  /** The executor's hook (ExecutorDeps.beforeStep). */
  beforeStep = async (step: PlanStep, _index: number, signal: AbortSignal): Promise<void> => {
    const name = memberTurn(step);
    if (!name || name === this.lastMember) return;
    this.lastMember = name;
    const between = this.opts.pauseBetweenMs ?? 0;
    if (this.s.started > 0 && between > 0) {
      const now = this.opts.now ?? Date.now;
      this.set({ waitingUntil: now() + between, next: name });
      try {
        await sleep(between, signal);
      } finally {
        this.set({ waitingUntil: undefined, next: undefined });
      }
    }
    this.released = false;
    while (this.s.paused || (this.s.stepMode && !this.released)) {
      if (signal.aborted) {
        this.set({ holding: undefined });
        throw new AbortedError();
      }
      if (this.s.holding !== name) this.set({ holding: name, next: name });
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        this.wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
    if (signal.aborted) throw new AbortedError();
    this.set({ holding: undefined, next: undefined, started: this.s.started + 1 });
  };
}
