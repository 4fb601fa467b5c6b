/** Rows of the metrics table (console pane and `status --metrics`). Pure. */
import type { Member } from '../domain/types.js';
import { METRIC_THRESHOLDS, type MemberFigures } from '../health/metrics.js';
import { hexId, memberLabel } from './ids.js';
import { formatBytes, sparkline } from './units.js';

export interface MetricsRow {
  id: string;
  name: string;
  walFsync: string;
  backendCommit: string;
  peerRtt: string;
  pending: string;
  failedPerMin: string;
  leaderChanges: string;
  slow: string;
  heartbeatFailures: string;
  snapshotDefrag: string;
  rss: string;
  fds: string;
  walSpark: string;
  tone: 'ok' | 'warn' | 'crit';
}

export function formatMs(v: number | undefined): string {
  if (v === undefined) return '-';
  return v >= 100 ? `${Math.round(v)}ms` : v >= 10 ? `${v.toFixed(0)}ms` : `${v.toFixed(1)}ms`;
}

const num = (v: number | undefined) => (v === undefined ? '-' : String(Math.round(v * 10) / 10));

export function metricsRow(member: Member, history: MemberFigures[], members: Member[]): MetricsRow {
  const f = history[history.length - 1];
  const peerName = (hex: string) => {
    const m = members.find((x) => hexId(x.id) === hex);
    return m ? memberLabel(m) : hex.slice(0, 6);
  };
  const rtts = f ? Object.entries(f.peerRttP99Ms) : [];
  const worstRtt = Math.max(-1, ...rtts.map(([, v]) => v ?? -1));
  const t = METRIC_THRESHOLDS;
  const tone = !f
    ? 'ok'
    : (f.walFsyncP99Ms ?? 0) > t.walFsyncCritMs
      ? 'crit'
      : (f.walFsyncP99Ms ?? 0) > t.walFsyncWarnMs || (f.backendCommitP99Ms ?? 0) > t.backendCommitWarnMs || worstRtt > t.peerRttWarnMs || (f.proposalsFailedPerMin ?? 0) > 0
        ? 'warn'
        : 'ok';
  return {
    id: member.id,
    name: memberLabel(member),
    walFsync: formatMs(f?.walFsyncP99Ms),
    backendCommit: formatMs(f?.backendCommitP99Ms),
    peerRtt: rtts.length ? rtts.map(([to, v]) => `${peerName(to)} ${formatMs(v)}`).join(', ') : '-',
    pending: num(f?.proposalsPending),
    failedPerMin: num(f?.proposalsFailedPerMin),
    leaderChanges: num(f?.leaderChangesTotal),
    slow: f ? `${num(f.slowAppliesTotal)}/${num(f.slowReadIndexesTotal)}` : '-',
    heartbeatFailures: num(f?.heartbeatFailuresTotal),
    snapshotDefrag: f ? `${formatMs(f.snapshotSaveP99Ms)}/${formatMs(f.defragP99Ms)}` : '-',
    rss: formatBytes(f?.rssBytes),
    fds: num(f?.openFds),
    walSpark: sparkline(history.map((h) => h.walFsyncP99Ms ?? 0), 20),
    tone,
  };
}
