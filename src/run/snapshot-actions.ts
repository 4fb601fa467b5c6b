/** The executor's snapshot action: a verified snapshot save. */
import type { SnapshotAction } from '../domain/plan.js';
import type { ExecutorDeps } from './executor.js';

export async function runSnapshotAction(action: SnapshotAction, _index: number, _deps: ExecutorDeps): Promise<string | undefined> {
  throw new Error(`${action.kind}: not implemented yet`);
}
