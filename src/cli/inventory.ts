/**
 * The hosts of a context (its inventory) and the cluster-wide etcd settings, from the contexts file:
 *
 *   contexts:
 *     - name: prod
 *       endpoints: [...]            # optional when hosts are given: their client URLs
 *       cacert: /etc/etcd-tui/prod/ca.pem
 *       cert: /etc/etcd-tui/prod/admin.pem
 *       key: /etc/etcd-tui/prod/admin-key.pem
 *       ssh:                        # defaults for every host
 *         user: root
 *         port: 22
 *         identityFile: ~/.ssh/id_ed25519     # or a list
 *         agent: true
 *         knownHosts: ~/.ssh/known_hosts
 *         sudo: false
 *         connectTimeout: 10s
 *       etcd:                       # what every member must agree on, and where files go
 *         version: 3.4.23
 *         binarySource: /srv/etcd/etcd-v3.4.23-linux-amd64.tar.gz
 *         caDir: /srv/pki/prod      # ca.pem, member-NAME.pem, member-NAME-key.pem
 *         heartbeatInterval: 250
 *         electionTimeout: 5000
 *         ...
 *       hosts:
 *         - name: etcd-1
 *           address: 10.0.0.1
 *           # any ssh key (user, port, identityFile, agent, knownHosts, sudo) or node key
 *           # (etcdAddress, dataDir, walDir, certDir, binaryPath, envFile, unitName, unitDir,
 *           # clientPort, peerPort) for this host only, and extra env lines:
 *           env: { ETCD_LOG_LEVEL: debug }
 *
 * Parsing is strict (an unknown key is an error) and names the file, context, host and field.
 * Local paths (keys, known_hosts, CA dir, binary source, templates) may start with ~/ and are
 * resolved against the file's directory; remote paths must be absolute.
 */
import { homedir } from 'node:os';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../domain/errors.js';
import { DEFAULT_ETCD_SETTINGS, type EtcdSettings, type HostSpec, type Inventory, type SshTarget } from '../domain/hosts.js';
import { parseDuration, parseSize } from './args.js';

export type { Inventory } from '../domain/hosts.js';

const SSH_KEYS = ['user', 'port', 'identityFile', 'agent', 'knownHosts', 'sudo', 'connectTimeout', 'stallTimeout'] as const;
const NODE_KEYS = ['dataDir', 'walDir', 'certDir', 'binaryPath', 'envFile', 'unitName', 'unitDir', 'clientPort', 'peerPort', 'stopServices'] as const;
const CLUSTER_KEYS = [
  'tls', 'token', 'heartbeatInterval', 'electionTimeout', 'snapshotCount', 'autoCompactionMode', 'autoCompactionRetention',
  'quota', 'maxRequestBytes', 'metrics', 'listenMetricsUrls', 'listenLocalhost', 'enableV2', 'proxyOff', 'version',
  'binarySource', 'caDir', 'minCertValidityDays', 'templatesDir', 'kubernetes',
] as const;
const HOST_KEYS = new Set<string>(['name', 'address', 'etcdAddress', 'env', 'metricsUrl', ...SSH_KEYS, ...NODE_KEYS]);
const ETCD_KEYS = new Set<string>([...CLUSTER_KEYS, ...NODE_KEYS]);

export interface InventoryEnv {
  /** The contexts file (relative local paths resolve against its directory). */
  path: string;
  home?: string;
  sshAuthSock?: string;
  /** Whether a local file exists (default keys are used only when present). */
  exists?: (p: string) => boolean;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(raw: Record<string, unknown>, known: Set<string>, where: string): void {
  for (const k of Object.keys(raw)) if (!known.has(k)) throw new ConfigError(`${where}: unknown key "${k}" (known: ${[...known].join(', ')})`);
}

function str(v: unknown, where: string, what = 'a string'): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') throw new ConfigError(`${where}: must be ${what}`);
  const s = String(v).trim();
  if (s === '' || /[\n\r\0]/.test(s)) throw new ConfigError(`${where}: must be ${what}`);
  return s;
}

function bool(v: unknown, where: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new ConfigError(`${where}: must be true or false`);
  return v;
}

function int(v: unknown, where: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${where}: must be a whole number from ${min} to ${max}`);
  return n;
}

function remotePath(v: unknown, where: string): string | undefined {
  const s = str(v, where, 'an absolute path on the host');
  if (s !== undefined && !s.startsWith('/')) throw new ConfigError(`${where}: must be an absolute path on the host, not "${s}"`);
  return s?.replace(/(.)\/+$/, '$1');
}

/** A list of systemd unit names (without .service): the services a restore stops first and starts last. */
function unitNames(v: unknown, where: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new ConfigError(`${where}: must be a list of unit names, e.g. [kube-apiserver]`);
  return v.map((x, i) => {
    const name = str(x, `${where}[${i}]`, 'a unit name');
    if (!name || !/^[A-Za-z0-9@._:-]+$/.test(name) || name.endsWith('.service')) throw new ConfigError(`${where}[${i}]: "${String(x)}" is not a plain unit name (without .service)`);
    return name;
  });
}

function localPath(v: unknown, where: string, env: InventoryEnv): string | undefined {
  const s = str(v, where, 'a file path');
  if (s === undefined) return undefined;
  if (s === '~' || s.startsWith('~/')) return join(env.home ?? homedir(), s.slice(1));
  if (s.startsWith('~')) throw new ConfigError(`${where}: write the full path instead of "${s}" (only ~/ is expanded)`);
  return isAbsolute(s) ? s : resolve(dirname(env.path), s);
}

function localPaths(v: unknown, where: string, env: InventoryEnv): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  const list = Array.isArray(v) ? v : [v];
  return list.map((x, i) => localPath(x, `${where}${Array.isArray(v) ? `[${i}]` : ''}`, env) as string);
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * A host's metrics URL: its `metricsUrl` (http(s)://ADDRESS:PORT, a path allowed), else the cluster's
 * listenMetricsUrls when its first URL listens on every address (0.0.0.0, [::]): with this host's
 * address in its place. A loopback listen URL is not reachable from the bastion: the client URL stays.
 */
function metricsURLOf(v: unknown, hw: string, listen: string | undefined, etcdAddress: string): { metricsURL?: string } {
  const given = str(v, `${hw}: metricsUrl`, 'a URL like http://10.0.0.1:2381');
  if (given !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(given);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.port || url.username || url.password || url.search || url.hash) {
      throw new ConfigError(`${hw}: metricsUrl must be a URL like http://10.0.0.1:2381 (http or https, with a port), not "${given}"`);
    }
    return { metricsURL: given.replace(/\/+$/, '') };
  }
  const first = listen?.split(',')[0];
  const m = first ? /^(https?):\/\/(0\.0\.0\.0|\[::\]):(\d+)\/?$/.exec(first) : null;
  if (!m) return {};
  const host = etcdAddress.includes(':') && !etcdAddress.startsWith('[') ? `[${etcdAddress}]` : etcdAddress;
  return { metricsURL: `${m[1]}://${host}:${m[3]}` };
}

/** The inventory hosts whose /metrics is not on their client URL, for the scraper. */
export function inventoryMetricsTargets(inv: Inventory): Array<{ name: string; clientURL: string; metricsURL: string }> {
  const clientURLs = inventoryEndpoints(inv);
  return inv.hosts.flatMap((h, i) => (h.metricsURL ? [{ name: h.name, clientURL: clientURLs[i], metricsURL: h.metricsURL }] : []));
}

/** Parse a context's `ssh`, `etcd` and `hosts` keys. Returns undefined when there are no hosts. */
export function parseInventory(raw: { ssh?: unknown; etcd?: unknown; hosts?: unknown; quota?: unknown }, where: string, env: InventoryEnv): Inventory | undefined {
  if (raw.hosts === undefined || raw.hosts === null) {
    if (raw.ssh !== undefined || raw.etcd !== undefined) throw new ConfigError(`${where}: ssh and etcd settings need a hosts list`);
    return undefined;
  }
  if (!Array.isArray(raw.hosts) || raw.hosts.length === 0) throw new ConfigError(`${where}: hosts must be a list of hosts (each "- name: etcd-1" with an address)`);
  const ssh = raw.ssh ?? {};
  const etcd = raw.etcd ?? {};
  if (!isRecord(ssh)) throw new ConfigError(`${where}: ssh must be a mapping (user, port, identityFile, agent, knownHosts, sudo, connectTimeout, stallTimeout)`);
  if (!isRecord(etcd)) throw new ConfigError(`${where}: etcd must be a mapping of cluster settings`);
  checkKeys(ssh, new Set(SSH_KEYS), `${where}: ssh`);
  checkKeys(etcd, ETCD_KEYS, `${where}: etcd`);

  const settings = parseSettings(etcd, `${where}: etcd`, env, raw.quota);
  const hosts: HostSpec[] = [];
  raw.hosts.forEach((h: unknown, i: number) => {
    if (!isRecord(h)) throw new ConfigError(`${where}: hosts item ${i + 1} must be a mapping with name and address`);
    const name = str(h.name, `${where}: hosts item ${i + 1}: name`, 'the etcd member name (e.g. etcd-1)');
    if (!name || !NAME.test(name)) throw new ConfigError(`${where}: hosts item ${i + 1}: name must be an etcd member name (letters, digits, . _ -), not "${String(h.name ?? '')}"`);
    const hw = `${where}: host "${name}"`;
    checkKeys(h, HOST_KEYS, hw);
    if (hosts.some((x) => x.name === name)) throw new ConfigError(`${where}: host "${name}" is listed twice`);
    const address = str(h.address, `${hw}: address`, 'an IP address or DNS name');
    if (!address) throw new ConfigError(`${hw}: address is missing (the address the bastion reaches it at)`);
    if (/[\s/@]/.test(address)) throw new ConfigError(`${hw}: address must be an IP address or DNS name, not "${address}"`);
    const pick = <T>(k: string, parse: (v: unknown, w: string) => T | undefined, fallback: T): T =>
      parse(h[k], `${hw}: ${k}`) ?? parse((ssh as Record<string, unknown>)[k] ?? (etcd as Record<string, unknown>)[k], `${where}: ${k in ssh ? 'ssh' : 'etcd'}: ${k}`) ?? fallback;
    const identity = localPaths(h.identityFile, `${hw}: identityFile`, env) ?? localPaths(ssh.identityFile, `${where}: ssh: identityFile`, env);
    const home = env.home ?? homedir();
    const exists = env.exists ?? existsSync;
    const defaultKeys = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((k) => join(home, '.ssh', k)).filter((p) => exists(p));
    const target: SshTarget = {
      address,
      port: pick('port', (v, w) => int(v, w, 1, 65535), 22),
      user: pick('user', (v, w) => str(v, w, 'a user name'), 'root'),
      identityFiles: identity ?? defaultKeys,
      agent: pick('agent', bool, Boolean(env.sshAuthSock)),
      knownHosts: pick('knownHosts', (v, w) => localPath(v, w, env), join(home, '.ssh', 'known_hosts')),
      sudo: pick('sudo', bool, false),
      connectTimeoutMs: pick('connectTimeout', (v, w) => (v === undefined || v === null ? undefined : parseDuration(String(v), w, { minMs: 100 })), 10_000),
      stallTimeoutMs: pick('stallTimeout', (v, w) => (v === undefined || v === null ? undefined : parseDuration(String(v), w, { minMs: 1000 })), 20_000),
    };
    const envOverrides: Record<string, string> = {};
    if (h.env !== undefined && h.env !== null) {
      if (!isRecord(h.env)) throw new ConfigError(`${hw}: env must be a mapping of ETCD_* names to values`);
      for (const [k, v] of Object.entries(h.env)) {
        if (!/^ETCD(CTL)?_[A-Z0-9_]+$/.test(k)) throw new ConfigError(`${hw}: env: "${k}" is not an ETCD_* or ETCDCTL_* variable`);
        const value = typeof v === 'boolean' || typeof v === 'number' ? String(v) : str(v, `${hw}: env: ${k}`, 'a value on one line');
        if (value === undefined) throw new ConfigError(`${hw}: env: ${k} needs a value`);
        envOverrides[k] = value;
      }
    }
    const clientPort = pick('clientPort', (v, w) => int(v, w, 1, 65535), 2379);
    const peerPort = pick('peerPort', (v, w) => int(v, w, 1, 65535), 2380);
    if (clientPort === peerPort) throw new ConfigError(`${hw}: clientPort and peerPort must differ (both are ${clientPort})`);
    const unitName = pick('unitName', (v, w) => str(v, w, 'a unit name'), 'etcd');
    if (!NAME.test(unitName) || unitName.endsWith('.service')) throw new ConfigError(`${hw}: unitName must be a plain unit name without .service, not "${unitName}"`);
    const etcdAddress = str(h.etcdAddress, `${hw}: etcdAddress`, 'an IP address') ?? address;
    // etcd binds its listen URLs to IP addresses only ("expected IP in URL for binding").
    if (isIP(etcdAddress.replace(/^\[|\]$/g, '')) === 0) {
      throw new ConfigError(`${hw}: etcd listens on IP addresses only: ${h.etcdAddress === undefined ? `address "${address}" is not one, so give etcdAddress (the IP etcd listens on and advertises)` : `etcdAddress "${etcdAddress}" is not an IP address`}`);
    }
    hosts.push({
      name,
      ssh: target,
      etcdAddress,
      clientPort,
      peerPort,
      dataDir: pick('dataDir', remotePath, '/var/lib/etcd'),
      walDir: pick<string | undefined>('walDir', remotePath, undefined),
      certDir: pick('certDir', remotePath, '/etc/etcd/pki'),
      binaryPath: pick('binaryPath', remotePath, '/usr/local/bin/etcd'),
      envFile: pick('envFile', remotePath, '/etc/etcd/etcd.env'),
      unitName,
      unitDir: pick('unitDir', remotePath, '/etc/systemd/system'),
      stopServices: pick('stopServices', unitNames, [] as string[]),
      envOverrides,
      ...metricsURLOf(h.metricsUrl, hw, settings.listenMetricsUrls, etcdAddress),
    });
  });
  const addrs = new Map<string, string>();
  for (const h of hosts) {
    for (const port of [h.clientPort, h.peerPort]) {
      const k = `${h.etcdAddress}:${port}`;
      const other = addrs.get(k);
      if (other) throw new ConfigError(`${where}: hosts "${other}" and "${h.name}" both use ${k}`);
      addrs.set(k, h.name);
    }
  }
  return { hosts, settings };
}

function parseSettings(etcd: Record<string, unknown>, where: string, env: InventoryEnv, contextQuota: unknown): EtcdSettings {
  const s: EtcdSettings = { ...DEFAULT_ETCD_SETTINGS };
  const w = (k: string) => `${where}: ${k}`;
  s.tls = bool(etcd.tls, w('tls')) ?? s.tls;
  const token = str(etcd.token, w('token'), 'a token without spaces');
  if (token !== undefined) {
    if (/\s/.test(token)) throw new ConfigError(`${w('token')}: must not contain spaces`);
    s.token = token;
  }
  s.heartbeatIntervalMs = int(etcd.heartbeatInterval, w('heartbeatInterval'), 1, 60_000) ?? s.heartbeatIntervalMs;
  s.electionTimeoutMs = int(etcd.electionTimeout, w('electionTimeout'), 1, 600_000) ?? s.electionTimeoutMs;
  if (s.electionTimeoutMs < 5 * s.heartbeatIntervalMs) {
    throw new ConfigError(`${where}: electionTimeout (${s.electionTimeoutMs}) must be at least 5 x heartbeatInterval (${s.heartbeatIntervalMs}); etcd refuses to start otherwise (10 x is usual)`);
  }
  s.snapshotCount = int(etcd.snapshotCount, w('snapshotCount'), 1) ?? s.snapshotCount;
  const mode = str(etcd.autoCompactionMode, w('autoCompactionMode'), 'periodic or revision');
  if (mode !== undefined) {
    if (mode !== 'periodic' && mode !== 'revision') throw new ConfigError(`${w('autoCompactionMode')}: must be periodic or revision, not "${mode}"`);
    s.autoCompactionMode = mode;
  }
  s.autoCompactionRetention = str(etcd.autoCompactionRetention, w('autoCompactionRetention'), 'a retention (8, 1h, 10000)') ?? s.autoCompactionRetention;
  const quota = etcd.quota ?? contextQuota;
  if (quota !== undefined && quota !== null) s.quotaBackendBytes = parseSize(String(quota), w('quota'));
  s.maxRequestBytes = int(etcd.maxRequestBytes, w('maxRequestBytes'), 1) ?? s.maxRequestBytes;
  const metrics = str(etcd.metrics, w('metrics'), 'basic or extensive');
  if (metrics !== undefined) {
    if (metrics !== 'basic' && metrics !== 'extensive') throw new ConfigError(`${w('metrics')}: must be basic or extensive, not "${metrics}"`);
    s.metrics = metrics;
  }
  const lmu = str(etcd.listenMetricsUrls, w('listenMetricsUrls'), 'URLs like http://127.0.0.1:2381');
  if (lmu !== undefined) s.listenMetricsUrls = lmu;
  s.listenLocalhost = bool(etcd.listenLocalhost, w('listenLocalhost')) ?? s.listenLocalhost;
  const v2 = bool(etcd.enableV2, w('enableV2'));
  if (v2 !== undefined) s.enableV2 = v2;
  const proxy = bool(etcd.proxyOff, w('proxyOff'));
  if (proxy !== undefined) s.proxyOff = proxy;
  const version = str(etcd.version, w('version'), 'an etcd version like 3.4.23');
  if (version !== undefined) {
    if (!/^v?\d+\.\d+\.\d+$/.test(version)) throw new ConfigError(`${w('version')}: must be an etcd version like 3.4.23, not "${version}"`);
    s.version = version.replace(/^v/, '');
  }
  const src = localPath(etcd.binarySource, w('binarySource'), env);
  if (src !== undefined) s.binarySource = src;
  const ca = localPath(etcd.caDir, w('caDir'), env);
  if (ca !== undefined) s.caDir = ca;
  const tpl = localPath(etcd.templatesDir, w('templatesDir'), env);
  if (tpl !== undefined) s.templatesDir = tpl;
  s.minCertValidityDays = int(etcd.minCertValidityDays, w('minCertValidityDays'), 0, 3650) ?? s.minCertValidityDays;
  const k8s = bool(etcd.kubernetes, w('kubernetes'));
  if (k8s !== undefined) s.kubernetes = k8s;
  return s;
}

/** The client URLs of the hosts: a context's endpoints when it lists none. */
export function inventoryEndpoints(inv: Inventory): string[] {
  return inv.hosts.map((h) => `${inv.settings.tls ? 'https' : 'http'}://${h.etcdAddress.includes(':') ? `[${h.etcdAddress}]` : h.etcdAddress}:${h.clientPort}`);
}
