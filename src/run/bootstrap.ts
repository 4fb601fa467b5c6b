/**
 * Bootstrap, prepared: preflight on the hosts (read-only, in parallel), the node files rendered from
 * the templates, and the plan. Shared by the headless `etcd-tui bootstrap` commands and the console.
 */
import { randomBytes } from 'node:crypto';
import type { ClusterView } from '../health/view.js';
import type { PlanResult } from '../domain/plan.js';
import type { EtcdSettings, HostSpec, Inventory } from '../domain/hosts.js';
import { HostError, errorMessage } from '../domain/errors.js';
import type { HostPool } from '../hosts/pool.js';
import {
  evaluatePreflight,
  joinInitialCluster,
  newInitialCluster,
  leftoverMemberRefusal,
  planJoin,
  planNewCluster,
  timingChecks,
  type MemberTiming,
  type BootstrapTimeouts,
  type HostFacts,
  type LocalFacts,
  type PreflightCheck,
  type HostUploads,
  type RenderedFile,
} from '../plans/bootstrap.js';
import { hostFacts, localFacts } from './preflight.js';
import { renderNodeFiles } from '../render/node-files.js';
import type { HostAccess } from './remote-actions.js';

export interface PreflightResult {
  checks: PreflightCheck[];
  ok: boolean;
  uploads: Record<string, HostUploads>;
  facts: HostFacts[];
  local: LocalFacts;
}

const msg = errorMessage;

/** Read-only checks on every host (in parallel) and on the bastion. */
export async function runPreflight(hosts: HostSpec[], settings: EtcdSettings, pool: HostPool, opts: { now?: () => number; onHost?: (name: string, state: string) => void } = {}): Promise<PreflightResult> {
  const now = opts.now ?? Date.now;
  const local = await localFacts(settings, hosts, now());
  const facts = await Promise.all(
    hosts.map(async (h): Promise<HostFacts> => {
      opts.onHost?.(h.name, 'connecting');
      try {
        const conn = await pool.connection(h.name);
        opts.onHost?.(h.name, 'checking');
        const f = await hostFacts(conn, h, settings, { uploadCerts: Boolean(local.caDir?.hosts[h.name]), now });
        opts.onHost?.(h.name, 'checked');
        return f;
      } catch (error) {
        opts.onHost?.(h.name, 'failed');
        const unknown = pool.unknownKeys.get(h.name);
        const kind = error instanceof HostError ? error.kind : 'other';
        return {
          host: h.name,
          ssh: { ok: false, error: msg(error), kind, ...(unknown ? { unknownKey: { keyType: unknown.keyType, fingerprint: unknown.fingerprint } } : {}) },
        };
      }
    }),
  );
  const verdict = evaluatePreflight(hosts, settings, facts, local);
  return { ...verdict, facts, local };
}

/** A fresh initial-cluster token: etcd-tui-<date>-<random>. */
export function newToken(now = Date.now()): string {
  return `etcd-tui-${new Date(now).toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(4).toString('hex')}`;
}

function rendered(files: ReturnType<typeof renderNodeFiles>): RenderedFile[] {
  return files.map((f) => ({ kind: f.kind, remotePath: f.remotePath, mode: f.mode, content: f.content, template: f.template, overridden: f.overridden }));
}

export interface PreparedJoin {
  preflight: PreflightResult;
  planned: PlanResult;
  host: HostSpec;
  files: RenderedFile[];
}

/** Preflight and plan for joining one inventory host to the running cluster. */
export async function prepareJoin(view: ClusterView, inventory: Inventory, hostName: string, pool: HostPool, opts: { timeouts?: BootstrapTimeouts; onHost?: (name: string, state: string) => void } = {}): Promise<PreparedJoin | { refusal: string }> {
  const host = inventory.hosts.find((h) => h.name === hostName);
  if (!host) return { refusal: `${hostName} is not a host of this context (hosts: ${inventory.hosts.map((h) => h.name).join(', ')}); add it to the context's hosts list` };
  if (view.members.length === 0) return { refusal: `no member list: the cluster is not reachable (${view.membershipError?.error ?? "no answer"}); a host joins a running cluster` };
  const leftover = leftoverMemberRefusal(view);
  if (leftover) return { refusal: leftover };
  const preflight = await runPreflight([host], inventory.settings, pool, { onHost: opts.onHost });
  const timing = timingChecks(inventory.settings, await memberTimings(view, inventory, host, pool));
  if (timing.length > 0) {
    preflight.checks.push(...timing);
    preflight.ok = preflight.ok && timing.every((c) => c.ok);
  }
  let files: RenderedFile[] = [];
  try {
    files = rendered(renderNodeFiles({ host, settings: inventory.settings, initialCluster: joinInitialCluster(view, host, inventory.settings), state: 'existing', token: inventory.settings.token ?? 'etcd-tui' }, { overrideDir: inventory.settings.templatesDir }));
  } catch (error) {
    return { refusal: `cannot render ${host.name}'s files: ${msg(error)}` };
  }
  const planned = planJoin(view, { host, settings: inventory.settings, preflight, files, timeouts: opts.timeouts });
  return { preflight, planned, host, files };
}

/** The env files of the running members that are hosts of the inventory (read-only, in parallel, only over trusted keys). */
async function memberTimings(view: ClusterView, inventory: Inventory, joining: HostSpec, pool: HostPool): Promise<MemberTiming[]> {
  const hosts = inventory.hosts.filter((h) => h.name !== joining.name && view.members.some((m) => m.name === h.name));
  return Promise.all(
    hosts.map(async (h): Promise<MemberTiming> => {
      try {
        const conn = await pool.connection(h.name);
        const text = await conn.readFile(h.envFile, { maxBytes: 1 << 20 });
        return { host: h.name, envFile: h.envFile, ...(text ? { text: text.toString('utf8') } : {}) };
      } catch (error) {
        return { host: h.name, envFile: h.envFile, error: msg(error) };
      }
    }),
  );
}

export interface PreparedCluster {
  preflight: PreflightResult;
  planned: PlanResult;
  hosts: HostSpec[];
  token: string;
}

/** Preflight and plan for a new cluster on the named hosts (all of the inventory when none are named). */
export async function prepareNewCluster(inventory: Inventory, names: string[], pool: HostPool, opts: { context: string; token?: string; timeouts?: BootstrapTimeouts; onHost?: (name: string, state: string) => void }): Promise<PreparedCluster | { refusal: string }> {
  const unknown = names.filter((n) => !inventory.hosts.some((h) => h.name === n));
  if (unknown.length > 0) return { refusal: `${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not in this context's hosts (hosts: ${inventory.hosts.map((h) => h.name).join(', ')})` };
  const hosts = names.length > 0 ? names.map((n) => inventory.hosts.find((h) => h.name === n) as HostSpec) : inventory.hosts;
  const token = opts.token ?? newToken();
  const preflight = await runPreflight(hosts, inventory.settings, pool, { onHost: opts.onHost });
  const files: Record<string, RenderedFile[]> = {};
  const initialCluster = newInitialCluster(hosts, inventory.settings);
  try {
    for (const h of hosts) files[h.name] = rendered(renderNodeFiles({ host: h, settings: inventory.settings, initialCluster, state: 'new', token }, { overrideDir: inventory.settings.templatesDir }));
  } catch (error) {
    return { refusal: `cannot render the node files: ${msg(error)}` };
  }
  const planned = planNewCluster({ hosts, settings: inventory.settings, token, preflight, files, timeouts: opts.timeouts, context: opts.context });
  return { preflight, planned, hosts, token };
}

/** The executor's way to the hosts. */
export function hostAccess(pool: HostPool, settings: EtcdSettings): HostAccess {
  return { spec: (n) => pool.spec(n), settings, connection: (n) => pool.connection(n) };
}
