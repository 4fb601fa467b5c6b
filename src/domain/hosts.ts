/**
 * Hosts (the inventory) and the cluster-wide etcd settings that the node templates render. Pure data:
 * parsed from the contexts file (src/cli/inventory.ts), read by the planners (src/plans/bootstrap.ts),
 * the renderer (src/render/node-files.ts) and the SSH layer (src/hosts/).
 */

/** How to reach a host over SSH. */
export interface SshTarget {
  /** IP address or DNS name the bastion connects to. */
  address: string;
  /** SSH port (default 22). */
  port: number;
  /** Login user (default root). */
  user: string;
  /** Private key files to try, in order (OpenSSH or PEM). */
  identityFiles: string[];
  /** Also try the keys of ssh-agent ($SSH_AUTH_SOCK) (default true when SSH_AUTH_SOCK is set). */
  agent: boolean;
  /** The known_hosts file that pins host keys (default ~/.ssh/known_hosts). */
  knownHosts: string;
  /** Run commands through `sudo -n` (non-interactive: a sudo that asks for a password fails). */
  sudo: boolean;
  /** Connect timeout in ms (default 10 s). */
  connectTimeoutMs: number;
  /** A connection that brings no bytes (not even keepalive answers) for this long is lost (default 20 s). */
  stallTimeoutMs?: number;
}

/** One etcd node of the inventory: where it is, and where etcd's files live on it. */
export interface HostSpec {
  /** The etcd member name (ETCD_NAME), also the inventory key. */
  name: string;
  ssh: SshTarget;
  /** The address etcd listens on and advertises (default: ssh.address). */
  etcdAddress: string;
  clientPort: number;
  peerPort: number;
  /** ETCD_DATA_DIR (default /var/lib/etcd). */
  dataDir: string;
  /** ETCD_WAL_DIR (default: none, the WAL stays in the data dir). */
  walDir?: string;
  /** Remote directory for ca.pem, member-NAME.pem, member-NAME-key.pem (default /etc/etcd/pki). */
  certDir: string;
  /** The etcd binary (default /usr/local/bin/etcd); etcdctl is expected next to it. */
  binaryPath: string;
  /** The env file the unit reads (default /etc/etcd/etcd.env). */
  envFile: string;
  /** The systemd unit name without .service (default etcd). */
  unitName: string;
  /** Directory of unit files (default /etc/systemd/system). */
  unitDir: string;
  /** Extra or replaced ETCD_* / ETCDCTL_* lines for this node only, rendered last. */
  envOverrides: Record<string, string>;
  /** Services that use this etcd (e.g. kube-apiserver): a restore stops them first and starts them last. */
  stopServices?: string[];
  /**
   * Where the console scrapes this member's /metrics (etcd's --listen-metrics-urls as the bastion
   * reaches it), when not its client URL: the host's `metricsUrl`, or the cluster's
   * listenMetricsUrls when it listens on every address (0.0.0.0 or [::]) with this host's address.
   */
  metricsURL?: string;
}

/** Cluster-wide etcd settings (every member must agree on them), with seed 000's values as defaults. */
export interface EtcdSettings {
  /** https (mTLS between peers and for clients) or plain http. Default true. */
  tls: boolean;
  /** ETCD_INITIAL_CLUSTER_TOKEN of a new cluster (bootstrap cluster makes a fresh one when unset). */
  token?: string;
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  snapshotCount: number;
  /** periodic or revision (ETCD_AUTO_COMPACTION_MODE). */
  autoCompactionMode: 'periodic' | 'revision';
  /** ETCD_AUTO_COMPACTION_RETENTION: hours for periodic ("8", "1h"), revisions for revision mode. */
  autoCompactionRetention: string;
  /** ETCD_QUOTA_BACKEND_BYTES (default 2 GiB, etcd's own default, rendered explicitly). */
  quotaBackendBytes: number;
  /** ETCD_MAX_REQUEST_BYTES (default 1.5 MiB). */
  maxRequestBytes: number;
  /** ETCD_METRICS: basic or extensive. */
  metrics: 'basic' | 'extensive';
  /** ETCD_LISTEN_METRICS_URLS (e.g. http://127.0.0.1:2381), none by default. */
  listenMetricsUrls?: string;
  /** Also listen on 127.0.0.1 for clients (seed 000 does; local etcdctl then uses it). Default true. */
  listenLocalhost: boolean;
  /** ETCD_ENABLE_V2 (3.4/3.5 only; seed 000 sets true). Rendered only when set. */
  enableV2?: boolean;
  /** ETCD_PROXY=off (3.4 only; seed 000 sets it). Rendered only when set. */
  proxyOff?: boolean;
  /** The etcd version the nodes must run ("3.4.23"); preflight compares `etcd --version` against it. */
  version?: string;
  /** Local etcd binary, or release tarball (etcd-vX.Y.Z-linux-ARCH.tar.gz), to upload when a node lacks it. */
  binarySource?: string;
  /** Local CA directory with ca.pem and member-NAME.pem / member-NAME-key.pem per node, to upload. */
  caDir?: string;
  /** Certificates closer than this to expiry fail preflight (default 30 days). */
  minCertValidityDays: number;
  /** Template override directory: a file here replaces the shipped template of the same name. */
  templatesDir?: string;
  /** The cluster backs a Kubernetes control plane (a restore then offers --bump-revision, and says why). */
  kubernetes?: boolean;
}

export const DEFAULT_ETCD_SETTINGS: EtcdSettings = {
  tls: true,
  heartbeatIntervalMs: 250,
  electionTimeoutMs: 5000,
  snapshotCount: 10000,
  autoCompactionMode: 'periodic',
  autoCompactionRetention: '8',
  quotaBackendBytes: 2 * 1024 ** 3,
  maxRequestBytes: 1572864,
  metrics: 'basic',
  listenLocalhost: true,
  minCertValidityDays: 30,
};

/** A context's hosts and the cluster-wide settings. */
export interface Inventory {
  hosts: HostSpec[];
  settings: EtcdSettings;
}

/** A member as the templates need it: name and peer URL. */
export interface InitialMember {
  name: string;
  peerURL: string;
}

/** Peer URL and client URL of a host. */
export function peerURL(host: HostSpec, settings: Pick<EtcdSettings, 'tls'>): string {
  return `${settings.tls ? 'https' : 'http'}://${urlHost(host.etcdAddress)}:${host.peerPort}`;
}

export function clientURL(host: HostSpec, settings: Pick<EtcdSettings, 'tls'>): string {
  return `${settings.tls ? 'https' : 'http'}://${urlHost(host.etcdAddress)}:${host.clientPort}`;
}

/** An IPv6 literal in a URL goes in brackets. */
export function urlHost(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

/** ETCD_INITIAL_CLUSTER: name1=url1,name2=url2 in the given order. */
export function initialClusterString(members: InitialMember[]): string {
  return members.map((m) => `${m.name}=${m.peerURL}`).join(',');
}

/** Remote certificate paths of a host (seed 000's naming). */
export function certPaths(host: HostSpec): { ca: string; cert: string; key: string } {
  const dir = host.certDir.replace(/\/+$/, '');
  return { ca: `${dir}/ca.pem`, cert: `${dir}/member-${host.name}.pem`, key: `${dir}/member-${host.name}-key.pem` };
}

/** Unit file path of a host. */
export function unitPath(host: HostSpec): string {
  return `${host.unitDir.replace(/\/+$/, '')}/${host.unitName}.service`;
}
