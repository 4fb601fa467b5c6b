/**
 * The rolling engine's pure part (seed 001 §9.2; ETCD-OPS.md "Upgrades"): the order in which members
 * are changed and restarted one at a time, where leadership moves, and the gate before each member.
 * Shared by the rolling upgrade, certificate rotation, config change and rolling restart.
 */
import type { Member, MemberId } from '../domain/types.js';
import type { Action, Plan, PlanResult, PlanStep, RollingChangeAction, UploadSource } from '../domain/plan.js';
import type { HostSpec } from '../domain/hosts.js';
import { parseEtcdVersion } from './upgrade-path.js';
import type { ClusterView } from '../health/view.js';
import { leaderAgreement, leaderIndex } from '../health/verdict.js';
import { quorumOf } from '../health/quorum.js';
import { hexId, memberLabel } from '../format/ids.js';
import { maintenanceBlocker } from './maintenance.js';

export interface RollingOrder {
  /** Members in the order they are done: followers, then learners, the leader last. */
  order: Member[];
  /** The leader when planned (done last, after leadership moved to a member already done). */
  leader?: Member;
  /** Notes for the preview. */
  notes: string[];
}

/**
 * Followers first (by name, so the order is stable), then learners (they cannot lead, they are never
 * counted for quorum, but they run the same binary), the leader last. `only` limits the run to some
 * members by name (the others are left as they are).
 */
export function rollingOrder(view: ClusterView, only?: string[], assumeLeader?: string): RollingOrder | { refusal: string } {
  // assumeLeader: the member expected to lead when this run's turn comes (a later phase of a CA change, after an earlier phase moved leadership).
  const assumed = assumeLeader ? view.members.find((m) => m.name === assumeLeader) : undefined;
  const leaderId = assumed?.id ?? leaderAgreement(view.members, view.probes).leaderId;
  let members = view.members.filter((m) => m.clientURLs.length > 0);
  if (only && only.length > 0) {
    const unknown = only.filter((n) => !members.some((m) => m.name === n));
    if (unknown.length > 0) return { refusal: `unknown member(s) ${unknown.join(', ')}; members: ${members.map((m) => m.name).join(', ')}` };
    members = members.filter((m) => only.includes(m.name));
  }
  const byName = (a: Member, b: Member) => a.name.localeCompare(b.name);
  const followers = members.filter((m) => !m.isLearner && m.id !== leaderId).sort(byName);
  const learners = members.filter((m) => m.isLearner).sort(byName);
  const leader = members.find((m) => m.id === leaderId);
  const order = [...followers, ...learners, ...(leader ? [leader] : [])];
  const notes = [`order: ${order.map((m) => memberLabel(m)).join(', ')} (followers first${learners.length ? ', learners (not counted for quorum)' : ''}${leader ? ', the leader last' : ''})`];
  if (leader) {
    if (followers.length > 0) notes.push(`before ${memberLabel(leader)}'s turn, leadership moves to a member already done (${followers.map((m) => m.name).join(' or ')}), and the move is verified`);
    else notes.push(`${memberLabel(leader)} leads and no other voter is in this run: it is restarted while leading (writes pause for one election)`);
  }
  return { order, leader, notes };
}

/** The voter leadership moves to before the leader's turn: the first member already done that answers and is caught up. */
export function moveLeaderTarget(view: ClusterView, done: MemberId[], gapThreshold: number): Member | undefined {
  const agreement = leaderAgreement(view.members, view.probes);
  const lIndex = leaderIndex(view.members, view.probes, agreement.leaderId);
  for (const id of done) {
    const m = view.members.find((x) => x.id === id);
    const p = view.probes[id];
    if (!m || m.isLearner || !p?.ok || m.id === agreement.leaderId) continue;
    if (lIndex !== undefined && lIndex - p.status.raftIndex > gapThreshold) continue;
    return m;
  }
  return undefined;
}

/**
 * Why the run must not go on to this member now, or undefined when the gate passes: the cluster
 * healthy by the verdict (no alarm, one leader, indexes within the threshold), and it tolerates losing
 * this member while it restarts. A learner's restart costs no quorum.
 */
export function rollingGate(view: ClusterView, memberId: MemberId, opts: { gapThreshold: number }): string | undefined {
  // Mixed versions are what a rolling upgrade goes through: not a reason to stop it.
  const blocker = maintenanceBlocker(view, { gapThreshold: opts.gapThreshold, allowMixedVersions: true });
  if (blocker) return blocker;
  const target = view.members.find((m) => m.id === memberId);
  if (!target) return `the member is not in the member list any more`;
  for (const [id, p] of Object.entries(view.probes)) {
    if (!p.ok) continue;
    const lag = p.status.raftIndex - p.status.raftAppliedIndex;
    if (lag > opts.gapThreshold) return `${memberLabel(view.members.find((m) => m.id === id), id)} has ${lag} committed entries not applied yet (more than ${opts.gapThreshold}): wait until it catches up`;
  }
  if (target.isLearner) return undefined;
  const voters = view.members.filter((m) => !m.isLearner);
  const healthyWithout = voters.filter((m) => m.id !== memberId && view.probes[m.id]?.ok === true).length;
  const q = quorumOf(voters.length);
  if (healthyWithout < q) {
    return `restarting ${memberLabel(target)} would leave ${healthyWithout} healthy voter(s) of ${voters.length}, below quorum ${q}: a rolling run needs 3 voters or more, all healthy`;
  }
  return undefined;
}

/** What a rolling run changes on each member. */
export type RollingChange =
  /** Nothing: restart only (after OS patching). */
  | { kind: 'restart' }
  /** A new etcd binary: uploaded, swapped in with the old one kept, the member restarted on it. */
  | { kind: 'upgrade'; source: UploadSource; version: string; snapshotFile?: string; snapshotEach?: boolean }
  /** New env files rendered from the templates (src/plans/config-change.ts): uploaded with backups, the settings verified. */
  | ({ kind: 'config' } & FilesChange)
  /** New member certificates from the CA dir (src/plans/rotate-certs.ts): uploaded with backups, the presented serial verified. */
  | ({ kind: 'certs' } & FilesChange);

/** A change that puts files on each member's host, then checks what the member shows. */
export interface FilesChange {
  title: string;
  /** Preview lines (the per-host diff, the notes). */
  notes: string[];
  /** By inventory host name: the hosts of the run. */
  perHost: Record<string, HostFilesChange>;
}

export interface HostFilesChange {
  changeTitle: string;
  /** The equivalent command line. */
  changeCommand: string;
  files: Extract<RollingChangeAction, { kind: 'rolling-put-files' }>['files'];
  verifyTitle: string;
  verifyCommand: string;
  verify: Exclude<RollingChangeAction, { kind: 'rolling-put-files' }>;
}

export interface RollingInput {
  hosts: HostSpec[];
  change: RollingChange;
  /** Only these members (by name); default all. */
  only?: string[];
  gapThreshold: number;
  timeouts: { gateMs: number; restartMs: number; backMs: number; moveLeaderMs: number; snapshotMs: number };
  /** Preview lines from the preflight (path check, flag check). */
  notes?: string[];
  /** The member expected to lead when the run starts (default: the view's leader); a CA change's later phases. */
  assumeLeader?: string;
}

/** The snapshot taken before one member (upgrade, "a snapshot before every member"): beside the first one, named after the member. */
export function memberSnapshotFile(first: string, member: string): string {
  return `${first.replace(/\.db$/, '')}-before-${member}.db`;
}

function rstep(id: string, title: string, command: string, action: Action): PlanStep {
  return { id, title, command, action, preconditions: [] };
}

function ssh(h: HostSpec, argv: string[]): string {
  return `ssh ${h.ssh.user}@${h.ssh.address}${h.ssh.port !== 22 ? ` -p ${h.ssh.port}` : ''} ${argv.join(' ')}`;
}

/**
 * A rolling restart or upgrade: for each member in rolling order, the gate, the change, a restart,
 * the wait until it is back, and its point of no return; leadership moves to a member already done
 * before the leader's turn. An upgrade saves a verified snapshot from the leader first and, after the
 * last member, waits for the cluster version to move to the new minor.
 */
export function planRolling(view: ClusterView, input: RollingInput): PlanResult {
  if (view.members.length === 0) return { ok: false, refusal: `no member list: the cluster is not reachable${view.membershipError ? ` (${view.membershipError.error})` : ''}` };
  const ordered = rollingOrder(view, input.only, input.assumeLeader);
  if ('refusal' in ordered) return { ok: false, refusal: ordered.refusal };
  const hostOf = (m: Member) => input.hosts.find((h) => h.name === m.name) ?? input.hosts.find((h) => m.peerURLs.some((u) => u.includes(`//${h.etcdAddress}:${h.peerPort}`) || u.includes(`//[${h.etcdAddress}]:${h.peerPort}`)));
  const missing = ordered.order.filter((m) => !hostOf(m));
  if (missing.length > 0) return { ok: false, refusal: `${missing.map((m) => memberLabel(m)).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not a host of this context: a rolling run restarts members over SSH (add ${missing.length > 1 ? 'them' : 'it'} to the context's hosts, or name the members to do)` };
  const first = ordered.order[0];
  // One member named and it is down: its restart is the recovery step, with no gate (the cluster
  // cannot lose what it has lost already); the wait after it still wants the cluster healthy.
  const recovery = ordered.order.length === 1 && input.change.kind === 'restart' && view.probes[first.id]?.ok !== true ? first : undefined;
  if (recovery) ordered.notes.push(`${memberLabel(recovery)} is down: restarting it is the recovery step, so no gate before it (the cluster cannot lose what it has lost already)`);
  const gate = first && !recovery ? rollingGate(view, first.id, { gapThreshold: input.gapThreshold }) : undefined;
  if (gate) return { ok: false, refusal: `the cluster is not ready for a rolling run: ${gate}` };
  const steps: PlanStep[] = [];
  const change = input.change;
  if (change.kind === 'config' || change.kind === 'certs') {
    const unprepared = ordered.order.filter((m) => !change.perHost[(hostOf(m) as HostSpec).name]);
    if (unprepared.length > 0) return { ok: false, refusal: `${unprepared.map((m) => m.name).join(', ')}: no new files prepared (the preflight did not read ${unprepared.length > 1 ? 'them' : 'it'}); name the hosts to change` };
  }
  if (change.kind === 'upgrade' && change.snapshotFile) {
    const leader = ordered.leader ?? first;
    steps.push(rstep('snapshot', `Save a verified snapshot from ${leader.name} to ${change.snapshotFile}`, `etcdctl --endpoints=${leader.clientURLs[0]} snapshot save ${change.snapshotFile}`, { kind: 'snapshot-save', memberId: leader.id, name: leader.name, file: change.snapshotFile, timeoutMs: input.timeouts.snapshotMs }));
  }
  const done: Member[] = [];
  for (const m of ordered.order) {
    const h = hostOf(m) as HostSpec;
    if (ordered.leader && m.id === ordered.leader.id) {
      const to = done.find((d) => !d.isLearner);
      if (to) {
        steps.push(rstep(`move-${m.name}`, `Move leadership from ${m.name} to ${to.name} (done already)`, `etcdctl --endpoints=${m.clientURLs[0]} move-leader ${hexId(to.id)}`, { kind: 'move-leader', fromId: m.id, toId: to.id, toName: to.name, timeoutMs: input.timeouts.moveLeaderMs }));
      }
    }
    // "A snapshot before every member": the members after the first get one too, from a member that stays up (the leader, or where leadership went).
    if (change.kind === 'upgrade' && change.snapshotEach && change.snapshotFile && done.length > 0) {
      const from = ordered.leader && m.id !== ordered.leader.id ? ordered.leader : (done.find((d) => !d.isLearner) ?? done[0]);
      const file = memberSnapshotFile(change.snapshotFile, m.name);
      steps.push(rstep(`snapshot-${m.name}`, `Save a verified snapshot from ${from.name} to ${file} (before ${m.name})`, `etcdctl --endpoints=${from.clientURLs[0]} snapshot save ${file}`, { kind: 'snapshot-save', memberId: from.id, name: from.name, file, timeoutMs: input.timeouts.snapshotMs }));
    }
    if (m !== recovery) steps.push(rstep(`gate-${m.name}`, `Gate before ${m.name}: healthy, tolerates losing it, applies caught up`, 'etcdctl endpoint health --cluster && etcdctl endpoint status --cluster -w table', { kind: 'rolling-gate', memberId: m.id, name: m.name, gapThreshold: input.gapThreshold, timeoutMs: input.timeouts.gateMs }));
    if (change.kind === 'upgrade') {
      const src = change.source.kind === 'text' ? '-' : change.source.path;
      steps.push(rstep(`swap-${m.name}`, `Put etcd ${change.version} in place on ${m.name} (the old binary kept as a backup)`, `scp ${src} ${h.ssh.user}@${h.ssh.address}:${h.binaryPath}`, { kind: 'rolling-swap-binary', host: h.name, source: change.source, remotePath: h.binaryPath, unit: h.unitName, what: `etcd ${change.version}` }));
    }
    const filesChange = change.kind === 'config' || change.kind === 'certs' ? change.perHost[h.name] : undefined;
    if (filesChange) steps.push(rstep(`change-${m.name}`, filesChange.changeTitle, filesChange.changeCommand, { kind: 'rolling-put-files', host: h.name, unit: h.unitName, files: filesChange.files }));
    steps.push(
      rstep(`restart-${m.name}`, `Restart etcd on ${m.name}`, ssh(h, ['systemctl', 'restart', `${h.unitName}.service`]), { kind: 'remote-service-restart', host: h.name, unit: h.unitName, timeoutMs: input.timeouts.restartMs }),
      rstep(`back-${m.name}`, `Wait until ${m.name} is back${change.kind === 'upgrade' ? ` on ${change.version}` : ''}, caught up, the cluster healthy`, `etcdctl endpoint status --endpoints=${m.clientURLs[0]} -w table`, {
        kind: 'wait-member-back',
        host: h.name,
        memberId: m.id,
        name: m.name,
        ...(change.kind === 'upgrade' ? { expectVersion: change.version } : {}),
        gapThreshold: input.gapThreshold,
        timeoutMs: input.timeouts.backMs,
      }),
      rstep(`done-${m.name}`, `${m.name} done`, `# ${m.name} verified`, { kind: 'rolling-member-done', name: m.name }),
    );
    // The change shows on the member (setting, certificate serial) before it is done: else it is rolled back.
    if (filesChange) steps.splice(steps.length - 1, 0, rstep(`verify-${m.name}`, filesChange.verifyTitle, filesChange.verifyCommand, filesChange.verify));
    done.push(m);
  }
  const versions = [...new Set(Object.values(view.probes).flatMap((p) => (p.ok ? [p.status.version] : [])))];
  if (change.kind === 'upgrade') {
    const target = parseEtcdVersion(change.version);
    const lowest = versions.map(parseEtcdVersion).filter((v): v is NonNullable<typeof v> => Boolean(v)).sort((a, b) => a.minor - b.minor)[0];
    if (target && lowest && target.minor > lowest.minor && (!input.only || input.only.length === 0)) {
      steps.push(rstep('cluster-version', `Wait until the cluster version is ${target.major}.${target.minor}`, 'curl -s https://MEMBER:2379/version   # etcdcluster', { kind: 'wait-cluster-version', minor: `${target.major}.${target.minor}`, timeoutMs: input.timeouts.backMs }));
    }
  }
  const preview = [
    ...ordered.notes,
    `now: ${versions.length === 1 ? `every member on ${versions[0]}` : `mixed versions ${versions.join(', ')}`}`,
    ...(change.kind === 'upgrade' ? [`each member gets etcd ${change.version}${change.snapshotFile ? `; a verified snapshot from the leader first: ${change.snapshotFile}${change.snapshotEach ? ', and one before every other member beside it' : ''}` : ''}`] : change.kind === 'config' || change.kind === 'certs' ? change.notes : ['no change: each member is restarted (after OS patching, say)']),
    `a member that does not come back healthy in time is rolled back (${change.kind === 'config' || change.kind === 'certs' ? 'its old files' : 'the old binary'} back, restarted) and the run stops there; the members done stay done`,
    ...(input.notes ?? []),
  ];
  const plan: Plan = {
    flow: change.kind === 'upgrade' ? 'upgrade' : change.kind === 'config' ? 'config-change' : change.kind === 'certs' ? 'rotate-certs' : 'rolling-restart',
    title: change.kind === 'upgrade' ? `Rolling upgrade to etcd ${change.version}` : change.kind === 'config' || change.kind === 'certs' ? change.title : 'Rolling restart',
    preview,
    warnings: [],
    steps,
    rollbackOnFailure: true,
    args: { ...(input.only?.length ? { only: input.only } : {}), ...(change.kind === 'upgrade' ? { version: change.version, snapshot: change.snapshotFile } : {}) },
  };
  return { ok: true, plan };
}
