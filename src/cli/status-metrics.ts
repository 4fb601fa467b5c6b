/**
 * `etcd-tui status --metrics [--json]`: the status report plus each member's metrics, scraped twice
 * METRICS_GAP_MS apart so the p99 figures come from bucket deltas over that gap; the metric health
 * lines join the verdict and so the exit code (0 healthy, 1 degraded, 2 critical, 3 unreachable).
 */
import type { ConnectionSettings } from '../domain/config.js';
import { DEFAULT_HEALTH_OPTIONS } from '../domain/types.js';
import { EtcdGateway } from '../cluster/etcd-gateway.js';
import { deadlinesFor } from './deadlines.js';
import { collectStatus, exitCodeFor, statusJson, statusText } from './status.js';
import { MetricsScraper, inventoryMetricsURL } from '../monitor/metrics.js';
import { metricReasons, type MemberFigures } from '../health/metrics.js';
import { withChecks } from '../health/checks.js';
import { metricsRow } from '../format/metrics.js';
import { hexId, memberLabel } from '../format/ids.js';
import { textTable } from '../format/text-table.js';
import type { CommandIO } from './certs.js';

/** Time between the two scrapes: long enough to see some fsyncs and commits on an idle cluster. */
export const METRICS_GAP_MS = 5000;

export async function runStatusWithMetrics(settings: ConnectionSettings, options: { json?: boolean; gapMs?: number }, io: CommandIO): Promise<number> {
  const gateway = new EtcdGateway(settings, deadlinesFor(settings));
  try {
    const health = { ...DEFAULT_HEALTH_OPTIONS, ...(settings.quotaBytes ? { quotaBytes: settings.quotaBytes } : {}) };
    const view = await collectStatus(gateway, health);
    const scraper = new MetricsScraper(gateway, Math.max(1000, settings.commandTimeoutMs), Date.now, inventoryMetricsURL(settings.metricsURLs));
    const gap = options.gapMs ?? METRICS_GAP_MS;
    const first = await scraper.round(view.members);
    if (Object.keys(first.figures).length > 0) await new Promise((r) => setTimeout(r, gap));
    const second = Object.keys(first.figures).length > 0 ? await scraper.round(view.members) : first;
    const nameOf = (hex: string) => {
      const m = view.members.find((x) => hexId(x.id) === hex);
      return m ? memberLabel(m) : hex;
    };
    const reasons = view.members.flatMap((m) => (second.figures[m.id] ? metricReasons(memberLabel(m), second.figures[m.id], nameOf) : []));
    const errors = Object.entries(second.errors).map(([id, e]) => ({ level: 'warn' as const, text: `${memberLabel(view.members.find((m) => m.id === id), id)}: metrics not read: ${e}` }));
    view.verdict = withChecks(view.verdict, { metrics: [...reasons, ...errors] });
    const now = Date.now();
    if (options.json) {
      const metrics = Object.fromEntries(view.members.map((m) => [m.name || hexId(m.id), second.figures[m.id] ?? { error: second.errors[m.id] ?? 'no client URL' }]));
      io.stdout.write(JSON.stringify({ ...statusJson(view, health, now), metrics, metricsGapMs: gap }, null, 2) + '\n');
    } else {
      const rows = view.members.map((m) => metricsRow(m, second.figures[m.id] ? [second.figures[m.id] as MemberFigures] : [], view.members));
      const table = textTable(
        ['NAME', 'WAL FSYNC p99', 'COMMIT p99', 'PEER RTT p99', 'PENDING', 'FAILED/MIN', 'LEADER CHANGES', 'SLOW APPLY/READ', 'HB FAIL', 'SNAP/DEFRAG p99', 'RSS', 'FDS'],
        rows.map((r) => [r.name, r.walFsync, r.backendCommit, r.peerRtt, r.pending, r.failedPerMin, r.leaderChanges, r.slow, r.heartbeatFailures, r.snapshotDefrag, r.rss, r.fds]),
      );
      io.stdout.write(`${statusText(view, health, now)}\n\nmetrics (p99 over the ${gap / 1000} s between two scrapes; - : nothing observed)\n${table}\n`);
    }
    return exitCodeFor(view);
  } finally {
    gateway.close();
  }
}
