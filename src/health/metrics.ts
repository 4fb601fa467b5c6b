/**
 * etcd's Prometheus metrics, pure part: a parser for the text exposition format, quantiles from
 * histogram bucket deltas between two scrapes (as Prometheus' histogram_quantile over a rate does,
 * not from the totals since start), the figures the console shows per member, and the health lines
 * with the thresholds of ETCD-OPS.md and seed 001 §6.
 */
import type { VerdictReason } from '../domain/types.js';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parse the text exposition format (version 0.0.4): comments skipped, labels unescaped; `keep` filters by name before the labels are parsed. */
export function parsePrometheus(text: string, keep: (name: string) => boolean = () => true): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    let name: string;
    let labels: Record<string, string> = {};
    let rest: string;
    if (brace >= 0 && (space < 0 || brace < space)) {
      name = line.slice(0, brace);
      if (!keep(name)) continue;
      const close = findClose(line, brace + 1);
      if (close < 0) continue;
      labels = parseLabels(line.slice(brace + 1, close));
      rest = line.slice(close + 1).trim();
    } else {
      if (space < 0) continue;
      name = line.slice(0, space);
      if (!keep(name)) continue;
      rest = line.slice(space + 1).trim();
    }
    const valueText = rest.split(/\s+/)[0];
    const value = parseValue(valueText);
    if (value === undefined) continue;
    out.push({ name, labels, value });
  }
  return out;
}

function findClose(line: string, from: number): number {
  let quoted = false;
  for (let i = from; i < line.length; i++) {
    const ch = line[i];
    if (ch === '\\' && quoted) {
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    else if (ch === '}' && !quoted) return i;
  }
  return -1;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/g;
  for (const m of text.matchAll(re)) labels[m[1]] = m[2].replace(/\\(["\\n])/g, (_s, c: string) => (c === 'n' ? '\n' : c));
  return labels;
}

function parseValue(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const n = Number(text);
  return Number.isNaN(n) ? undefined : n;
}

/** The metric families the figures use (the rest of etcd's ~150 KB exposition is dropped while parsing). */
export function usedMetric(name: string): boolean {
  return /^(etcd_disk_|etcd_server_|etcd_network_peer_round_trip|etcd_debugging_snap_save|process_)/.test(name);
}

/** One histogram's cumulative buckets, sorted by upper bound (the last is +Inf). */
export interface Histogram {
  buckets: Array<{ le: number; count: number }>;
  count: number;
  sum: number;
}

function matches(labels: Record<string, string>, filter: Record<string, string>): boolean {
  return Object.entries(filter).every(([k, v]) => labels[k] === v);
}

/** The histogram `name` (without _bucket) among the samples whose labels include `filter`; buckets of several series are added up. */
export function histogram(samples: Sample[], name: string, filter: Record<string, string> = {}): Histogram | undefined {
  const byLe = new Map<number, number>();
  let count = 0;
  let sum = 0;
  let found = false;
  for (const s of samples) {
    if (!matches(s.labels, filter)) continue;
    if (s.name === `${name}_bucket` && s.labels.le !== undefined) {
      const le = parseValue(s.labels.le);
      if (le === undefined) continue;
      byLe.set(le, (byLe.get(le) ?? 0) + s.value);
      found = true;
    } else if (s.name === `${name}_count`) count += s.value;
    else if (s.name === `${name}_sum`) sum += s.value;
  }
  if (!found) return undefined;
  const buckets = [...byLe.entries()].sort((a, b) => a[0] - b[0]).map(([le, c]) => ({ le, count: c }));
  return { buckets, count, sum };
}

/**
 * The q-quantile of the observations made between two scrapes of a histogram: bucket deltas, then
 * linear interpolation inside the bucket the rank falls in (Prometheus' histogram_quantile). Rank
 * in the +Inf bucket gives the highest finite bound. Undefined when nothing was observed in
 * between, or when a counter went back (the member restarted: the deltas mean nothing).
 */
export function quantileBetween(prev: Histogram | undefined, curr: Histogram | undefined, q: number): number | undefined {
  if (!curr) return undefined;
  const before = new Map((prev?.buckets ?? []).map((b) => [b.le, b.count]));
  const deltas = curr.buckets.map((b) => ({ le: b.le, count: b.count - (before.get(b.le) ?? 0) }));
  if (deltas.some((d) => d.count < 0)) return undefined;
  const total = deltas[deltas.length - 1]?.count ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (let i = 0; i < deltas.length; i++) {
    const { le, count } = deltas[i];
    if (count >= rank) {
      if (le === Infinity) return i > 0 ? deltas[i - 1].le : undefined;
      if (count === lowerCount) return le;
      return lowerBound + ((le - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
    }
    lowerBound = le;
    lowerCount = count;
  }
  return undefined;
}

/** The sum of the samples named `name` whose labels include `filter`. */
export function sampleValue(samples: Sample[], name: string, filter: Record<string, string> = {}): number | undefined {
  let found = false;
  let total = 0;
  for (const s of samples) {
    if (s.name === name && matches(s.labels, filter)) {
      total += s.value;
      found = true;
    }
  }
  return found ? total : undefined;
}

/** One scrape of one member. */
export interface Scrape {
  at: number;
  samples: Sample[];
}

/** The figures of one member between two scrapes (durations in ms; undefined: nothing observed). */
export interface MemberFigures {
  at: number;
  walFsyncP99Ms?: number;
  backendCommitP99Ms?: number;
  /** peer member ID (hex, as etcd labels it) -> round-trip p99 in ms. */
  peerRttP99Ms: Record<string, number | undefined>;
  proposalsPending?: number;
  proposalsFailedPerMin?: number;
  proposalsFailedTotal?: number;
  leaderChangesTotal?: number;
  slowAppliesTotal?: number;
  slowReadIndexesTotal?: number;
  heartbeatFailuresTotal?: number;
  snapshotSaveP99Ms?: number;
  defragP99Ms?: number;
  rssBytes?: number;
  openFds?: number;
}

const ms = (seconds: number | undefined) => (seconds === undefined ? undefined : seconds * 1000);

/** The figures from two consecutive scrapes of one member. */
export function memberFigures(prev: Scrape | undefined, curr: Scrape): MemberFigures {
  const p = prev?.samples ?? [];
  const c = curr.samples;
  const q99 = (name: string, filter: Record<string, string> = {}) => ms(quantileBetween(prev ? histogram(p, name, filter) : undefined, histogram(c, name, filter), 0.99));
  const peers = new Set(c.filter((s) => s.name === 'etcd_network_peer_round_trip_time_seconds_bucket' && s.labels.To).map((s) => s.labels.To));
  const peerRttP99Ms: Record<string, number | undefined> = {};
  for (const to of peers) peerRttP99Ms[to] = prev ? q99('etcd_network_peer_round_trip_time_seconds', { To: to }) : undefined;
  const failedNow = sampleValue(c, 'etcd_server_proposals_failed_total');
  const failedBefore = prev ? sampleValue(p, 'etcd_server_proposals_failed_total') : undefined;
  const minutes = prev ? (curr.at - prev.at) / 60_000 : 0;
  return {
    at: curr.at,
    walFsyncP99Ms: prev ? q99('etcd_disk_wal_fsync_duration_seconds') : undefined,
    backendCommitP99Ms: prev ? q99('etcd_disk_backend_commit_duration_seconds') : undefined,
    peerRttP99Ms,
    proposalsPending: sampleValue(c, 'etcd_server_proposals_pending'),
    proposalsFailedTotal: failedNow,
    proposalsFailedPerMin: failedNow !== undefined && failedBefore !== undefined && minutes > 0 && failedNow >= failedBefore ? (failedNow - failedBefore) / minutes : undefined,
    leaderChangesTotal: sampleValue(c, 'etcd_server_leader_changes_seen_total'),
    slowAppliesTotal: sampleValue(c, 'etcd_server_slow_apply_total'),
    slowReadIndexesTotal: sampleValue(c, 'etcd_server_slow_read_indexes_total'),
    heartbeatFailuresTotal: sampleValue(c, 'etcd_server_heartbeat_send_failures_total'),
    snapshotSaveP99Ms: prev ? q99('etcd_debugging_snap_save_total_duration_seconds') : undefined,
    defragP99Ms: prev ? q99('etcd_disk_backend_defrag_duration_seconds') : undefined,
    rssBytes: sampleValue(c, 'process_resident_memory_bytes'),
    openFds: sampleValue(c, 'process_open_fds'),
  };
}

export interface MetricThresholds {
  walFsyncWarnMs: number;
  walFsyncCritMs: number;
  backendCommitWarnMs: number;
  peerRttWarnMs: number;
}

/** ETCD-OPS.md "Status and health" and seed 001 §6. */
export const METRIC_THRESHOLDS: MetricThresholds = { walFsyncWarnMs: 10, walFsyncCritMs: 500, backendCommitWarnMs: 25, peerRttWarnMs: 150 };

function fmtMs(v: number): string {
  return v >= 100 ? `${Math.round(v)} ms` : v >= 10 ? `${v.toFixed(0)} ms` : `${v.toFixed(1)} ms`;
}

/**
 * Health lines for one member's figures. `peerName` turns etcd's hex peer ID into a member name.
 * Only what crosses a threshold is reported (silence means fine).
 */
export function metricReasons(member: string, f: MemberFigures, peerName: (hex: string) => string = (h) => h, t: MetricThresholds = METRIC_THRESHOLDS): VerdictReason[] {
  const reasons: VerdictReason[] = [];
  if (f.walFsyncP99Ms !== undefined && f.walFsyncP99Ms > t.walFsyncWarnMs) {
    const crit = f.walFsyncP99Ms > t.walFsyncCritMs;
    reasons.push({ level: crit ? 'crit' : 'warn', text: `${member}: WAL fsync p99 ${fmtMs(f.walFsyncP99Ms)} (> ${crit ? t.walFsyncCritMs : t.walFsyncWarnMs} ms): slow disk; leader changes follow` });
  }
  if (f.backendCommitP99Ms !== undefined && f.backendCommitP99Ms > t.backendCommitWarnMs) {
    reasons.push({ level: 'warn', text: `${member}: backend commit p99 ${fmtMs(f.backendCommitP99Ms)} (> ${t.backendCommitWarnMs} ms): slow disk or a large DB; check the disk's latency and defragment` });
  }
  for (const [to, rtt] of Object.entries(f.peerRttP99Ms)) {
    if (rtt !== undefined && rtt > t.peerRttWarnMs) {
      reasons.push({ level: 'warn', text: `${member}: peer round trip to ${peerName(to)} p99 ${fmtMs(rtt)} (> ${t.peerRttWarnMs} ms): network trouble between the peers, or ${peerName(to)} is stalling` });
    }
  }
  if (f.proposalsFailedPerMin !== undefined && f.proposalsFailedPerMin > 0) {
    reasons.push({ level: 'warn', text: `${member}: ${f.proposalsFailedPerMin.toFixed(1)} failed proposals per minute (rising): leader elections or lost quorum` });
  }
  return reasons;
}
