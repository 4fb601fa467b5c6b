/**
 * The contexts file (YAML): named connection presets, kubeconfig-style.
 *
 *   current: prod            # optional default context
 *   contexts:
 *     - name: prod
 *       endpoints: [https://10.0.0.1:2379, https://10.0.0.2:2379]
 *       cacert: /etc/etcd/pki/ca.pem
 *       cert: /etc/etcd/pki/admin.pem
 *       key: /etc/etcd/pki/admin-key.pem
 *       user: root           # password comes from ETCDCTL_PASSWORD / --password / a prompt, never from this file
 *       readOnly: true
 *       refresh: 1s
 *       quota: 8GiB
 *       dialTimeout: 2s
 *       commandTimeout: 5s
 *
 * Parsing is strict: an unknown key is an error, since a typo (`readonly: true`) silently ignored
 * would be worse. `hosts`, `ssh` and `etcd` are the context's inventory (src/cli/inventory.ts); with
 * hosts, `endpoints` may be left out (the hosts' client URLs). `envFile` is passed through untouched.
 */
import { mkdir, readFile, rename, writeFile, chmod } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import YAML from 'yaml';
import { ConfigError } from '../domain/errors.js';
import { MIN_REFRESH_MS, formatDuration, formatSize, parseDuration, parseEndpoints, parseSize } from './args.js';
import { inventoryEndpoints, parseInventory, type Inventory } from './inventory.js';

export interface ContextConfig {
  name: string;
  /** Normalized endpoint URLs. */
  endpoints: string[];
  /** TLS file paths; relative paths in the file are resolved against the file's directory. */
  cacert?: string;
  cert?: string;
  key?: string;
  user?: string;
  readOnly?: boolean;
  refreshMs?: number;
  quotaBytes?: number;
  dialTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** The inventory as written (kept for saving the file back), and as parsed. */
  hosts?: unknown;
  ssh?: unknown;
  etcd?: unknown;
  inventory?: Inventory;
  /** True when endpoints were not written but derived from the hosts. */
  endpointsFromHosts?: boolean;
  /** True when quotaBytes was not written but taken from etcd.quota. */
  quotaFromHosts?: boolean;
  /** Reserved for later use; passed through unvalidated. */
  envFile?: unknown;
  /** Where verified snapshots (FILE + FILE.json sidecar) are kept: the backup-age check reads it. */
  backupDir?: string;
}

export interface ContextsFile {
  /** The path the file was read from (used in messages). */
  path: string;
  /** Name of the default context; always names a context of `contexts` when set. */
  current?: string;
  contexts: ContextConfig[];
}

export interface ContextSummary {
  name: string;
  endpoints: string[];
  current: boolean;
  readOnly: boolean;
}

const CONTEXT_KEYS = new Set([
  'name',
  'endpoints',
  'cacert',
  'cert',
  'key',
  'user',
  'readOnly',
  'refresh',
  'quota',
  'dialTimeout',
  'commandTimeout',
  'hosts',
  'ssh',
  'etcd',
  'envFile',
  'backupDir',
]);
const TOP_KEYS = new Set(['current', 'contexts']);

/** `$XDG_CONFIG_HOME/etcd-tui/contexts.yaml`, else `<homedir>/.config/etcd-tui/contexts.yaml`. */
export function defaultContextsPath(env: Record<string, string | undefined>, homedir: string): string {
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir, '.config');
  return join(base, 'etcd-tui', 'contexts.yaml');
}

/** Parse and validate a contexts file. Every error names the file, the context and the field. */
export function parseContextsFile(text: string, path: string): ContextsFile {
  let data: unknown;
  // Outside the try: in the bundle, yaml is a file of its own loaded here on first use, and a
  // missing one is an installation problem, not the contexts file's.
  const parse = YAML.parse;
  try {
    data = parse(text);
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new ConfigError(`${path}: not valid YAML: ${first} (fix the file, or point --config elsewhere)`);
  }
  if (data === null || data === undefined) return { path, contexts: [] };
  if (!isRecord(data)) {
    throw new ConfigError(`${path}: must be a mapping with "current" and "contexts" keys (see etcd-tui --help)`);
  }
  for (const k of Object.keys(data)) {
    if (!TOP_KEYS.has(k)) {
      throw new ConfigError(`${path}: unknown key "${k}" (known: current, contexts)`);
    }
  }

  const contexts: ContextConfig[] = [];
  const rawList = data.contexts;
  if (rawList !== undefined && rawList !== null) {
    if (!Array.isArray(rawList)) {
      throw new ConfigError(`${path}: contexts must be a list (each item starts with "- name: ...")`);
    }
    rawList.forEach((raw: unknown, i: number) => {
      const ctx = parseContext(raw, i, path);
      if (contexts.some((c) => c.name === ctx.name)) {
        throw new ConfigError(`${path}: context "${ctx.name}" is defined twice (rename or remove one)`);
      }
      contexts.push(ctx);
    });
  }

  const file: ContextsFile = { path, contexts };
  const current = data.current;
  if (current !== undefined && current !== null) {
    if (typeof current !== 'string' || current.trim() === '') {
      throw new ConfigError(`${path}: current must be the name of a context`);
    }
    if (!contexts.some((c) => c.name === current)) {
      throw new ConfigError(`${path}: current: "${current}" is not a context in this file (known: ${knownNames(file)})`);
    }
    file.current = current;
  }
  return file;
}

function parseContext(raw: unknown, index: number, path: string): ContextConfig {
  if (!isRecord(raw)) {
    throw new ConfigError(`${path}: contexts item ${index + 1} must be a mapping with name and endpoints`);
  }
  const name = raw.name;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new ConfigError(`${path}: contexts item ${index + 1} needs a name (e.g. name: prod)`);
  }
  if (name !== name.trim() || /\s/.test(name)) {
    throw new ConfigError(`${path}: context "${name}": name must not contain spaces`);
  }
  const where = `${path}: context "${name}"`;

  for (const k of Object.keys(raw)) {
    if (!CONTEXT_KEYS.has(k)) {
      const hint = suggestKey(k);
      throw new ConfigError(
        `${where}: unknown key "${k}" (${hint ? `did you mean ${hint}? ` : ''}known: ${[...CONTEXT_KEYS].join(', ')})`,
      );
    }
  }

  const ctx: ContextConfig = { name, endpoints: [] };

  const inventory = parseInventory({ ssh: raw.ssh, etcd: raw.etcd, hosts: raw.hosts, quota: raw.quota }, where, { path, sshAuthSock: process.env.SSH_AUTH_SOCK });
  const eps = raw.endpoints;
  if ((eps === undefined || eps === null) && inventory) {
    ctx.endpoints = inventoryEndpoints(inventory);
    ctx.endpointsFromHosts = true;
  } else {
    if (eps === undefined || eps === null) {
      throw new ConfigError(`${where}: endpoints is missing (e.g. endpoints: [https://10.0.0.1:2379])`);
    }
    if (!Array.isArray(eps) || eps.length === 0 || !eps.every((e) => typeof e === 'string')) {
      throw new ConfigError(`${where}: endpoints must be a list of URLs (e.g. endpoints: [https://10.0.0.1:2379])`);
    }
    ctx.endpoints = parseEndpoints(eps as string[], `${where}: endpoints`);
  }

  for (const field of ['cacert', 'cert', 'key'] as const) {
    const v = raw[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || v.trim() === '') {
      throw new ConfigError(`${where}: ${field} must be a file path`);
    }
    if (v.startsWith('~')) {
      throw new ConfigError(`${where}: ${field}: write the full path instead of "${v}" (~ is not expanded)`);
    }
    ctx[field] = resolve(dirname(path), v);
  }
  if ((ctx.cert === undefined) !== (ctx.key === undefined)) {
    const [has, lacks] = ctx.cert !== undefined ? ['cert', 'key'] : ['key', 'cert'];
    throw new ConfigError(`${where}: ${has} is set but ${lacks} is not (mutual TLS needs both)`);
  }

  if (raw.user !== undefined && raw.user !== null) {
    if (typeof raw.user !== 'string' || raw.user.trim() === '') {
      throw new ConfigError(`${where}: user must be a user name`);
    }
    if (raw.user.includes(':')) {
      throw new ConfigError(
        `${where}: user must be a name only (keep passwords out of this file: use ETCDCTL_PASSWORD or the prompt)`,
      );
    }
    ctx.user = raw.user;
  }

  if (raw.readOnly !== undefined && raw.readOnly !== null) {
    if (typeof raw.readOnly !== 'boolean') {
      throw new ConfigError(`${where}: readOnly must be true or false`);
    }
    ctx.readOnly = raw.readOnly;
  }

  ctx.refreshMs = durationField(raw.refresh, `${where}: refresh`, MIN_REFRESH_MS);
  ctx.dialTimeoutMs = durationField(raw.dialTimeout, `${where}: dialTimeout`);
  ctx.commandTimeoutMs = durationField(raw.commandTimeout, `${where}: commandTimeout`);
  if (raw.quota !== undefined && raw.quota !== null) {
    if (typeof raw.quota !== 'string' && typeof raw.quota !== 'number') {
      throw new ConfigError(`${where}: quota must be a size (examples: 8GiB, 2GB, 8589934592)`);
    }
    ctx.quotaBytes = parseSize(String(raw.quota), `${where}: quota`);
  }

  // The console measures DB size against the quota the hosts were given (etcd.quota) unless the context says otherwise.
  if (ctx.quotaBytes === undefined && inventory && isRecord(raw.etcd) && raw.etcd.quota !== undefined && raw.etcd.quota !== null) {
    ctx.quotaBytes = inventory.settings.quotaBackendBytes;
    ctx.quotaFromHosts = true;
  }
  if ('hosts' in raw) ctx.hosts = raw.hosts;
  if ('ssh' in raw) ctx.ssh = raw.ssh;
  if ('etcd' in raw) ctx.etcd = raw.etcd;
  if (inventory) ctx.inventory = inventory;
  if ('envFile' in raw) ctx.envFile = raw.envFile;
  if (raw.backupDir !== undefined && raw.backupDir !== null) {
    if (typeof raw.backupDir !== 'string' || raw.backupDir.trim() === '' || raw.backupDir.startsWith('~')) throw new ConfigError(`${where}: backupDir must be a directory path (full path; ~ is not expanded)`);
    ctx.backupDir = resolve(dirname(path), raw.backupDir);
  }

  // Drop undefined optional fields so the object stays tidy (deepEqual-friendly).
  for (const k of Object.keys(ctx) as (keyof ContextConfig)[]) {
    if (ctx[k] === undefined) delete ctx[k];
  }
  return ctx;
}

function durationField(v: unknown, label: string, minMs?: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') {
    throw new ConfigError(`${label}: must be a duration (examples: 500ms, 1s, 2m)`);
  }
  return parseDuration(String(v), label, { minMs });
}

function suggestKey(k: string): string | undefined {
  const lower = k.toLowerCase().replace(/[-_]/g, '');
  for (const known of CONTEXT_KEYS) {
    if (known.toLowerCase() === lower) return known;
  }
  const aliases: Record<string, string> = {
    readonly: 'readOnly',
    quotabytes: 'quota',
    quotabackendbytes: 'quota',
    endpoint: 'endpoints',
    cafile: 'cacert',
    certfile: 'cert',
    keyfile: 'key',
    refreshinterval: 'refresh',
    password: 'user (passwords do not belong in this file)',
  };
  return aliases[lower];
}

/** Names of the contexts, for messages: "dev, staging" or "none". */
export function knownNames(file: ContextsFile): string {
  return file.contexts.length === 0 ? 'none' : file.contexts.map((c) => c.name).join(', ');
}

/** Find a context by name, or undefined. */
export function findContext(file: ContextsFile, name: string): ContextConfig | undefined {
  return file.contexts.find((c) => c.name === name);
}

/** One summary per context, in file order. */
export function listContexts(file: ContextsFile): ContextSummary[] {
  return file.contexts.map((c) => ({
    name: c.name,
    endpoints: [...c.endpoints],
    current: c.name === file.current,
    readOnly: c.readOnly ?? false,
  }));
}

/** The YAML shape of a context (what the file holds), from the parsed form. */
export function contextToYaml(ctx: ContextConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { name: ctx.name };
  if (!ctx.endpointsFromHosts) out.endpoints = [...ctx.endpoints];
  if (ctx.cacert !== undefined) out.cacert = ctx.cacert;
  if (ctx.cert !== undefined) out.cert = ctx.cert;
  if (ctx.key !== undefined) out.key = ctx.key;
  if (ctx.user !== undefined) out.user = ctx.user;
  if (ctx.readOnly !== undefined) out.readOnly = ctx.readOnly;
  if (ctx.refreshMs !== undefined) out.refresh = formatDuration(ctx.refreshMs);
  if (ctx.quotaBytes !== undefined && !ctx.quotaFromHosts) out.quota = formatSize(ctx.quotaBytes);
  if (ctx.dialTimeoutMs !== undefined) out.dialTimeout = formatDuration(ctx.dialTimeoutMs);
  if (ctx.commandTimeoutMs !== undefined) out.commandTimeout = formatDuration(ctx.commandTimeoutMs);
  if (ctx.ssh !== undefined) out.ssh = ctx.ssh;
  if (ctx.etcd !== undefined) out.etcd = ctx.etcd;
  if (ctx.hosts !== undefined) out.hosts = ctx.hosts;
  if (ctx.envFile !== undefined) out.envFile = ctx.envFile;
  if (ctx.backupDir !== undefined) out.backupDir = ctx.backupDir;
  return out;
}

/**
 * Add a context to the contexts file, or replace the one with the same name; other contexts and
 * comments are kept. Creates the directory (0700) and writes the file with mode 0600 (atomically,
 * via a temporary file). With `makeCurrent`, also sets `current` to this context.
 * Refuses to rewrite a file that does not parse, rather than clobber it.
 */
export async function saveContext(
  path: string,
  context: ContextConfig,
  opts: { makeCurrent?: boolean } = {},
): Promise<void> {
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(`${path}: cannot read (${(err as Error).message}); fix its permissions`);
    }
  }
  // Validate the new context through the same rules as the file (round-trip its YAML form).
  const candidate = contextToYaml(context);
  parseContextsFile(YAML.stringify({ contexts: [candidate] }), path);

  let doc: YAML.Document;
  if (text === undefined || text.trim() === '') {
    doc = new YAML.Document({ contexts: [] });
  } else {
    parseContextsFile(text, path); // throws a clear error on a broken file
    doc = YAML.parseDocument(text);
  }
  let seq = doc.get('contexts');
  if (!YAML.isSeq(seq)) {
    doc.set('contexts', doc.createNode([]));
    seq = doc.get('contexts');
  }
  if (!YAML.isSeq(seq)) throw new ConfigError(`${path}: contexts must be a list`);
  const node = doc.createNode(candidate);
  const idx = seq.items.findIndex((item) => YAML.isMap(item) && item.get('name') === context.name);
  if (idx === -1) seq.items.push(node);
  else seq.items[idx] = node;
  if (opts.makeCurrent) doc.set('current', context.name);

  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, doc.toString(), { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
