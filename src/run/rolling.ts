/**
 * Rolling restart and rolling upgrade, prepared: for an upgrade, the new binary's version (its own
 * `--version`, or the release tarball's name), the path check against every member's version, and
 * the flag check (the new binary's own `--help` against each host's env file); then the plan.
 * Read-only: nothing is uploaded or restarted here.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { ClusterView } from '../health/view.js';
import type { PlanResult, UploadSource } from '../domain/plan.js';
import type { Inventory } from '../domain/hosts.js';
import { errorMessage } from '../domain/errors.js';
import type { HostPool } from '../hosts/pool.js';
import { memberSnapshotFile, planRolling, type RollingInput } from '../plans/rolling.js';
import { checkUpgradePath, parseEtcdVersion, unknownEnvSettings } from '../plans/upgrade-path.js';
import { restoreStamp } from '../plans/recovery.js';

export const DEFAULT_ROLLING_TIMEOUTS: RollingInput['timeouts'] = { gateMs: 60_000, restartMs: 300_000, backMs: 300_000, moveLeaderMs: 30_000, snapshotMs: 600_000 };

export interface UpgradeRequest {
  binary: string;
  version?: string;
  /** Authentication is on (3.4 -> 3.5 is refused then unless overridden). */
  authEnabled: boolean;
  allowAuthUpgrade?: boolean;
  /** Where the snapshot taken first goes (default ./etcd-before-upgrade-<stamp>.db). */
  snapshotFile?: string;
  /** A verified snapshot before every member, not only the first. */
  snapshotEach?: boolean;
}

/** The binary's source for the hosts and its version; or why it cannot be used. */
export function binaryFacts(path: string, version?: string): { source: UploadSource; version: string; help?: string } | { refusal: string } {
  if (!existsSync(path)) return { refusal: `${path} does not exist` };
  try {
    if (!statSync(path).isFile()) return { refusal: `${path} is not a file (give an etcd binary or a release .tar.gz)` };
    accessSync(path, constants.R_OK);
  } catch (error) {
    return { refusal: `${path} cannot be read here (${errorMessage(error)})` };
  }
  const tar = /etcd-v(\d+\.\d+\.\d+)-linux-([a-z0-9]+)\.tar\.gz$/.exec(basename(path));
  if (tar) {
    const v = version ?? tar[1];
    return { source: { kind: 'tarball', path, member: `etcd-v${tar[1]}-linux-${tar[2]}/etcd` }, version: v };
  }
  const run = (args: string[]) => spawnSync(path, args, { encoding: 'utf8', timeout: 10_000 });
  const out = run(['--version']);
  const found = out.status === 0 ? /etcd Version:\s*(\S+)/.exec(out.stdout)?.[1] : undefined;
  const v = version ?? found;
  if (!v || !parseEtcdVersion(v)) return { refusal: `cannot tell the version of ${path} (it does not run here: ${out.error ? errorMessage(out.error) : (out.stderr || '').trim().split('\n')[0] || `exit ${out.status}`}); give --version` };
  const help = found ? run(['--help']) : undefined;
  return { source: { kind: 'local', path }, version: v, ...(help && (help.stdout || help.stderr) ? { help: `${help.stdout}\n${help.stderr}` } : {}) };
}

export interface RollingPrepareOptions {
  only: string[];
  backMs?: number;
  upgrade?: UpgradeRequest;
  gapThreshold: number;
  /** Default: against the working directory. */
  resolvePath?(p: string): string;
  /** Default: the local file system. */
  existing?(paths: string[]): string[];
  now?: () => number;
  onHost?(name: string, state: string): void;
}

/** Open the SSH connection of each host the run restarts (those named, else the hosts that are members), in parallel; the failures. */
async function connectHosts(view: ClusterView, inventory: Inventory, pool: HostPool, opts: RollingPrepareOptions): Promise<string[]> {
  const isMember = (h: Inventory['hosts'][number]) => view.members.some((m) => m.name === h.name || m.peerURLs.some((u) => u.includes(`//${h.etcdAddress}:${h.peerPort}`) || u.includes(`//[${h.etcdAddress}]:${h.peerPort}`)));
  const hosts = inventory.hosts.filter((h) => (opts.only.length > 0 ? opts.only.includes(h.name) : isMember(h)));
  const failed: string[] = [];
  await Promise.all(
    hosts.map(async (h) => {
      opts.onHost?.(h.name, 'connecting');
      try {
        await pool.connection(h.name);
        opts.onHost?.(h.name, 'checked');
      } catch (error) {
        opts.onHost?.(h.name, 'failed');
        failed.push(`${h.name}: ${errorMessage(error)}`);
      }
    }),
  );
  return failed.sort();
}

/** The plan of a rolling restart (no change) or upgrade, with the upgrade's checks. */
export async function prepareRolling(view: ClusterView, inventory: Inventory, pool: HostPool, opts: RollingPrepareOptions): Promise<PlanResult> {
  const prepared = await prepareRollingInput(view, inventory, pool, opts);
  return 'refusal' in prepared ? { ok: false, refusal: prepared.refusal } : planRolling(view, prepared.input);
}

/**
 * The planner's input of a rolling restart or upgrade, after the upgrade's checks (read-only, over
 * SSH): planned again on a fresh view before the run (`planRolling(fresh, input)`), with the same facts.
 */
export async function prepareRollingInput(view: ClusterView, inventory: Inventory, pool: HostPool, opts: RollingPrepareOptions): Promise<{ input: RollingInput } | { refusal: string }> {
  const now = opts.now ?? Date.now;
  const resolvePath = opts.resolvePath ?? ((p: string) => resolve(p));
  const existing = opts.existing ?? ((paths: string[]) => paths.filter((p) => existsSync(p)));
  const timeouts = { ...DEFAULT_ROLLING_TIMEOUTS, ...(opts.backMs ? { backMs: opts.backMs } : {}) };
  if (!opts.upgrade) {
    // Every host of the run answers over SSH before anything restarts (a host that cannot be reached
    // would stop the run halfway); the connections, opened side by side, are the run's own afterwards.
    const unreachable = await connectHosts(view, inventory, pool, opts);
    if (unreachable.length > 0) return { refusal: `cannot reach every host of the run over SSH, nothing was changed: ${unreachable.join('; ')}` };
    return { input: { hosts: inventory.hosts, change: { kind: 'restart' }, only: opts.only, gapThreshold: opts.gapThreshold, timeouts } };
  }
  const up = opts.upgrade;
  const bin = binaryFacts(up.binary, up.version);
  if ('refusal' in bin) return { refusal: bin.refusal };
  const current: Record<string, string> = {};
  for (const m of view.members) {
    const p = view.probes[m.id];
    if (p?.ok) current[m.name || m.id] = p.status.version;
  }
  const path = checkUpgradePath({ current, target: bin.version, authEnabled: up.authEnabled, allowAuthUpgrade: up.allowAuthUpgrade });
  if (!path.ok) return { refusal: path.refusal };
  if (path.kind === 'none') return { refusal: path.notes[0] ?? `every member already runs ${bin.version}` };
  const notes = [`path: ${path.from} -> ${path.to} (${path.kind})`, ...path.notes];
  // The flag check: every host's env file against the new binary's own --help.
  if (bin.help) {
    const problems: string[] = [];
    const names = opts.only.length > 0 ? opts.only : inventory.hosts.map((h) => h.name);
    await Promise.all(
      inventory.hosts
        .filter((h) => names.includes(h.name))
        .map(async (h) => {
          opts.onHost?.(h.name, 'connecting');
          try {
            const conn = await pool.connection(h.name);
            const env = await conn.readFile(h.envFile, { maxBytes: 1 << 20 });
            for (const u of unknownEnvSettings(env?.toString('utf8') ?? '', bin.help as string)) problems.push(`${h.name}: ${h.envFile}:${u.line}: ${u.key}: ${u.fix}`);
            opts.onHost?.(h.name, 'checked');
          } catch (error) {
            problems.push(`${h.name}: ${errorMessage(error)}`);
            opts.onHost?.(h.name, 'failed');
          }
        }),
    );
    if (problems.length > 0) return { refusal: `the new binary does not take every setting of the env files, nothing was changed: ${problems.join('; ')}` };
    notes.push(`flag check: every ETCD_* setting of the env files is known to etcd ${bin.version}`);
  } else {
    notes.push(`flag check skipped: ${up.binary} does not run on this machine (another architecture, or a tarball); compare the env files with etcd ${bin.version} --help yourself`);
  }
  const snapshotFile = resolvePath(up.snapshotFile ?? `etcd-before-upgrade-${restoreStamp(new Date(now()))}.db`);
  const members = opts.only.length > 0 ? opts.only : inventory.hosts.map((h) => h.name);
  const files = [snapshotFile, ...(up.snapshotEach ? members.map((n) => memberSnapshotFile(snapshotFile, n)) : [])];
  const taken = existing(files.flatMap((f) => [f, `${f}.part`]));
  if (taken.length > 0) return { refusal: `${taken[0].replace(/\.part$/, '')} exists: a snapshot is never written over (choose another file)` };
  return { input: { hosts: inventory.hosts, change: { kind: 'upgrade', source: bin.source, version: bin.version, snapshotFile, ...(up.snapshotEach ? { snapshotEach: true } : {}) }, only: opts.only, gapThreshold: opts.gapThreshold, timeouts, notes } };
}
