/**
 * Render counting, for the benchmark: with ETCD_TUI_TRACE_RENDERS=FILE, every Ink render of the
 * console (React commit, layout and output: what an idle console must not do) appends one line
 * `etcd-tui render MS TOOK` to FILE (MS: milliseconds since the process started; TOOK: how long the
 * render took). Off, the console gets no callback at all.
 */
import { appendFileSync } from 'node:fs';

export interface RenderMetrics {
  renderTime: number;
}

/** Ink's onRender callback that traces renders to `target`, or undefined when tracing is off. */
export function renderTracer(target: string | undefined = process.env.ETCD_TUI_TRACE_RENDERS): ((metrics: RenderMetrics) => void) | undefined {
  if (!target) return undefined;
  return (metrics) => {
    try {
      appendFileSync(target, `etcd-tui render ${performance.now().toFixed(1)} ${metrics.renderTime.toFixed(2)}\n`);
    } catch {
      // tracing must never change what the program does
    }
  };
}

/** The render times (ms since start) in a trace's text. */
export function renderTimes(text: string): number[] {
  return [...text.matchAll(/^etcd-tui render ([\d.]+) [\d.]+$/gm)].map((m) => Number(m[1]));
}
