/**
 * The console's side of a rolling run's pace (one member at a time): the pacer the executor awaits
 * before each step (src/run/rolling-pacer.ts), made from the flow's own `rolling` options, with the
 * board's pacer line kept in the dialog; space and s reach it while the run goes on.
 */
import type { FlowView } from './state.js';
import type { DialogHost } from './dialog-host.js';
import type { FlowPlanning } from './planning.js';
import { RollingPacer } from '../run/rolling-pacer.js';
import { flowById } from './modules/index.js';

export class RollingPace {
  private pacer?: RollingPacer;

  constructor(
    private readonly host: DialogHost,
    private readonly planning: FlowPlanning,
  ) {}

  /** A run begins: for a rolling flow, the board and the pacer's hook for the executor (undefined for other flows). */
  start(g: number, f: FlowView): RollingPacer['beforeStep'] | undefined {
    const def = flowById(f.kind);
    const input = def.rolling ? this.planning.input(f) : undefined;
    const pace = def.rolling && input?.ok ? def.rolling(input.input) : undefined;
    const pacer = pace ? new RollingPacer({ ...pace, now: () => this.planning.now(), onChange: (state) => this.host.update(g, (x) => (x.board ? { board: { ...x.board, pacer: state } } : {})) }) : undefined;
    this.pacer = pacer;
    if (!pacer) return undefined;
    this.host.update(g, { board: { times: {}, pacer: pacer.state } });
    return pacer.beforeStep;
  }

  /** The run ended. */
  end(): void {
    this.pacer = undefined;
  }

  /** space: pause before the next member; while held, go on with it. */
  togglePause(): void {
    if (this.host.running()) this.pacer?.togglePause();
  }

  /** s: step mode on or off (the run holds before each member). */
  toggleStep(): void {
    if (this.host.running()) this.pacer?.toggleStep();
  }
}
