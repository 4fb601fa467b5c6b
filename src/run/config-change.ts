/**
 * A config change, prepared: each host's env file read over SSH, the new one rendered from the
 * templates exactly as bootstrap renders it (the inventory's settings with the change applied, the
 * node's initial cluster and token as its file has them), the diff per host, then the rolling plan.
 * Read-only: nothing is uploaded or restarted here.
 */
import { createHash } from 'node:crypto';
import type { ClusterView } from '../health/view.js';
import type { PlanResult } from '../domain/plan.js';
import type { HostSpec, InitialMember, Inventory } from '../domain/hosts.js';
import { errorMessage } from '../domain/errors.js';
import type { HostPool } from '../hosts/pool.js';
import { renderNodeFiles } from '../render/node-files.js';
import { planRolling, type HostFilesChange, type RollingInput } from '../plans/rolling.js';
import { applyConfig, configNotes, diffLines, envDiff, envValues, hostRenderSettings, parseConfigArgs, settingChecks, type ConfigAssignment } from '../plans/config-change.js';
import { DEFAULT_ROLLING_TIMEOUTS } from './rolling.js';

export interface ConfigChangeOptions {
  /** The KEY=VALUE words and HOST words. */
  words: string[];
  gapThreshold: number;
  backMs?: number;
  onHost?(name: string, state: string): void;
}

/** Why some hosts only cannot take these settings (they must be equal on every member), or undefined. */
export function scopeRefusal(assignments: ConfigAssignment[], named: string[], all: string[]): string | undefined {
  const equal = assignments.filter((a) => a.key.equalOnAll).map((a) => a.key.key);
  if (equal.length === 0 || named.length === 0 || all.every((h) => named.includes(h))) return undefined;
  return `${equal.join(' and ')} must be equal on every member: change ${equal.length > 1 ? 'them' : 'it'} on every host (name no hosts)`;
}

function initialClusterOf(text: string): InitialMember[] {
  return (envValues(text).ETCD_INITIAL_CLUSTER ?? '')
    .split(',')
    .filter(Boolean)
    .map((part) => {
      const eq = part.indexOf('=');
      return { name: part.slice(0, eq), peerURL: part.slice(eq + 1) };
    });
}

/** The new env file of one host from its current one; or why it cannot be rendered. */
function renderEnv(inventoryHost: HostSpec, inventory: { settings: Inventory['settings'] }, old: string, asked: ConfigAssignment[]): { content: string } | { refusal: string } {
  const { host, settings } = hostRenderSettings(inventory.settings, inventoryHost, old, asked);
  const values = envValues(old);
  const state = values.ETCD_INITIAL_CLUSTER_STATE;
  const token = values.ETCD_INITIAL_CLUSTER_TOKEN;
  if (!values.ETCD_INITIAL_CLUSTER || (state !== 'new' && state !== 'existing') || !token) {
    return { refusal: `${host.envFile} has no ETCD_INITIAL_CLUSTER, ETCD_INITIAL_CLUSTER_STATE or ETCD_INITIAL_CLUSTER_TOKEN: it was not rendered by etcd-tui (bootstrap), so it cannot be rendered again` };
  }
  try {
    const files = renderNodeFiles({ host, settings, initialCluster: initialClusterOf(old), state, token }, { overrideDir: settings.templatesDir });
    const env = files.find((f) => f.kind === 'env');
    return env ? { content: env.content } : { refusal: 'no env file rendered' };
  } catch (error) {
    return { refusal: errorMessage(error) };
  }
}

/** The plan of a config change (or why not). */
export async function prepareConfigChange(view: ClusterView, inventory: Inventory, pool: HostPool, opts: ConfigChangeOptions): Promise<PlanResult> {
  const r = await prepareConfigChangeInput(view, inventory, pool, opts);
  return 'refusal' in r ? { ok: false, refusal: r.refusal } : planRolling(view, r.input);
}

/** The rolling engine's input for this change (the console plans again from it on a fresh view), or why not. */
export async function prepareConfigChangeInput(view: ClusterView, inventory: Inventory, pool: HostPool, opts: ConfigChangeOptions): Promise<{ input: RollingInput } | { refusal: string }> {
  if (view.members.length === 0) return { refusal: `no member list: the cluster is not reachable${view.membershipError ? ` (${view.membershipError.error})` : ''}` };
  const parsed = parseConfigArgs(opts.words);
  if ('refusal' in parsed) return { refusal: parsed.refusal };
  const all = inventory.hosts.map((h) => h.name);
  const unknown = parsed.hosts.filter((h) => !all.includes(h));
  if (unknown.length > 0) return { refusal: `${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not a host of this context (hosts: ${all.join(', ')})` };
  const scope = scopeRefusal(parsed.assignments, parsed.hosts, all);
  if (scope) return { refusal: scope };
  const applied = applyConfig(inventory.settings, inventory.hosts, parsed.assignments);
  if ('refusal' in applied) return { refusal: applied.refusal };
  const members = new Set(view.members.map((m) => m.name));
  const names = parsed.hosts.length > 0 ? parsed.hosts : all.filter((h) => members.has(h));
  if (names.length === 0) return { refusal: `no host of this context is a member of the cluster (members: ${[...members].join(', ')}; hosts: ${all.join(', ')})` };
  const asked = parsed.assignments.map((a) => a.key.env);
  const problems: string[] = [];
  const perHost: Record<string, HostFilesChange> = {};
  const diff: string[] = [];
  const unchanged: string[] = [];
  await Promise.all(
    names.map(async (name) => {
      const host = applied.hosts.find((h) => h.name === name) as HostSpec;
      opts.onHost?.(name, 'connecting');
      try {
        const conn = await pool.connection(name);
        const old = (await conn.readFile(host.envFile, { maxBytes: 1 << 20 }))?.toString('utf8');
        if (old === undefined) return void problems.push(`${name}: ${host.envFile} does not exist (bootstrap the host first)`);
        const rendered = renderEnv(host, applied, old, parsed.assignments);
        if ('refusal' in rendered) return void problems.push(`${name}: ${rendered.refusal}`);
        const changes = envDiff(old, rendered.content, asked);
        if (!changes.some((c) => c.asked)) return void unchanged.push(name);
        diff.push(...diffLines(name, changes));
        const sha256 = createHash('sha256').update(rendered.content, 'utf8').digest('hex');
        perHost[name] = {
          changeTitle: `Put the new ${host.envFile} on ${name} (the old one kept as a backup)`,
          changeCommand: `scp etcd.env ${host.ssh.user}@${host.ssh.address}:${host.envFile}`,
          files: [{ source: { kind: 'text', text: rendered.content, template: 'etcd.env.hbs' }, remotePath: host.envFile, mode: 0o644, what: 'env file' }],
          verifyTitle: `Check that ${name} runs with ${parsed.assignments.map((a) => `${a.key.key}=${a.value}`).join(' ')}`,
          verifyCommand: `ssh ${host.ssh.address} cat ${host.envFile}; curl -s ${name}:${host.clientPort}/metrics`,
          verify: { kind: 'verify-member-settings', host: name, name, envFile: host.envFile, sha256, checks: settingChecks(parsed.assignments, rendered.content), timeoutMs: 60_000 },
        };
      } catch (error) {
        problems.push(`${name}: ${errorMessage(error)}`);
      }
    }),
  );
  if (problems.length > 0) return { refusal: `cannot prepare the new env files, nothing was changed: ${problems.sort().join('; ')}` };
  const changed = Object.keys(perHost).sort();
  if (changed.length === 0) return { refusal: `nothing to change: ${unchanged.sort().join(', ')} already ${unchanged.length > 1 ? 'have' : 'has'} ${parsed.assignments.map((a) => `${a.key.key}=${a.value}`).join(' ')}` };
  const timeouts: RollingInput['timeouts'] = { ...DEFAULT_ROLLING_TIMEOUTS, ...(opts.backMs ? { backMs: opts.backMs } : {}) };
  const notes = [
    ...diff.sort(),
    ...(unchanged.length > 0 ? [`${unchanged.sort().join(', ')}: already set, left alone`] : []),
    ...configNotes(parsed.assignments, parsed.hosts.length === 0),
  ];
  return {
    input: {
      hosts: inventory.hosts,
      change: { kind: 'config', title: `Config change: ${parsed.assignments.map((a) => `${a.key.key}=${a.value}`).join(' ')}`, notes, perHost },
      only: changed,
      gapThreshold: opts.gapThreshold,
      timeouts,
    },
  };
}
