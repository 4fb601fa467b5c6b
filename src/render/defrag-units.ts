/**
 * The data of the per-node defrag timer (templates/etcd-defrag.service.hbs and .timer.hbs), from
 * seed 000's defrag.sh + etcd-defrag.service + etcd-defrag.timer, with etcd-tui's health-gated rolling
 * defrag in place of a blind `etcdctl defrag`. Pure: the command is built as argv and quoted once, here,
 * for systemd.
 *
 * Staggering: node i of n fires `spacingMinutes` after node i-1 (02:00, 02:20, 02:40 on Sundays by
 * default). Each run is a cluster-wide rolling defrag of the members the rule selects, so the first
 * run does the work and the later ones find nothing to do (exit 5, counted as success) unless the first
 * node was down. A fixed offset rather than seed 000's RandomizedDelaySec=10m: random delays can put
 * two nodes' runs on top of each other, fixed offsets cannot (each run is bounded by TimeoutStartSec,
 * shorter than the spacing), and the operator knows when each node runs.
 */
import { ConfigError } from '../domain/errors.js';
import { DEFAULT_DEFRAG_RULE, parseRule, ruleErrorText } from '../plans/defrag-rule.js';

export interface DefragUnitInput {
  /** The node's etcd name (ETCD_NAME), for the descriptions. */
  nodeName: string;
  /** 0-based position of the node in the stagger, and the number of nodes. */
  nodeIndex: number;
  nodeCount: number;
  /** Where the connection comes from: the node's env file with its ETCDCTL_* block ... */
  envFile?: string;
  /** ... or explicit endpoints and TLS files. */
  endpoints?: string[];
  cacert?: string;
  cert?: string;
  key?: string;
  /** Which members (default DEFAULT_DEFRAG_RULE). */
  rule?: string;
  /** Move leadership to a defragmented voter before the leader's turn (default true). */
  moveLeader?: boolean;
  /** The cluster's --quota-backend-bytes (for the rule's `quota`). */
  quotaBytes?: number;
  /** The etcd-tui executable (default /usr/local/bin/etcd-tui). */
  etcdTuiBin?: string;
  /** The audit log (default /var/lib/etcd-tui/audit.jsonl, in the unit's StateDirectory). */
  auditLog?: string;
  /** systemd day-of-week part of OnCalendar (default "Sun"; "*" for every day, "Mon..Fri"). */
  days?: string;
  /** The first node's start time, HH:MM (default 02:00). */
  startTime?: string;
  /** Minutes between two nodes' runs (default 20, at least 10). */
  spacingMinutes?: number;
}

/** What the two templates read. */
export interface DefragUnitData {
  nodeName: string;
  nodeNumber: number;
  nodeCount: number;
  execStart: string;
  onCalendar: string;
  schedule: string;
  spacingMinutes: number;
  timeoutStartSec: string;
  timeoutStopSec: string;
}

const SAFE = /^[A-Za-z0-9_@+=:,./-]+$/;

/** One argument as systemd's ExecStart reads it: % and $ escaped, quoted when it has anything else. */
export function systemdArg(arg: string): string {
  const escaped = arg.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (escaped !== '' && SAFE.test(arg)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** An argv as one ExecStart line. */
export function systemdCommand(argv: string[]): string {
  return argv.map(systemdArg).join(' ');
}

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** The templates' data for one node; throws on input that would render a broken unit. */
export function defragUnitData(input: DefragUnitInput): DefragUnitData {
  const { nodeIndex, nodeCount } = input;
  if (!Number.isInteger(nodeCount) || nodeCount < 1) throw new ConfigError(`nodeCount must be at least 1, not ${nodeCount}`);
  if (!Number.isInteger(nodeIndex) || nodeIndex < 0 || nodeIndex >= nodeCount) throw new ConfigError(`nodeIndex must be 0 to ${nodeCount - 1}, not ${nodeIndex}`);
  const bin = input.etcdTuiBin ?? '/usr/local/bin/etcd-tui';
  if (!bin.startsWith('/')) throw new ConfigError(`etcdTuiBin must be an absolute path (systemd needs one), not "${bin}"`);
  const rule = input.rule ?? DEFAULT_DEFRAG_RULE;
  const parsed = parseRule(rule);
  if (!parsed.ok) throw new ConfigError(ruleErrorText(rule, parsed));
  if (!!input.envFile === !!input.endpoints?.length) throw new ConfigError('give the node\'s envFile (its ETCDCTL_* block) or endpoints, one of them');
  const spacing = input.spacingMinutes ?? 20;
  if (!Number.isInteger(spacing) || spacing < 10) throw new ConfigError(`spacingMinutes must be a whole number of at least 10, not ${spacing}`);
  const m = /^(\d{1,2}):(\d{2})$/.exec(input.startTime ?? '02:00');
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) throw new ConfigError(`startTime must be HH:MM, not "${input.startTime}"`);
  const first = Number(m[1]) * 60 + Number(m[2]);
  const last = first + (nodeCount - 1) * spacing;
  // The runs must end the same day: the stagger does not carry over to the next day of the week.
  if (last + spacing > 24 * 60) throw new ConfigError(`${nodeCount} nodes ${spacing} minutes apart from ${hhmm(first)} run past midnight: start earlier or space them less`);
  const days = input.days ?? 'Sun';
  if (!/^[A-Za-z.,*]+$/.test(days)) throw new ConfigError(`days must be a systemd weekday spec (Sun, Mon..Fri, *), not "${days}"`);
  const at = first + nodeIndex * spacing;
  const argv = [bin, 'defrag', '--rule', rule];
  if (input.moveLeader ?? true) argv.push('--move-leader');
  argv.push('--yes');
  if (input.envFile) argv.push('--env-file', input.envFile);
  else {
    argv.push('--endpoints', (input.endpoints as string[]).join(','));
    if (input.cacert) argv.push('--cacert', input.cacert);
    if (input.cert) argv.push('--cert', input.cert);
    if (input.key) argv.push('--key', input.key);
  }
  if (input.quotaBytes !== undefined) argv.push('--quota-bytes', String(input.quotaBytes));
  argv.push('--audit-log', input.auditLog ?? '/var/lib/etcd-tui/audit.jsonl');
  const dayPart = days === '*' ? '' : `${days} `;
  return {
    nodeName: input.nodeName,
    nodeNumber: nodeIndex + 1,
    nodeCount,
    execStart: systemdCommand(argv),
    onCalendar: `${dayPart}*-*-* ${hhmm(at)}:00`,
    schedule: Array.from({ length: nodeCount }, (_, i) => hhmm(first + i * spacing)).join(', '),
    spacingMinutes: spacing,
    // The run must be over before the next node's: stop asking at spacing - 5 min, leave 5 min to finish the member under way.
    timeoutStartSec: `${spacing - 5}min`,
    timeoutStopSec: '5min',
  };
}
