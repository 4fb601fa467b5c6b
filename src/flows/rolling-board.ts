/**
 * The board of a rolling run, pure: one row per member (stage, version, elapsed), the cluster version
 * and "mixed versions" while the members' versions differ, and what the pacer is doing. Derived from
 * the plan (the steps of each member: `move-NAME`, `gate-NAME`, the change, `restart-NAME`,
 * `back-NAME`, `done-NAME`), the dialog's step states, the step times the controller records and the
 * newest view of the cluster. screens/flow/RollingBoard.tsx renders it.
 */
import type { Plan, RunEvent } from '../domain/plan.js';
import type { ClusterView } from '../health/view.js';
import type { FlowStepView, FlowView, RollingBoardState } from './state.js';

export type { RollingBoardState } from './state.js';
import { formatDuration } from '../format/units.js';

export type BoardStage = 'waiting' | 'gate' | 'changing' | 'restarting' | 'catching up' | 'verified' | 'rolled back' | 'failed' | 'stopped';

export interface BoardRow {
  name: string;
  stage: BoardStage;
  /** The member's server version now ("down" when it does not answer). */
  version: string;
  /** Time on this member so far (or in all, when verified). */
  elapsed: string;
  /** The member the run holds before (pause or step mode), or waits for (--pause-between). */
  held?: string;
}

export interface Board {
  rows: BoardRow[];
  clusterVersion?: string;
  /** The distinct server versions while they differ. */
  mixed?: string[];
  /** The pacer's line: paused, step mode, waiting between members. */
  status: string;
}

/** The board's state after one run event (the step times). */
export function boardAfterEvent(board: RollingBoardState, e: RunEvent): RollingBoardState {
  if (e.type === 'step-start') return { ...board, times: { ...board.times, [e.index]: { start: e.at } } };
  if (e.type === 'step-done' || e.type === 'step-failed') return { ...board, times: { ...board.times, [e.index]: { ...board.times[e.index], end: e.at } } };
  return board;
}

/** The members of a rolling plan in their order, each with its steps' indexes by kind (the id's prefix). */
export function boardMembers(plan: Plan): Array<{ name: string; steps: Array<{ index: number; kind: string }> }> {
  const names = plan.steps.flatMap((s) => (s.action.kind === 'rolling-gate' ? [s.action.name] : s.action.kind === 'wait-member-back' ? [s.action.name] : []));
  const order = [...new Set(names)];
  return order.map((name) => ({
    name,
    steps: plan.steps.flatMap((s, index) => {
      if (!s.id.endsWith(`-${name}`)) return [];
      const kind = s.id.slice(0, s.id.length - name.length - 1);
      return kind && !kind.includes('-') ? [{ index, kind }] : [];
    }),
  }));
}

const RUNNING_STAGE: Record<string, BoardStage> = { move: 'gate', gate: 'gate', restart: 'restarting', back: 'catching up', done: 'catching up' };

function memberStage(steps: Array<{ index: number; kind: string }>, states: FlowStepView[], flow: Pick<FlowView, 'stage' | 'rollback' | 'result'>): BoardStage {
  const state = (i: number) => states[i]?.state ?? 'pending';
  const done = steps.find((s) => s.kind === 'done');
  if (done && state(done.index) === 'done') return 'verified';
  const started = steps.filter((s) => state(s.index) !== 'pending' && state(s.index) !== 'skipped');
  if (started.length === 0) return 'waiting';
  const failed = started.find((s) => state(s.index) === 'failed');
  const rolledBack = (flow.rollback?.length ?? 0) > 0 || (flow.result?.rollback?.done.length ?? 0) > 0;
  if (failed) {
    // Stopped at the gate or the leadership move: nothing was changed on this member.
    if (failed.kind === 'gate' || failed.kind === 'move') return 'stopped';
    return rolledBack ? 'rolled back' : 'failed';
  }
  if (flow.stage === 'done') return rolledBack ? 'rolled back' : 'stopped';
  const last = started[started.length - 1];
  return RUNNING_STAGE[last.kind] ?? 'changing';
}

/** The board for the dialog's run, against the newest view, at `now`. */
export function rollingBoard(flow: Pick<FlowView, 'plan' | 'steps' | 'stage' | 'rollback' | 'result' | 'board'>, view: ClusterView, now: number): Board | undefined {
  if (!flow.plan || !flow.board) return undefined;
  const board = flow.board;
  const rows = boardMembers(flow.plan).map(({ name, steps }) => {
    const stage = memberStage(steps, flow.steps, flow);
    const m = view.members.find((x) => x.name === name);
    const probe = m ? view.probes[m.id] : undefined;
    const version = probe?.ok ? probe.status.version : m ? 'down' : '?';
    const starts = steps.map((s) => board.times[s.index]?.start).filter((t): t is number => t !== undefined);
    const ends = steps.map((s) => board.times[s.index]?.end).filter((t): t is number => t !== undefined);
    const from = starts.length > 0 ? Math.min(...starts) : undefined;
    const running = flow.stage === 'running' && stage !== 'verified' && stage !== 'waiting';
    const to = running ? now : ends.length > 0 ? Math.max(...ends) : undefined;
    const elapsed = from !== undefined && to !== undefined ? formatDuration(Math.max(0, to - from)) : '';
    const p = board.pacer;
    const held = p.holding === name ? (p.paused ? 'paused before it' : 'step: space goes on') : p.next === name && p.waitingUntil !== undefined ? `in ${formatDuration(Math.max(0, p.waitingUntil - now))}` : undefined;
    return { name, stage, version, elapsed, ...(held ? { held } : {}) };
  });
  const versions = [...new Set(Object.values(view.probes).flatMap((p) => (p.ok ? [p.status.version] : [])))].sort();
  const p = board.pacer;
  const status = flow.stage !== 'running' ? '' : p.holding ? `${p.paused ? 'PAUSED' : 'STEP'} before ${p.holding}: space goes on` : p.paused ? 'PAUSED: the run holds before the next member (space resumes)' : p.waitingUntil !== undefined ? `waiting between members (--pause-between)` : p.stepMode ? 'step mode: the run holds before each member' : 'space: pause before the next member';
  return { rows, ...(view.clusterVersion ? { clusterVersion: view.clusterVersion } : {}), ...(versions.length > 1 ? { mixed: versions } : {}), status };
}
