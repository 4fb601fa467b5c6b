/**
 * Headless bootstrap over SSH: `etcd-tui bootstrap join HOST`, `bootstrap cluster [HOST...]`,
 * `bootstrap preflight [HOST...]`. The hosts come from the context's inventory (contexts file).
 * Same preflight, planner and executor as the console; the plan lists every remote command.
 */
import { join } from 'node:path';
import { BOOTSTRAP_USAGE } from './usage.js';
import { askLine } from './ask.js';
import type { CliFlags } from './args.js';
import type { ConnectionSettings } from '../domain/config.js';
import { ConfigError } from '../domain/errors.js';
import { DEFAULT_HEALTH_OPTIONS } from '../domain/types.js';
import type { HostSpec, Inventory } from '../domain/hosts.js';
import { EtcdGateway } from '../cluster/etcd-gateway.js';
import { collectStatus } from '../monitor/observe.js';
import { deadlinesFor } from './deadlines.js';
import { loadInventory, newClusterSettings, saveNewContext } from './bootstrap-context.js';
import { SshGateway } from '../hosts/ssh-gateway.js';
import { HostPool, type UnknownHostPolicy } from '../hosts/pool.js';
import type { UnknownHostKey } from '../hosts/gateway.js';
import { runPreflight, hostAccess } from '../run/bootstrap.js';
import type { HostPort, HostPrepared, HostSession } from '../run/host-port.js';
import { flowByCommand } from '../flows/modules/index.js';
import { emptyView } from '../health/view.js';
import { DEFAULT_BOOTSTRAP_TIMEOUTS, preflightLines } from '../plans/bootstrap.js';
import { AuditLog, defaultAuditPath } from '../run/audit.js';
import { auditOutputs, checkOutputs } from './outputs.js';
import { recordRefusal } from '../run/flow.js';
import { FLOW_EXIT, flowExitCode, outcomeLine, presentPlan, runPlanHeadless } from './headless.js';
import { promptPassword } from './prompt.js';
import type { ClusterView } from '../health/view.js';
import type { RunResult } from '../domain/plan.js';

export { BOOTSTRAP_USAGE } from './usage.js';

/** How unknown host keys are handled: --accept-new-host-key, a question on the terminal, or refuse. */
export function hostKeyPolicy(flags: CliFlags, err: NodeJS.WritableStream): UnknownHostPolicy {
  if (flags.acceptNewHostKey) {
    return async (key: UnknownHostKey, host: HostSpec) => {
      err.write(`trusting the new host key of ${host.name} (${key.host}:${key.port}): ${key.keyType} ${key.fingerprint}, recorded in ${host.ssh.knownHosts}\n`);
      return true;
    };
  }
  if (flags.yes || !process.stdin.isTTY || flags.dryRun) return 'refuse';
  return async (key: UnknownHostKey, host: HostSpec) => {
    // Ctrl-C or Ctrl-D: not trusted.
    const answer = await askLine(
      `The host key of ${host.name} (${key.host}:${key.port}) is not in ${host.ssh.knownHosts}.\n${key.keyType} key fingerprint is ${key.fingerprint}\nCheck it on the host (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub). Type yes to trust and record it: `,
    );
    return answer?.trim() === 'yes';
  };
}

/** An encrypted key file asks for its passphrase on the terminal (once per file); without one it is skipped. */
export function passphrasePrompt(): (file: string) => Promise<string | undefined> {
  const passphrases = new Map<string, Promise<string | undefined>>();
  return (file: string) => {
    if (!process.stdin.isTTY) return Promise.resolve(undefined);
    let p = passphrases.get(file);
    if (!p) {
      p = promptPassword(`Passphrase for ${file}: `, { input: process.stdin, output: process.stderr }).catch(() => undefined);
      passphrases.set(file, p);
    }
    return p;
  };
}

function unknownKeyHint(pool: HostPool): string[] {
  return [...pool.unknownKeys.entries()].map(([name, k]) => `unknown host key of ${name} (${k.host}:${k.port}): ${k.keyType} ${k.fingerprint}; check it on the host, then run again with --accept-new-host-key`);
}

function reportResult(out: NodeJS.WritableStream, result: RunResult, audit: AuditLog): void {
  if (result.rollback) {
    out.write('ROLLBACK:\n');
    for (const l of result.rollback.done) out.write(`  undone: ${l}\n`);
    for (const l of result.rollback.failed) out.write(`  NOT UNDONE: ${l}\n`);
    if (result.rollback.failed.length === 0) out.write('  everything this run changed was undone\n');
  }
  out.write(outcomeLine(result));
  out.write(`audit record appended to ${audit.path}\n`);
}

/** The inventory's specs of these host names, in this order. */
function specsOf(inventory: Inventory, names: string[]): HostSpec[] {
  return names.map((n) => inventory.hosts.find((h) => h.name === n) ?? unknownHost(n, inventory));
}

/**
 * The host port of a headless command: the same interface as the console's (src/run/host-port.ts);
 * unknown host keys follow the command's policy (--accept-new-host-key, a question on the terminal,
 * or refuse), passphrases are asked on the terminal.
 */
function cliHostPort(inventory: Inventory, pool: HostPool, session: Omit<HostSession, 'inventory' | 'pool' | 'onHost'>): HostPort {
  return {
    hosts: () => inventory.hosts.map((h) => h.name),
    async prepare(_request, use, onHost) {
      return { ...(await use({ ...session, inventory, pool, onHost })), unknownKeys: [] };
    },
    // Keys are trusted (or not) by the policy when the pool meets them.
    trust: async () => undefined,
    access: () => hostAccess(pool, inventory.settings),
  };
}

/** A hosts flow's preflight and plan through its module, over the host port. */
async function prepareFlow(command: string[], view: ClusterView, args: string[], port: HostPort, onHost: (host: string, state: string) => void): Promise<HostPrepared> {
  const def = flowByCommand(command);
  if (!def?.cli || !def.prepare) throw new Error(`no hosts flow for ${command.join(' ')}`);
  const prepare = def.prepare;
  const input: unknown = def.cli.fromCli({ args, options: {}, usage: BOOTSTRAP_USAGE });
  return port.prepare({ flow: def.id, argument: args.join(' ') || undefined }, (session) => prepare(view, input, session), onHost);
}

export async function runBootstrapCommand(sub: string | undefined, args: string[], flags: CliFlags, env: NodeJS.ProcessEnv, resolveSettings: () => Promise<ConnectionSettings>): Promise<number> {
  if (!sub) throw new ConfigError(`bootstrap: which command? (usage:\n${BOOTSTRAP_USAGE})`);
  if (sub !== 'join' && sub !== 'cluster' && sub !== 'preflight' && sub !== 'render') throw new ConfigError(`unknown bootstrap command "${sub}" (usage:\n${BOOTSTRAP_USAGE})`);
  if (sub === 'render') return renderCommand(args, flags, env);
  if (sub === 'join' && args.length !== 1) throw new ConfigError(`bootstrap join: give one host (usage:\n${BOOTSTRAP_USAGE})`);
  if (flags.readOnly) throw new ConfigError(`bootstrap ${sub}: not available in read-only mode`);
  const loaded = loadInventory(flags, env);
  if (loaded.context.readOnly && sub !== 'preflight') throw new ConfigError(`bootstrap ${sub}: context "${loaded.context.name}" is read-only`);
  const { inventory } = loaded;
  const out = process.stdout;
  const audit = new AuditLog(flags.auditLog ?? defaultAuditPath());
  if (sub !== 'preflight') checkOutputs(auditOutputs(audit.path, { journal: true })); // every local output before anything changes (exit 5)
  const pool = new HostPool(new SshGateway(), inventory.hosts, { unknownHost: hostKeyPolicy(flags, process.stderr), passphrase: passphrasePrompt() });
  // --wait bounds the waits (a new member answering, catching up, a new cluster forming).
  const timeouts = { ...DEFAULT_BOOTSTRAP_TIMEOUTS, ...(flags.waitMs ? { waitMs: flags.waitMs } : {}) };
  const onHost = (name: string, state: string) => {
    if (state === 'connecting') process.stderr.write(`preflight: ${name} ...\n`);
  };
  try {
    if (sub === 'preflight') {
      const hosts = args.length > 0 ? args.map((n) => inventory.hosts.find((h) => h.name === n) ?? unknownHost(n, inventory)) : inventory.hosts;
      const pf = await runPreflight(hosts, inventory.settings, pool, { onHost });
      out.write(['PREFLIGHT (nothing was changed):', ...preflightLines(pf.checks).map((l) => `  ${l}`), ...unknownKeyHint(pool)].join('\n') + '\n');
      out.write(pf.ok ? 'all checks passed\n' : 'some checks failed\n');
      return pf.ok ? FLOW_EXIT.ok : FLOW_EXIT.refused;
    }

    if (sub === 'join') {
      const settings = await resolveSettings();
      const gateway = new EtcdGateway(settings, deadlinesFor(settings));
      const health = { ...DEFAULT_HEALTH_OPTIONS, ...(settings.quotaBytes ? { quotaBytes: settings.quotaBytes } : {}) };
      const observe = (o?: { alarms?: boolean }) => collectStatus(gateway, health, Date.now, o);
      try {
        const view = await observe();
        const port = cliHostPort(inventory, pool, { context: loaded.context.name, timeouts });
        const prepared = await prepareFlow(['bootstrap', 'join'], view, args, port, onHost);
        const planned = prepared.planned;
        if (!planned.ok && pool.unknownKeys.size > 0) planned.refusal += `\n${unknownKeyHint(pool).join('\n')}`;
        const gate = await presentPlan(planned, { out, flags, audit, context: settings.contextName, command: 'bootstrap-join', args: { host: args[0] }, view });
        if (!gate.ok) return gate.exit;
        const result = await runPlanHeadless(gate.plan, view, { gateway, context: settings.contextName, hosts: port.access(), audit, out, observe });
        reportResult(out, result, audit);
        return flowExitCode(result);
      } finally {
        gateway.close();
      }
    }

    // cluster
    const settings = newClusterSettings(loaded, flags);
    let clusterSettings = settings;
    const port = cliHostPort(inventory, pool, {
      context: loaded.context.name,
      token: flags.token,
      timeouts,
      saveContext: async (hosts, token) => {
        await saveNewContext(loaded, clusterSettings, specsOf(inventory, hosts), token);
        return `context "${loaded.context.name}" saved in ${loaded.path} and made current: etcd-tui opens on it`;
      },
    });
    const prepared = await prepareFlow(['bootstrap', 'cluster'], emptyView(DEFAULT_HEALTH_OPTIONS, Date.now()), args, port, onHost);
    const planned = prepared.planned;
    if (!planned.ok && pool.unknownKeys.size > 0) planned.refusal += `\n${unknownKeyHint(pool).join('\n')}`;
    // The new cluster's members only (the bastion's TLS files were checked above, before any SSH).
    if (planned.ok && prepared.hosts) clusterSettings = newClusterSettings(loaded, flags, specsOf(inventory, prepared.hosts));
    const gateway = new EtcdGateway(clusterSettings, deadlinesFor(clusterSettings));
    const observe = (o?: { alarms?: boolean }) => collectStatus(gateway, DEFAULT_HEALTH_OPTIONS, Date.now, o);
    try {
      const gate = await presentPlan(planned, { out, flags, audit, context: settings.contextName, command: 'bootstrap-cluster', args: { hosts: args } });
      if (!gate.ok) return gate.exit;
      const before = await observe({ alarms: false });
      const result = await runPlanHeadless(gate.plan, before, { gateway, context: settings.contextName, hosts: port.access(), audit, out, observe });
      const after = await prepared.after?.(result);
      if (after) out.write(`${after}\n`);
      reportResult(out, result, audit);
      return flowExitCode(result);
    } finally {
      gateway.close();
    }
  } catch (error) {
    if (error instanceof ConfigError) recordRefusal(audit, loaded.context.name, `bootstrap-${sub}`, { args }, undefined, error.message);
    throw error;
  } finally {
    await pool.closeAll();
  }
}

/**
 * `bootstrap render`: every file a new cluster of these hosts would get (env file, unit, the staggered
 * defrag service and timer), written to DIR/HOST/ for review or configuration management. No SSH, no
 * cluster: the templates and the inventory only.
 */
async function renderCommand(args: string[], flags: CliFlags, env: NodeJS.ProcessEnv): Promise<number> {
  if (!flags.out) throw new ConfigError(`bootstrap render: give the folder to write to: --out DIR (usage:\n${BOOTSTRAP_USAGE})`);
  (await import('../render/templates.js')).checkOutputDir(flags.out);
  const { inventory } = loadInventory(flags, env);
  const hosts = args.length > 0 ? args.map((n) => inventory.hosts.find((h) => h.name === n) ?? unknownHost(n, inventory)) : inventory.hosts;
  const { renderNodeFiles } = await import('../render/node-files.js');
  const { newInitialCluster } = await import('../plans/bootstrap.js');
  const { newToken } = await import('../run/bootstrap.js');
  const { mkdirSync, writeFileSync, existsSync: exists } = await import('node:fs');
  const token = flags.token ?? inventory.settings.token ?? newToken();
  const initialCluster = newInitialCluster(hosts, inventory.settings);
  const planned = hosts.map((host, i) => ({ host, files: renderNodeFiles({ host, settings: inventory.settings, initialCluster, state: 'new', token }, { overrideDir: inventory.settings.templatesDir, defrag: { nodeIndex: i, nodeCount: hosts.length } }) }));
  for (const { host, files } of planned) {
    const dir = join(flags.out, host.name);
    for (const f of files) {
      const path = join(dir, f.remotePath.split('/').pop() as string);
      if (exists(path)) throw new ConfigError(`bootstrap render: ${path} exists; nothing is overwritten (choose another --out)`);
    }
  }
  for (const { host, files } of planned) {
    const dir = join(flags.out, host.name);
    mkdirSync(dir, { recursive: true });
    for (const f of files) {
      const path = join(dir, f.remotePath.split('/').pop() as string);
      writeFileSync(path, f.content, { mode: f.mode, flag: 'wx' });
      process.stdout.write(`${path}  (for ${host.name}:${f.remotePath}, mode ${f.mode.toString(8)}, from ${f.template}${f.overridden ? ', override' : ''})\n`);
    }
  }
  process.stdout.write(`rendered for a new cluster of ${hosts.map((h) => h.name).join(', ')} with token ${token}\n`);
  return FLOW_EXIT.ok;
}

function unknownHost(name: string, inventory: Inventory): never {
  throw new ConfigError(`${name} is not a host of this context (hosts: ${inventory.hosts.map((h) => h.name).join(', ')})`);
}
