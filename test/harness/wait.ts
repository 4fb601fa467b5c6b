// Bounded polling. Tests never sleep a fixed time: they wait on a condition
// with an upper bound and fail with a message that says what was awaited.

export interface WaitOptions {
  /** Upper bound for the whole wait (default 10 000 ms). */
  timeoutMs?: number;
  /** Pause between attempts (default 50 ms). */
  intervalMs?: number;
  /** Human description used in the timeout message: "waiting for <what>". */
  what: string;
}

/**
 * Throw this from a waitFor callback to stop waiting at once (for example when
 * the process being waited on has exited); it is rethrown unchanged.
 */
export class StopWaiting extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StopWaiting';
  }
}

export class WaitTimeoutError extends Error {
  readonly lastError: unknown;
  constructor(message: string, lastError: unknown) {
    super(message);
    this.name = 'WaitTimeoutError';
    this.lastError = lastError;
  }
}

function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Resolves after `ms` (internal: the pause between polling attempts). */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const TIMED_OUT: unique symbol = Symbol('timed out');

/**
 * Calls `fn` until it returns a truthy value and returns that value. An attempt
 * that throws counts as "not yet" (the error is kept for the timeout message),
 * except StopWaiting, which is rethrown. An attempt that hangs is bounded by the
 * remaining time. Throws `timed out after Xms waiting for <what>` (with the last
 * error seen) when the bound passes.
 */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  opts: WaitOptions,
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let attempts = 0;
  for (;;) {
    attempts++;
    const remaining = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const attempt = Promise.resolve().then(fn);
      const bound = new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMED_OUT), Math.max(remaining, 0));
      });
      const value = await Promise.race([attempt, bound]);
      if (value === TIMED_OUT) {
        attempt.catch(() => undefined); // the late result is of no interest
        break;
      }
      if (value) return value as T;
    } catch (err) {
      if (err instanceof StopWaiting) throw err;
      lastError = err;
    } finally {
      if (timer) clearTimeout(timer);
    }
    if (Date.now() + intervalMs > deadline) {
      // One last attempt at the deadline is not worth it when the interval
      // would take us past it; stop now.
      if (Date.now() >= deadline) break;
      await pause(Math.max(deadline - Date.now(), 0));
      continue;
    }
    await pause(intervalMs);
  }
  let message = `timed out after ${timeoutMs}ms waiting for ${opts.what} (${attempts} attempt${attempts === 1 ? '' : 's'})`;
  if (lastError !== undefined) message += `; last error: ${describeError(lastError)}`;
  throw new WaitTimeoutError(message, lastError);
}

/**
 * The opposite of waitFor: checks that `fn` stays true for the whole of `forMs` (polling every
 * `intervalMs`), and throws `<what> stopped holding after Xms` at the first attempt that returns
 * falsy or throws. For "nothing happens" claims: a wrongly triggered change needs time to show, so
 * asserting once, right after the input, proves little.
 */
export async function holdsFor(
  fn: () => Promise<unknown> | unknown,
  opts: { forMs: number; intervalMs?: number; what: string },
): Promise<void> {
  const intervalMs = opts.intervalMs ?? 100;
  const start = Date.now();
  const end = start + opts.forMs;
  for (;;) {
    let ok: unknown;
    try {
      ok = await fn();
    } catch (err) {
      throw new Error(`${opts.what} stopped holding after ${Date.now() - start}ms: ${describeError(err)}`);
    }
    if (!ok) throw new Error(`${opts.what} stopped holding after ${Date.now() - start}ms`);
    if (Date.now() >= end) return;
    await pause(Math.min(intervalMs, Math.max(end - Date.now(), 0)));
  }
}
