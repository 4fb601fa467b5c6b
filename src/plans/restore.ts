/**
 * The snapshot restore planner (ETCD-OPS.md "Snapshots and restore"; seed 004 "集群的备份与恢复"):
 * one snapshot onto every host of the context, as a new cluster of exactly these hosts. Pure: the
 * snapshot's facts (read on the bastion), each host's facts (read-only preflight over SSH), the
 * rendered env files and the current view come in; a plan or a refusal comes out.
 *
 * Order (seed 004): stop dependent services -> stop etcd -> upload and check the snapshot -> restore
 * into a fresh dir -> move the old data aside, the restored data in -> env file for the new cluster ->
 * (point of no return) -> start every member -> one leader, one new cluster ID -> verify -> start the
 * dependent services. Before the point of no return a failure puts every host back as it was.
 */
import type { Plan, PlanResult, PlanStep, Action, UploadSource } from '../domain/plan.js';
import type { EtcdSettings, HostSpec } from '../domain/hosts.js';
import type { ClusterView } from '../health/view.js';
import { formatBytes } from '../format/units.js';
import { sshLine } from './bootstrap.js';
import { restoreBlockers, restoreLayout } from './recovery.js';

/** The snapshot file on the bastion, as read before anything else. */
export interface RestoreSnapshot {
  file: string;
  fileSize: number;
  /** sha256 of the whole file (what `sha256sum` prints on the host after the upload). */
  fileSha256: string;
  revision: number;
  totalKey: number;
  /** The file ends with etcd's sha256 trailer, and it matched. */
  trailer: 'ok' | 'absent' | 'mismatch';
  /** From the sidecar FILE.json, when there is one. */
  fromCluster?: string;
  fromMember?: string;
  savedAt?: string;
}

/** What the read-only preflight found on one host. */
export interface RestoreHostFacts {
  host: string;
  /** Why the host could not be checked (SSH, sudo); the rest is then unknown. */
  error?: string;
  /** `etcd --version` of the host's binary. */
  version?: string;
  /** The restore tool (etcdutl / etcdctl) is next to the binary. */
  toolPresent?: boolean;
  /** etcd's unit is running. */
  etcdActive?: boolean;
  /** Free bytes where the restore writes (the data dir's parent). */
  freeBytes?: number;
  /** Each dependent service's state (systemctl is-active). */
  dependents?: Record<string, string>;
}

export interface RestoreTimeouts {
  stopMs: number;
  restoreMs: number;
  formMs: number;
  verifyMs: number;
}

export const DEFAULT_RESTORE_TIMEOUTS: RestoreTimeouts = { stopMs: 120_000, restoreMs: 600_000, formMs: 300_000, verifyMs: 120_000 };

export interface RestoreInput {
  hosts: HostSpec[];
  settings: EtcdSettings;
  snapshot: RestoreSnapshot;
  facts: RestoreHostFacts[];
  /** The current cluster as seen now (undefined when nothing answers). */
  view?: ClusterView;
  /** Services to stop before etcd and start after it, per host (e.g. kube-apiserver). */
  dependents: Record<string, string[]>;
  /** The env file each host gets for the restored cluster (state new, the new token). */
  envFiles: Record<string, { text: string; template?: string }>;
  /** Where to get a restore tool a host lacks (from the context's binarySource), per host. */
  toolSources: Record<string, UploadSource | undefined>;
  token: string;
  stamp: string;
  bumpRevision?: number;
  skipHashCheck: boolean;
  /** The context is a Kubernetes control plane (the preview explains --bump-revision). */
  kubernetes: boolean;
  timeouts: RestoreTimeouts;
  /** The context's name: typed to confirm. */
  contextName: string;
}

/** Room the restore needs next to the data dir: the uploaded copy, the restored db, its WAL, and a margin. */
export function restoreNeedsBytes(snapshotBytes: number): number {
  return Math.ceil(snapshotBytes * 2.2) + 128 * 2 ** 20;
}

function step(id: string, title: string, command: string, action: Action, preconditions: string[] = []): PlanStep {
  return { id, title, command, action, preconditions };
}

function dirname(path: string): string {
  const i = path.replace(/\/+$/, '').lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function planRestore(input: RestoreInput): PlanResult {
  const { hosts, settings, snapshot } = input;
  if (snapshot.trailer === 'mismatch') return { ok: false, refusal: `${snapshot.file}: its sha256 trailer does not match its content: the file is corrupt (nothing was changed)` };
  if (snapshot.trailer === 'absent' && !input.skipHashCheck) {
    return { ok: false, refusal: `${snapshot.file} has no sha256 trailer (a db copied out of a data dir, not a snapshot): give --skip-hash-check to restore it on the bbolt check alone` };
  }
  const unreachable = input.facts.filter((f) => f.error);
  if (unreachable.length > 0) return { ok: false, refusal: `preflight failed, nothing was changed: ${unreachable.map((f) => `${f.host}: ${f.error}`).join('; ')}` };
  const versions: Record<string, string> = {};
  for (const f of input.facts) if (f.version) versions[f.host] = f.version;
  const remoteSnapshot = (h: HostSpec) => `${dirname(h.dataDir)}/etcd-tui-restore-${input.stamp}.db`;
  const layout = restoreLayout(hosts, settings, { token: input.token, stamp: input.stamp, remoteSnapshot, versions, bumpRevision: input.bumpRevision, skipHashCheck: input.skipHashCheck });
  if (!layout.ok) return layout;
  const problems: string[] = [];
  const need = restoreNeedsBytes(snapshot.fileSize);
  for (const h of hosts) {
    const f = input.facts.find((x) => x.host === h.name);
    if (!f) {
      problems.push(`${h.name}: not checked`);
      continue;
    }
    if (!f.toolPresent && !input.toolSources[h.name]) {
      const tool = layout.hosts.find((x) => x.host === h.name)?.tool ?? 'etcdutl';
      problems.push(`${h.name}: ${dirname(h.binaryPath)}/${tool} is missing and the context's etcd.binarySource cannot provide it (give a release tarball, or install ${tool})`);
    }
    if (f.freeBytes !== undefined && f.freeBytes < need) {
      problems.push(`${h.name}: ${formatBytes(f.freeBytes)} free in ${dirname(h.dataDir)}, the restore needs about ${formatBytes(need)} (snapshot copy, restored db and WAL)`);
    }
  }
  const blockers = restoreBlockers(input.view, layout.hosts.map((h) => h.peerURL));
  problems.push(...blockers);
  if (problems.length > 0) return { ok: false, refusal: `the restore cannot start, nothing was changed: ${problems.join('; ')}` };

  const steps: PlanStep[] = [];
  const unitOf = (h: HostSpec) => h.unitName;
  for (const h of hosts) {
    for (const dep of input.dependents[h.name] ?? []) {
      steps.push(step(`stop-${dep}-${h.name}`, `Stop ${dep} on ${h.name}`, sshLine(h, ['systemctl', 'stop', `${dep}.service`]), { kind: 'remote-service-stop', host: h.name, unit: dep, timeoutMs: input.timeouts.stopMs }));
    }
  }
  for (const h of hosts) {
    steps.push(step(`stop-etcd-${h.name}`, `Stop etcd on ${h.name}`, sshLine(h, ['systemctl', 'stop', `${unitOf(h)}.service`]), { kind: 'remote-service-stop', host: h.name, unit: unitOf(h), timeoutMs: input.timeouts.stopMs }));
  }
  for (const l of layout.hosts) {
    const h = hosts.find((x) => x.name === l.host) as HostSpec;
    const f = input.facts.find((x) => x.host === h.name);
    const source = input.toolSources[h.name];
    if (!f?.toolPresent && source) {
      const path = `${dirname(h.binaryPath)}/${l.tool}`;
      steps.push(step(`tool-${h.name}`, `Upload ${l.tool} to ${h.name}`, `scp ${source.kind === 'text' ? '-' : source.path} ${h.ssh.user}@${h.ssh.address}:${path}`, { kind: 'remote-upload', host: h.name, source, remotePath: path, mode: 0o755, what: l.tool }));
    }
    const remote = remoteSnapshot(h);
    steps.push(
      step(`upload-${h.name}`, `Upload the snapshot to ${h.name}:${remote}`, `scp ${snapshot.file} ${h.ssh.user}@${h.ssh.address}:${remote}`, { kind: 'remote-upload', host: h.name, source: { kind: 'local', path: snapshot.file }, remotePath: remote, mode: 0o600, what: 'snapshot' }),
      step(`sha-${h.name}`, `Check the snapshot's sha256 on ${h.name}`, sshLine(h, ['sha256sum', remote]), { kind: 'remote-sha256', host: h.name, path: remote, sha256: snapshot.fileSha256 }),
    );
  }
  for (const l of layout.hosts) {
    const h = hosts.find((x) => x.name === l.host) as HostSpec;
    const argv = l.argv;
    steps.push(
      step(`restore-${h.name}`, `Restore on ${h.name} into ${l.restoreDir}`, sshLine(h, argv), { kind: 'remote-restore', host: h.name, argv, restoreDir: l.restoreDir, restoreWalDir: l.restoreWalDir, timeoutMs: input.timeouts.restoreMs }, [
        `${l.restoreDir} does not exist`,
      ]),
    );
  }
  for (const l of layout.hosts) {
    const h = hosts.find((x) => x.name === l.host) as HostSpec;
    steps.push(
      step(`swap-${h.name}`, `Move ${l.dataDir} aside to ${l.asideDir} and the restored data in its place on ${h.name}`, sshLine(h, ['mv', l.dataDir, l.asideDir]) + ` && ` + ['mv', l.restoreDir, l.dataDir].join(' '), {
        kind: 'remote-swap-data',
        host: h.name,
        dataDir: l.dataDir,
        asideDir: l.asideDir,
        restoreDir: l.restoreDir,
        ...(l.walDir ? { walDir: l.walDir, asideWalDir: l.asideWalDir, restoreWalDir: l.restoreWalDir } : {}),
      }),
    );
  }
  for (const h of hosts) {
    const env = input.envFiles[h.name];
    steps.push(step(`env-${h.name}`, `Write ${h.envFile} on ${h.name} for the restored cluster (state new, the new token)`, `scp etcd.env ${h.ssh.user}@${h.ssh.address}:${h.envFile}`, { kind: 'remote-upload', host: h.name, source: { kind: 'text', text: env.text, template: env.template }, remotePath: h.envFile, mode: 0o640, what: 'env file' }));
  }
  steps.push(step('no-return', 'Point of no return: the restored cluster starts', '# from here on a failure is not rolled back', { kind: 'point-of-no-return', reason: `the restored cluster starts; the old data stays aside (${layout.hosts.map((l) => `${l.host}:${l.asideDir}`).join(', ')})` }));
  for (const h of hosts) {
    steps.push(step(`start-${h.name}`, `Start etcd on ${h.name}`, sshLine(h, ['systemctl', 'start', '--no-block', `${unitOf(h)}.service`]), { kind: 'remote-systemctl', host: h.name, verb: 'start', unit: unitOf(h), noBlock: true, timeoutMs: 60_000 }));
  }
  const minRevision = snapshot.revision + (input.bumpRevision ?? 0);
  steps.push(
    step('form', `Wait for one leader and one cluster of ${hosts.length}`, 'etcdctl endpoint status --cluster -w table', { kind: 'wait-cluster-formed', hosts: hosts.map((h) => h.name), members: hosts.length, timeoutMs: input.timeouts.formMs }),
    step('verify', `Verify: a new cluster ID, revision >= ${minRevision}, one HashKV on every member`, 'etcdctl endpoint status --cluster -w json && etcdctl endpoint hashkv --cluster', {
      kind: 'verify-restore',
      hosts: hosts.map((h) => h.name),
      oldClusterId: input.view?.clusterId || undefined,
      minRevision,
      timeoutMs: input.timeouts.verifyMs,
    }),
  );
  for (const h of hosts) {
    for (const dep of input.dependents[h.name] ?? []) {
      steps.push(step(`start-${dep}-${h.name}`, `Start ${dep} on ${h.name}`, sshLine(h, ['systemctl', 'start', `${dep}.service`]), { kind: 'remote-systemctl', host: h.name, verb: 'start', unit: dep, timeoutMs: 300_000 }));
    }
  }

  const age = snapshot.savedAt ? ` (saved ${snapshot.savedAt}${snapshot.fromMember ? ` from ${snapshot.fromMember}` : ''}${snapshot.fromCluster ? ` of cluster ${snapshot.fromCluster}` : ''})` : '';
  const preview = [
    `snapshot: ${snapshot.file}, ${formatBytes(snapshot.fileSize)}, revision ${snapshot.revision}, ${snapshot.totalKey} keys${age}`,
    snapshot.trailer === 'ok' ? 'sha256 trailer: ok (checked on the bastion; each host checks its copy after the upload)' : 'sha256 trailer: ABSENT: restoring with --skip-hash-check, on the bbolt check alone',
    `new cluster: ${hosts.map((h) => h.name).join(', ')} (exactly these members; new member and cluster IDs)`,
    `initial cluster: ${layout.initialCluster}`,
    `initial cluster token: ${input.token} (new)`,
    ...hosts.map((h) => {
      const f = input.facts.find((x) => x.host === h.name);
      const l = layout.hosts.find((x) => x.host === h.name);
      return `${h.name}: etcd ${f?.version ?? '?'}${f?.etcdActive ? ' (running: stopped first)' : ' (stopped)'}, restore with ${l?.tool}${f?.toolPresent ? '' : ' (uploaded)'}, old data kept at ${l?.asideDir}${f?.freeBytes !== undefined ? `, ${formatBytes(f.freeBytes)} free` : ''}`;
    }),
    ...layout.notes,
    `every member restarts from revision ${snapshot.revision}${input.bumpRevision ? ` + ${input.bumpRevision}` : ''}: whatever was written after the snapshot is gone from the cluster (it stays in the old data dirs)`,
    `before the point of no return a failure puts every host back (old data dir, old env file, services started again if they ran); after it the run stops and says where things are`,
  ];
  const warnings: string[] = [];
  if (input.kubernetes && input.bumpRevision === undefined) {
    warnings.push('this context is a Kubernetes control plane and no --bump-revision is given: watchers (kube-apiserver, controllers) may miss changes or see revisions go back; give --bump-revision (e.g. 1000000000) with an etcdutl that has it');
  }
  const deps = Object.entries(input.dependents).filter(([, l]) => l.length > 0);
  if (deps.length > 0) preview.push(`dependent services stopped first and started last: ${deps.map(([h, l]) => `${h}: ${l.join(', ')}`).join('; ')}`);
  const plan: Plan = {
    flow: 'snapshot-restore',
    title: `Restore ${snapshot.file.split('/').pop()} onto ${hosts.map((h) => h.name).join(', ')}`,
    preview,
    warnings,
    steps,
    confirmPhrase: input.contextName,
    rollbackOnFailure: true,
    args: { file: snapshot.file, hosts: hosts.map((h) => h.name), token: input.token, revision: snapshot.revision, ...(input.bumpRevision !== undefined ? { bumpRevision: input.bumpRevision } : {}), skipHashCheck: input.skipHashCheck },
  };
  return { ok: true, plan };
}
