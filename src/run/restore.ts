/**
 * Snapshot restore, prepared: the snapshot read and checked on the bastion (bbolt reader, sha256
 * trailer, the whole file's sha256 for the hosts' check), the read-only preflight on every host in
 * parallel, each host's env file for the restored cluster rendered from the templates, and the plan.
 * Nothing is changed here.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ClusterView } from '../health/view.js';
import type { PlanResult, UploadSource } from '../domain/plan.js';
import type { EtcdSettings, HostSpec, Inventory } from '../domain/hosts.js';
import { errorMessage } from '../domain/errors.js';
import type { HostConnection } from '../hosts/gateway.js';
import type { HostPool } from '../hosts/pool.js';
import { newInitialCluster } from '../plans/bootstrap.js';
import { planRestore, type RestoreHostFacts, type RestoreSnapshot, type RestoreTimeouts, DEFAULT_RESTORE_TIMEOUTS } from '../plans/restore.js';
import { restoreStamp, restoreTool } from '../plans/recovery.js';
import { renderNodeFiles } from '../render/node-files.js';
import { snapshotStatus } from '../snapshot/status.js';
import { newToken } from './bootstrap.js';

/** The snapshot file's facts, or a sentence saying why it cannot be restored. */
export async function readSnapshot(file: string): Promise<RestoreSnapshot | { refusal: string }> {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) return { refusal: `${file} is not a file` };
    size = st.size;
  } catch (error) {
    return { refusal: `cannot read ${file}: ${errorMessage(error)}` };
  }
  let status;
  try {
    status = await snapshotStatus(file);
  } catch (error) {
    return { refusal: `${file} is not a usable snapshot: ${errorMessage(error)}` };
  }
  const fileSha256 = await new Promise<string>((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
  const snap: RestoreSnapshot = {
    file,
    fileSize: size,
    fileSha256,
    revision: status.revision,
    totalKey: status.totalKey,
    trailer: !status.sha256.present ? 'absent' : status.sha256.ok ? 'ok' : 'mismatch',
  };
  // The sidecar FILE.json of `etcd-tui snapshot save`: where and when it came from.
  const sidecar = `${file}.json`;
  if (existsSync(sidecar)) {
    try {
      const j = JSON.parse(readFileSync(sidecar, 'utf8')) as { savedAt?: string; clusterId?: string; member?: { name?: string }; source?: { name?: string; clusterId?: string } };
      snap.savedAt = j.savedAt;
      const cid = j.clusterId ?? j.source?.clusterId;
      if (cid) snap.fromCluster = /^\d+$/.test(cid) ? BigInt(cid).toString(16) : cid;
      snap.fromMember = j.member?.name ?? j.source?.name;
    } catch {
      // A sidecar that does not parse says nothing; the snapshot itself was checked above.
    }
  }
  return snap;
}

async function run(conn: HostConnection, argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return conn.run(argv, { timeoutMs: 30_000 });
}

/** Read-only facts of one host for a restore. */
export async function restoreFacts(conn: HostConnection, host: HostSpec, dependents: string[]): Promise<RestoreHostFacts> {
  const version = await run(conn, [host.binaryPath, '--version']);
  const v = /etcd Version:\s*(\S+)/.exec(version.stdout)?.[1];
  const tool = v ? restoreTool(v) : undefined;
  const bin = host.binaryPath.replace(/\/[^/]*$/, '');
  const toolPresent = tool ? (await run(conn, ['test', '-x', `${bin}/${tool}`])).code === 0 : false;
  const active = (await run(conn, ['systemctl', 'is-active', `${host.unitName}.service`])).stdout.trim();
  const parent = host.dataDir.replace(/\/+$/, '').replace(/\/[^/]*$/, '') || '/';
  const df = await run(conn, ['df', '-B1', '--output=avail', parent]);
  const free = Number(df.stdout.trim().split('\n').pop());
  const deps: Record<string, string> = {};
  for (const d of dependents) deps[d] = (await run(conn, ['systemctl', 'is-active', `${d}.service`])).stdout.trim() || 'unknown';
  if (!v) return { host: host.name, error: `${host.binaryPath} --version did not print a version (${(version.stderr || version.stdout).trim().split('\n')[0] || `exit ${version.code}`}): is etcd installed there?` };
  return { host: host.name, version: v, toolPresent, etcdActive: active === 'active' || active === 'activating', ...(Number.isFinite(free) && df.code === 0 ? { freeBytes: free } : {}), dependents: deps };
}

/** Where a host lacking its restore tool gets it: a release tarball's member, or the file next to a local binary. */
export function toolSource(settings: EtcdSettings, tool: 'etcdutl' | 'etcdctl'): UploadSource | undefined {
  const src = settings.binarySource;
  if (!src) return undefined;
  const m = /(etcd-v[^/]*-linux-[a-z0-9]+)\.tar\.gz$/.exec(src);
  if (m) return { kind: 'tarball', path: src, member: `${m[1]}/${tool}` };
  const sibling = join(dirname(src), tool);
  return existsSync(sibling) ? { kind: 'local', path: sibling } : undefined;
}

export interface PreparedRestore {
  planned: PlanResult;
  hosts: HostSpec[];
  token: string;
  snapshot?: RestoreSnapshot;
}

export interface RestoreOptions {
  file: string;
  hostNames: string[];
  view?: ClusterView;
  context: string;
  token?: string;
  bumpRevision?: number;
  skipHashCheck: boolean;
  timeouts?: Partial<RestoreTimeouts>;
  now?: () => number;
  onHost?(name: string, state: string): void;
}

/** Check the snapshot, then the hosts (read-only, in parallel), render the env files, and plan. */
export async function prepareRestore(inventory: Inventory, pool: HostPool, opts: RestoreOptions): Promise<PreparedRestore | { refusal: string }> {
  const unknown = opts.hostNames.filter((n) => !inventory.hosts.some((h) => h.name === n));
  if (unknown.length > 0) return { refusal: `${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not in this context's hosts (hosts: ${inventory.hosts.map((h) => h.name).join(', ') || 'none'})` };
  const hosts = opts.hostNames.length > 0 ? opts.hostNames.map((n) => inventory.hosts.find((h) => h.name === n) as HostSpec) : inventory.hosts;
  if (hosts.length === 0) return { refusal: 'this context has no hosts: a restore runs on the hosts of the context (hosts: in the contexts file)' };
  // The snapshot first: a bad file is refused before any host is touched.
  const snapshot = await readSnapshot(opts.file);
  if ('refusal' in snapshot) return snapshot;
  const now = opts.now ?? Date.now;
  const token = opts.token ?? newToken(now()).replace(/^etcd-tui-/, 'etcd-tui-restore-');
  const stamp = restoreStamp(new Date(now()));
  const dependents: Record<string, string[]> = {};
  for (const h of hosts) dependents[h.name] = h.stopServices ?? [];
  const facts = await Promise.all(
    hosts.map(async (h): Promise<RestoreHostFacts> => {
      opts.onHost?.(h.name, 'connecting');
      try {
        const conn = await pool.connection(h.name);
        opts.onHost?.(h.name, 'checking');
        return await restoreFacts(conn, h, dependents[h.name]);
      } catch (error) {
        opts.onHost?.(h.name, 'failed');
        return { host: h.name, error: errorMessage(error) };
      }
    }),
  );
  const toolSources: Record<string, UploadSource | undefined> = {};
  for (const f of facts) {
    const tool = f.version ? restoreTool(f.version) : undefined;
    if (tool && !f.toolPresent) toolSources[f.host] = toolSource(inventory.settings, tool);
  }
  const initialCluster = newInitialCluster(hosts, inventory.settings);
  const envFiles: Record<string, { text: string; template?: string }> = {};
  try {
    for (const h of hosts) {
      const env = renderNodeFiles({ host: h, settings: inventory.settings, initialCluster, state: 'new', token }, { overrideDir: inventory.settings.templatesDir }).find((f) => f.kind === 'env');
      if (!env) return { refusal: `no env file rendered for ${h.name}` };
      envFiles[h.name] = { text: env.content, template: env.template };
    }
  } catch (error) {
    return { refusal: `cannot render the env files: ${errorMessage(error)}` };
  }
  const planned = planRestore({
    hosts,
    settings: inventory.settings,
    snapshot,
    facts,
    view: opts.view,
    dependents,
    envFiles,
    toolSources,
    token,
    stamp,
    bumpRevision: opts.bumpRevision,
    skipHashCheck: opts.skipHashCheck,
    kubernetes: inventory.settings.kubernetes ?? false,
    timeouts: { ...DEFAULT_RESTORE_TIMEOUTS, ...opts.timeouts },
    contextName: opts.context,
  });
  return { planned, hosts, token, snapshot };
}
