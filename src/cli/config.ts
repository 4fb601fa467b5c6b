/**
 * Resolve the connection settings from every source, highest precedence first:
 *   flags > ETCDCTL_* environment > --env-file > the context > defaults.
 *
 * The context is the one named by --context (then it is the base and the sources above override
 * single fields), else the contexts file's `current` context, but only when no endpoints came from
 * flags, environment or env file (so `ETCDCTL_ENDPOINTS=... etcd-tui` never mixes in another
 * cluster's certificates).
 *
 * `resolveSettings` is pure (file existence is asked through a callback); `loadSettings` reads the files.
 */
import { accessSync, constants as fsConstants, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_DIAL_TIMEOUT_MS,
  DEFAULT_REFRESH_MS,
  type ConnectionSettings,
} from '../domain/config.js';
import { ConfigError } from '../domain/errors.js';
import { type CliFlags, parseDuration, parseEndpoints, splitUserPassword } from './args.js';
import { type ContextConfig, type ContextsFile, defaultContextsPath, findContext, knownNames, parseContextsFile } from './contexts.js';
import { inventoryMetricsTargets } from './inventory.js';
import { parseEnvFile } from './envfile.js';
import { checkTlsFiles, type TlsFileSet } from '../cluster/tls-files.js';

export const DEFAULT_ENDPOINT_HOST = '127.0.0.1:2379';

export interface ResolveInput {
  flags: CliFlags;
  env: Record<string, string | undefined>;
  /** The --env-file, already read. */
  envFile?: { path: string; text: string };
  /** The contexts file, already parsed (absent when there is none). */
  contexts?: { path: string; file: ContextsFile };
  fileExists: (p: string) => boolean;
  /** Optional: whether an existing file can be read (gives "permission denied" instead of a TLS failure later). */
  fileReadable?: (p: string) => boolean;
  /** Optional: checks the TLS files' contents (PEM, key matches certificate); throws a ConfigError. */
  checkTls?: (files: TlsFileSet) => void;
}

export interface ResolvedSettings {
  settings: ConnectionSettings;
  /** A user is set but no password came from anywhere: the caller prompts (or fails without a TTY). */
  needsPassword: boolean;
}

/** A value and where it came from: `label` names it in messages, `fix` is how to change it there. */
interface Sourced<T> {
  value: T;
  label: string;
  fix?: string;
}

interface Layer {
  endpoints?: Sourced<string[]>;
  cacert?: Sourced<string>;
  cert?: Sourced<string>;
  key?: Sourced<string>;
  user?: Sourced<string>;
  /** Password given on its own (--password, ETCDCTL_PASSWORD). */
  password?: Sourced<string>;
  /** Password given as user:password in the same source as `user`. */
  inlinePassword?: Sourced<string>;
  dialTimeoutMs?: Sourced<number>;
  commandTimeoutMs?: Sourced<number>;
}

/** Merge every source into ConnectionSettings. Throws ConfigError (one line) on a bad or conflicting value. */
export function resolveSettings(input: ResolveInput): ResolvedSettings {
  const { flags } = input;
  const flagLayer = layerFromFlags(flags);
  const envLayer = layerFromEnv(input.env, (k) => k, (k) => `unset ${k}`, false);
  const fileLayer = input.envFile
    ? layerFromEnv(
        parseEnvFile(input.envFile.text, input.envFile.path),
        (k) => `${input.envFile?.path}: ${k}`,
        () => `edit ${input.envFile?.path}`,
        true,
      )
    : {};

  // An empty contexts file is a mistake (a half-written file, the wrong path), not "no contexts":
  // falling back to 127.0.0.1:2379 would connect somewhere the operator did not mean.
  if (input.contexts && input.contexts.file.contexts.length === 0) {
    const endpointsGiven = flagLayer.endpoints ?? envLayer.endpoints ?? fileLayer.endpoints;
    if (flags.config !== undefined || flags.context !== undefined || !endpointsGiven) {
      throw new ConfigError(`${input.contexts.path}: the contexts file has no contexts (add one, pass --endpoints, or remove the file)`);
    }
  }

  // Which context, if any.
  let ctx: ContextConfig | undefined;
  if (flags.context !== undefined) {
    if (!input.contexts) {
      throw new ConfigError(
        `--context ${flags.context}: there is no contexts file (create one, or pass --config FILE; see etcd-tui --help)`,
      );
    }
    ctx = findContext(input.contexts.file, flags.context);
    if (!ctx) {
      throw new ConfigError(
        `--context ${flags.context}: no such context in ${input.contexts.path} (known: ${knownNames(input.contexts.file)})`,
      );
    }
  } else if (input.contexts?.file.current !== undefined) {
    const endpointsGiven = flagLayer.endpoints ?? envLayer.endpoints ?? fileLayer.endpoints;
    if (!endpointsGiven) ctx = findContext(input.contexts.file, input.contexts.file.current);
  }
  const ctxLayer = ctx && input.contexts ? layerFromContext(ctx, input.contexts.path) : {};

  // A context named with --context is what the operator chose: only flags override it. ETCDCTL_*
  // variables exported on a node (often pointing at the local member) must not silently redirect
  // "--context prod" elsewhere; only the password may come from the environment.
  const layers: Layer[] =
    flags.context !== undefined ? [flagLayer, { password: envLayer.password }, ctxLayer] : [flagLayer, envLayer, fileLayer, ctxLayer];
  const pick = <K extends keyof Layer>(k: K): Layer[K] => layers.find((l) => l[k] !== undefined)?.[k];

  const cacert = pick('cacert');
  const cert = pick('cert');
  const key = pick('key');
  const tlsGiven = cacert ?? cert ?? key;

  const endpoints: Sourced<string[]> = pick('endpoints') ?? {
    // etcdctl's default endpoint, with the scheme that matches the TLS files.
    value: [`${tlsGiven ? 'https' : 'http'}://${DEFAULT_ENDPOINT_HOST}`],
    label: 'the default endpoint',
    fix: 'pass --endpoints',
  };

  // User and password.
  const userLayer = layers.find((l) => l.user !== undefined);
  const user = userLayer?.user;
  let password = flagLayer.password ?? userLayer?.inlinePassword ?? pick('password');
  if (!user) {
    if (flagLayer.password) {
      throw new ConfigError('--password: is given but no user (pass --user NAME too)');
    }
    password = undefined;
  }

  // Consistency checks: cert and key go together; TLS files need https:// endpoints.
  if ((cert === undefined) !== (key === undefined)) {
    const has = (cert ?? key) as Sourced<string>;
    const what = cert ? 'a client certificate without a key' : 'a client key without a certificate';
    const missing = cert ? '--key (or ETCDCTL_KEY)' : '--cert (or ETCDCTL_CERT)';
    throw new ConfigError(`${has.label}: ${what} (mutual TLS needs both: pass ${missing})`);
  }
  if (tlsGiven && endpoints.value.some((e) => e.startsWith('http://'))) {
    throw new ConfigError(
      `${endpoints.label}: ${endpoints.value[0]} uses http:// but TLS files are given (${tlsGiven.label}): use https:// endpoints, or drop the TLS files`,
    );
  }
  for (const f of [cacert, cert, key]) {
    if (!f) continue;
    if (!input.fileExists(f.value)) {
      throw new ConfigError(`${f.label}: ${f.value} does not exist (check the path${f.fix ? `, or ${f.fix}` : ''})`);
    }
    if (input.fileReadable && !input.fileReadable(f.value)) {
      throw new ConfigError(
        `${f.label}: ${f.value} cannot be read (permission denied: run as a user who can read it, e.g. with sudo)`,
      );
    }
  }

  if (input.checkTls && (cacert || cert || key)) {
    const named = (f: Sourced<string> | undefined) => (f ? { path: f.value, label: f.label } : undefined);
    input.checkTls({ cacert: named(cacert), cert: named(cert), key: named(key) });
  }

  const settings: ConnectionSettings = {
    contextName: ctx?.name ?? '(flags)',
    endpoints: [...endpoints.value],
    tls: {},
    dialTimeoutMs: pick('dialTimeoutMs')?.value ?? DEFAULT_DIAL_TIMEOUT_MS,
    commandTimeoutMs: pick('commandTimeoutMs')?.value ?? DEFAULT_COMMAND_TIMEOUT_MS,
    refreshMs: flags.refreshMs ?? ctx?.refreshMs ?? DEFAULT_REFRESH_MS,
    readOnly: flags.readOnly ?? ctx?.readOnly ?? false,
  };
  if (cacert) settings.tls.cacert = cacert.value;
  if (cert) settings.tls.cert = cert.value;
  if (key) settings.tls.key = key.value;
  if (user) settings.user = user.value;
  if (password) settings.password = password.value;
  const quota = flags.quotaBytes ?? ctx?.quotaBytes;
  if (quota !== undefined) settings.quotaBytes = quota;
  if (ctx?.backupDir) settings.backupDir = ctx.backupDir;
  const metricsTargets = ctx?.inventory ? inventoryMetricsTargets(ctx.inventory) : [];
  if (metricsTargets.length > 0) settings.metricsURLs = metricsTargets;

  return { settings, needsPassword: user !== undefined && password === undefined };
}

function layerFromFlags(flags: CliFlags): Layer {
  const l: Layer = {};
  if (flags.endpoints && flags.endpoints.length > 0) l.endpoints = { value: flags.endpoints, label: '--endpoints' };
  if (flags.cacert) l.cacert = { value: flags.cacert, label: '--cacert' };
  if (flags.cert) l.cert = { value: flags.cert, label: '--cert' };
  if (flags.key) l.key = { value: flags.key, label: '--key' };
  if (flags.user) l.user = { value: flags.user, label: '--user' };
  if (flags.password !== undefined) l.password = { value: flags.password, label: '--password' };
  if (flags.dialTimeoutMs !== undefined) l.dialTimeoutMs = { value: flags.dialTimeoutMs, label: '--dial-timeout' };
  if (flags.commandTimeoutMs !== undefined) {
    l.commandTimeoutMs = { value: flags.commandTimeoutMs, label: '--command-timeout' };
  }
  return l;
}

/**
 * Read the ETCDCTL_* variables (both spellings; the etcdctl v3 names win) from the environment or
 * an env file. In an env file, ETCD_ADVERTISE_CLIENT_URLS stands in for missing ETCDCTL_ENDPOINTS.
 */
function layerFromEnv(
  vars: Record<string, string | undefined>,
  label: (key: string) => string,
  fix: (key: string) => string,
  isEnvFile: boolean,
): Layer {
  const get = (...keys: string[]): Sourced<string> | undefined => {
    for (const k of keys) {
      const v = vars[k]?.trim();
      if (v) return { value: v, label: label(k), fix: fix(k) };
    }
    return undefined;
  };
  const l: Layer = {};
  const eps = get('ETCDCTL_ENDPOINTS', ...(isEnvFile ? ['ETCD_ADVERTISE_CLIENT_URLS'] : []));
  if (eps) l.endpoints = { ...eps, value: parseEndpoints(eps.value, eps.label) };
  l.cacert = get('ETCDCTL_CACERT', 'ETCDCTL_CA_FILE');
  l.cert = get('ETCDCTL_CERT', 'ETCDCTL_CERT_FILE');
  l.key = get('ETCDCTL_KEY', 'ETCDCTL_KEY_FILE');
  const user = get('ETCDCTL_USER');
  if (user) {
    const split = splitUserPassword(user.value, user.label);
    l.user = { ...user, value: split.user };
    if (split.password !== undefined) l.inlinePassword = { ...user, value: split.password };
  }
  // A password may legitimately be set to a value with spaces at its ends: do not trim it.
  const pw = vars.ETCDCTL_PASSWORD;
  if (pw !== undefined && pw !== '') l.password = { value: pw, label: label('ETCDCTL_PASSWORD') };
  const dial = get('ETCDCTL_DIAL_TIMEOUT');
  if (dial) l.dialTimeoutMs = { ...dial, value: parseDuration(dial.value, dial.label) };
  const cmd = get('ETCDCTL_COMMAND_TIMEOUT');
  if (cmd) l.commandTimeoutMs = { ...cmd, value: parseDuration(cmd.value, cmd.label) };
  for (const k of Object.keys(l) as (keyof Layer)[]) if (l[k] === undefined) delete l[k];
  return l;
}

function layerFromContext(ctx: ContextConfig, path: string): Layer {
  const at = (field: string) => `${path}: context "${ctx.name}": ${field}`;
  const fix = `edit ${path}`;
  const l: Layer = { endpoints: { value: ctx.endpoints, label: at('endpoints'), fix } };
  if (ctx.cacert) l.cacert = { value: ctx.cacert, label: at('cacert'), fix };
  if (ctx.cert) l.cert = { value: ctx.cert, label: at('cert'), fix };
  if (ctx.key) l.key = { value: ctx.key, label: at('key'), fix };
  if (ctx.user) l.user = { value: ctx.user, label: at('user'), fix };
  if (ctx.dialTimeoutMs !== undefined) l.dialTimeoutMs = { value: ctx.dialTimeoutMs, label: at('dialTimeout'), fix };
  if (ctx.commandTimeoutMs !== undefined) {
    l.commandTimeoutMs = { value: ctx.commandTimeoutMs, label: at('commandTimeout'), fix };
  }
  return l;
}

/**
 * Read the files the flags point at and resolve the settings: the --env-file (must exist), the
 * contexts file at --config (must exist) or at the default path (may be missing).
 */
export async function loadSettings(
  flags: CliFlags,
  env: Record<string, string | undefined>,
  opts: { homedir?: string } = {},
): Promise<ResolvedSettings> {
  let envFile: ResolveInput['envFile'];
  if (flags.envFile !== undefined) {
    const text = await readText(flags.envFile, '--env-file', 'e.g. /etc/etcd.env');
    if (text === undefined) {
      throw new ConfigError(`--env-file: ${flags.envFile} does not exist (check the path, e.g. /etc/etcd.env)`);
    }
    envFile = { path: flags.envFile, text };
  }

  let contexts: ResolveInput['contexts'];
  const contextsPath = flags.config ?? defaultContextsPath(env, opts.homedir ?? homedir());
  const label = flags.config !== undefined ? '--config' : 'contexts file';
  const text = await readText(contextsPath, label, 'a contexts YAML file');
  if (text === undefined) {
    if (flags.config !== undefined) {
      throw new ConfigError(`--config: ${contextsPath} does not exist (check the path)`);
    }
    if (flags.context !== undefined) {
      throw new ConfigError(
        `--context ${flags.context}: there is no contexts file at ${contextsPath} (create it, or pass --config FILE)`,
      );
    }
  } else {
    contexts = { path: contextsPath, file: parseContextsFile(text, contextsPath) };
  }

  return resolveSettings({
    flags,
    env,
    envFile,
    contexts,
    fileExists: (p) => existsSync(p),
    fileReadable: (p) => {
      try {
        accessSync(p, fsConstants.R_OK);
        return true;
      } catch {
        return false;
      }
    },
    checkTls: (files) => checkTlsFiles(files),
  });
}

/** Read a text file; undefined when it does not exist; a ConfigError for any other failure. */
async function readText(path: string, flag: string, what: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new ConfigError(`${flag}: ${path} cannot be read (permission denied: run with sudo, or copy the file)`);
    }
    if (code === 'EISDIR') {
      throw new ConfigError(`${flag}: ${path} is a directory (give the file itself: ${what})`);
    }
    throw new ConfigError(`${flag}: cannot read ${path} (${(err as Error).message})`);
  }
}
