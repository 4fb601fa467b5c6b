#!/usr/bin/env node
/**
 * The `etcd-tui` entry point: parse flags, resolve the connection settings, then open the console,
 * print a one-shot status, or start the sandbox. Bad input ends with one line and exit code 4.
 */
import { readFileSync } from 'node:fs';
import { HELP_TEXT, parseArgs, type CliFlags } from './args.js';
import { loadSettings } from './config.js';
import { promptPassword } from './prompt.js';
import { listContexts, parseContextsFile, defaultContextsPath } from './contexts.js';
import { ConfigError, ClusterError } from '../domain/errors.js';
import type { ConnectionSettings } from '../domain/config.js';
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_DIAL_TIMEOUT_MS, DEFAULT_REFRESH_MS } from '../domain/config.js';
import { DEFAULT_HEALTH_OPTIONS } from '../domain/types.js';
import { EtcdGateway } from '../cluster/etcd-gateway.js';
import { deadlinesFor } from './deadlines.js';
import { EXIT, collectStatus, exitCodeFor, statusJson, statusText } from './status.js';
import { Sandbox } from '../sandbox/sandbox.js';
import { waitForSandbox } from '../sandbox/ready.js';
import { homedir } from 'node:os';
import type { LocalMembers } from './console.js';

/** The package version: package.json sits next to dist/ (bundle: dist/etcd-tui.js; tsc: dist/src/cli/main.js). */
function version(): string {
  for (const rel of ['../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'etcd-tui') return pkg.version;
    } catch {
      // try the next place
    }
  }
  return 'unknown';
}

async function resolve(flags: CliFlags, env: NodeJS.ProcessEnv): Promise<ConnectionSettings> {
  const { settings, needsPassword } = await loadSettings(flags, env);
  if (needsPassword) {
    settings.password = await promptPassword(`Password for ${settings.user}: `, { input: process.stdin, output: process.stderr, user: settings.user });
  }
  return settings;
}

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

function requireTerminal(): void {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new ConfigError('the console needs an interactive terminal (stdin and stdout); in scripts use `etcd-tui status [--json]`');
  }
}

async function openConsole(settings: ConnectionSettings, flags: CliFlags, env: NodeJS.ProcessEnv, greeting?: string, localMembers?: LocalMembers): Promise<void> {
  requireTerminal();
  const { runConsole } = await import('./console.js');
  const { consoleBootstrap } = await import('./console-bootstrap.js');
  await runConsole({
    settings,
    contexts: contextNames(flags, env),
    loadContext: contextLoader(flags, env),
    greeting,
    auditLog: flags.auditLog,
    localMembers,
    bootstrap: localMembers ? undefined : (current) => consoleBootstrap(flags, env, current),
  });
}

async function status(flags: CliFlags, env: NodeJS.ProcessEnv): Promise<number> {
  const settings = await resolve(flags, env);
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

async function sandbox(flags: CliFlags, env: NodeJS.ProcessEnv): Promise<number> {
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
    await openConsole(settings, flags, env, `sandbox in ${box.dir}; members stop when you quit (q)`, localMembers);
    return 0;
  } finally {
    await box.stop();
  }
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const args = parseArgs(argv);
  if (args.help) {
    process.stdout.write(HELP_TEXT + '\n');
    return 0;
  }
  if (args.version) {
    process.stdout.write(`etcd-tui ${version()}\n`);
    return 0;
  }
  const [command, ...rest] = args.command;
  if (command === 'defrag' || command === 'compact' || command === 'alarm') {
    const { runMaintenanceCommand } = await import('./maintenance.js');
    return runMaintenanceCommand(command, rest, args.flags, await resolve(args.flags, env));
  }
  if (command === 'snapshot') {
    const { runSnapshotCommand } = await import('./snapshot.js');
    return runSnapshotCommand(rest[0], rest.slice(1), args.flags, () => resolve(args.flags, env));
  }
  if (command === 'bootstrap') {
    const { runBootstrapCommand } = await import('./bootstrap.js');
    return runBootstrapCommand(rest[0], rest.slice(1), args.flags, env, () => resolve(args.flags, env));
  }
  if (command === 'runs' || command === 'undo') {
    const { runsCommand, undoCommand } = await import('./runs.js');
    return command === 'runs' ? runsCommand(rest, args.flags) : undoCommand(rest, args.flags, env, (f) => resolve(f, env));
  }
  if (command === 'member') {
    const { runMemberCommand } = await import('./member.js');
    return runMemberCommand(rest[0], rest.slice(1), args.flags, await resolve(args.flags, env));
  }
  if (rest.length > 0) throw new ConfigError(`${command}: unexpected argument "${rest[0]}" (see etcd-tui --help)`);
  switch (command) {
    case undefined:
      requireTerminal();
      await openConsole(await resolve(args.flags, env), args.flags, env);
      return 0;
    case 'status':
      return status(args.flags, env);
    case 'sandbox':
      return sandbox(args.flags, env);
    case 'help':
      process.stdout.write(HELP_TEXT + '\n');
      return 0;
    default:
      throw new ConfigError(`unknown command "${command}" (commands: status, sandbox, member, bootstrap, defrag, compact, alarm, snapshot; see etcd-tui --help)`);
  }
}

// Node's deprecation warnings (DEP0123 for TLS to an IP address) are noise for operators and
// would corrupt the console's screen.
process.noDeprecation = true;

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`etcd-tui: ${error.message}\n`);
      process.exitCode = EXIT.usage;
    } else if (error instanceof ClusterError) {
      process.stderr.write(`etcd-tui: ${error.message}\n`);
      process.exitCode = EXIT.unreachable;
    } else {
      process.stderr.write(`etcd-tui: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 70;
    }
  },
);
