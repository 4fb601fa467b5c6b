/**
 * What the console's flow controller needs for the bootstrap flows, behind one narrow interface:
 * the real one (src/run/bootstrap-port.ts) runs preflight over SSH and renders the node files; screen
 * tests use a fake. Types only.
 */
import type { ClusterView } from '../health/view.js';
import type { Plan, PlanResult, RunResult } from '../domain/plan.js';
import type { HostAccess } from '../run/remote-actions.js';
import type { FlowUnknownKey } from './state.js';

export interface BootstrapPrepared {
  /** The plan (or refusal) from the preflight just taken. */
  planned: PlanResult;
  /** Plan again on a fresh view with the same preflight and files (the check before running). */
  replan(view: ClusterView): PlanResult;
  /** Host keys known_hosts lacks (not trusted): shown so the operator can trust them. */
  unknownKeys: FlowUnknownKey[];
}

export interface BootstrapPort {
  /** The host names of the context's inventory (undefined: the context has no hosts). */
  hosts(): string[] | undefined;
  /** Preflight the hosts (read-only) and plan; onHost reports each host's progress. */
  prepare(
    kind: 'bootstrap-join' | 'bootstrap-cluster',
    view: ClusterView,
    args: string[],
    onHost: (host: string, state: string) => void,
    /** Asks the operator for a secret (an encrypted key's passphrase) in the dialog; undefined: skipped. */
    askSecret?: (question: string) => Promise<string | undefined>,
  ): Promise<BootstrapPrepared>;
  /** Record the unknown keys last seen for these hosts in known_hosts. */
  trust(hosts: string[]): Promise<void>;
  /** The executor's way to the hosts. */
  access(): HostAccess;
  /** After a run (bootstrap cluster: save the context); returns a line for the operator. */
  after(plan: Plan, result: RunResult): Promise<string | undefined>;
}
