/**
 * A config change on the rolling engine, its pure part: the settings `etcd-tui config set KEY=VALUE`
 * knows (etcd's own flag names), their values checked, applied to the inventory's settings, and the
 * diff of a node's env file (old line -> new line) for the preview. Rendering the new file from the
 * templates and reading the old one are the run layer's (src/run/config-change.ts).
 */
import type { EtcdSettings, HostSpec } from '../domain/hosts.js';
import type { SettingCheck } from '../domain/plan.js';

/** One setting `config set` knows. */
export interface ConfigKey {
  /** etcd's flag name: quota-backend-bytes. */
  key: string;
  /** The env file variable it renders. */
  env: string;
  /** Every member must use the same value (raft timing). */
  equalOnAll?: boolean;
  /** The gauge on /metrics that shows the running value, when etcd has one. */
  metric?: string;
  /** What the value must look like, for the refusal. */
  expects: string;
  /** The new settings and host overrides, or why the value is refused. */
  apply(value: string, settings: EtcdSettings, overrides: Record<string, string>): string | undefined;
}

const SIZE: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 };

/** Bytes from "8589934592", "8GB", "512MiB" (decimal and binary units). */
export function parseConfigSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([a-z]*)$/i.exec(text.trim());
  const factor = m ? SIZE[m[2].toLowerCase()] : undefined;
  if (!m || factor === undefined) return undefined;
  const bytes = Math.round(Number(m[1]) * factor);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

function wholeNumber(text: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'panic', 'fatal'] as const;

/** Where a checked value goes: a setting, or an env override of the hosts. */
type Setter<T> = (value: T, settings: EtcdSettings, overrides: Record<string, string>) => void;
/** What a builder is given besides the value's kind. */
type KeyBase = Pick<ConfigKey, 'key' | 'env' | 'equalOnAll' | 'metric'>;

/** A size in bytes (decimal and binary units), at most `max.bytes` when given. */
function sizeKey(base: KeyBase, examples: string, set: Setter<number>, max?: { bytes: number; why: string }): ConfigKey {
  return {
    ...base,
    expects: `a size (${examples})`,
    apply: (v, s, o) => {
      const n = parseConfigSize(v);
      if (n === undefined) return 'is not a size';
      if (max && n > max.bytes) return max.why;
      set(n, s, o);
      return undefined;
    },
  };
}

/** Milliseconds, a whole number from 1 to `max`. */
function msKey(base: KeyBase, example: number, max: number, set: Setter<number>): ConfigKey {
  return {
    ...base,
    expects: `milliseconds, a whole number (${example})`,
    apply: (v, s, o) => {
      const n = wholeNumber(v, 1, max);
      if (n === undefined) return `is not a whole number of milliseconds from 1 to ${max}`;
      set(n, s, o);
      return undefined;
    },
  };
}

/** One of a few words. */
function oneOf<T extends string>(base: KeyBase, choices: readonly T[], set: Setter<T>): ConfigKey {
  const two = choices.length === 2;
  return {
    ...base,
    expects: two ? `${choices[0]} or ${choices[1]}` : choices.join(', '),
    apply: (v, s, o) => {
      const choice = choices.find((c) => c === v);
      if (choice === undefined) return two ? `is neither ${choices[0]} nor ${choices[1]}` : `is not one of ${choices.join(', ')}`;
      set(choice, s, o);
      return undefined;
    },
  };
}

/** The settings `config set` knows, in the order the help lists them. */
export const CONFIG_KEYS: readonly ConfigKey[] = [
  sizeKey({ key: 'quota-backend-bytes', env: 'ETCD_QUOTA_BACKEND_BYTES', metric: 'etcd_server_quota_backend_bytes' }, '8GB, 512MiB, 8589934592', (n, s) => (s.quotaBackendBytes = n), {
    bytes: 100 * 1e9,
    why: 'is more than 100 GB (etcd recommends at most 8 GB)',
  }),
  oneOf({ key: 'auto-compaction-mode', env: 'ETCD_AUTO_COMPACTION_MODE' }, ['periodic', 'revision'], (v, s) => (s.autoCompactionMode = v)),
  {
    key: 'auto-compaction-retention',
    env: 'ETCD_AUTO_COMPACTION_RETENTION',
    expects: 'hours ("8") or a duration ("30m") in periodic mode, a number of revisions in revision mode',
    apply: (v, s) => {
      // Hours as a number, or a Go duration etcd parses (1h30m, 30m, 1.5h); anything else stops etcd at start.
      if (!/^(\d+|(\d+(\.\d+)?(ns|us|ms|s|m|h))+)$/.test(v)) return 'is not a retention';
      s.autoCompactionRetention = v;
      return undefined;
    },
  },
  {
    key: 'snapshot-count',
    env: 'ETCD_SNAPSHOT_COUNT',
    expects: 'a whole number of at least 1',
    apply: (v, s) => {
      const n = wholeNumber(v, 1);
      if (n === undefined) return 'is not a whole number of at least 1';
      s.snapshotCount = n;
      return undefined;
    },
  },
  sizeKey({ key: 'max-request-bytes', env: 'ETCD_MAX_REQUEST_BYTES' }, '1.5MB, 1572864', (n, s) => (s.maxRequestBytes = n)),
  msKey({ key: 'heartbeat-interval', env: 'ETCD_HEARTBEAT_INTERVAL', equalOnAll: true }, 100, 60_000, (n, s) => (s.heartbeatIntervalMs = n)),
  msKey({ key: 'election-timeout', env: 'ETCD_ELECTION_TIMEOUT', equalOnAll: true }, 1000, 50_000, (n, s) => (s.electionTimeoutMs = n)),
  oneOf({ key: 'metrics', env: 'ETCD_METRICS' }, ['basic', 'extensive'], (v, s) => (s.metrics = v)),
  oneOf({ key: 'log-level', env: 'ETCD_LOG_LEVEL' }, LOG_LEVELS, (v, _s, o) => (o.ETCD_LOG_LEVEL = v)),
];

/** The known keys, for a refusal. */
export function knownConfigKeys(): string {
  return CONFIG_KEYS.map((k) => k.key).join(', ');
}

export interface ConfigAssignment {
  key: ConfigKey;
  value: string;
}

/** KEY=VALUE words (HOST words are the ones without "="), checked; or why they cannot be used. */
export function parseConfigArgs(words: string[]): { assignments: ConfigAssignment[]; hosts: string[] } | { refusal: string } {
  const assignments: ConfigAssignment[] = [];
  const hosts: string[] = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq < 0) {
      hosts.push(w);
      continue;
    }
    const name = w.slice(0, eq).trim().replace(/^--/, '');
    const value = w.slice(eq + 1).trim();
    const key = CONFIG_KEYS.find((k) => k.key === name || k.env === name);
    if (!key) return { refusal: `unknown setting "${name}"; known: ${knownConfigKeys()}` };
    if (value === '') return { refusal: `${key.key}: give a value (${key.expects})` };
    if (assignments.some((a) => a.key.key === key.key)) return { refusal: `${key.key} is given twice` };
    assignments.push({ key, value });
  }
  if (assignments.length === 0) return { refusal: `give at least one KEY=VALUE; known: ${knownConfigKeys()}` };
  return { assignments, hosts };
}

/** The inventory's settings and each host with the change applied; or why a value is refused. */
export function applyConfig(settings: EtcdSettings, hosts: HostSpec[], assignments: ConfigAssignment[]): { settings: EtcdSettings; hosts: HostSpec[] } | { refusal: string } {
  const next: EtcdSettings = { ...settings };
  const overrides: Record<string, string> = {};
  for (const a of assignments) {
    const why = a.key.apply(a.value, next, overrides);
    if (why) return { refusal: `${a.key.key}=${a.value} ${why} (expected ${a.key.expects})` };
  }
  if (next.electionTimeoutMs < 5 * next.heartbeatIntervalMs) {
    return { refusal: `election-timeout (${next.electionTimeoutMs}) must be at least 5 x heartbeat-interval (${5 * next.heartbeatIntervalMs}): etcd refuses to start otherwise; 10 x is usual` };
  }
  if (next.autoCompactionMode === 'revision' && !/^[0-9]+$/.test(next.autoCompactionRetention)) {
    return { refusal: `auto-compaction-retention must be a number of revisions in revision mode, not "${next.autoCompactionRetention}"` };
  }
  return { settings: next, hosts: hosts.map((h) => ({ ...h, envOverrides: { ...h.envOverrides, ...overrides } })) };
}

/**
 * The settings one host's new file is rendered with: the change asked for, and every other setting
 * `config set` knows as the host's current file has it (the contexts file is not rewritten, so it may
 * lag behind an earlier change: rendering it would silently undo that change).
 */
export function hostRenderSettings(settings: EtcdSettings, host: HostSpec, oldText: string, asked: ConfigAssignment[]): { settings: EtcdSettings; host: HostSpec } {
  const values = envValues(oldText);
  const next: EtcdSettings = { ...settings };
  const overrides: Record<string, string> = {};
  for (const k of CONFIG_KEYS) {
    if (asked.some((a) => a.key.key === k.key)) continue;
    const v = values[k.env];
    // A value the checks refuse stays as the context has it (and shows in the diff).
    if (v !== undefined) k.apply(v, next, overrides);
  }
  return { settings: next, host: { ...host, envOverrides: { ...host.envOverrides, ...overrides } } };
}

/** One line of a node's env file that changes. */
export interface EnvLineChange {
  env: string;
  old?: string;
  new?: string;
  /** One of the settings asked for (else: the file on the host differed from the inventory already). */
  asked: boolean;
}

function envLines(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) out.set(m[1], line);
  }
  return out;
}

/** The settings of an env file (KEY=VALUE lines, comments left out). */
export function envValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, line] of envLines(text)) out[k] = line.slice(k.length + 1);
  return out;
}

/** The KEY=VALUE lines that differ between the file on the host and the new one, in the new file's order. */
export function envDiff(oldText: string, newText: string, asked: string[]): EnvLineChange[] {
  const before = envLines(oldText);
  const after = envLines(newText);
  const out: EnvLineChange[] = [];
  for (const [k, line] of after) if (before.get(k) !== line) out.push({ env: k, ...(before.has(k) ? { old: before.get(k) } : {}), new: line, asked: asked.includes(k) });
  for (const [k, line] of before) if (!after.has(k)) out.push({ env: k, old: line, asked: asked.includes(k) });
  return out;
}

/** A change as preview lines: "ETCD_QUOTA_BACKEND_BYTES=268435456 -> ETCD_QUOTA_BACKEND_BYTES=536870912". */
export function diffLines(host: string, changes: EnvLineChange[]): string[] {
  if (changes.length === 0) return [`${host}: no line changes`];
  return changes.map((c) => `${host}: ${c.old ?? '(absent)'} -> ${c.new ?? '(removed)'}${c.asked ? '' : '   (the file on the host differed from the inventory here already)'}`);
}

/** What each member must show afterwards: its env file line, and the metric where etcd has one. */
export function settingChecks(assignments: ConfigAssignment[], newText: string): SettingCheck[] {
  const values = envValues(newText);
  return assignments.map((a) => ({ env: a.key.env, value: values[a.key.env] ?? '', ...(a.key.metric ? { metric: a.key.metric } : {}) }));
}

/** Plan notes: settings that must be equal on every member, what is verified how, the context file. */
export function configNotes(assignments: ConfigAssignment[], allHosts: boolean): string[] {
  const notes: string[] = [];
  const equal = assignments.filter((a) => a.key.equalOnAll);
  if (equal.length > 0) {
    notes.push(
      `${equal.map((a) => a.key.key).join(' and ')} must be equal on every member: between the first member and the last they differ (etcd tolerates it for the run); do not stop the run halfway`,
    );
    if (!allHosts) notes.push('(refused for only some hosts: these settings go to every member)');
  }
  const metric = assignments.filter((a) => a.key.metric).map((a) => a.key.key);
  const fileOnly = assignments.filter((a) => !a.key.metric).map((a) => a.key.key);
  if (metric.length > 0) notes.push(`verified on each member: ${metric.join(', ')} in its /metrics, and its env file read back`);
  if (fileOnly.length > 0) notes.push(`verified on each member by its env file read back (etcd does not show ${fileOnly.join(', ')})`);
  notes.push("the other settings keep the values each host's env file has");
  notes.push(
    allHosts
      ? "once every member runs the change, the context's etcd settings in the contexts file get the new values (the old file kept as a backup), so later joins render them too"
      : 'the contexts file is not changed (some hosts only): the other members and later joins keep the old value',
  );
  return notes;
}
