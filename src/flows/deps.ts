/**
 * What the flow dialog (src/flows/controller.ts and the parts it wires) reads of the console: the
 * gateway, fresh looks at the cluster, the audit log, the hosts, local files. Its own module so the
 * parts import the type without importing the controller (test/unit/imports.test.ts: no cycles).
 */
import type { ClusterGateway } from '../cluster/gateway.js';
import type { ClusterView } from '../health/view.js';
import type { AuditLog } from '../run/audit.js';
import type { HostPort } from '../run/host-port.js';
import type { FilePort } from '../run/local-files.js';

export interface FlowDeps {
  /** The current context's gateway (undefined while not connected). */
  gateway(): ClusterGateway | undefined;
  /** A fresh round: member list, every status; the alarms too unless told not to (frequent gates skip them: a raft request). */
  observe(opts?: { alarms?: boolean }): Promise<ClusterView>;
  audit: AuditLog;
  /** The context name, for the audit record. */
  context(): string;
  /** Sandbox only: start the newly added member's etcd locally. */
  startMember?: (name: string, peerURLs: string[], initialCluster: string) => Promise<void>;
  /** Sandbox only: a free peer URL to prefill the form with. */
  suggestPeerURL?: () => Promise<string>;
  /** Poll interval of the executor's waits (tests make it short). */
  pollMs?: number;
  /** Overrides FLOW_DEFAULTS.waitMs (tests). */
  waitMs?: number;
  /** Where `w` writes env files (default: the working directory). */
  envDir?: string;
  now?: () => number;
  /** The context's hosts over SSH, for the flows that need hosts; undefined when the console has no inventory. */
  hosts?: HostPort;
  /** The connection's per-request timeout (--command-timeout): the least time a maintenance call may take. */
  commandTimeoutMs?: number;
  /** Local files (the snapshot's target, the env file `w` writes); default the real file system. */
  files?: FilePort;
}
