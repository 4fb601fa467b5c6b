/**
 * The one abortable sleep and poll loop of the runtime (Node's timers/promises with a signal: the
 * abort listener is removed when the timer fires, so a long poll never piles listeners up on the run's
 * signal; Node would print MaxListenersExceededWarning to stderr and garble the console).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { AbortedError, StepError } from '../domain/errors.js';

/** Sleep ms; with a signal, an abort ends it early with AbortedError. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw new AbortedError();
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch (error) {
    if (signal?.aborted) throw new AbortedError();
    throw error;
  }
}

export interface PollOptions {
  /** Give up after this long: StepError with `what()`. */
  timeoutMs: number;
  /** Time between two checks. */
  intervalMs: number;
  signal?: AbortSignal;
  now?: () => number;
  /** The failure's message at the deadline (read then, so it can say how far it got). */
  what: () => string;
}

/** Call `check` until it returns a value (not undefined); StepError after timeoutMs, AbortedError on abort. */
export async function pollUntil<T>(check: () => Promise<T | undefined>, opts: PollOptions): Promise<T> {
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (now() >= deadline) throw new StepError(opts.what());
    await sleep(opts.intervalMs, opts.signal);
  }
}
