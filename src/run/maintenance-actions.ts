/** The executor's maintenance actions: compact, defragment one member with gates, quota check, disarm NOSPACE. */
import type { MaintenanceAction } from '../domain/plan.js';
import type { ExecutorDeps } from './executor.js';

export async function runMaintenanceAction(action: MaintenanceAction, _index: number, _deps: ExecutorDeps): Promise<string | undefined> {
  throw new Error(`${action.kind}: not implemented yet`);
}
