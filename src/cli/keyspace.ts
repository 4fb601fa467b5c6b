/**
 * `etcd-tui keyspace [--prefix P] [--depth N] [--json]`: the top prefixes by key count and by bytes,
 * from paginated serializable reads on a follower, bounded in pages and time; ctrl-c stops the scan
 * and prints what was counted. Exit codes: 0 complete, 1 stopped at a bound or aborted (partial
 * counts), 3 no member answered, 4 usage.
 */
import type { ConnectionSettings } from '../domain/config.js';
import { EtcdGateway } from '../cluster/etcd-gateway.js';
import type { ClusterGateway, InspectGateway } from '../cluster/gateway.js';
import { deadlinesFor } from './deadlines.js';
import { DEFAULT_SCAN_BOUNDS, scanKeyspace, type ScanBounds } from '../monitor/keyspace.js';
import { DEFAULT_KEYSPACE_OPTIONS, topPrefixes, type KeyspaceReport } from '../plans/keyspace.js';
import { textTable } from '../format/text-table.js';
import { formatBytes, formatDuration } from '../format/units.js';
import type { CommandIO } from './certs.js';

export interface KeyspaceCommandOptions {
  json?: boolean;
  prefix?: string;
  depth?: number;
  /** How many prefixes each top list shows (default 20). */
  top?: number;
  bounds?: Partial<ScanBounds>;
}

export function keyspaceText(report: KeyspaceReport, top: number): string {
  const t = topPrefixes(report.prefixes, top);
  const rows = (list: typeof t.byBytes) => list.map((p) => [p.prefix, String(p.keys), String(p.bytes), formatBytes(p.bytes)]);
  return [
    `read from ${report.member} at revision ${report.revision}: ${report.scannedKeys} of ${report.totalKeys} keys, ${formatBytes(report.scannedBytes)} (keys + values) in ${report.pages} pages, ${formatDuration(report.ms)}`,
    report.complete ? '' : `PARTIAL: stopped by ${report.stoppedBy === 'abort' ? 'an abort' : `the ${report.stoppedBy} bound`}; the counts cover the keys read so far`,
    `top ${top} by bytes:`,
    textTable(['PREFIX', 'KEYS', 'BYTES', 'SIZE'], rows(t.byBytes)),
    '',
    `top ${top} by keys:`,
    textTable(['PREFIX', 'KEYS', 'BYTES', 'SIZE'], rows(t.byKeys)),
  ]
    .filter((line, i) => line !== '' || i > 1)
    .join('\n');
}

export async function runKeyspaceCommand(settings: ConnectionSettings, options: KeyspaceCommandOptions, io: CommandIO, gateway?: ClusterGateway & InspectGateway): Promise<number> {
  const own = gateway ?? new EtcdGateway(settings, deadlinesFor(settings));
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const top = options.top ?? 20;
    let lastShown = 0;
    const report = await scanKeyspace(
      own,
      { ...DEFAULT_KEYSPACE_OPTIONS, ...(options.depth ? { depth: options.depth } : {}), prefix: options.prefix ?? '' },
      { ...DEFAULT_SCAN_BOUNDS, pageTimeoutMs: Math.max(settings.commandTimeoutMs, 1000), ...options.bounds },
      (p) => {
        if (p.scanned - lastShown >= 10_000 || p.scanned === p.total) {
          lastShown = p.scanned;
          io.stderr.write(`${p.member}: ${p.scanned}/${p.total} keys, ${p.pages} pages\n`);
        }
      },
      abort.signal,
    );
    io.stdout.write((options.json ? JSON.stringify({ ...report, top: topPrefixes(report.prefixes, top) }, null, 2) : keyspaceText(report, top)) + '\n');
    return report.complete ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!gateway) own.close();
  }
}
