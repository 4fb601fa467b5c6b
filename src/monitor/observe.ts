/** One complete look at the cluster, folded into a view: what `status` prints and flows check. */
import type { HealthOptions } from '../domain/types.js';
import type { ClusterGateway } from '../cluster/gateway.js';
import { applyRefreshes, emptyView, type ClusterView } from '../health/view.js';
import { pollOnce } from './poller.js';

export async function collectStatus(gateway: ClusterGateway, health: HealthOptions, now: () => number = Date.now, opts: { alarms?: boolean } = {}): Promise<ClusterView> {
  const refreshes = await pollOnce(gateway, now, opts);
  return applyRefreshes(emptyView(health, now()), refreshes, health);
}
