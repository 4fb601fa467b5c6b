/**
 * What a person can see of a view, as one string: the store publishes a new view to the screens
 * only when this changes, so an idle cluster redraws rarely. Status-call latency is left out: the
 * store compares it with the published figure itself (src/store/store.ts, latencyMoved).
 */
import type { HealthOptions } from '../domain/types.js';
import type { ClusterView } from '../health/view.js';
import { memberRows } from './members.js';

export function displaySignature(view: ClusterView, health: HealthOptions): string {
  const rows = memberRows(view, view.members, health, view.updatedAt).map((r) => ({ ...r, latency: undefined }));
  return JSON.stringify([
    view.clusterId,
    rows,
    view.verdict.level,
    view.verdict.reasons,
    view.alarms,
    view.alarmsError,
    view.membershipError,
    view.events.length,
    view.leader.id,
    view.leader.term,
    view.leader.changes,
    view.loaded,
  ]);
}
