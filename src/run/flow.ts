/**
 * One flow run from start to record: the topology before, the executor, the topology after, and
 * the audit record. Used the same way by the console and the headless commands.
 */
import type { AuditRecord, Plan, RunResult, StepState } from '../domain/plan.js';
import type { ClusterView } from '../health/view.js';
import { runPlan, type ExecutorDeps } from './executor.js';
import { AuditLog, osUser, topology } from './audit.js';

export interface FlowRunDeps extends ExecutorDeps {
  audit: AuditLog;
  context: string;
}

export async function executeFlow(plan: Plan, before: ClusterView, deps: FlowRunDeps): Promise<RunResult> {
  const states: StepState[] = plan.steps.map(() => 'pending');
  const onEvent: ExecutorDeps['onEvent'] = (e) => {
    if (e.type === 'step-start') states[e.index] = 'running';
    if (e.type === 'step-done') states[e.index] = 'done';
    if (e.type === 'step-failed') states[e.index] = 'failed';
    deps.onEvent(e);
  };
  let result: RunResult;
  try {
    result = await runPlan(plan, { ...deps, onEvent });
  } catch (error) {
    result = { outcome: 'failed', error: (error as Error).message, output: [], durationMs: 0 };
  }
  let after: ClusterView | undefined;
  try {
    after = await deps.observe();
  } catch {
    after = undefined;
  }
  const record: AuditRecord = {
    time: new Date().toISOString(),
    user: osUser(),
    context: deps.context,
    command: plan.flow,
    arguments: plan.args,
    clusterId: before.clusterId,
    before: topology(before),
    after: after ? topology(after) : undefined,
    outcome: result.outcome,
    steps: plan.steps.map((s, i) => ({ title: s.title, state: states[i] })),
    error: result.error,
    durationMs: result.durationMs,
    ...(result.rollback ? { rollback: result.rollback } : {}),
  };
  deps.audit.append(record);
  return result;
}

/** Record a refusal: nothing was changed, but the attempt is on record. */
export function recordRefusal(audit: AuditLog, context: string, command: string, args: Record<string, unknown>, view: ClusterView | undefined, refusal: string): void {
  audit.append({
    time: new Date().toISOString(),
    user: osUser(),
    context,
    command,
    arguments: args,
    clusterId: view?.clusterId,
    before: view ? topology(view) : undefined,
    outcome: 'refused',
    error: refusal,
  });
}
