/**
 * The one place that maps the process's signals to an abort: Ctrl-C (SIGINT), what automation sends
 * (SIGTERM: timeout, systemd, CI) and a closed terminal (SIGHUP) all take the same abort path (the
 * executor stops inside the current wait, undoes what the plan undoes, the audit record says
 * aborted, exit 7). Headless commands use abortOnSignal; the console can use onAbortSignals.
 */

/** The signals that abort a running flow. */
export const ABORT_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Call `handler` on each abort signal until the returned function is called (it removes the listeners). */
export function onAbortSignals(handler: (signal: NodeJS.Signals) => void, signals: readonly NodeJS.Signals[] = ABORT_SIGNALS): () => void {
  const listener = (s: NodeJS.Signals) => handler(s);
  for (const s of signals) process.on(s, listener);
  return () => {
    for (const s of signals) process.off(s, listener);
  };
}

/**
 * Run with an abort signal wired to the process's signals: the first signal (or every one, unless
 * `once`) prints `message` and aborts; the listeners are removed afterwards, also on failure.
 */
export async function abortOnSignal<T>(out: NodeJS.WritableStream, message: string, run: (signal: AbortSignal) => Promise<T>, opts: { once?: boolean } = {}): Promise<T> {
  const controller = new AbortController();
  const off = onAbortSignals(() => {
    if (!opts.once || !controller.signal.aborted) out.write(message);
    controller.abort();
  });
  try {
    return await run(controller.signal);
  } finally {
    off();
  }
}
