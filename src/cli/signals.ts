/**
 * The one place that maps the process's signals to an abort: Ctrl-C (SIGINT), what automation sends
 * (SIGTERM: timeout, systemd, CI) and a closed terminal (SIGHUP) all take the same abort path (the
 * executor stops inside the current wait, undoes what the plan undoes, the audit record says
 * aborted, exit 7). Headless commands use abortOnSignal; the console can use onAbortSignals. Before a
 * flow's first step, guardUntilRun answers them (exit 7, no step ran).
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

/** The pre-run guard's remover, while one is up. */
let guardOff: (() => void) | undefined;

/**
 * From a flow command's start to its first step (looking at the cluster, planning, the question): a
 * signal ends the command at once with exit 7 and one line saying that no step ran, instead of
 * Node's silent 130 / 143 / 129. runStarting() takes it down (abortOnSignal calls it): from then
 * on the run's own abort path answers.
 */
export function guardUntilRun(err: NodeJS.WritableStream = process.stderr, exit: (code: number) => void = (code) => process.exit(code)): void {
  runStarting();
  const off = onAbortSignals((s) => {
    err.write(`\netcd-tui: interrupted (${s}) before the first step: no step ran, nothing was changed\n`);
    exit(7);
  });
  guardOff = () => {
    off();
    guardOff = undefined;
  };
}

/** A run's first step is about to start: the pre-run guard steps aside. */
export function runStarting(): void {
  guardOff?.();
}

/**
 * Run with an abort signal wired to the process's signals: the first signal (or every one, unless
 * `once`) prints `message` and aborts; the listeners are removed afterwards, also on failure.
 */
export async function abortOnSignal<T>(out: NodeJS.WritableStream, message: string, run: (signal: AbortSignal) => Promise<T>, opts: { once?: boolean } = {}): Promise<T> {
  runStarting();
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
