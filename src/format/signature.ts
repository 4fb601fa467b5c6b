/**
 * What a person can see of a view, as one string: the store publishes a new view to the screens
 * only when this changes, so an idle cluster redraws rarely. Status-call latency counts by bucket
 * (2 ms vs 7 ms is noise on a live cluster, 5 ms vs 200 ms is not).
 */
import type { HealthOptions } from '../domain/types.js';
import type { ClusterView } from '../health/view.js';
import { memberRows } from './members.js';

const LATENCY_BUCKETS = [10, 50, 100, 250, 500, 1000, 2000];

export function latencyBucket(ms: number): number {
  const i = LATENCY_BUCKETS.findIndex((b) => ms < b);
  return i < 0 ? LATENCY_BUCKETS.length : i;
}

export function displaySignature(view: ClusterView, health: HealthOptions): string {
  const rows = memberRows(view, view.members, health, view.updatedAt).map((r) => ({ ...r, latency: undefined }));
  const latency = view.members.map((m) => {
    const p = view.probes[m.id];
    return p ? latencyBucket(p.latencyMs) : -1;
  });
  return JSON.stringify([
    view.clusterId,
    rows,
    latency,
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
