/**
 * Maintenance planners: rolling defrag, compaction, NOSPACE recovery (ETCD-OPS.md, "Maintenance";
 * seed 001 §7.3 scenario 3, done safely). Pure: each takes the cluster view and the operator's input
 * and returns a plan or a refusal that says why and what to do.
 */
import type { Action, Plan, PlanResult, PlanStep } from '../domain/plan.js';
import { DEFAULT_HEALTH_OPTIONS, type Alarm, type AlarmType, type Member, type MemberId, type Probe } from '../domain/types.js';
import type { ClusterView } from '../health/view.js';
import { computeVerdict, leaderAgreement } from '../health/verdict.js';
import { quorumOf, summarizeQuorum } from '../health/quorum.js';
import { hexId, memberLabel } from '../format/ids.js';
import { formatBytes, formatDuration, formatPercent } from '../format/units.js';
import { textTable } from '../format/text-table.js';
import { leaderCandidates } from './membership.js';
import { DEFAULT_DEFRAG_RULE, evaluateRule, explainRule, parseRule, ruleErrorText, ruleVariables, type Rule } from './defrag-rule.js';

const GiB = 2 ** 30;

/** Defaults shared by the console and the headless maintenance commands. */
export const MAINTENANCE_DEFAULTS = {
  /** A member's defrag timeout: this much, plus defragPerGiBMs per GiB of its DB. */
  defragBaseMs: 60_000,
  defragPerGiBMs: 30_000,
  /** How long the gate before a member waits for the cluster to be healthy (after an election, say). */
  gateTimeoutMs: 10_000,
  /** alarm recover-nospace: revisions kept by its compaction unless --compact-retain says otherwise. */
  recoverRetain: 1000,
  /** alarm recover-nospace: every voter must end below (1 - margin) of the quota before NOSPACE is disarmed. */
  quotaMargin: 0.2,
} as const;

/**
 * The timeout of one member's defragment call, sized to its DB: 60 s + 30 s per started GiB, at least
 * the command timeout. Whole GiB keep it (and the step's command) stable while the DB grows a little.
 */
export function defragTimeoutMs(dbSize: number, commandTimeoutMs: number): number {
  const sized = MAINTENANCE_DEFAULTS.defragBaseMs + MAINTENANCE_DEFAULTS.defragPerGiBMs * Math.ceil(Math.max(0, dbSize) / GiB);
  return Math.max(commandTimeoutMs, sized);
}

/** The highest key-value revision any answering member reports (0 when none answers). */
export function currentRevision(view: ClusterView): number {
  let max = 0;
  for (const p of Object.values(view.probes)) if (p.ok) max = Math.max(max, p.status.revision);
  return max;
}

function name(view: ClusterView, id: MemberId): string {
  return memberLabel(view.members.find((m) => m.id === id), id);
}

const ALARM_IN_STATUS = /alarm:\s*(NOSPACE|CORRUPT)/i;

/**
 * Why the cluster is not fit for maintenance now, or undefined when it is: quorum, then the health
 * verdict, ignoring what maintenance is there to fix (the DB's share of the quota) and the alarms the
 * flow expects (NOSPACE during the NOSPACE recovery). Used by the planners and by the gate before
 * each member.
 */
export function maintenanceBlocker(view: ClusterView, opts: { gapThreshold: number; expectAlarms?: AlarmType[]; allowMixedVersions?: boolean }): string | undefined {
  const expect = new Set(opts.expectAlarms ?? []);
  const quorum = summarizeQuorum(view.members, view.probes);
  if (view.members.length === 0) return `no member list: the cluster is not reachable${view.membershipError ? ` (${view.membershipError.error})` : ''}`;
  if (!quorum.hasQuorum) return `no quorum: ${quorum.healthyVoters} of ${quorum.voters} voters answer (needs ${quorum.quorum})`;
  const nospace = view.alarms.filter((a) => a.alarm === 'NOSPACE');
  if (nospace.length > 0 && !expect.has('NOSPACE')) {
    return `the NOSPACE alarm is armed (${nospace.map((a) => name(view, a.memberId)).join(', ')}): recover with \`etcd-tui alarm recover-nospace\` (compact, defragment every voter, check the quota, disarm NOSPACE only)`;
  }
  const alarms: Alarm[] = view.alarms.filter((a) => !expect.has(a.alarm));
  // Members report armed alarms in their status errors too ("memberID:... alarm:NOSPACE").
  const probes: Record<MemberId, Probe> = {};
  for (const [id, p] of Object.entries(view.probes)) {
    if (!p.ok) probes[id] = p;
    else probes[id] = { ...p, status: { ...p.status, errors: p.status.errors.filter((e) => !(ALARM_IN_STATUS.test(e) && expect.has((ALARM_IN_STATUS.exec(e) as RegExpExecArray)[1].toUpperCase() as AlarmType))) } };
  }
  const verdict = computeVerdict({
    members: view.members,
    probes,
    alarms,
    alarmsError: view.alarmsError,
    membershipError: view.membershipError?.error,
    leaderChangeTimes: view.leader.changeTimes,
    now: view.updatedAt,
    // The DB's share of the quota is what maintenance fixes: it does not block it.
    options: { ...DEFAULT_HEALTH_OPTIONS, indexGapThreshold: opts.gapThreshold, quotaBytes: Number.POSITIVE_INFINITY },
  });
  if (verdict.level === 'healthy') return undefined;
  // With the alarm list known, the members' echo of the alarms in their status errors says nothing more.
  const echo = (text: string) => alarms.length > 0 && / reports: /.test(text) && ALARM_IN_STATUS.test(text);
  // A rolling upgrade makes the cluster mixed on purpose: that line does not stop it.
  const expected = (text: string) => Boolean(opts.allowMixedVersions) && /^mixed versions:/.test(text);
  const problems = verdict.reasons.filter((r) => (r.level === 'crit' || r.level === 'warn') && !echo(r.text) && !expected(r.text)).map((r) => r.text);
  if (problems.length === 0 && verdict.reasons.some((r) => expected(r.text))) return undefined;
  return `the cluster is not healthy: ${problems.join('; ')}`;
}

/** Why taking this member out (blocked by its defrag) would leave too few healthy voters, or undefined. */
export function quorumWithoutBlocker(view: ClusterView, memberId: MemberId): string | undefined {
  const voters = view.members.filter((m) => !m.isLearner);
  const healthy = voters.filter((m) => view.probes[m.id]?.ok === true);
  const without = healthy.filter((m) => m.id !== memberId).length;
  const q = quorumOf(voters.length);
  if (without < q) {
    return `without ${name(view, memberId)} only ${without} healthy voter(s) of ${voters.length} remain, below quorum ${q}: defragmenting it would stall the cluster`;
  }
  return undefined;
}

/**
 * The gate before each member would never pass: with every voter answering, the cluster is still too
 * small to lose one for a while (1 or 2 voters). With voters down, the health check says which.
 */
function tooSmall(view: ClusterView, chosen: Candidate[]): string | undefined {
  const voters = view.members.filter((m) => !m.isLearner);
  if (!voters.every((m) => view.probes[m.id]?.ok)) return undefined;
  for (const c of chosen) {
    const blocker = quorumWithoutBlocker(view, c.member.id);
    if (blocker) return `${blocker}; a rolling defrag needs a cluster that keeps quorum while one member is blocked (3 voters or more): defragment this one in a maintenance window (etcdctl defrag)`;
  }
  return undefined;
}

function step(id: string, title: string, command: string, action: Action, preconditions: string[] = []): PlanStep {
  return { id, title, command, action, preconditions };
}

export interface DefragTimeouts {
  /** The command timeout: the least a member's defrag timeout can be. */
  commandMs: number;
  /** How long a move-leader may take to show the new leader. */
  moveLeaderMs: number;
  /** The gate before each member: how long it waits for a healthy cluster (default 10 s). */
  gateMs?: number;
}

interface Candidate {
  member: Member;
  role: 'leader' | 'follower' | 'learner' | 'unknown';
  size?: number;
  inUse?: number;
  qualifies: boolean;
  /** Why it qualifies or not (the rule's deciding comparisons, or why it is skipped). */
  why: string;
}

const LEARNER_REASON = 'skipped: a learner cannot be defragmented online (etcd answers "rpc not supported for learner"); it is defragmented once promoted, or offline with etcd stopped (etcdctl defrag --data-dir on 3.4, etcdutl defrag on 3.5+)';

function candidates(view: ClusterView, select: { rule?: Rule; all: boolean }, quotaBytes: number): Candidate[] {
  const leaderId = leaderAgreement(view.members, view.probes).leaderId;
  return view.members.map((m): Candidate => {
    const p = view.probes[m.id];
    const role = m.isLearner ? 'learner' : m.id === leaderId ? 'leader' : p?.ok ? 'follower' : 'unknown';
    const size = p?.ok ? p.status.dbSize : undefined;
    const inUse = p?.ok ? p.status.dbSizeInUse : undefined;
    if (m.isLearner) return { member: m, role, size, inUse, qualifies: false, why: LEARNER_REASON };
    if (!p?.ok) return { member: m, role, qualifies: false, why: `skipped: does not answer${p && !p.ok ? ` (${p.error})` : ''}` };
    if (select.all || !select.rule) return { member: m, role, size, inUse, qualifies: true, why: '--all' };
    const vars = ruleVariables(p.status.dbSize, p.status.dbSizeInUse, quotaBytes);
    const qualifies = evaluateRule(select.rule, vars);
    return { member: m, role, size, inUse, qualifies, why: explainRule(select.rule, vars) };
  });
}

function memberTable(list: Candidate[], quotaBytes: number, verdictOf: (c: Candidate) => string): string[] {
  const rows = list.map((c) => [
    memberLabel(c.member),
    c.role,
    formatBytes(c.size),
    formatBytes(c.inUse),
    c.size !== undefined && c.inUse !== undefined ? formatBytes(Math.max(0, c.size - c.inUse)) : '-',
    c.size !== undefined ? formatPercent(c.size / quotaBytes) : '-',
    verdictOf(c),
  ]);
  return textTable(['MEMBER', 'ROLE', 'DB SIZE', 'IN USE', 'FREE', 'QUOTA', 'DEFRAG'], rows).split('\n');
}

interface DefragStepsInput {
  moveLeader: boolean;
  gapThreshold: number;
  timeouts: DefragTimeouts;
  expectAlarms: AlarmType[];
}

/**
 * The defrag steps for the chosen voters: followers first, the leader last; with moveLeader,
 * leadership moves to a healthy voter defragmented earlier in this run right before the leader's turn.
 */
function defragSteps(view: ClusterView, chosen: Candidate[], input: DefragStepsInput): { steps: PlanStep[]; order: string[]; notes: string[]; warnings: string[] } {
  const followers = chosen.filter((c) => c.role !== 'leader');
  const leader = chosen.find((c) => c.role === 'leader');
  const ordered = leader ? [...followers, leader] : followers;
  const n = ordered.length;
  const steps: PlanStep[] = [];
  const notes: string[] = [];
  const warnings: string[] = [];
  const gate = ['the cluster is healthy (apart from the expected alarms)', 'the other healthy voters keep quorum without this member'];
  ordered.forEach((c, i) => {
    const label = memberLabel(c.member);
    const url = c.member.clientURLs[0] ?? '?';
    const timeoutMs = defragTimeoutMs(c.size ?? 0, input.timeouts.commandMs);
    let role: string = c.role;
    if (c.role === 'leader' && input.moveLeader) {
      const defragmented = followers.map((f) => f.member.id);
      const ok = leaderCandidates(view, [], input.gapThreshold).filter((x) => x.ok && defragmented.includes(x.member.id));
      const target = ok[0]?.member;
      if (target) {
        steps.push(
          step('move-leader', `Move leadership from ${label} to ${target.name} (defragmented above) before the leader's turn`, `etcdctl --endpoints=${url} move-leader ${hexId(target.id)}`, {
            kind: 'move-leader',
            fromId: c.member.id,
            toId: target.id,
            toName: target.name,
            timeoutMs: input.timeouts.moveLeaderMs,
          }, [`${target.name} is a healthy voter, caught up, defragmented in this run`, 'the request goes to the current leader']),
        );
        role = 'leader until the move above';
        notes.push(`leadership moves to ${target.name} (already defragmented) right before ${label}'s turn: writes pause for about one election instead of the whole defrag`);
      } else {
        warnings.push(`--move-leader: no healthy voter is defragmented before the leader ${label} in this run, so leadership cannot move to a defragmented voter; ${label} is defragmented in place and the whole cluster stalls while it runs (use --all to defragment the followers first)`);
      }
    }
    steps.push(
      step(`defrag-${label}`, `Defragment ${label} (member ${i + 1} of ${n}, ${role})`, `etcdctl --endpoints=${url} --command-timeout=${Math.round(timeoutMs / 1000)}s defrag`, {
        kind: 'defrag-member',
        memberId: c.member.id,
        name: label,
        timeoutMs,
        gapThreshold: input.gapThreshold,
        expectAlarms: input.expectAlarms.length ? input.expectAlarms : undefined,
        gateTimeoutMs: input.timeouts.gateMs,
      }, [...gate, `afterwards: ${label} answers again and its applied index is within ${input.gapThreshold} entries of the leader's`]),
    );
  });
  if (leader && !input.moveLeader) {
    notes.push(`the leader ${memberLabel(leader.member)} goes last: while it is defragmented the whole cluster's reads and writes wait (--move-leader moves leadership to a defragmented voter first)`);
  }
  return { steps, order: ordered.map((c) => memberLabel(c.member)), notes, warnings };
}

function compactionLines(current: number, retain: number): string[] {
  const target = current - retain;
  return [
    `compaction first: keep the last ${retain} revisions (now: current revision ${current}, so up to revision ${target}; recomputed from the current revision when the step runs)`,
    `  history before that revision is gone for good; watchers behind it (e.g. Kubernetes informers after a disconnect) get "required revision has been compacted" and must relist`,
  ];
}

function quotaLine(quotaBytes: number, quotaGiven: boolean): string {
  return `quota: ${formatBytes(quotaBytes)}${quotaGiven ? '' : ' (assumed: etcd\'s default; etcd 3.4/3.5 do not report it, pass --quota-bytes)'}`;
}

export interface DefragInput {
  /** The rule choosing members (default DEFAULT_DEFRAG_RULE). */
  rule?: string;
  /** Every voter, whatever the rule says. */
  all?: boolean;
  /** Compact first, keeping the last N revisions. */
  compactRetain?: number;
  /** Move leadership to an already defragmented voter right before the leader's turn. */
  moveLeader: boolean;
  quotaBytes: number;
  /** Whether the operator gave the quota (else etcd's default is assumed and the preview says so). */
  quotaGiven?: boolean;
  gapThreshold: number;
  timeouts: DefragTimeouts;
}

export function planDefrag(view: ClusterView, input: DefragInput): PlanResult {
  if (input.all && input.rule !== undefined) return { ok: false, refusal: 'give --rule EXPR or --all, not both' };
  const ruleText = input.rule ?? DEFAULT_DEFRAG_RULE;
  let rule: Rule | undefined;
  if (!input.all) {
    const parsed = parseRule(ruleText);
    if (!parsed.ok) return { ok: false, refusal: ruleErrorText(ruleText, parsed) };
    rule = parsed.rule;
  }
  const list = candidates(view, { rule, all: input.all ?? false }, input.quotaBytes);
  const chosen = list.filter((c) => c.qualifies);
  const small = tooSmall(view, chosen);
  if (small) return { ok: false, refusal: small };
  const blocker = maintenanceBlocker(view, { gapThreshold: input.gapThreshold });
  if (blocker) return { ok: false, refusal: `${blocker}; a rolling defrag blocks one member at a time and needs the others healthy` };
  if (chosen.length === 0) {
    const why = list.filter((c) => c.role !== 'learner').map((c) => `${memberLabel(c.member)}: ${c.why}`);
    const compaction = input.compactRetain !== undefined ? `; the rule judges the sizes now, before the compaction frees space: compact first (etcd-tui compact --retain ${input.compactRetain}) and run defrag again` : '';
    return { ok: false, refusal: `nothing to defragment: no voter matches the rule "${ruleText}" (${why.join('; ')})${compaction}; use --all to defragment every voter anyway` };
  }
  const current = currentRevision(view);
  const warnings: string[] = [];
  const steps: PlanStep[] = [];
  const preview: string[] = [];
  const q = summarizeQuorum(view.members, view.probes);
  preview.push(`cluster: ${q.voters} voters, ${q.healthyVoters} healthy, quorum ${q.quorum}${q.learners ? `, ${q.learners} learner(s)` : ''}`);
  preview.push(input.all ? 'members: --all (every voter)' : `rule: ${ruleText}${input.rule === undefined ? ' (the default)' : ''}${input.compactRetain !== undefined ? ', judged on the sizes before the compaction' : ''}`);
  preview.push(quotaLine(input.quotaBytes, input.quotaGiven ?? true));
  if (input.compactRetain !== undefined) {
    if (current - input.compactRetain < 1) {
      warnings.push(`--compact-retain ${input.compactRetain}: the history has only ${current} revisions, so nothing is compacted; defragmenting only`);
    } else {
      preview.push(...compactionLines(current, input.compactRetain));
      steps.push(compactStep({ retain: input.compactRetain }));
    }
  }
  const planned = defragSteps(view, chosen, { moveLeader: input.moveLeader, gapThreshold: input.gapThreshold, timeouts: input.timeouts, expectAlarms: [] });
  steps.push(...planned.steps);
  warnings.push(...planned.warnings);
  const position = new Map(planned.order.map((n, i) => [n, i + 1]));
  preview.push(
    ...memberTable(list, input.quotaBytes, (c) => {
      if (!c.qualifies) return c.role === 'learner' || c.why.startsWith('skipped') ? c.why : `no: ${c.why}`;
      const at = position.get(memberLabel(c.member));
      return `yes, ${at} of ${planned.order.length}${c.why !== '--all' ? `: ${c.why}` : ''}`;
    }),
  );
  preview.push(`order: ${planned.order.join(', ')} (followers first, the leader last)`);
  preview.push(...planned.notes);
  preview.push(
    'each member blocks its own reads and writes while it is defragmented and needs free disk of about its in-use size for the temporary copy',
    `timeouts: ${chosen.map((c) => `${memberLabel(c.member)} ${formatDuration(defragTimeoutMs(c.size ?? 0, input.timeouts.commandMs))}`).join(', ')} (60 s + 30 s per started GiB of DB)`,
  );
  const plan: Plan = {
    flow: 'defrag',
    title: `Rolling defrag of ${planned.order.length} member${planned.order.length === 1 ? '' : 's'} (${planned.order.join(', ')})`,
    preview,
    warnings,
    steps,
    args: {
      rule: input.all ? undefined : ruleText,
      all: input.all ?? false,
      compactRetain: input.compactRetain,
      moveLeader: input.moveLeader,
      quotaBytes: input.quotaBytes,
      order: planned.order,
      skipped: list.filter((c) => !c.qualifies).map((c) => ({ member: memberLabel(c.member), why: c.why })),
    },
  };
  return { ok: true, plan };
}

function compactStep(input: { retain?: number; revision?: number }): PlanStep {
  if (input.revision !== undefined) {
    return step('compact', `Compact history up to revision ${input.revision}`, `etcdctl compact ${input.revision} --physical`, { kind: 'compact', revision: input.revision }, ['quorum present', 'the revision is not compacted already']);
  }
  return step(
    'compact',
    `Compact history, keeping the last ${input.retain} revisions`,
    `etcdctl compact $(( CURRENT_REVISION - ${input.retain} )) --physical   # CURRENT_REVISION: header.revision of etcdctl endpoint status -w json`,
    { kind: 'compact', retain: input.retain },
    ['quorum present', `the current revision is above ${input.retain}`],
  );
}

export interface CompactInput {
  /** Keep the last N revisions (the target is recomputed when the step runs). */
  retain?: number;
  /** Compact up to exactly this revision. */
  revision?: number;
}

export function planCompact(view: ClusterView, input: CompactInput): PlanResult {
  if ((input.retain === undefined) === (input.revision === undefined)) return { ok: false, refusal: 'give --retain N (keep the last N revisions) or --revision R, one of them' };
  const q = summarizeQuorum(view.members, view.probes);
  if (!q.hasQuorum) return { ok: false, refusal: `no quorum: ${q.healthyVoters} of ${q.voters} voters answer (needs ${q.quorum}); a compaction cannot be committed now` };
  const current = currentRevision(view);
  if (current === 0) return { ok: false, refusal: 'no member reports a revision: the cluster is not reachable' };
  const warnings: string[] = [];
  let target: number;
  if (input.revision !== undefined) {
    if (input.revision > current) return { ok: false, refusal: `revision ${input.revision} is in the future: the current revision is ${current}; nothing was compacted` };
    target = input.revision;
    if (target === current) warnings.push(`revision ${target} is the current revision: this drops the whole history (every watcher must relist); prefer --retain N`);
  } else {
    const retain = input.retain as number;
    target = current - retain;
    if (target < 1) return { ok: false, refusal: `nothing to compact: the current revision is ${current} and --retain ${retain} keeps all of it` };
  }
  const corrupt = view.alarms.filter((a) => a.alarm === 'CORRUPT');
  if (corrupt.length > 0) warnings.push(`CORRUPT is armed on ${corrupt.map((a) => name(view, a.memberId)).join(', ')}: etcd may refuse the compaction ("corrupt cluster") until the member is replaced`);
  const plan: Plan = {
    flow: 'compact',
    title: input.revision !== undefined ? `Compact history up to revision ${input.revision}` : `Compact history, keeping the last ${input.retain} revisions`,
    preview: [
      `current revision: ${current} (the highest revision the members report)`,
      input.revision !== undefined
        ? `keeps revisions ${target} to ${current} (${current - target + 1} revision(s)); everything before revision ${target} is gone for good`
        : `keeps the last ${input.retain} revisions: now revisions ${target} to ${current}, compacting up to ${target}; the target is recomputed from the current revision when the step runs`,
      `watchers behind revision ${target} (e.g. Kubernetes informers after a disconnect) get "required revision has been compacted" and must relist`,
      'the compaction is replicated to every member and waits until it is applied (--physical); the DB file does not shrink until it is defragmented (etcd-tui defrag)',
    ],
    warnings,
    steps: [compactStep(input)],
    args: { retain: input.retain, revision: input.revision, currentRevision: current },
  };
  return { ok: true, plan };
}

export interface RecoverNospaceInput {
  /** Revisions kept by the compaction (default MAINTENANCE_DEFAULTS.recoverRetain). */
  compactRetain?: number;
  quotaBytes: number;
  quotaGiven?: boolean;
  /** Every voter must end below (1 - margin) of the quota (default 0.2). */
  margin?: number;
  moveLeader?: boolean;
  gapThreshold: number;
  timeouts: DefragTimeouts;
}

/**
 * NOSPACE recovery (seed 001 §7.3 scenario 3, done safely): compact keeping a retention, defragment
 * every voter (leader last), check every voter is below the quota with a margin, then disarm NOSPACE
 * only. Unlike the seed it does not disarm first (writes would refill the DB before it shrinks), does
 * not compact to the newest revision (every watcher would relist) and never disarms CORRUPT.
 */
export function planRecoverNospace(view: ClusterView, input: RecoverNospaceInput): PlanResult {
  if (view.alarmsError) return { ok: false, refusal: `the alarm list could not be read (${view.alarmsError}): cannot tell whether NOSPACE is armed` };
  const nospace = view.alarms.filter((a) => a.alarm === 'NOSPACE');
  const corrupt = view.alarms.filter((a) => a.alarm === 'CORRUPT');
  if (nospace.length === 0) {
    return { ok: false, refusal: `no NOSPACE alarm to recover from (alarms: ${view.alarms.length ? view.alarms.map((a) => `${a.alarm} on ${name(view, a.memberId)}`).join(', ') : 'none'})` };
  }
  const list = candidates(view, { all: true }, input.quotaBytes);
  const chosen = list.filter((c) => c.qualifies);
  const small = tooSmall(view, chosen);
  if (small) return { ok: false, refusal: small };
  const blocker = maintenanceBlocker(view, { gapThreshold: input.gapThreshold, expectAlarms: ['NOSPACE', 'CORRUPT'] });
  if (blocker) return { ok: false, refusal: `${blocker}; the recovery defragments one member at a time and needs the others healthy` };
  const retain = input.compactRetain ?? MAINTENANCE_DEFAULTS.recoverRetain;
  const margin = input.margin ?? MAINTENANCE_DEFAULTS.quotaMargin;
  const maxRatio = 1 - margin;
  const current = currentRevision(view);
  const warnings: string[] = [];
  for (const a of corrupt) {
    const m = name(view, a.memberId);
    warnings.push(
      `CORRUPT is armed on ${m} and is never disarmed here: it means ${m}'s data differs from the others. Replace the member (etcd-tui member replace ${m}) or restore it from a snapshot, then disarm CORRUPT; while it is armed etcd may refuse writes and the compaction ("corrupt cluster")`,
    );
  }
  if (!(input.quotaGiven ?? true)) warnings.push(`the quota is assumed to be ${formatBytes(input.quotaBytes)} (etcd's default): pass --quota-bytes with the cluster's --quota-backend-bytes, or the check against it means little`);
  const steps: PlanStep[] = [];
  const preview: string[] = [
    `alarms: ${view.alarms.map((a) => `${a.alarm} on ${name(view, a.memberId)}`).join(', ')}: the cluster accepts only reads, deletes and compaction`,
    quotaLine(input.quotaBytes, input.quotaGiven ?? true),
  ];
  if (current - retain < 1) {
    warnings.push(`--compact-retain ${retain}: the history has only ${current} revisions, so nothing is compacted; the quota check will fail unless the DB is mostly free space`);
  } else {
    preview.push(...compactionLines(current, retain));
    steps.push(compactStep({ retain }));
  }
  const planned = defragSteps(view, chosen, { moveLeader: input.moveLeader ?? false, gapThreshold: input.gapThreshold, timeouts: input.timeouts, expectAlarms: ['NOSPACE', 'CORRUPT'] });
  steps.push(...planned.steps);
  warnings.push(...planned.warnings);
  preview.push(...memberTable(list, input.quotaBytes, (c) => (c.qualifies ? `yes, ${planned.order.indexOf(memberLabel(c.member)) + 1} of ${planned.order.length}` : c.why)));
  preview.push(`order: ${planned.order.join(', ')} (followers first, the leader last)`, ...planned.notes);
  const limit = Math.floor(input.quotaBytes * maxRatio);
  preview.push(
    `then every voter's DB must be below ${formatBytes(limit)} (${formatPercent(maxRatio)} of the quota) before NOSPACE is disarmed: otherwise the next writes raise it again`,
    `last, NOSPACE alone is disarmed on ${nospace.map((a) => name(view, a.memberId)).join(', ')} (etcdctl alarm disarm would disarm every alarm, CORRUPT included)`,
  );
  steps.push(
    step('check-quota', `Check every voter's DB is below ${formatPercent(maxRatio)} of the ${formatBytes(input.quotaBytes)} quota`, `etcdctl endpoint status --cluster -w table   # DB SIZE below ${formatBytes(limit)} on every voter`, {
      kind: 'check-quota',
      quotaBytes: input.quotaBytes,
      maxRatio,
    }),
    step('disarm-nospace', 'Disarm NOSPACE (only NOSPACE; CORRUPT stays armed)', 'etcdctl alarm list   # no etcdctl equivalent: `etcdctl alarm disarm` disarms every alarm, CORRUPT included', { kind: 'disarm-nospace' }, [
      'every voter is below the quota with the margin',
    ]),
  );
  const plan: Plan = {
    flow: 'recover-nospace',
    title: `Recover from NOSPACE: compact, defragment ${planned.order.length} voter(s), check the quota, disarm NOSPACE`,
    preview,
    warnings,
    steps,
    args: { compactRetain: retain, quotaBytes: input.quotaBytes, margin, order: planned.order, corrupt: corrupt.map((a) => name(view, a.memberId)) },
  };
  return { ok: true, plan };
}
