/**
 * After a config change that every member took (`etcd-tui config set KEY=VALUE...`, `:config`): the
 * context's etcd settings in the contexts file rewritten with the new values, so that a later render,
 * bootstrap join or config change starts from what the members run. The old file is kept beside it as
 * `<file>.etcd-tui-backup-<UTC stamp>` (never deleted); comments and the other contexts are kept
 * (the YAML document is edited in place); the new text must parse before it replaces the old one.
 */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import type { EtcdSettings } from '../domain/hosts.js';
import { ConfigError, errorMessage } from '../domain/errors.js';
import { applyConfig, type ConfigAssignment } from '../plans/config-change.js';
import type { LoadedInventory } from './bootstrap-context.js';
import { localOutputProblem } from '../run/local-files.js';
import { parseContextsFile } from './contexts.js';
import { contextNode, copyAside, replaceFile } from '../run/contexts-file.js';
import { utcStamp } from '../format/stamp.js';

/** Where each setting `config set` knows lives in a context: a key of its `etcd:` map, or each host's `env:` map. */
const INVENTORY_FIELD: Record<string, { etcd: string; value(s: EtcdSettings): string | number } | { hostEnv: string }> = {
  'quota-backend-bytes': { etcd: 'quota', value: (s) => s.quotaBackendBytes },
  'auto-compaction-mode': { etcd: 'autoCompactionMode', value: (s) => s.autoCompactionMode },
  'auto-compaction-retention': { etcd: 'autoCompactionRetention', value: (s) => s.autoCompactionRetention },
  'snapshot-count': { etcd: 'snapshotCount', value: (s) => s.snapshotCount },
  'max-request-bytes': { etcd: 'maxRequestBytes', value: (s) => s.maxRequestBytes },
  'heartbeat-interval': { etcd: 'heartbeatInterval', value: (s) => s.heartbeatIntervalMs },
  'election-timeout': { etcd: 'electionTimeout', value: (s) => s.electionTimeoutMs },
  metrics: { etcd: 'metrics', value: (s) => s.metrics },
  'log-level': { hostEnv: 'ETCD_LOG_LEVEL' },
};

/** `20261203T192900Z`, as the hosts' backups are stamped. */

/**
 * The contexts file's text with the context's settings changed (pure): `applied` is the inventory's
 * settings with the change applied (plans/config-change.ts applyConfig), so values are etcd's normalized
 * ones (bytes, milliseconds). A context-level `quota:` is changed too when it is there (it is the
 * console's quota). Throws ConfigError when the context is not in the file.
 */
export function updatedContextsText(text: string, path: string, contextName: string, assignments: ConfigAssignment[], applied: EtcdSettings): string {
  const doc = YAML.parseDocument(text);
  const ctx = contextNode(doc, contextName);
  if (!ctx) throw new ConfigError(`${path}: context "${contextName}" is not in the file any more; its settings were not updated`);
  for (const a of assignments) {
    const field = INVENTORY_FIELD[a.key.key];
    if (!field) continue;
    if ('etcd' in field) {
      const value = field.value(applied);
      if (!YAML.isMap(ctx.get('etcd'))) ctx.set('etcd', doc.createNode({}));
      (ctx.get('etcd') as YAML.YAMLMap).set(field.etcd, value);
      if (field.etcd === 'quota' && ctx.has('quota')) ctx.set('quota', value);
      continue;
    }
    const hosts = ctx.get('hosts');
    if (!YAML.isSeq(hosts)) continue;
    for (const host of hosts.items) {
      if (!YAML.isMap(host)) continue;
      if (!YAML.isMap(host.get('env'))) host.set('env', doc.createNode({}));
      (host.get('env') as YAML.YAMLMap).set(field.hostEnv, a.value);
    }
  }
  const out = doc.toString();
  parseContextsFile(out, path); // the new file must read back (throws a clear ConfigError otherwise)
  return out;
}

/** Why the contexts file cannot be rewritten (its directory takes the backup and the new file), or undefined. Writes nothing. */
export function contextsFileProblem(path: string): string | undefined {
  return localOutputProblem({ kind: 'new-file', path, what: 'the contexts file', existing: 'planner' });
}

/**
 * Rewrite the contexts file with the new settings: the old file copied aside first (never overwritten:
 * -2, -3 ... when the name is taken), the new one written beside it and renamed over (atomic), mode kept.
 * Returns the backup's path.
 */
export function writeContextSettings(path: string, contextName: string, assignments: ConfigAssignment[], applied: EtcdSettings, now = new Date()): { backup: string } {
  const text = readFileSync(path, 'utf8');
  const next = updatedContextsText(text, path, contextName, assignments, applied);
  const backup = copyAside(path, `${path}.etcd-tui-backup-${utcStamp(now)}`, true);
  replaceFile(path, next);
  return { backup };
}

/**
 * config set's local part: with every member changed (no HOST given), the contexts file is checked
 * before anything changes and rewritten after the run succeeded; with some hosts only, the inventory
 * stays as it is (a per-host value would make the hosts differ for good without anyone asking) and
 * the run says so.
 */
export function configSetInventory(assignments: ConfigAssignment[], hosts: string[]): { problem(loaded: LoadedInventory): string | undefined; after(loaded: LoadedInventory): string[] } {
  const allHosts = hosts.length === 0;
  const what = assignments.map((a) => `${a.key.key}=${a.value}`).join(' ');
  return {
    problem: (loaded) => (allHosts ? contextsFileProblem(loaded.path) : undefined),
    after: (loaded) => {
      if (!allHosts) {
        return [`the contexts file ${loaded.path} is not changed: only ${hosts.join(', ')} took ${what}, the other members keep their value (run config set without HOST to change every member and the context)`];
      }
      const applied = applyConfig(loaded.inventory.settings, loaded.inventory.hosts, assignments);
      if ('refusal' in applied) throw new ConfigError(`the contexts file ${loaded.path} is not changed: ${applied.refusal}`);
      try {
        const { backup } = writeContextSettings(loaded.path, loaded.context.name, assignments, applied.settings);
        return [`context "${loaded.context.name}" in ${loaded.path} now has ${what} (the old file kept as ${backup})`];
      } catch (error) {
        throw new ConfigError(`every member runs ${what}, but the contexts file ${loaded.path} could not be updated (${errorMessage(error)}): set the same values in context "${loaded.context.name}" by hand`);
      }
    },
  };
}
