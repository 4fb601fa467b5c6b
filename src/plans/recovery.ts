/**
 * Disaster recovery, the pure part (ETCD-OPS.md "Snapshots and restore"; seeds 001 §4.2/§7.3, 004):
 * where each host's restored data goes and with which command, what must be true before a restore
 * may start (no old member left alive outside the restored set), and which survivor a quorum-loss
 * recovery starts from. Imports only domain, health and format: the flows that run these live in run/.
 */
import { initialClusterString, peerURL, type EtcdSettings, type HostSpec } from '../domain/hosts.js';
import type { Action, Plan, PlanResult, PlanStep } from '../domain/plan.js';
import type { Member, MemberId } from '../domain/types.js';
import type { ClusterView } from '../health/view.js';
import { quorumOf } from '../health/quorum.js';
import { hexId, memberLabel } from '../format/ids.js';
import { parseEtcdVersion } from './upgrade-path.js';
import { utcStamp } from '../format/stamp.js';

/** The tool that restores a snapshot on a host of this etcd version: etcdutl from 3.5 on, etcdctl on 3.4. */
export function restoreTool(version: string): 'etcdutl' | 'etcdctl' | undefined {
  const v = parseEtcdVersion(version);
  if (!v) return undefined;
  return v.major > 3 || (v.major === 3 && v.minor >= 5) ? 'etcdutl' : 'etcdctl';
}

/** Whether that host's restore tool has `--bump-revision` / `--mark-compacted` (etcdutl 3.5.?+; not etcdctl 3.4). */
export function supportsBumpRevision(version: string): boolean {
  return restoreTool(version) === 'etcdutl';
}

/** `DIR.etcd-tui-before-restore-<stamp>`: where the old data dir is moved (never deleted). */
export function asideDir(dir: string, stamp: string): string {
  return `${dir.replace(/\/+$/, '')}.etcd-tui-before-restore-${stamp}`;
}

/** A UTC stamp safe in file names: 20261203T131500Z. */
export function restoreStamp(at: Date): string {
  return utcStamp(at);
}

function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export interface RestoreOptions {
  /** The new cluster's --initial-cluster-token (a fresh one per restore). */
  token: string;
  /** Stamp shared by every host's aside and restore dirs. */
  stamp: string;
  /** Where the snapshot is on each host after the upload (one path for all, or per host). */
  remoteSnapshot: string | ((host: HostSpec) => string);
  /** Each host's etcd version (from preflight), by host name. */
  versions: Record<string, string>;
  /** Kubernetes: raise every revision by this much and mark the old ones compacted (etcdutl only). */
  bumpRevision?: number;
  /** A `db` copied out of a data dir has no sha256 trailer: restore it without the check. */
  skipHashCheck?: boolean;
}

/** One host of a restore: its identity in the new cluster, the dirs, and the restore command. */
export interface RestoreHost {
  host: string;
  peerURL: string;
  tool: 'etcdutl' | 'etcdctl';
  /** The live data dir (and WAL dir, when separate). */
  dataDir: string;
  walDir?: string;
  /** The fresh dirs the restore writes into, next to the live ones. */
  restoreDir: string;
  restoreWalDir?: string;
  /** Where the live dirs go before the restored ones take their place. */
  asideDir: string;
  asideWalDir?: string;
  /** The restore command, argv. */
  argv: string[];
}

export type RestoreLayout = { ok: true; hosts: RestoreHost[]; initialCluster: string; notes: string[] } | { ok: false; refusal: string };

/**
 * Every host's restore: the same snapshot, the same --initial-cluster (exactly these hosts) and a new
 * token, each host its own --name and peer URL, into a new dir next to the live one.
 */
export function restoreLayout(hosts: HostSpec[], settings: Pick<EtcdSettings, 'tls'>, opts: RestoreOptions): RestoreLayout {
  if (hosts.length === 0) return { ok: false, refusal: 'no hosts to restore: name the hosts of the context, or give the context a hosts: list' };
  const names = new Set<string>();
  for (const h of hosts) {
    if (names.has(h.name)) return { ok: false, refusal: `host ${h.name} is named twice` };
    names.add(h.name);
  }
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(opts.token)) return { ok: false, refusal: `initial cluster token "${opts.token}" must be letters, digits, dot, dash, underscore` };
  const initialCluster = initialClusterString(hosts.map((h) => ({ name: h.name, peerURL: peerURL(h, settings) })));
  const notes: string[] = [];
  const out: RestoreHost[] = [];
  for (const h of hosts) {
    const version = opts.versions[h.name];
    const tool = version ? restoreTool(version) : undefined;
    if (!tool) return { ok: false, refusal: `${h.name}: unknown etcd version${version ? ` "${version}"` : ''}: preflight must read it before a restore is planned` };
    if (opts.bumpRevision !== undefined && !supportsBumpRevision(version)) {
      return { ok: false, refusal: `${h.name} runs etcd ${version}: its etcdctl cannot --bump-revision / --mark-compacted (etcdutl 3.5+ can); restore without it (Kubernetes watchers must then relist), or upgrade the restore tool` };
    }
    const restoreDir = `${h.dataDir.replace(/\/+$/, '')}.etcd-tui-restore-${opts.stamp}`;
    const restoreWalDir = h.walDir ? `${h.walDir.replace(/\/+$/, '')}.etcd-tui-restore-${opts.stamp}` : undefined;
    const binary = `${dirname(h.binaryPath)}/${tool}`;
    const argv = [
      binary,
      'snapshot',
      'restore',
      typeof opts.remoteSnapshot === 'function' ? opts.remoteSnapshot(h) : opts.remoteSnapshot,
      '--name',
      h.name,
      '--initial-cluster',
      initialCluster,
      '--initial-cluster-token',
      opts.token,
      '--initial-advertise-peer-urls',
      peerURL(h, settings),
      '--data-dir',
      restoreDir,
      ...(restoreWalDir ? ['--wal-dir', restoreWalDir] : []),
      ...(opts.skipHashCheck ? ['--skip-hash-check'] : []),
      ...(opts.bumpRevision !== undefined ? ['--bump-revision', String(opts.bumpRevision), '--mark-compacted'] : []),
    ];
    out.push({
      host: h.name,
      peerURL: peerURL(h, settings),
      tool,
      dataDir: h.dataDir,
      walDir: h.walDir,
      restoreDir,
      restoreWalDir,
      asideDir: asideDir(h.dataDir, opts.stamp),
      asideWalDir: h.walDir ? asideDir(h.walDir, opts.stamp) : undefined,
      argv,
    });
  }
  if (out.some((h) => h.tool === 'etcdctl')) notes.push('etcd 3.4 hosts restore with `etcdctl snapshot restore` (3.4 has no etcdutl)');
  if (opts.skipHashCheck) notes.push('--skip-hash-check: the file has no sha256 trailer (a db copied out of a data dir); its integrity rests on the bbolt check alone');
  if (opts.bumpRevision !== undefined) {
    notes.push(`--bump-revision ${opts.bumpRevision} --mark-compacted: every revision moves past any a client has seen, and watchers get "compacted" and relist instead of missing changes`);
  }
  return { ok: true, hosts: out, initialCluster, notes };
}

/**
 * Why a restore onto `restoring` (peer URLs of the hosts restored) must not start now: a member of the
 * current membership outside that set still answers (two clusters would result). Empty when none.
 */
export function restoreBlockers(view: ClusterView | undefined, restoringPeerURLs: string[]): string[] {
  if (!view) return [];
  const restoring = new Set(restoringPeerURLs);
  return view.members
    .filter((m) => !m.peerURLs.some((u) => restoring.has(u)) && view.probes[m.id]?.ok === true)
    .map((m) => `${memberLabel(m)} (${hexId(m.id)}, ${m.peerURLs.join(',')}) is not restored and still answers: a restore that leaves it alive ends in two clusters; stop it (or include its host) first`);
}

/** What the console (or a status read now) knows of one survivor for a quorum-loss recovery. */
export interface SurvivorCandidate {
  name: string;
  memberId?: MemberId;
  /** The raft index it reports now (undefined when it does not answer now). */
  indexNow?: number;
  /** The highest raft index the console saw from it before quorum was lost. */
  indexLastSeen?: number;
  /** True when its host is in the inventory (so it can be stopped and restarted over SSH). */
  isHost: boolean;
}

export type SurvivorChoice =
  | { ok: true; survivor: SurvivorCandidate; index: number; lossLines: string[]; others: SurvivorCandidate[] }
  | { ok: false; refusal: string };

function bestIndex(c: SurvivorCandidate): number | undefined {
  if (c.indexNow === undefined && c.indexLastSeen === undefined) return undefined;
  return Math.max(c.indexNow ?? 0, c.indexLastSeen ?? 0);
}

/**
 * The survivor a `--force-new-cluster` recovery starts from: the one with the highest raft index
 * (now, or when last seen), unless the operator names another explicitly. The loss lines say how
 * many entries each other member was ahead of it when last seen.
 */
export function chooseSurvivor(candidates: SurvivorCandidate[], opts: { named?: string } = {}): SurvivorChoice {
  const answering = candidates.filter((c) => c.indexNow !== undefined);
  if (answering.length === 0) return { ok: false, refusal: 'no member answers: there is no survivor to recover from; restore from a snapshot instead (:restore)' };
  const ranked = [...answering].sort((a, b) => (bestIndex(b) ?? 0) - (bestIndex(a) ?? 0) || a.name.localeCompare(b.name));
  const best = ranked[0];
  let chosen = best;
  if (opts.named !== undefined) {
    const named = candidates.find((c) => c.name === opts.named);
    if (!named) return { ok: false, refusal: `unknown survivor "${opts.named}"; answering members: ${answering.map((c) => c.name).join(', ')}` };
    if (named.indexNow === undefined) return { ok: false, refusal: `${named.name} does not answer now: it cannot be the survivor` };
    chosen = named;
  }
  if (!chosen.isHost) return { ok: false, refusal: `${chosen.name} is not a host of this context: the recovery restarts it over SSH, so add it to the context's hosts first` };
  const index = bestIndex(chosen) ?? 0;
  const lossLines: string[] = [];
  for (const c of candidates) {
    if (c === chosen) continue;
    const their = bestIndex(c);
    if (their === undefined) lossLines.push(`${c.name}: never seen, how far it got is unknown`);
    else if (their > index) lossLines.push(`${c.name} was ${their - index} entries ahead when last seen: those entries may be lost`);
    else lossLines.push(`${c.name}: ${index - their} entries behind ${chosen.name}, nothing lost from it`);
  }
  if (chosen !== best && (bestIndex(best) ?? 0) > index) {
    lossLines.unshift(`${chosen.name} was named explicitly although ${best.name} is ${(bestIndex(best) ?? 0) - index} entries further ahead`);
  }
  return { ok: true, survivor: chosen, index, lossLines, others: candidates.filter((c) => c !== chosen) };
}

/**
 * Why a quorum-loss recovery is refused now (undefined when quorum is really gone): with quorum
 * present, the members are to be fixed with the membership flows, never by forcing a new cluster.
 */
export function quorumPresentRefusal(view: ClusterView): string | undefined {
  const voters = view.members.filter((m: Member) => !m.isLearner);
  const healthy = voters.filter((m) => view.probes[m.id]?.ok === true);
  if (voters.length === 0) return undefined;
  const q = quorumOf(voters.length);
  if (healthy.length >= q) {
    return `quorum is present (${healthy.length} of ${voters.length} voters answer, quorum ${q}): a forced new cluster would throw away the others' work; replace the failed members instead (R)`;
  }
  return undefined;
}

/** What the force-new-cluster phase of a quorum-loss recovery needs to know of each host. */
export interface RecoveryHost {
  host: HostSpec;
  /** The raft index the host's etcd reports now (undefined: it does not answer). */
  indexNow?: number;
  /** Its env file as it is now (read over SSH), for the survivor: changed for one start, then put back. */
  envFile?: string;
  /** Why the host could not be reached over SSH. */
  sshError?: string;
}

export interface ForceNewClusterInput {
  hosts: RecoveryHost[];
  /** The operator named the survivor (--from). */
  from?: string;
  view?: ClusterView;
  stamp: string;
  timeouts: { stopMs: number; formMs: number };
  contextName: string;
}

/** The env file of the survivor for its one forced start: the same, plus ETCD_FORCE_NEW_CLUSTER=true. */
export function forcedEnv(envFile: string): string {
  const lines = envFile.split('\n').filter((l) => !/^\s*(export\s+)?ETCD_FORCE_NEW_CLUSTER\s*=/.test(l));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return [...lines, '# etcd-tui recover quorum: one start as a new one-member cluster; removed again right after', 'ETCD_FORCE_NEW_CLUSTER=true', ''].join('\n');
}

function sshCommand(host: HostSpec, argv: string[]): string {
  return `ssh ${host.ssh.user}@${host.ssh.address}${host.ssh.port !== 22 ? ` -p ${host.ssh.port}` : ''} ${argv.join(' ')}`;
}

/**
 * Phase one of a quorum-loss recovery (seed 001 §7.3; etcd's disaster recovery guide): stop every
 * member, start the best survivor once with --force-new-cluster (its env file changed and changed
 * back, with a backup), check it leads a healthy one-member cluster with its data, restart it
 * without the flag, and move the other hosts' data dirs aside. Phase two joins them back one at a
 * time through the join flow. Refused while quorum is present.
 */
export function planForceNewCluster(input: ForceNewClusterInput): PlanResult | { ok: true; plan: Plan; survivor: string; others: string[] } {
  if (input.view && input.view.members.length > 0) {
    const present = quorumPresentRefusal(input.view);
    if (present) return { ok: false, refusal: present };
  }
  const choice = chooseSurvivor(
    input.hosts.map((h) => ({ name: h.host.name, indexNow: h.indexNow, isHost: true })),
    { named: input.from },
  );
  if (!choice.ok) return choice;
  const survivor = input.hosts.find((h) => h.host.name === choice.survivor.name) as RecoveryHost;
  if (survivor.sshError) return { ok: false, refusal: `${survivor.host.name}: ${survivor.sshError}: the survivor must be reachable over SSH` };
  if (survivor.envFile === undefined) return { ok: false, refusal: `${survivor.host.name}: ${survivor.host.envFile} could not be read: the survivor's env file is changed for one start and put back, so it must exist` };
  const s = survivor.host;
  const others = input.hosts.filter((h) => h !== survivor);
  const unreachable = others.filter((h) => h.sshError);
  const steps: PlanStep[] = [];
  const st = (id: string, title: string, command: string, action: Action): PlanStep => ({ id, title, command, action, preconditions: [] });
  for (const h of input.hosts.filter((x) => !x.sshError)) {
    steps.push(st(`stop-${h.host.name}`, `Stop etcd on ${h.host.name}`, sshCommand(h.host, ['systemctl', 'stop', `${h.host.unitName}.service`]), { kind: 'remote-service-stop', host: h.host.name, unit: h.host.unitName, timeoutMs: input.timeouts.stopMs }));
  }
  steps.push(
    st('force-env', `Add ETCD_FORCE_NEW_CLUSTER=true to ${s.envFile} on ${s.name} (the file is backed up)`, `scp etcd.env ${s.ssh.user}@${s.ssh.address}:${s.envFile}`, {
      kind: 'remote-upload',
      host: s.name,
      source: { kind: 'text', text: forcedEnv(survivor.envFile) },
      remotePath: s.envFile,
      mode: 0o640,
      what: 'env file with ETCD_FORCE_NEW_CLUSTER=true',
    }),
    st('no-return', 'Point of no return: the survivor starts as a new one-member cluster', '# from here on a failure is not rolled back', { kind: 'point-of-no-return', reason: `${s.name} starts with --force-new-cluster: the old membership is replaced by ${s.name} alone` }),
    st('start-forced', `Start ${s.name} with --force-new-cluster`, sshCommand(s, ['systemctl', 'start', `${s.unitName}.service`]), { kind: 'remote-systemctl', host: s.name, verb: 'start', unit: s.unitName, timeoutMs: input.timeouts.formMs }),
    st('forced-up', `Wait until ${s.name} leads a one-member cluster`, 'etcdctl endpoint status -w table   # one member, its own leader', { kind: 'wait-cluster-formed', hosts: [s.name], members: 1, timeoutMs: input.timeouts.formMs }),
    st('unforce-env', `Put ${s.envFile} on ${s.name} back as it was (without the flag)`, `scp etcd.env ${s.ssh.user}@${s.ssh.address}:${s.envFile}`, { kind: 'remote-upload', host: s.name, source: { kind: 'text', text: survivor.envFile }, remotePath: s.envFile, mode: 0o640, what: 'env file as it was' }),
    st('restart-stop', `Restart ${s.name} without the flag: stop`, sshCommand(s, ['systemctl', 'stop', `${s.unitName}.service`]), { kind: 'remote-systemctl', host: s.name, verb: 'stop', unit: s.unitName, timeoutMs: input.timeouts.stopMs }),
    st('restart-start', `Restart ${s.name} without the flag: start`, sshCommand(s, ['systemctl', 'start', `${s.unitName}.service`]), { kind: 'remote-systemctl', host: s.name, verb: 'start', unit: s.unitName, timeoutMs: input.timeouts.formMs }),
    st('single-up', `Verify ${s.name} leads a healthy one-member cluster with its data`, 'etcdctl endpoint status -w table && etcdctl member list', { kind: 'wait-cluster-formed', hosts: [s.name], members: 1, timeoutMs: input.timeouts.formMs }),
  );
  for (const h of others.filter((x) => !x.sshError)) {
    const dirs = [h.host.dataDir, ...(h.host.walDir ? [h.host.walDir] : [])];
    for (const d of dirs) {
      steps.push(st(`aside-${h.host.name}-${d}`, `Move ${d} on ${h.host.name} aside (it rejoins with an empty data dir)`, sshCommand(h.host, ['mv', d, `${d}.etcd-tui-before-recovery-${input.stamp}`]), { kind: 'remote-move-aside', host: h.host.name, path: d, suffix: `etcd-tui-before-recovery-${input.stamp}` }));
    }
  }
  const preview = [
    `quorum is lost; the survivor with the highest raft index is ${choice.survivor.name} (index ${choice.index})`,
    ...choice.lossLines,
    `${s.name} starts once with --force-new-cluster: a one-member cluster with its data (the same cluster ID, the others dropped from the membership)`,
    `then ${others.filter((x) => !x.sshError).map((h) => h.host.name).join(', ') || 'no other host'} join${others.length === 1 ? 's' : ''} back one at a time as learners (their old data moved aside, never deleted) and ${others.length === 1 ? 'is' : 'are'} promoted, through the join flow`,
    ...unreachable.map((h) => `${h.host.name} is not reachable over SSH (${h.sshError}): it is left out; join it later with bootstrap join`),
    'before the point of no return a failure starts the stopped members again and puts the env file back',
  ];
  const plan: Plan = {
    flow: 'recover-quorum',
    title: `Recover quorum from ${s.name}`,
    preview,
    warnings: ['writes that only the dropped members had are lost; clients must tolerate the cluster restarting'],
    steps,
    confirmPhrase: s.name,
    rollbackOnFailure: true,
    args: { survivor: s.name, ...(input.from ? { from: input.from } : {}), rejoin: others.filter((x) => !x.sshError).map((h) => h.host.name) },
  };
  return { ok: true, plan, survivor: s.name, others: others.filter((x) => !x.sshError).map((h) => h.host.name) };
}
