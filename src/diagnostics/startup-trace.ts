/**
 * Startup phases, for the benchmarks: with ETCD_TUI_TRACE_STARTUP set, each phase of the way to the
 * first frame with live data is written as one line `etcd-tui startup PHASE MS CPU` (milliseconds since
 * the process started, and CPU milliseconds, user + system, the process has used by then: on a shared
 * machine the CPU figure moves much less than the wall clock): to stderr when the value is 1 or "stderr", else appended to the file it
 * names (the console owns the terminal: a file keeps the screen clean). Off, it costs one check.
 * Imports nothing, so it is evaluated first and its first mark is "the bundle started loading".
 * A snapshot save marks its phases the same way (snapshot-observe, -stream-open, -first-chunk,
 * -streamed, -read-back, -synced, -published): where a save's time goes before, in and after the stream.
 */
import { appendFileSync } from 'node:fs';

const target = process.env.ETCD_TUI_TRACE_STARTUP;
const seen = new Set<string>();

/** Record a phase once (later marks of the same phase are ignored). */
export function traceStartup(phase: string, at = performance.now()): void {
  if (!target || seen.has(phase)) return;
  seen.add(phase);
  const cpu = process.cpuUsage();
  const line = `etcd-tui startup ${phase} ${at.toFixed(1)} ${((cpu.user + cpu.system) / 1000).toFixed(1)}\n`;
  try {
    if (target === '1' || target === 'stderr') process.stderr.write(line);
    else appendFileSync(target, line);
  } catch {
    // tracing must never change what the program does
  }
}

/** Whether startup tracing is on (callers skip work that only feeds the trace). */
export function tracingStartup(): boolean {
  return !!target && !seen.has('first-render');
}

traceStartup('bundle-start');
