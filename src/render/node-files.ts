/**
 * The per-node etcd files: the env file (templates/etcd.env.hbs, every field of seed 000's etcd.env with
 * this node's values) and the systemd unit (templates/etcd.service.hbs, seeds 000 and 002), plus the
 * node's defrag timer when asked. The data builders are pure and refuse, with a one-line message that
 * says what to fix, input that would render a file etcd or systemd rejects or misreads; rendering reads
 * the template files (the shipped ones or the override directory's).
 *
 * The unit's ExecStart has no flags: every setting comes from the env file, so nothing is set twice.
 */
import { ConfigError } from '../domain/errors.js';
import { isIP } from 'node:net';
import {
  certPaths,
  clientURL,
  initialClusterString,
  peerURL,
  unitPath,
  type EtcdSettings,
  type HostSpec,
  type InitialMember,
} from '../domain/hosts.js';
import { defragUnitData, systemdArg, type DefragUnitInput } from './defrag-units.js';
import { renderTemplate } from './templates.js';

export interface NodeRenderInput {
  /** The node being rendered. */
  host: HostSpec;
  settings: EtcdSettings;
  /** For a new cluster: all hosts; for a join: the current members and the new one. */
  initialCluster: InitialMember[];
  state: 'new' | 'existing';
  /** ETCD_INITIAL_CLUSTER_TOKEN. */
  token: string;
}

/** Every variable etcd.env.hbs can render, by name; null when this node does not render it. */
export interface EtcdEnvVars {
  ETCD_NAME: string;
  ETCD_DATA_DIR: string;
  ETCD_WAL_DIR: string | null;
  ETCD_LISTEN_PEER_URLS: string;
  ETCD_INITIAL_ADVERTISE_PEER_URLS: string;
  ETCD_LISTEN_CLIENT_URLS: string;
  ETCD_ADVERTISE_CLIENT_URLS: string;
  ETCD_INITIAL_CLUSTER: string;
  ETCD_INITIAL_CLUSTER_TOKEN: string;
  ETCD_INITIAL_CLUSTER_STATE: string;
  ETCD_HEARTBEAT_INTERVAL: string;
  ETCD_ELECTION_TIMEOUT: string;
  ETCD_SNAPSHOT_COUNT: string;
  ETCD_AUTO_COMPACTION_MODE: string;
  ETCD_AUTO_COMPACTION_RETENTION: string;
  ETCD_QUOTA_BACKEND_BYTES: string;
  ETCD_MAX_REQUEST_BYTES: string;
  ETCD_METRICS: string;
  ETCD_LISTEN_METRICS_URLS: string | null;
  ETCD_ENABLE_V2: string | null;
  ETCD_PROXY: string | null;
  ETCD_TRUSTED_CA_FILE: string | null;
  ETCD_CERT_FILE: string | null;
  ETCD_KEY_FILE: string | null;
  ETCD_CLIENT_CERT_AUTH: string | null;
  ETCD_PEER_TRUSTED_CA_FILE: string | null;
  ETCD_PEER_CERT_FILE: string | null;
  ETCD_PEER_KEY_FILE: string | null;
  ETCD_PEER_CLIENT_CERT_AUTH: string | null;
  ETCDCTL_API: string;
  ETCDCTL_ENDPOINTS: string;
  ETCDCTL_CACERT: string | null;
  ETCDCTL_CERT: string | null;
  ETCDCTL_KEY: string | null;
}

/** What etcd.env.hbs reads. */
export interface EtcdEnvData {
  nodeName: string;
  /** The env file's remote path and the unit name, for the header. */
  envFile: string;
  unitName: string;
  tls: boolean;
  /** The addresses the member certificate's SANs must cover ("172.30.1.12 and 127.0.0.1"). */
  certAddresses: string;
  /** True when ETCD_ENABLE_V2 or ETCD_PROXY is rendered (their section). */
  legacy: boolean;
  /** The values, envOverrides of rendered variables applied in place. */
  env: EtcdEnvVars;
  /** The override section: shown when either list below has something. */
  hasOverrides: boolean;
  /** envOverrides keys that replaced a rendered value in place, sorted, comma-separated ("" when none). */
  replaced: string;
  /** The other envOverrides, sorted by key. */
  extra: { key: string; value: string }[];
}

/** What etcd.service.hbs reads (paths already escaped for systemd). */
export interface EtcdUnitData {
  nodeName: string;
  unitName: string;
  /** The unit file's remote path, for the header. */
  unitFile: string;
  envFile: string;
  /** The data dir, "-"-prefixed: a missing one is not fatal (etcd creates it, mode 0700). */
  workingDirectory: string;
  execStart: string;
  timeoutStartSec: string;
}

export interface NodeFile {
  kind: 'env' | 'unit' | 'defrag-service' | 'defrag-timer';
  remotePath: string;
  mode: number;
  content: string;
  /** The template file used. */
  template: string;
  /** True when the template came from the override directory. */
  overridden: boolean;
}

/** The node's place in the defrag stagger, and optionally the other defrag timer settings. */
export type NodeDefragOptions = { nodeIndex: number; nodeCount: number } & Partial<
  Pick<DefragUnitInput, 'rule' | 'moveLeader' | 'etcdTuiBin' | 'auditLog' | 'days' | 'startTime' | 'spacingMinutes'>
>;

export interface RenderNodeFilesOptions {
  /** A directory whose templates replace the shipped ones (default: settings.templatesDir). */
  overrideDir?: string;
  /** The shipped templates (default: the templates/ folder). */
  templatesDir?: string;
  /** Also render the node's defrag service and timer. */
  defrag?: NodeDefragOptions;
}

/** etcd refuses an election timeout above this (ms). */
const MAX_ELECTION_MS = 50000;

/**
 * Rendered variables that envOverrides may not replace, and where to change them instead: they are the
 * node's identity and bootstrap (validated here against the initial cluster), paths other tools of
 * etcd-tui use, or values every member must share.
 */
const PINNED: Record<string, string> = {
  ETCD_NAME: "the host's name in the inventory",
  ETCD_DATA_DIR: "the host's dataDir (the unit and the snapshot tools use it too)",
  ETCD_WAL_DIR: "the host's walDir (the snapshot tools use it too)",
  ETCD_INITIAL_ADVERTISE_PEER_URLS: "the host's etcdAddress and peerPort (the initial cluster lists that URL)",
  ETCD_INITIAL_CLUSTER: 'nothing: etcd-tui computes it from the inventory or the running cluster',
  ETCD_INITIAL_CLUSTER_STATE: 'nothing: etcd-tui sets new for a new cluster and existing for a join',
  ETCD_INITIAL_CLUSTER_TOKEN: "the cluster settings' token",
  ETCD_HEARTBEAT_INTERVAL: "the cluster settings' heartbeatIntervalMs (every member must use the same value)",
  ETCD_ELECTION_TIMEOUT: "the cluster settings' electionTimeoutMs (every member must use the same value)",
};

const ENV_KEY = /^ETCD(CTL)?_[A-Z0-9_]+$/;

function fail(message: string): never {
  throw new ConfigError(message);
}

/** A value from the input, quoted for a one-line message (a newline shows as \n). */
function q(value: unknown): string {
  return JSON.stringify(String(value));
}

/** A path systemd and etcd read as written: absolute, normalized, one line, no backslash, no trailing space. */
function checkPath(what: string, path: string | undefined): void {
  if (typeof path !== 'string' || !path.startsWith('/')) fail(`${what} must be an absolute path, not ${q(path)}`);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(path)) fail(`${what} must be one line without control characters: ${q(path)}`);
  if (path.includes('\\')) fail(`${what} must not contain a backslash (systemd would read it as an escape): ${q(path)}`);
  if (/\s$/.test(path)) fail(`${what} must not end with a space (systemd would drop it): ${q(path)}`);
  if (path.split('/').some((part) => part === '.' || part === '..')) fail(`${what} must not contain "." or ".." parts: ${q(path)}`);
}

/** A member name as ETCD_NAME and ETCD_INITIAL_CLUSTER (name=url,name=url) need it. */
function checkName(what: string, name: string | undefined): void {
  if (typeof name !== 'string' || name === '') fail(`${what} must not be empty`);
  if (/[\s=,"'\\]/.test(name)) {
    fail(`${what} ${q(name)} must not contain a newline, space, "=", ",", quote or backslash (ETCD_INITIAL_CLUSTER is name=url,name=url)`);
  }
}

function checkPort(what: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`${what} must be a port number from 1 to 65535, not ${port}`);
}

function checkInteger(what: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) fail(`${what} must be a whole number of at least ${min}, not ${value}`);
}

/** A value written unquoted after KEY=: systemd's EnvironmentFile would change one with these. */
function valueProblem(value: string): string | undefined {
  if (value === '') return 'is empty (remove the key to keep the default)';
  if (/[\r\n]/.test(value)) return 'has a newline (one line only)';
  if (value.includes('\\')) return 'has a backslash (systemd reads it as an escape)';
  if (/^["']/.test(value)) return 'starts with a quote (systemd would strip it: values are written unquoted)';
  if (/^\s|\s$/.test(value)) return 'starts or ends with a space (systemd would drop it)';
  return undefined;
}

function checkHost(host: HostSpec): void {
  checkName(`the host name`, host.name);
  const address = host.etcdAddress;
  const bare = typeof address === 'string' ? address.replace(/^\[(.*)\]$/, '$1') : '';
  if (bare !== 'localhost' && isIP(bare) === 0) {
    fail(`etcdAddress of ${host.name} must be an IP address (etcd listens only on IPs), not ${q(address)}: set it to the node's IP`);
  }
  if (bare === '0.0.0.0' || bare === '::') {
    fail(`etcdAddress of ${host.name} must be the node's own IP, not ${bare}: etcd advertises it to clients and the other members`);
  }
  checkPort(`clientPort of ${host.name}`, host.clientPort);
  checkPort(`peerPort of ${host.name}`, host.peerPort);
  if (host.clientPort === host.peerPort) fail(`clientPort and peerPort of ${host.name} must differ (both are ${host.clientPort})`);
  checkPath(`dataDir of ${host.name}`, host.dataDir);
  if (host.walDir !== undefined) checkPath(`walDir of ${host.name}`, host.walDir);
  checkPath(`envFile of ${host.name}`, host.envFile);
}

function checkSettings(s: EtcdSettings): void {
  checkInteger('heartbeatIntervalMs', s.heartbeatIntervalMs, 1);
  checkInteger('electionTimeoutMs', s.electionTimeoutMs, 1);
  if (s.electionTimeoutMs < 5 * s.heartbeatIntervalMs) {
    fail(`electionTimeoutMs (${s.electionTimeoutMs}) must be at least 5 x heartbeatIntervalMs (${5 * s.heartbeatIntervalMs}): etcd refuses to start otherwise; 10 x is the usual ratio`);
  }
  if (s.electionTimeoutMs > MAX_ELECTION_MS) fail(`electionTimeoutMs (${s.electionTimeoutMs}) must be at most ${MAX_ELECTION_MS}: etcd refuses a longer one`);
  checkInteger('snapshotCount', s.snapshotCount, 1);
  checkInteger('quotaBackendBytes', s.quotaBackendBytes, 0);
  checkInteger('maxRequestBytes', s.maxRequestBytes, 1);
  if (s.autoCompactionMode !== 'periodic' && s.autoCompactionMode !== 'revision') {
    fail(`autoCompactionMode must be periodic or revision, not ${q(s.autoCompactionMode)}`);
  }
  const retention = String(s.autoCompactionRetention ?? '');
  if (!/^[0-9][0-9a-z.]*$/.test(retention)) fail(`autoCompactionRetention must be hours ("8") or a duration ("1h30m"), or revisions in revision mode, not ${q(retention)}`);
  if (s.autoCompactionMode === 'revision' && !/^[0-9]+$/.test(retention)) {
    fail(`autoCompactionRetention must be a number of revisions in revision mode, not ${q(retention)}`);
  }
  if (s.metrics !== 'basic' && s.metrics !== 'extensive') fail(`metrics must be basic or extensive, not ${q(s.metrics)}`);
  if (s.listenMetricsUrls !== undefined && !/^https?:\/\/[^\s,"'\\]+(,https?:\/\/[^\s,"'\\]+)*$/.test(s.listenMetricsUrls)) {
    fail(`listenMetricsUrls must be one or more http(s) URLs separated by commas, without spaces, not ${q(s.listenMetricsUrls)}`);
  }
}

function checkInitialCluster(input: NodeRenderInput): void {
  const { host, settings, initialCluster, state } = input;
  if (state !== 'new' && state !== 'existing') fail(`state must be new or existing, not ${q(state)}`);
  if (!Array.isArray(initialCluster) || initialCluster.length === 0) fail(`initialCluster is empty: it must list ${host.name} and the other members`);
  const names = new Set<string>();
  const urls = new Map<string, string>();
  for (const m of initialCluster) {
    if (m.name === '') fail(`initialCluster has a member without a name (peer URL ${q(m.peerURL)}): a member added but never started has none; start it or remove it first`);
    checkName('a member name in initialCluster', m.name);
    // A running member with several peer URLs is listed once per URL (as `etcdctl member add` prints it);
    // the node itself, and every member of a new cluster (one URL per host), must be listed once.
    if (names.has(m.name) && (state === 'new' || m.name === host.name)) fail(`initialCluster lists ${m.name} twice: member names must be unique`);
    names.add(m.name);
    let url: URL | undefined;
    try {
      url = new URL(m.peerURL);
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol) || /[\s,"'\\]/.test(m.peerURL)) {
      fail(`the peer URL of ${m.name} in initialCluster must be one http(s) URL without spaces or commas, not ${q(m.peerURL)}`);
    }
    const other = urls.get(m.peerURL);
    if (other === m.name) fail(`initialCluster lists ${m.name} twice with peer URL ${m.peerURL}`);
    if (other !== undefined) fail(`${other} and ${m.name} have the same peer URL ${m.peerURL} in initialCluster: each member needs its own`);
    urls.set(m.peerURL, m.name);
  }
  const own = initialCluster.filter((m) => m.name === host.name);
  if (own.length === 0) fail(`initialCluster must list ${host.name} (the node being rendered); it lists ${[...names].join(', ')}`);
  const expected = peerURL(host, settings);
  if (own[0].peerURL !== expected) {
    fail(`${host.name} is in initialCluster with peer URL ${own[0].peerURL}, but it listens on ${expected} (its etcdAddress and peerPort): they must be the same`);
  }
  if (state === 'existing' && initialCluster.length < 2) {
    fail(`${host.name} joins an existing cluster (state existing): initialCluster must list the current members as well, not only ${host.name}`);
  }
}

/** The env file's data for one node; throws on input that would render a file etcd or systemd rejects. */
export function etcdEnvData(input: NodeRenderInput): EtcdEnvData {
  const { host, settings, state, token } = input;
  checkHost(host);
  checkSettings(settings);
  checkInitialCluster(input);
  if (typeof token !== 'string' || !/^[^\s"'\\]+$/.test(token)) {
    fail(`the cluster token must be non-empty, without spaces, quotes or backslashes, not ${q(token)}`);
  }
  const tls = settings.tls;
  if (tls) checkPath(`certDir of ${host.name}`, host.certDir);
  for (const [key, value] of Object.entries(host.envOverrides ?? {})) {
    if (!ENV_KEY.test(key)) fail(`envOverrides of ${host.name}: ${q(key)} is not an ETCD_* or ETCDCTL_* name (capitals, digits and _)`);
    const problem = typeof value === 'string' ? valueProblem(value) : 'is not a string';
    if (problem) fail(`envOverrides of ${host.name}: the value of ${key} ${problem}`);
    if (key in PINNED) fail(`envOverrides of ${host.name} may not set ${key}: change ${PINNED[key]}`);
  }

  const scheme = tls ? 'https' : 'http';
  const client = clientURL(host, settings);
  const peer = peerURL(host, settings);
  const loopback = `${scheme}://127.0.0.1:${host.clientPort}`;
  // etcd cannot listen twice on one address: no extra 127.0.0.1 URL when the node's address is loopback.
  const bare = host.etcdAddress.replace(/^\[(.*)\]$/, '$1');
  const isLoopback = bare === '127.0.0.1' || bare === 'localhost';
  const listenLocal = settings.listenLocalhost && !isLoopback;
  const certs = certPaths(host);
  const env: EtcdEnvVars = {
    ETCD_NAME: host.name,
    ETCD_DATA_DIR: host.dataDir,
    ETCD_WAL_DIR: host.walDir ?? null,
    ETCD_LISTEN_PEER_URLS: peer,
    ETCD_INITIAL_ADVERTISE_PEER_URLS: peer,
    ETCD_LISTEN_CLIENT_URLS: listenLocal ? `${client},${loopback}` : client,
    ETCD_ADVERTISE_CLIENT_URLS: client,
    ETCD_INITIAL_CLUSTER: initialClusterString(input.initialCluster),
    ETCD_INITIAL_CLUSTER_TOKEN: token,
    ETCD_INITIAL_CLUSTER_STATE: state,
    ETCD_HEARTBEAT_INTERVAL: String(settings.heartbeatIntervalMs),
    ETCD_ELECTION_TIMEOUT: String(settings.electionTimeoutMs),
    ETCD_SNAPSHOT_COUNT: String(settings.snapshotCount),
    ETCD_AUTO_COMPACTION_MODE: settings.autoCompactionMode,
    ETCD_AUTO_COMPACTION_RETENTION: String(settings.autoCompactionRetention),
    ETCD_QUOTA_BACKEND_BYTES: String(settings.quotaBackendBytes),
    ETCD_MAX_REQUEST_BYTES: String(settings.maxRequestBytes),
    ETCD_METRICS: settings.metrics,
    ETCD_LISTEN_METRICS_URLS: settings.listenMetricsUrls ?? null,
    ETCD_ENABLE_V2: settings.enableV2 === undefined ? null : String(settings.enableV2),
    ETCD_PROXY: settings.proxyOff ? 'off' : null,
    ETCD_TRUSTED_CA_FILE: tls ? certs.ca : null,
    ETCD_CERT_FILE: tls ? certs.cert : null,
    ETCD_KEY_FILE: tls ? certs.key : null,
    ETCD_CLIENT_CERT_AUTH: tls ? 'true' : null,
    ETCD_PEER_TRUSTED_CA_FILE: tls ? certs.ca : null,
    ETCD_PEER_CERT_FILE: tls ? certs.cert : null,
    ETCD_PEER_KEY_FILE: tls ? certs.key : null,
    ETCD_PEER_CLIENT_CERT_AUTH: tls ? 'true' : null,
    ETCDCTL_API: '3',
    ETCDCTL_ENDPOINTS: settings.listenLocalhost ? loopback : client,
    ETCDCTL_CACERT: tls ? certs.ca : null,
    ETCDCTL_CERT: tls ? certs.cert : null,
    ETCDCTL_KEY: tls ? certs.key : null,
  };

  const replaced: string[] = [];
  const extra: { key: string; value: string }[] = [];
  const vars = env as unknown as Record<string, string | null>;
  for (const key of Object.keys(host.envOverrides ?? {}).sort()) {
    const value = host.envOverrides[key];
    if (key in vars && vars[key] !== null) {
      vars[key] = value;
      replaced.push(key);
    } else {
      extra.push({ key, value });
    }
  }
  const addresses = [bare];
  if (settings.listenLocalhost && !isLoopback) addresses.push('127.0.0.1');
  return {
    nodeName: host.name,
    envFile: host.envFile,
    unitName: host.unitName,
    tls,
    certAddresses: addresses.join(' and '),
    legacy: env.ETCD_ENABLE_V2 !== null || env.ETCD_PROXY !== null,
    env,
    hasOverrides: replaced.length + extra.length > 0,
    replaced: replaced.join(', '),
    extra,
  };
}

/** systemd expands %-specifiers in these settings: a literal % is written %%. */
function systemdPath(path: string): string {
  return path.replace(/%/g, '%%');
}

/** The unit's data for one node; throws on paths systemd would refuse or misread. */
export function etcdUnitData(host: HostSpec, settings: EtcdSettings): EtcdUnitData {
  void settings; // Nothing cluster-wide in the unit yet: every etcd setting is in the env file.
  checkName('the host name', host.name);
  if (typeof host.unitName !== 'string' || !/^[A-Za-z0-9:_.@-]+$/.test(host.unitName) || host.unitName.endsWith('.service')) {
    fail(`unitName of ${host.name} must be a systemd unit name without .service (letters, digits, ":_.@-"), not ${q(host.unitName)}`);
  }
  checkPath(`binaryPath of ${host.name}`, host.binaryPath);
  checkPath(`envFile of ${host.name}`, host.envFile);
  checkPath(`dataDir of ${host.name}`, host.dataDir);
  checkPath(`unitDir of ${host.name}`, host.unitDir);
  return {
    nodeName: host.name,
    unitName: host.unitName,
    unitFile: unitPath(host),
    envFile: systemdPath(host.envFile),
    workingDirectory: `-${systemdPath(host.dataDir)}`,
    execStart: systemdArg(host.binaryPath),
    timeoutStartSec: '5min',
  };
}

/** The node's files, rendered: env file and unit, and the defrag service and timer when opts.defrag is given. */
export function renderNodeFiles(input: NodeRenderInput, opts: RenderNodeFilesOptions = {}): NodeFile[] {
  const { host, settings } = input;
  const envData = etcdEnvData(input);
  const unitData = etcdUnitData(host, settings);
  const renderOpts = { overrideDir: opts.overrideDir ?? settings.templatesDir, templatesDir: opts.templatesDir };
  const unitDir = host.unitDir.replace(/\/+$/, '');
  const files: NodeFile[] = [];
  const add = (kind: NodeFile['kind'], template: string, data: object, remotePath: string): void => {
    const r = renderTemplate(template, data, renderOpts);
    files.push({ kind, remotePath, mode: 0o644, content: r.text, template: r.path, overridden: r.overridden });
  };
  // No secrets in the env file (the key is a path): 0644 like the unit.
  add('env', 'etcd.env.hbs', envData, host.envFile);
  add('unit', 'etcd.service.hbs', unitData, unitPath(host));
  if (opts.defrag) {
    const { nodeIndex, nodeCount, ...rest } = opts.defrag;
    // The rule's `quota` is the cluster's quota; 0 means etcd's default, which the rule does not know.
    const quotaBytes = settings.quotaBackendBytes > 0 ? settings.quotaBackendBytes : undefined;
    const defrag = defragUnitData({ ...rest, nodeName: host.name, nodeIndex, nodeCount, envFile: host.envFile, quotaBytes });
    add('defrag-service', 'etcd-defrag.service.hbs', defrag, `${unitDir}/etcd-defrag.service`);
    add('defrag-timer', 'etcd-defrag.timer.hbs', defrag, `${unitDir}/etcd-defrag.timer`);
  }
  return files;
}
