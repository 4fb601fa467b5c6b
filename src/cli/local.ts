/**
 * The commands that are not flows: the console, the one-shot status and the sandbox. How every
 * command resolves its connection settings is in settings.ts.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import type { CliFlags } from './args.js';
import { loadSettings } from './config.js';
import { listContexts, parseContextsFile, defaultContextsPath } from './contexts.js';
import { ConfigError } from '../domain/errors.js';
import type { ConnectionSettings } from '../domain/config.js';
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_DIAL_TIMEOUT_MS, DEFAULT_REFRESH_MS } from '../domain/config.js';
import { DEFAULT_HEALTH_OPTIONS } from '../domain/types.js';
import { EtcdGateway } from '../cluster/etcd-gateway.js';
import { deadlinesFor } from './deadlines.js';
import { collectStatus, exitCodeFor, statusJson, statusText } from './status.js';
import { Sandbox } from '../sandbox/sandbox.js';
import { waitForSandbox } from '../sandbox/ready.js';
import type { LocalMembers } from './console.js';
import type { HostPort } from '../run/host-port.js';

import { resolveSettings } from './settings.js';

/** Names of the contexts in the contexts file (none when there is no file). */
function contextNames(flags: CliFlags, env: NodeJS.ProcessEnv): string[] {
  const path = flags.config ?? defaultContextsPath(env, homedir());
  try {
    return listContexts(parseContextsFile(readFileSync(path, 'utf8'), path)).map((c) => c.name);
  } catch {
    return [];
  }
}

/** Settings of a named context for the in-console switcher: the context rules, not ETCDCTL_* variables. */
function contextLoader(flags: CliFlags, env: NodeJS.ProcessEnv) {
  return async (name: string) => {
    const { settings, needsPassword } = await loadSettings({ config: flags.config, context: name, readOnly: flags.readOnly || undefined }, env);
    if (needsPassword) throw new ConfigError(`context ${name} has user ${settings.user} but no password: set ETCDCTL_PASSWORD before starting etcd-tui`);
    return settings;
  };
}

export function requireTerminal(): void {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new ConfigError('the console needs an interactive terminal (stdin and stdout); in scripts use `etcd-tui status [--json]`');
  }
}

export async function openConsole(settings: ConnectionSettings, flags: CliFlags, env: NodeJS.ProcessEnv, greeting?: string, localMembers?: LocalMembers, localHosts?: HostPort): Promise<number> {
  requireTerminal();
  const { runConsole } = await import('./console.js');
  const { consoleBootstrap } = await import('./console-bootstrap.js');
  return runConsole({
    settings,
    contexts: contextNames(flags, env),
    loadContext: contextLoader(flags, env),
    greeting,
    auditLog: flags.auditLog,
    localMembers,
    hostFiles: localMembers ? undefined : async (s) => (await import('./certs.js')).contextHostFiles(flags, env, s),
    bootstrap: localHosts ? () => localHosts : localMembers ? undefined : (current) => consoleBootstrap(flags, env, current),
  });
}

export async function status(flags: CliFlags, env: NodeJS.ProcessEnv): Promise<number> {
  const settings = await resolveSettings(flags, env);
  const gateway = new EtcdGateway(settings, deadlinesFor(settings));
  try {
    const health = { ...DEFAULT_HEALTH_OPTIONS, ...(settings.quotaBytes ? { quotaBytes: settings.quotaBytes } : {}) };
    const view = await collectStatus(gateway, health);
    const now = Date.now();
    process.stdout.write(flags.json ? JSON.stringify(statusJson(view, health, now), null, 2) + '\n' : statusText(view, health, now) + '\n');
    return exitCodeFor(view);
  } finally {
    gateway.close();
  }
}

export async function sandbox(flags: CliFlags, env: NodeJS.ProcessEnv): Promise<number> {
  const count = flags.members ?? 3;
  process.stderr.write(`starting a ${count}-member etcd sandbox on loopback...\n`);
  const box = await Sandbox.start(count);
  const stop = () => void box.stop().finally(() => process.exit(130));
  process.once('SIGTERM', stop);
  process.once('SIGHUP', stop);
  process.once('SIGINT', stop);
  try {
    const settings: ConnectionSettings = {
      contextName: 'sandbox',
      endpoints: box.endpoints,
      tls: {},
      dialTimeoutMs: flags.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS,
      commandTimeoutMs: flags.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      refreshMs: flags.refreshMs ?? DEFAULT_REFRESH_MS,
      readOnly: flags.readOnly ?? false,
      quotaBytes: flags.quotaBytes,
    };
    await waitForSandbox(box, settings, 30_000);
    // The flows may start a member they add (a learner, a replacement) as a sandbox process too.
    const localMembers: LocalMembers = {
      startMember: async (name, peerURLs, initialCluster) => void (await box.startAdded(name, peerURLs, initialCluster)),
      suggestPeerURL: () => box.freePeerURL(),
    };
    // While the console is open it handles the signals (a running flow is aborted first).
    for (const s of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.off(s, stop);
    // Its members are the hosts of a restore rehearsal (:restore FILE): src/sandbox/hosts.ts.
    const { sandboxHostPort } = await import('../sandbox/hosts.js');
    return await openConsole(settings, flags, env, `sandbox in ${box.dir}; members stop when you quit (q)`, localMembers, sandboxHostPort(box));
  } finally {
    await box.stop();
  }
}

