/**
 * The context side of bootstrap, light enough for the console to load at start: the context and its
 * inventory (with flag overrides), the connection settings of a new cluster, and saving the context
 * after one. The SSH layer and the flows live elsewhere (src/cli/bootstrap.ts, src/run/bootstrap.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { CliFlags } from './args.js';
import type { ConnectionSettings } from '../domain/config.js';
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_DIAL_TIMEOUT_MS, DEFAULT_REFRESH_MS } from '../domain/config.js';
import { ConfigError } from '../domain/errors.js';
import { clientURL, type HostSpec, type Inventory } from '../domain/hosts.js';
import { defaultContextsPath, findContext, knownNames, parseContextsFile, saveContext, type ContextConfig } from './contexts.js';

export interface LoadedInventory {
  path: string;
  context: ContextConfig;
  inventory: Inventory;
}

/** The context (from --context or the file's current) and its inventory, with flag overrides. */
export function loadInventory(flags: CliFlags, env: NodeJS.ProcessEnv): LoadedInventory {
  const path = flags.config ?? defaultContextsPath(env, homedir());
  if (!existsSync(path)) throw new ConfigError(`bootstrap needs a contexts file with the hosts: ${path} does not exist (see the README, "Hosts over SSH"; or pass --config FILE)`);
  const file = parseContextsFile(readFileSync(path, 'utf8'), path);
  const name = flags.context ?? file.current;
  if (!name) throw new ConfigError(`bootstrap: which context? pass --context NAME (contexts in ${path}: ${knownNames(file)})`);
  const context = findContext(file, name);
  if (!context) throw new ConfigError(`--context ${name}: not in ${path} (known: ${knownNames(file)})`);
  if (!context.inventory) throw new ConfigError(`context "${name}" in ${path} has no hosts: add a hosts list (see the README, "Hosts over SSH")`);
  const inventory: Inventory = { hosts: context.inventory.hosts, settings: { ...context.inventory.settings } };
  if (flags.caDir) inventory.settings.caDir = flags.caDir;
  if (flags.binary) inventory.settings.binarySource = flags.binary;
  return { path, context, inventory };
}

/** Connection settings for the new cluster: the hosts' client URLs, the CA dir's CA, a client cert. */
export function newClusterSettings(loaded: LoadedInventory, flags: CliFlags, hosts: HostSpec[] = loaded.inventory.hosts): ConnectionSettings {
  const { context, inventory } = loaded;
  const s = inventory.settings;
  const caDir = s.caDir;
  const cacert = flags.cacert ?? context.cacert ?? (caDir ? join(caDir, 'ca.pem') : undefined);
  let cert = flags.cert ?? context.cert;
  let key = flags.key ?? context.key;
  if (!cert && caDir && existsSync(join(caDir, 'admin.pem')) && existsSync(join(caDir, 'admin-key.pem'))) {
    cert = join(caDir, 'admin.pem');
    key = join(caDir, 'admin-key.pem');
  }
  if (s.tls && (!cacert || !cert || !key)) {
    throw new ConfigError(`bootstrap cluster: the bastion needs a client certificate signed by the cluster's CA to check the new cluster: give --cacert/--cert/--key, the context's cacert/cert/key, or admin.pem and admin-key.pem in the CA dir`);
  }
  return {
    contextName: context.name,
    endpoints: hosts.map((h) => clientURL(h, s)),
    tls: s.tls ? { cacert, cert, key } : {},
    dialTimeoutMs: flags.dialTimeoutMs ?? context.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS,
    commandTimeoutMs: flags.commandTimeoutMs ?? context.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    refreshMs: context.refreshMs ?? DEFAULT_REFRESH_MS,
    readOnly: false,
  };
}

/** After a new cluster: the context gets the hosts' endpoints, the TLS files and the token; it becomes current. */
export async function saveNewContext(loaded: LoadedInventory, settings: ConnectionSettings, hosts: HostSpec[], token: string): Promise<void> {
  const ctx = loaded.context;
  const etcd = typeof ctx.etcd === 'object' && ctx.etcd !== null ? { ...(ctx.etcd as Record<string, unknown>) } : {};
  etcd.token = token;
  const updated: ContextConfig = {
    ...ctx,
    endpoints: hosts.map((h) => clientURL(h, loaded.inventory.settings)),
    endpointsFromHosts: false,
    etcd,
    ...(settings.tls.cacert ? { cacert: settings.tls.cacert } : {}),
    ...(settings.tls.cert ? { cert: settings.tls.cert } : {}),
    ...(settings.tls.key ? { key: settings.tls.key } : {}),
  };
  await saveContext(loaded.path, updated, { makeCurrent: true });
}
