/** Resolved connection settings: what the console and headless commands connect with. Pure data. */

export interface TlsFiles {
  /** CA bundle to verify the members' server certificates. */
  cacert?: string;
  /** Client certificate and key for mTLS. */
  cert?: string;
  key?: string;
}

export interface ConnectionSettings {
  /** Name of the context these settings came from ("(flags)" when built from flags/env only). */
  contextName: string;
  /** Seed endpoints, e.g. ["https://10.0.0.1:2379"]. */
  endpoints: string[];
  tls: TlsFiles;
  user?: string;
  password?: string;
  dialTimeoutMs: number;
  commandTimeoutMs: number;
  /** Console refresh interval. */
  refreshMs: number;
  readOnly: boolean;
  /** DB quota in bytes, when the operator gives it (etcd 3.4/3.5 do not report it). */
  quotaBytes?: number;
  /** The context's backup directory (snapshots with JSON sidecars), for the backup-age check. */
  backupDir?: string;
  /** Members whose /metrics is scraped elsewhere than on their client URL (the inventory's metrics URLs). */
  metricsURLs?: MetricsTarget[];
}

/** One inventory host's metrics URL, found by member name or by client URL. */
export interface MetricsTarget {
  name: string;
  clientURL: string;
  metricsURL: string;
}

export const DEFAULT_DIAL_TIMEOUT_MS = 2000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 5000;
export const DEFAULT_REFRESH_MS = 1000;
