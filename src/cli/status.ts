/**
 * `etcd-tui status [--json]`: one refresh round through the same gateway, view and verdict as the
 * console, printed once. Exit codes: 0 healthy, 1 degraded, 2 critical (quorum lost, no leader,
 * alarm), 3 unreachable (no member answered), 4 usage or configuration error.
 */
import type { HealthOptions, Verdict } from '../domain/types.js';
import type { ClusterView } from '../health/view.js';
import { memberRows } from '../format/members.js';
import { hexId, memberLabel } from '../format/ids.js';
import { textTable } from '../format/text-table.js';
import { leaderAgreement, reasonLine } from '../health/verdict.js';

export const EXIT = { healthy: 0, degraded: 1, critical: 2, unreachable: 3, usage: 4 } as const;

export function exitCodeFor(view: ClusterView): number {
  const answered = Object.values(view.probes).some((p) => p.ok);
  if (!answered) return EXIT.unreachable;
  const level: Verdict['level'] = view.verdict.level;
  return level === 'healthy' ? EXIT.healthy : level === 'degraded' ? EXIT.degraded : EXIT.critical;
}

export { collectStatus } from '../monitor/observe.js';

/** The JSON document of `status --json`: IDs as decimal strings and etcdctl hex, never JSON numbers. */
export function statusJson(view: ClusterView, health: HealthOptions, now: number): object {
  const rows = memberRows(view, view.members, health, now);
  const leaderId = leaderAgreement(view.members, view.probes).leaderId;
  return {
    clusterId: view.clusterId ?? null,
    clusterIdHex: view.clusterId ? hexId(view.clusterId) : null,
    leader: leaderId ? { id: leaderId, hexId: hexId(leaderId), name: memberLabel(view.members.find((m) => m.id === leaderId), leaderId), term: view.leader.term ?? null } : null,
    members: view.members.map((m, i) => {
      const probe = view.probes[m.id];
      const s = probe?.ok ? probe.status : undefined;
      return {
        id: m.id,
        hexId: hexId(m.id),
        name: m.name,
        role: rows[i].role === '?' ? 'unknown' : rows[i].role,
        isLearner: m.isLearner,
        reachable: probe?.ok ?? false,
        clientURLs: m.clientURLs,
        peerURLs: m.peerURLs,
        version: s?.version ?? null,
        dbSize: s?.dbSize ?? null,
        dbSizeInUse: s?.dbSizeInUse ?? null,
        raftTerm: s?.raftTerm ?? null,
        raftIndex: s?.raftIndex ?? null,
        raftAppliedIndex: s?.raftAppliedIndex ?? null,
        leaderSeen: s ? s.leader : null,
        latencyMs: probe ? Math.round(probe.latencyMs * 10) / 10 : null,
        errors: s?.errors ?? [],
        error: probe && !probe.ok ? { kind: probe.kind, message: probe.error } : null,
      };
    }),
    alarms: view.alarms.map((a) => ({ memberId: a.memberId, hexId: hexId(a.memberId), alarm: a.alarm })),
    alarmsError: view.alarmsError ?? null,
    membershipError: view.membershipError?.error ?? null,
    verdict: view.verdict,
    exitCode: exitCodeFor(view),
  };
}

/** The text form of `status`. */
export function statusText(view: ClusterView, health: HealthOptions, now: number): string {
  const rows = memberRows(view, view.members, health, now);
  const table = textTable(
    ['NAME', 'ID', 'ROLE', 'STATE', 'VERSION', 'CLIENT URL', 'DB', 'IN USE', 'QUOTA', 'TERM', 'INDEX', 'APPLIED', 'LAG', 'LATENCY', 'ERRORS'],
    rows.map((r) => [r.name, r.hexId, r.role === '?' ? r.roleText : r.role, r.state, r.version, r.clientURL, r.dbSize, r.dbInUse, r.quota, r.term, r.index, r.applied, r.lag, r.latency, r.errors]),
  );
  const mark = { ok: 'ok  ', warn: 'WARN', crit: 'CRIT', info: 'info', unknown: '?   ' } as const;
  const lines = [
    view.clusterId ? `cluster ${hexId(view.clusterId)}` : 'cluster: unknown',
    view.members.length ? table : `no member list: ${view.membershipError?.error ?? 'no answer'}`,
    '',
    `alarms: ${!view.loaded ? 'unknown' : view.alarmsError ? `unknown (${view.alarmsError})` : view.alarms.length ? view.alarms.map((a) => `${a.alarm} on ${memberLabel(view.members.find((m) => m.id === a.memberId), a.memberId)}`).join(', ') : 'none'}`,
    `verdict: ${view.verdict.summary}`,
    ...view.verdict.reasons.map((r) => `  ${mark[r.level]} ${reasonLine(r)}`),
  ];
  return lines.join('\n');
}
