/**
 * A TLS etcd cluster bootstrapped over SSH on simulated hosts, as the rolling, CA change, restore and
 * recovery tests need it: the hosts (startSimHosts: own network, sshd and systemctl stand-in each), a
 * PKI for them (makeClusterPki), known_hosts with their keys, a contexts file with one context of
 * those hosts (etcd over mTLS, fast elections), then `etcd-tui bootstrap cluster --yes` through the
 * built binary. stop() stops every host by its recorded pid (etcd goes with its host) and removes the
 * test's directory; when the setup itself fails, what it started is stopped before the error is thrown.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { startSimHosts, type SimHosts } from './hosts.js';
import { makeClusterPki, type ClusterPki } from './certs.js';
import { runCli, showCli } from './cli.js';

export interface SimClusterOptions {
  /** Host (and member) names, e.g. ['u1', 'u2', 'u3']. */
  names: string[];
  /** The context's name in the contexts file (made current). */
  context: string;
  /** The test directory's name prefix under the system temp dir. */
  dirPrefix: string;
  /** The context's etcd settings over the defaults (etcd 3.4.23 from /usr/bin/etcd, the PKI's CA dir, heartbeat 100 ms, election 1 s, quota 256MiB). */
  etcd?: Record<string, unknown>;
  /** Bound of the bootstrap run (default 300 s). */
  bootTimeoutMs?: number;
  /** The systemctl stand-in's settle time (default 1000 ms). */
  standinSettleMs?: number;
}

export interface SimCluster {
  sim: SimHosts;
  pki: ClusterPki;
  /** The test's directory (contexts file, audit log, known_hosts, PKI); removed by stop(). */
  dir: string;
  /** The contexts file. */
  config: string;
  audit: string;
  knownHosts: string;
  /** The members' client URLs (https://ADDRESS:2379), in the order of the names. */
  endpoints: string[];
  /** etcd-tui's arguments for this context and audit log, before the command's own. */
  cliArgs(args: string[]): string[];
  /** Stop every host (by pid) and remove the directory; safe to call twice. */
  stop(): Promise<void>;
}

/** Start the hosts and bootstrap the cluster on them; the caller stops it (also on failure: call stop() in `after`). */
export async function bootstrappedSimCluster(opts: SimClusterOptions): Promise<SimCluster> {
  let sim: SimHosts | undefined;
  let dir: string | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    sim = await startSimHosts(opts.names.length, { names: opts.names, standinSettleMs: opts.standinSettleMs ?? 1000 });
    const hosts = sim.hosts;
    dir = mkdtempSync(join(tmpdir(), opts.dirPrefix));
    const pki = makeClusterPki(join(dir, 'pki'), hosts.map((h) => ({ name: h.name, ip: h.address })));
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, hosts.map((h) => h.knownHostsLine()).join('\n') + '\n', { mode: 0o600 });
    const config = join(dir, 'contexts.yaml');
    const audit = join(dir, 'audit.jsonl');
    const context = {
      name: opts.context,
      ssh: { identityFile: sim.clientKey, knownHosts, agent: false },
      etcd: { version: '3.4.23', binarySource: '/usr/bin/etcd', caDir: pki.dir, heartbeatInterval: 100, electionTimeout: 1000, quota: '256MiB', ...opts.etcd },
      hosts: hosts.map((h) => ({ name: h.name, address: h.address })),
    };
    writeFileSync(config, YAML.stringify({ current: opts.context, contexts: [context] }));
    const cliArgs = (args: string[]) => ['--config', config, '--audit-log', audit, ...args];
    const boot = await runCli(cliArgs(['bootstrap', 'cluster', '--yes']), { timeoutMs: opts.bootTimeoutMs ?? 300_000, cwd: dir });
    assert.equal(boot.code, 0, showCli(boot));
    return { sim, pki, dir, config, audit, knownHosts, endpoints: hosts.map((h) => `https://${h.address}:2379`), cliArgs, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
