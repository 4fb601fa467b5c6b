/**
 * Membership planners: add a learner, promote it, remove a member, replace a failed member, move
 * the leader. Pure: each takes the cluster view and the operator's input and returns a plan or a
 * refusal that says why and what to do (ETCD-OPS.md, "Membership").
 */
import type { Action, Plan, PlanResult, PlanStep } from '../domain/plan.js';
import { initialClusterString as joinInitialCluster } from '../domain/hosts.js';
import type { Member, MemberId } from '../domain/types.js';
import type { ClusterView } from '../health/view.js';
import { leaderAgreement, leaderIndex } from '../health/verdict.js';
import { quorumOf } from '../health/quorum.js';
import { hexId, memberLabel, parseMemberId } from '../format/ids.js';
import { formatDuration } from '../format/units.js';

/** Find a member by name, hex ID or decimal ID. */
export function resolveMember(view: ClusterView, ref: string, names: Record<string, string> = {}): { ok: true; member: Member } | { ok: false; refusal: string } {
  const text = ref.trim();
  if (!text) return { ok: false, refusal: 'no member given: name a member by its name or ID' };
  const byName = view.members.filter((m) => m.name === text);
  if (byName.length === 1) return { ok: true, member: byName[0] };
  if (byName.length > 1) return { ok: false, refusal: `"${text}" is ambiguous: ${byName.length} members have that name; use the hex ID (${byName.map((m) => hexId(m.id)).join(', ')})` };
  // A member that has not started yet has no name in etcd: the name the add flow gave it (audit log).
  const byGiven = view.members.filter((m) => !m.name && names[hexId(m.id)] === text);
  if (byGiven.length === 1) return { ok: true, member: byGiven[0] };
  // An ID as etcdctl prints it (hex, even when all its digits are decimal ones), 0x-hex, or decimal.
  const t = text.toLowerCase();
  const byHex = /^[0-9a-f]{1,16}$/.test(t) ? view.members.find((m) => hexId(m.id) === t.replace(/^0+(?=.)/, '')) : undefined;
  if (byHex) return { ok: true, member: byHex };
  const id = parseMemberId(text);
  const byId = id ? view.members.find((m) => m.id === id) : undefined;
  if (byId) return { ok: true, member: byId };
  const known = view.members.map((m) => `${memberLabel(m)} (${hexId(m.id)})`).join(', ');
  return { ok: false, refusal: `unknown member "${text}"; members: ${known || 'none known (is the cluster reachable?)'}` };
}

/** Parse and check peer URLs: http(s)://host:port, no path, the scheme the other members use. */
export function validatePeerURLs(text: string, members: Member[]): { ok: true; urls: string[] } | { ok: false; refusal: string } {
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0) return { ok: false, refusal: 'no peer URL given (example: https://10.0.0.4:2380)' };
  const urls: string[] = [];
  for (const p of parts) {
    let u: URL;
    try {
      u = new URL(p);
    } catch {
      return { ok: false, refusal: `peer URL "${p}" is not a URL (example: https://10.0.0.4:2380)` };
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return { ok: false, refusal: `peer URL "${p}" must use http:// or https://` };
    if (!u.port) return { ok: false, refusal: `peer URL "${p}" has no port (etcd peers usually listen on 2380)` };
    if (Number(u.port) === 0) return { ok: false, refusal: `peer URL "${p}" has port 0: etcd cannot listen on it and the member could never start (use 1-65535, usually 2380)` };
    if ((u.pathname && u.pathname !== '/') || u.search || u.hash) return { ok: false, refusal: `peer URL "${p}" must be scheme://host:port, without a path` };
    urls.push(`${u.protocol}//${u.host}`);
  }
  const schemes = new Set(members.flatMap((m) => m.peerURLs).map((u) => u.split(':')[0]));
  for (const u of urls) {
    const scheme = u.split(':')[0];
    if (schemes.size > 0 && !schemes.has(scheme)) {
      return { ok: false, refusal: `peer URL ${u} uses ${scheme}:// but the other members use ${[...schemes].join('/')}:// (peer TLS must match)` };
    }
    const owner = members.find((m) => m.peerURLs.includes(u));
    if (owner) return { ok: false, refusal: `peer URL ${u} is already used by ${memberLabel(owner)} (${hexId(owner.id)})` };
  }
  return { ok: true, urls };
}

/** The ETCD_INITIAL_CLUSTER string: every member by name (the new one by the typed name), as etcdctl prints it. */
export function initialClusterString(members: Member[], newName: string, newPeerURLs: string[]): string {
  return joinInitialCluster([...members.flatMap((m) => m.peerURLs.map((peerURL) => ({ name: m.name, peerURL }))), ...newPeerURLs.map((peerURL) => ({ name: newName, peerURL }))]);
}

/** The env block the new node must start with, in the form `etcdctl member add` prints (seed 004). */
export function envBlock(members: Member[], newName: string, newPeerURLs: string[]): string[] {
  return envLines(envEntries(members, newName, newPeerURLs));
}

/** Env entries as the lines of an env file: KEY="value". */
export function envLines(entries: ReadonlyArray<{ key: string; value: string }>): string[] {
  return entries.map((e) => `${e.key}="${e.value}"`);
}

/** The env block as data: the variables the new node must start with, in order. */
export function envEntries(members: Member[], newName: string, newPeerURLs: string[]): Array<{ key: string; value: string }> {
  return [
    { key: 'ETCD_NAME', value: newName },
    { key: 'ETCD_INITIAL_CLUSTER', value: initialClusterString(members, newName, newPeerURLs) },
    { key: 'ETCD_INITIAL_ADVERTISE_PEER_URLS', value: newPeerURLs.join(',') },
    { key: 'ETCD_INITIAL_CLUSTER_STATE', value: 'existing' },
  ];
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

function healthyVoters(view: ClusterView): Member[] {
  return view.members.filter((m) => !m.isLearner && view.probes[m.id]?.ok === true);
}

export function hasQuorum(view: ClusterView): { ok: true } | { ok: false; refusal: string } {
  const voters = view.members.filter((m) => !m.isLearner).length;
  const healthy = healthyVoters(view).length;
  if (voters === 0) return { ok: false, refusal: 'no member list: the cluster is not reachable' };
  if (healthy < quorumOf(voters)) {
    return { ok: false, refusal: `no quorum: ${healthy} of ${voters} voters answer (needs ${quorumOf(voters)}); a membership change cannot be committed now` };
  }
  return { ok: true };
}

export function quorumPreview(view: ClusterView, target?: Member): string[] {
  const voters = view.members.filter((m) => !m.isLearner);
  const healthy = healthyVoters(view);
  const q = quorumOf(voters.length);
  const lines = [`now: ${voters.length} voters, ${healthy.length} healthy, quorum ${q}, tolerates ${Math.max(-1, healthy.length - q)} failure(s)`];
  if (target && !target.isLearner) {
    const after = voters.length - 1;
    const healthyAfter = healthy.length - (healthy.some((m) => m.id === target.id) ? 1 : 0);
    const qAfter = quorumOf(after);
    lines.push(`after removing ${memberLabel(target)}: ${after} voters, ${healthyAfter} healthy, quorum ${qAfter}, tolerates ${healthyAfter - qAfter} failure(s)`);
  } else if (target) {
    lines.push(`after removing learner ${memberLabel(target)}: voters and quorum unchanged (learners do not vote)`);
  }
  return lines;
}

function step(id: string, title: string, command: string, action: Action, preconditions: string[] = []): PlanStep {
  return { id, title, command, action, preconditions };
}

export interface AddLearnerInput {
  name: string;
  /** Comma-separated peer URLs. */
  peerURLs: string;
}

/** Checks shared by add-learner and replace: the name and URLs are free and the learner slot is too. */
export function checkAdd(view: ClusterView, name: string, peerURLs: string, opts: { ignore?: MemberId } = {}): { ok: true; urls: string[] } | { ok: false; refusal: string } {
  const others = view.members.filter((m) => m.id !== opts.ignore);
  if (!NAME_RE.test(name)) return { ok: false, refusal: `member name "${name}" is not valid: use letters, digits, dot, dash, underscore (e.g. etcd-4)` };
  const sameName = others.find((m) => m.name === name);
  if (sameName) return { ok: false, refusal: `the name ${name} is already used by member ${hexId(sameName.id)}; choose another name` };
  const urls = validatePeerURLs(peerURLs, others);
  if (!urls.ok) return urls;
  const pending = others.find((m) => m.clientURLs.length === 0 || !m.name);
  if (pending) {
    return { ok: false, refusal: `member ${hexId(pending.id)} (${pending.peerURLs.join(',')}) was added but never started: start it or remove it first (one membership change at a time)` };
  }
  const learner = others.find((m) => m.isLearner);
  if (learner) {
    return { ok: false, refusal: `too many learners: etcd allows at most one learner (3.6: --max-learners) and ${memberLabel(learner)} is one; promote or remove it first` };
  }
  const down = disconnectedVoters(view, opts.ignore);
  if (down.length > 0) return { ok: false, refusal: addBlockedRefusal(view, down, opts.ignore) };
  return urls;
}

/**
 * Voters (other than `ignore`) that do not answer. etcd 3.4/3.5 refuse every member add, a learner
 * too, with "the cluster is unhealthy" while any voter is not connected to the member handling it
 * (`mayAddMember` -> `isConnectedFullySince` over the voting members; ETCD-OPS.md "Membership").
 */
export function disconnectedVoters(view: ClusterView, ignore?: MemberId): Member[] {
  return view.members.filter((m) => !m.isLearner && m.id !== ignore && m.clientURLs.length > 0 && view.probes[m.id]?.ok !== true);
}

/** Why an add cannot succeed with these voters down, and what the operator can do first. */
function addBlockedRefusal(view: ClusterView, down: Member[], ignore?: MemberId): string {
  const one = down.length === 1;
  const names = down.map((m) => `${memberLabel(m)} (${hexId(m.id)})`).join(', ');
  const voters = view.members.filter((m) => !m.isLearner);
  const healthy = healthyVoters(view).length;
  const left = voters.length - down.length - (ignore ? 1 : 0);
  const removeHint =
    left >= 2 && healthy >= quorumOf(left)
      ? `remove ${one ? 'it' : 'them'} first (${down.map((m) => `:remove ${m.name || hexId(m.id)}`).join(', ')}), then add`
      : `removing ${one ? 'it' : 'them'} would leave ${left} voter(s) without a safe quorum: bring ${one ? 'it' : 'them'} back first`;
  return `etcd refuses any member add (a learner too) while a voter is disconnected, and ${names} ${one ? 'does' : 'do'} not answer: bring ${one ? 'it' : 'them'} back, or ${removeHint}${ignore ? '; nothing has been changed' : ''}`;
}

export function planAddLearner(view: ClusterView, input: AddLearnerInput): PlanResult {
  const quorum = hasQuorum(view);
  if (!quorum.ok) return quorum;
  const name = input.name.trim();
  const checked = checkAdd(view, name, input.peerURLs);
  if (!checked.ok) return checked;
  const urls = checked.urls;
  const plan: Plan = {
    flow: 'add-learner',
    title: `Add ${name} as a learner`,
    preview: [
      ...quorumPreview(view),
      `${name} joins as a learner: it receives the log but does not vote, so quorum is unchanged until it is promoted`,
      'after the step, start etcd on the new node with this env block (its data dir must be empty):',
      ...envBlock(view.members, name, urls).map((l) => `  ${l}`),
    ],
    warnings: [],
    steps: [
      step('add', `Add ${name} (${urls.join(',')}) as a learner`, `etcdctl member add ${name} --peer-urls=${urls.join(',')} --learner`, { kind: 'member-add', name, peerURLs: urls, isLearner: true }, [
        'quorum present',
        'no other learner, no unstarted member',
        'name and peer URLs unused',
      ]),
    ],
    args: { name, peerURLs: urls },
  };
  return { ok: true, plan };
}

export interface PromoteInput {
  member: string;
  waitMs: number;
  /** Names the add flows gave to members not started yet, by hex ID (PlanEnv.memberNames). */
  names?: Record<string, string>;
}

/** A member's name for the operator: etcd's, else the one the add flow gave it, else "(unstarted HEX)". */
export function givenLabel(m: Member, names: Record<string, string> = {}): string {
  return m.name || names[hexId(m.id)] || memberLabel(m);
}

/** A promote stops waiting for a learner once nothing has listened on its peer URL for this long. */
export const PROMOTE_DOWN_AFTER_MS = 5_000;

export function planPromote(view: ClusterView, input: PromoteInput): PlanResult {
  const found = resolveMember(view, input.member, input.names);
  if (!found.ok) return found;
  const m = found.member;
  const label = givenLabel(m, input.names);
  if (!m.isLearner) return { ok: false, refusal: `${label} is already a voting member; only a learner can be promoted` };
  const quorum = hasQuorum(view);
  if (!quorum.ok) return quorum;
  const voters = view.members.filter((x) => !x.isLearner).length;
  // A new member answers (and publishes its name and client URLs) only once it has applied the log up
  // to its own start: until then it is catching up, so wait for it rather than refuse.
  const started = m.clientURLs.length > 0;
  const steps: PlanStep[] = [];
  if (!started) {
    steps.push(
      step('start', `Wait for ${label} to start and publish itself (it catches up first)`, 'etcdctl member list   # the learner shows its name and client URLs once started', {
        kind: 'wait-started',
        name: label,
        peerURLs: m.peerURLs,
        timeoutMs: input.waitMs,
        downAfterMs: PROMOTE_DOWN_AFTER_MS,
      }),
    );
  }
  steps.push(
    step('catch-up', `Wait until ${label} has caught up with the leader`, 'etcdctl endpoint status --cluster -w table   # RAFT APPLIED INDEX of the learner vs the leader\'s RAFT INDEX', {
      kind: 'wait-caught-up',
      name: label,
      memberId: m.id,
      ratio: 0.9,
      timeoutMs: input.waitMs,
      downAfterMs: PROMOTE_DOWN_AFTER_MS,
    }),
    step('promote', `Promote ${label} to a voting member`, `etcdctl member promote ${hexId(m.id)}`, { kind: 'member-promote', name: label, memberId: m.id, waitMs: input.waitMs }, ['the learner is in sync with the leader']),
  );
  const plan: Plan = {
    flow: 'promote',
    title: `Promote learner ${label}`,
    preview: [
      ...quorumPreview(view),
      ...(started ? [] : [`${label} has not started yet (or is still catching up): the first step waits up to ${formatDuration(input.waitMs)} for it`]),
      `after promoting ${label}: ${voters + 1} voters, quorum ${quorumOf(voters + 1)}`,
      `the leader refuses to promote a learner that is not in sync (log match >= 90 %): wait for catch-up, then retry with backoff for up to ${formatDuration(input.waitMs)}`,
    ],
    warnings: (voters + 1) % 2 === 0 ? [`${voters + 1} voters is an even number: it tolerates no more failures than ${voters} and needs a larger quorum`] : [],
    steps,
    args: { member: label, id: m.id, waitMs: input.waitMs },
  };
  return { ok: true, plan };
}

/** A voter that can take over leadership: healthy, caught up, not the excluded one. */
export function leaderCandidates(view: ClusterView, exclude: MemberId[], gapThreshold: number): Array<{ member: Member; ok: boolean; reason?: string }> {
  const agreement = leaderAgreement(view.members, view.probes);
  const lIndex = leaderIndex(view.members, view.probes, agreement.leaderId);
  return view.members
    .filter((m) => !exclude.includes(m.id))
    .map((m) => {
      const p = view.probes[m.id];
      if (m.isLearner) return { member: m, ok: false, reason: 'a learner cannot lead (promote it first)' };
      if (!p?.ok) return { member: m, ok: false, reason: `unreachable${p && !p.ok ? `: ${p.error}` : ''}` };
      if (agreement.leaderId === m.id) return { member: m, ok: false, reason: 'already the leader' };
      const gap = lIndex !== undefined ? lIndex - p.status.raftIndex : 0;
      if (gap > gapThreshold) return { member: m, ok: false, reason: `trails the leader by ${gap} entries` };
      return { member: m, ok: true };
    });
}

export interface MoveLeaderInput {
  member: string;
  timeoutMs: number;
  gapThreshold: number;
}

export function planMoveLeader(view: ClusterView, input: MoveLeaderInput): PlanResult {
  const found = resolveMember(view, input.member);
  if (!found.ok) return found;
  const target = found.member;
  const leaderId = leaderAgreement(view.members, view.probes).leaderId;
  const leader = view.members.find((m) => m.id === leaderId);
  if (!leader || !view.probes[leader.id]?.ok) return { ok: false, refusal: 'no reachable leader: leadership can only be moved by the current leader' };
  const candidate = leaderCandidates(view, [], input.gapThreshold).find((c) => c.member.id === target.id);
  if (!candidate?.ok) return { ok: false, refusal: `${memberLabel(target)} cannot take over leadership: ${candidate?.reason ?? 'unknown'}` };
  const plan: Plan = {
    flow: 'move-leader',
    title: `Move leadership from ${leader.name} to ${target.name}`,
    preview: [`leader now: ${leader.name} (${hexId(leader.id)}); new leader: ${target.name} (${hexId(target.id)})`, 'writes pause for about one election while leadership moves'],
    warnings: [],
    steps: [
      step('move', `Move leadership to ${target.name}`, `etcdctl --endpoints=${leader.clientURLs[0]} move-leader ${hexId(target.id)}`, {
        kind: 'move-leader',
        fromId: leader.id,
        toId: target.id,
        toName: target.name,
        timeoutMs: input.timeoutMs,
      }, [`${target.name} is a healthy voter within ${input.gapThreshold} entries of the leader`, 'the request goes to the current leader']),
    ],
    args: { member: target.name, id: target.id, from: leader.name },
  };
  return { ok: true, plan };
}

export interface RemoveInput {
  member: string;
  /** Move leadership away first when the target leads (default true). */
  moveLeaderFirst: boolean;
  gapThreshold: number;
  moveTimeoutMs: number;
  /** Names the add flows gave to members not started yet, by hex ID (PlanEnv.memberNames). */
  names?: Record<string, string>;
}

/** The quorum rules for removing one member; undefined when it is allowed. */
export function removeRefusal(view: ClusterView, target: Member): string | undefined {
  if (target.isLearner) return undefined;
  const voters = view.members.filter((m) => !m.isLearner);
  const healthy = healthyVoters(view);
  if (voters.length <= 1) return `${memberLabel(target)} is the last voting member: removing it would destroy the cluster`;
  if (voters.length === 2) {
    return `never remove a member from a 2-member cluster: if the remaining member is the follower and the removal is not applied on both, the cluster loses quorum for good; add a third member first`;
  }
  const healthyAfter = healthy.length - (healthy.some((m) => m.id === target.id) ? 1 : 0);
  const qAfter = quorumOf(voters.length - 1);
  if (healthyAfter < qAfter) {
    return `removing ${memberLabel(target)} would leave ${healthyAfter} healthy voter(s) of ${voters.length - 1}, below quorum ${qAfter}; bring the unhealthy members back (or remove a dead one) first`;
  }
  if (healthy.length < quorumOf(voters.length)) {
    return `no quorum now (${healthy.length} of ${voters.length} voters answer): the removal cannot be committed`;
  }
  return undefined;
}

export function planRemove(view: ClusterView, input: RemoveInput): PlanResult {
  const found = resolveMember(view, input.member, input.names);
  if (!found.ok) return found;
  const target = found.member;
  const refusal = removeRefusal(view, target);
  if (refusal) return { ok: false, refusal };
  const steps: PlanStep[] = [];
  const warnings: string[] = [];
  const leaderId = leaderAgreement(view.members, view.probes).leaderId;
  const label = memberLabel(target);
  if (target.id === leaderId) {
    if (input.moveLeaderFirst) {
      const next = leaderCandidates(view, [target.id], input.gapThreshold).find((c) => c.ok);
      if (!next) return { ok: false, refusal: `${label} is the leader and no healthy, caught-up voter can take over; fix the other members first` };
      steps.push(
        step('move', `Move leadership from ${label} to ${next.member.name}`, `etcdctl --endpoints=${target.clientURLs[0]} move-leader ${hexId(next.member.id)}`, {
          kind: 'move-leader',
          fromId: target.id,
          toId: next.member.id,
          toName: next.member.name,
          timeoutMs: input.moveTimeoutMs,
        }),
      );
    } else {
      warnings.push(`${label} is the leader: removing it forces an election (writes pause); moving leadership first is safer`);
    }
  }
  steps.push(
    step('remove', `Remove ${label} (${hexId(target.id)}) from the cluster`, `etcdctl member remove ${hexId(target.id)}`, { kind: 'member-remove', name: label, memberId: target.id }, [
      'the remaining healthy voters keep quorum',
    ]),
  );
  if (view.probes[target.id]?.ok) warnings.push(`${label} is running: once removed, its etcd process stops by itself; its data dir must not be reused (move it aside before the node rejoins)`);
  const plan: Plan = {
    flow: 'remove',
    title: `Remove member ${label}`,
    preview: quorumPreview(view, target),
    warnings,
    steps,
    confirmPhrase: target.name || hexId(target.id),
    args: { member: label, id: target.id, moveLeaderFirst: input.moveLeaderFirst },
  };
  return { ok: true, plan };
}

export interface ReplaceInput {
  member: string;
  /** The replacement's name (default: the failed member's name). */
  newName?: string;
  /** The replacement's peer URLs (default: the failed member's). */
  peerURLs?: string;
  /** The member must be unreachable for this long before it is removed. */
  downForMs: number;
  /** How long to wait for the replacement to start, catch up and be promoted. */
  waitMs: number;
  /** How long the member has been unreachable already, as the console has seen it (0 headless). */
  downSinceMs?: number;
}

export function planReplace(view: ClusterView, input: ReplaceInput): PlanResult {
  const found = resolveMember(view, input.member);
  if (!found.ok) return found;
  const target = found.member;
  const label = memberLabel(target);
  if (target.isLearner) return { ok: false, refusal: `${label} is a learner: remove it and add a new learner instead` };
  const probe = view.probes[target.id];
  if (probe?.ok) return { ok: false, refusal: `${label} answers (it is up): replace only a member that is down; to retire a healthy member use :remove` };
  const refusal = removeRefusal(view, target);
  if (refusal) return { ok: false, refusal };
  const name = (input.newName ?? target.name).trim();
  const peerText = input.peerURLs ?? target.peerURLs.join(',');
  const checked = checkAdd(view, name, peerText, { ignore: target.id });
  if (!checked.ok) return checked;
  const urls = checked.urls;
  const remaining = view.members.filter((m) => m.id !== target.id);
  const warnings: string[] = [];
  if (probe && !probe.ok && probe.kind === 'timeout') {
    warnings.push(`${label} does not answer within the deadline but may still be running (hung, e.g. stopped by SIGSTOP): while its process holds ${urls.join(',')}, a replacement on the same host cannot bind; stop that process first`);
  }
  const confirmDown = Math.max(0, input.downForMs - (input.downSinceMs ?? 0));
  const steps: PlanStep[] = [
    step('confirm-down', `Confirm ${label} is down: unreachable for ${formatDuration(input.downForMs)}, not just slow`, `etcdctl endpoint status --endpoints=${target.clientURLs[0] ?? '?'}   # keeps failing`, {
      kind: 'confirm-down',
      name: label,
      memberId: target.id,
      forMs: confirmDown,
    }),
    step('remove', `Remove ${label} (${hexId(target.id)})`, `etcdctl member remove ${hexId(target.id)}`, { kind: 'member-remove', name: label, memberId: target.id }, ['it has been unreachable for the threshold', 'the remaining healthy voters keep quorum']),
    step('add', `Add ${name} (${urls.join(',')}) as a learner`, `etcdctl member add ${name} --peer-urls=${urls.join(',')} --learner`, { kind: 'member-add', name, peerURLs: urls, isLearner: true }),
    step('start', `Wait for ${name} to start (start etcd on the new node with the env block, empty data dir)`, `etcdctl endpoint status --endpoints=<new client URL>`, { kind: 'wait-started', name, peerURLs: urls, timeoutMs: input.waitMs }),
    step('catch-up', `Wait until ${name} has caught up`, 'etcdctl endpoint status --cluster -w table', { kind: 'wait-caught-up', name, peerURLs: urls, ratio: 0.9, timeoutMs: input.waitMs }),
    step('promote', `Promote ${name}`, `etcdctl member promote <new ID>`, { kind: 'member-promote', name, peerURLs: urls, waitMs: input.waitMs }),
    step('verify', 'Verify the cluster is healthy again', 'etcdctl endpoint health --cluster && etcdctl endpoint status --cluster -w table', { kind: 'verify-health', timeoutMs: input.waitMs }),
  ];
  const plan: Plan = {
    flow: 'replace',
    title: `Replace failed member ${label} with ${name}`,
    preview: [
      ...quorumPreview(view, target),
      `then ${name} joins as a learner on ${urls.join(',')}, catches up and is promoted: back to ${view.members.filter((m) => !m.isLearner).length} voters`,
      'the new node must start with an empty data dir and this env block:',
      ...envBlock(remaining, name, urls).map((l) => `  ${l}`),
    ],
    warnings,
    steps,
    confirmPhrase: target.name || hexId(target.id),
    args: { member: label, id: target.id, newName: name, peerURLs: urls },
  };
  return { ok: true, plan };
}
