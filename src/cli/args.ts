/**
 * Command-line parsing: a hand-written, pure parser (argv in, typed flags out) plus the value
 * parsers shared with the environment, env-file and contexts layers (durations, sizes, endpoints).
 * Every bad value throws one ConfigError line: which value, what is wrong, what to do.
 */
import { ConfigError } from '../domain/errors.js';

/** Flags as given on the command line, already parsed and validated (durations in ms, sizes in bytes). */
export interface CliFlags {
  /** Normalized endpoint URLs (scheme://host:port), in the order given. */
  endpoints?: string[];
  cacert?: string;
  cert?: string;
  key?: string;
  /** User name; when `--user name:password` is given, the password part goes to `password`. */
  user?: string;
  password?: string;
  dialTimeoutMs?: number;
  commandTimeoutMs?: number;
  envFile?: string;
  config?: string;
  context?: string;
  readOnly?: boolean;
  refreshMs?: number;
  quotaBytes?: number;
  json?: boolean;
  members?: number;
  dryRun?: boolean;
  yes?: boolean;
  /** Flows: the audit log file (default under the user's state dir). */
  auditLog?: string;
  /** member add-learner: the new member's name and peer URLs (comma-separated). */
  name?: string;
  peerURLs?: string;
  /** member promote/replace: how long to wait for catch-up and promotion. */
  waitMs?: number;
  /** member add-learner: write the env block to this file. */
  envOut?: string;
  /** member replace: how long the member must be unreachable first; the replacement's name. */
  downForMs?: number;
  newName?: string;
  /** member remove: do not move leadership away from a leader first. */
  noMoveLeader?: boolean;
  /** defrag: which members (a rule over dbSize, dbSizeInUse, free, quota use), or every voter. */
  rule?: string;
  all?: boolean;
  /** defrag / alarm recover-nospace: compact first, keeping the last N revisions. */
  compactRetain?: number;
  /** defrag: move leadership to an already defragmented voter before the leader's turn. */
  moveLeader?: boolean;
  /** compact: keep the last N revisions, or compact up to this revision. */
  retain?: number;
  revision?: number;
  /** snapshot save: the member to stream from (default: the leader). */
  from?: string;
  /** bootstrap: trust (and record) host keys that known_hosts lacks. */
  acceptNewHostKey?: boolean;
  /** bootstrap: local CA dir, etcd binary or release tarball to upload, the new cluster's token. */
  caDir?: string;
  binary?: string;
  token?: string;
  /** bootstrap render: the folder to write the rendered files to. */
  out?: string;
}

export interface ParsedArgs {
  /** Positional words, e.g. ['status'], ['sandbox'], ['member', 'remove', 'm2']; [] opens the console. */
  command: string[];
  flags: CliFlags;
  help: boolean;
  version: boolean;
}

/** Shortest refresh interval accepted: faster polling only loads the cluster. */
export const MIN_REFRESH_MS = 100;

export const HELP_TEXT = `etcd-tui - a keyboard-driven terminal console to watch and operate etcd clusters

Usage:
  etcd-tui [flags]                   open the console
  etcd-tui status [--json] [flags]   check the cluster once, print a report, exit with its code
  etcd-tui sandbox [--members N]     start a throwaway local cluster and open the console on it
  etcd-tui member add-learner --name NAME --peer-urls URL[,URL] [--env-out FILE]
  etcd-tui member promote ID|NAME [--wait 5m]
  etcd-tui member remove ID|NAME [--no-move-leader]
  etcd-tui member move-leader ID|NAME
  etcd-tui member replace ID|NAME [--new-name NAME] [--peer-urls URL] [--down-for 30s] [--wait 5m]
                                     membership flows: print the plan, confirm, run step by step,
                                     append an audit record; --dry-run shows the plan only
  etcd-tui defrag [--rule EXPR | --all] [--compact-retain N] [--move-leader]
                                     rolling defrag: followers first, the leader last, health gates
                                     before and after each member
  etcd-tui compact --retain N | --revision R
  etcd-tui alarm list [--json]       every member x NOSPACE/CORRUPT; exit 0 none, 2 armed, 3 unknown
  etcd-tui alarm recover-nospace [--compact-retain N] [--move-leader]
                                     compact, defragment every voter, check the quota, disarm NOSPACE
                                     only (never CORRUPT)
  etcd-tui snapshot save FILE [--from ID|NAME] [--json]
                                     stream a snapshot (default: from the leader) to FILE.part, check
                                     its sha256, fsync, read it back, rename to FILE, write FILE.json;
                                     never overwrites; no question asked (the cluster is not changed)
  etcd-tui snapshot status FILE [--json]
                                     hash, revision, total keys, total size as etcdutl prints them,
                                     plus the sha256 trailer check; needs no cluster
  etcd-tui bootstrap join HOST [--ca-dir DIR] [--binary FILE] [--accept-new-host-key]
                                     over SSH: preflight HOST (a host of the context's inventory),
                                     add it as a learner, put certs, env file and unit in place,
                                     start it, wait for it to catch up, promote it, verify; on a
                                     failure, undo everything (the cluster ends as it began)
  etcd-tui bootstrap cluster [HOST...] [--token T] [--ca-dir DIR] [--binary FILE]
                                     over SSH: a new cluster on the hosts (default: all of the
                                     context's hosts), then save the context and make it current
  etcd-tui bootstrap preflight [HOST...]
                                     the read-only checks alone (exit 0 all pass, 5 some fail)
  etcd-tui bootstrap render [HOST...] --out DIR [--token T]
                                     write each host's etcd.env, etcd.service and staggered defrag
                                     service and timer to DIR/HOST/ (no SSH; nothing is overwritten)
  etcd-tui runs [--all]              runs that did not finish (cut off, or undo steps left), from
                                     the run journals next to the audit log
  etcd-tui undo RUN [--dry-run] [--yes]
                                     show what RUN did and undo it as its rollback would have

Connection:
  --endpoints URL[,URL...]    client URLs: http:// or https://, host, port (default below)
  --cacert FILE               CA bundle that signed the members' server certificates
  --cert FILE                 client certificate for mutual TLS (needs --key)
  --key FILE                  client private key for mutual TLS (needs --cert)
  --user NAME[:PASSWORD]      etcd user; you are prompted when no password is given
  --password PASSWORD         password for --user (ETCDCTL_PASSWORD is safer: flags show in ps)
  --dial-timeout DURATION     time to connect to an endpoint (default 2s)
  --command-timeout DURATION  time for one request (default 5s)

Where settings come from:
  --env-file FILE             read ETCDCTL_* from a node's etcd env file (e.g. /etc/etcd.env)
  --config FILE               contexts file (default below)
  --context NAME              use this context of the contexts file (default: its "current")

Console:
  --read-only                 disable every action that writes to the cluster
  --refresh DURATION          refresh interval (default 1s, at least 100ms)
  --quota-bytes SIZE          the cluster's --quota-backend-bytes, to show DB use against it

Commands:
  --json                      status, alarm list: print JSON instead of text
  --members N                 sandbox: number of members
  --dry-run                   flows: show the plan, change nothing
  --yes                       flows: do not ask for confirmation (required without a terminal)
  --audit-log FILE            flows: audit log (default $XDG_STATE_HOME/etcd-tui/audit.jsonl,
                              else ~/.local/state/etcd-tui/audit.jsonl)
  --name, --peer-urls         member add-learner: the new member
  --env-out FILE              member add-learner: also write the env block to FILE
  --wait DURATION             member promote/replace, bootstrap: bound for catch-up and promotion,
                              and for a new cluster to form (default 5m)
  --no-move-leader            member remove: do not move leadership away from a leader first
  --down-for DURATION         member replace: how long the member must be unreachable (default 30s)
  --new-name NAME             member replace: the replacement's name (default: the same)
  --rule EXPR                 defrag: which members, over size, inUse, free (size - inUse), quota
                              (size / --quota-bytes); numbers with units (100MB, 1GiB, 80%),
                              < <= > >= == != + - * / && || ! ( ); default:
                              'free >= 100MB || inUse/size < 0.55'
  --all                       defrag: every voter, whatever the rule says
  --compact-retain N          defrag, alarm recover-nospace: compact first, keeping the last N
                              revisions (recover-nospace default 1000)
  --move-leader               defrag, alarm recover-nospace: move leadership to a defragmented
                              voter before the leader's turn
  --retain N, --revision R    compact: keep the last N revisions, or compact up to revision R
  --from ID|NAME              snapshot save: the member to stream from (default: the leader)
  --json                      snapshot status: etcdutl's JSON plus the sha256 check; snapshot save:
                              the sidecar on stdout, progress on stderr
  --accept-new-host-key       bootstrap: trust a host key that known_hosts lacks and record it
                              (check its fingerprint first); a changed key is always refused
  --ca-dir DIR                bootstrap: upload ca.pem, member-NAME.pem, member-NAME-key.pem
                              from DIR (default: the context's etcd.caDir)
  --binary FILE               bootstrap: the etcd binary or release .tar.gz to upload where a host
                              lacks etcd at the wanted version (default: etcd.binarySource)
  --token T                   bootstrap cluster, render: the initial-cluster token (default: a new one)
  --out DIR                   bootstrap render: where to write the files
  -h, --help                  show this help
  --version                   print the version

Values:
  DURATION  a number and a unit: 500ms, 2s, 1m, 1h30m; a bare number is seconds (5 means 5s)
  SIZE      bytes, or a number and a unit: KiB MiB GiB TiB (powers of 1024),
            KB MB GB TB or K M G T (powers of 1000); e.g. 8GiB
  Boolean flags also take =true or =false, e.g. --read-only=false.

Defaults:
  endpoints      http://127.0.0.1:2379, or https://127.0.0.1:2379 when TLS files are given
  contexts file  $XDG_CONFIG_HOME/etcd-tui/contexts.yaml, else ~/.config/etcd-tui/contexts.yaml

Environment (used when the matching flag is not given, as etcdctl does):
  ETCDCTL_ENDPOINTS  ETCDCTL_CACERT  ETCDCTL_CERT  ETCDCTL_KEY  ETCDCTL_USER  ETCDCTL_PASSWORD
  ETCDCTL_DIAL_TIMEOUT  ETCDCTL_COMMAND_TIMEOUT
  older names: ETCDCTL_CA_FILE  ETCDCTL_CERT_FILE  ETCDCTL_KEY_FILE
  In an --env-file, ETCD_ADVERTISE_CLIENT_URLS stands in for a missing ETCDCTL_ENDPOINTS.

Precedence, highest first: flags, environment, --env-file, the context, defaults.
With --context NAME only flags override the context (ETCDCTL_* variables and --env-file are
ignored then, except ETCDCTL_PASSWORD). Without --context, the "current" context is used only
when no endpoints come from flags, environment or env file.

Exit codes of etcd-tui member ..., bootstrap ..., defrag, compact and alarm recover-nospace:
  0  done (or --dry-run)   4  usage or configuration error   5  refused, nothing changed
  6  a step failed (the run stopped there)   7  aborted or not confirmed

Exit codes of etcd-tui status:
  0  healthy
  1  degraded
  2  critical: quorum lost, no leader, an alarm, or DB near the quota
  3  unreachable: no member answered (down, TLS or authentication failure)
  4  usage or configuration error

Exit codes of etcd-tui snapshot save: as member ... (0 saved, 4, 5 refused, 6 failed, 7 aborted).
Exit codes of etcd-tui snapshot status:
  0  a valid snapshot whose sha256 trailer matches
  1  a valid database without a sha256 trailer (a db copied from a data dir: not verifiable)
  2  sha256 mismatch: the file was altered or damaged
  3  truncated, corrupt or not an etcd database
  4  usage error, or the file cannot be read
`;

type ValueFlag =
  | 'endpoints'
  | 'cacert'
  | 'cert'
  | 'key'
  | 'user'
  | 'password'
  | 'dial-timeout'
  | 'command-timeout'
  | 'env-file'
  | 'config'
  | 'context'
  | 'refresh'
  | 'quota-bytes'
  | 'members'
  | 'audit-log'
  | 'name'
  | 'peer-urls'
  | 'wait'
  | 'env-out'
  | 'down-for'
  | 'new-name'
  | 'rule'
  | 'compact-retain'
  | 'retain'
  | 'revision'
  | 'from'
  | 'ca-dir'
  | 'binary'
  | 'token'
  | 'out';
type BoolFlag = 'read-only' | 'json' | 'dry-run' | 'yes' | 'help' | 'version' | 'no-move-leader' | 'all' | 'move-leader' | 'accept-new-host-key';

const VALUE_FLAGS: ReadonlySet<string> = new Set<ValueFlag>([
  'endpoints',
  'cacert',
  'cert',
  'key',
  'user',
  'password',
  'dial-timeout',
  'command-timeout',
  'env-file',
  'config',
  'context',
  'refresh',
  'quota-bytes',
  'members',
  'audit-log',
  'name',
  'peer-urls',
  'wait',
  'env-out',
  'down-for',
  'new-name',
  'rule',
  'compact-retain',
  'retain',
  'revision',
  'from',
  'ca-dir',
  'binary',
  'token',
  'out',
]);
const BOOL_FLAGS: ReadonlySet<string> = new Set<BoolFlag>(['read-only', 'json', 'dry-run', 'yes', 'help', 'version', 'no-move-leader', 'all', 'move-leader', 'accept-new-host-key']);

const VALUE_EXAMPLES: Record<ValueFlag, string> = {
  endpoints: '--endpoints https://10.0.0.1:2379',
  cacert: '--cacert /etc/etcd/pki/ca.pem',
  cert: '--cert /etc/etcd/pki/admin.pem',
  key: '--key /etc/etcd/pki/admin-key.pem',
  user: '--user root',
  password: '--password secret',
  'dial-timeout': '--dial-timeout 2s',
  'command-timeout': '--command-timeout 5s',
  'env-file': '--env-file /etc/etcd.env',
  config: '--config ~/.config/etcd-tui/contexts.yaml',
  context: '--context prod',
  refresh: '--refresh 1s',
  'quota-bytes': '--quota-bytes 8GiB',
  members: '--members 3',
  'audit-log': '--audit-log /var/log/etcd-tui/audit.jsonl',
  name: '--name etcd-4',
  'peer-urls': '--peer-urls https://10.0.0.4:2380',
  wait: '--wait 5m',
  'env-out': '--env-out /tmp/etcd-4.env',
  'down-for': '--down-for 30s',
  'new-name': '--new-name etcd-5',
  rule: "--rule 'free >= 100MB || inUse/size < 0.55'",
  'compact-retain': '--compact-retain 10000',
  retain: '--retain 10000',
  revision: '--revision 123456',
  from: '--from etcd-1',
  'ca-dir': '--ca-dir /srv/pki/prod',
  binary: '--binary /srv/etcd/etcd-v3.4.23-linux-amd64.tar.gz',
  token: '--token prod-etcd-2026',
  out: '--out ./rendered',
};

/** Parse the command line (without the node and script paths). Throws ConfigError on a bad flag or value. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const command: string[] = [];
  const flags: CliFlags = {};
  let help = false;
  let version = false;
  let userText: string | undefined;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      command.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      command.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) {
      throw new ConfigError(`unknown flag ${arg} (see etcd-tui --help)`);
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const flag = `--${name}`;

    if (BOOL_FLAGS.has(name)) {
      const value = inline === undefined ? true : parseBool(inline, flag);
      switch (name as BoolFlag) {
        case 'read-only':
          flags.readOnly = value;
          break;
        case 'json':
          flags.json = value;
          break;
        case 'dry-run':
          flags.dryRun = value;
          break;
        case 'yes':
          flags.yes = value;
          break;
        case 'help':
          help = value;
          break;
        case 'version':
          version = value;
          break;
        case 'no-move-leader':
          flags.noMoveLeader = value;
          break;
        case 'all':
          flags.all = value;
          break;
        case 'move-leader':
          flags.moveLeader = value;
          break;
        case 'accept-new-host-key':
          flags.acceptNewHostKey = value;
          break;
      }
      continue;
    }

    if (!VALUE_FLAGS.has(name)) {
      throw new ConfigError(`unknown flag ${flag} (see etcd-tui --help)`);
    }
    const vname = name as ValueFlag;
    let value: string;
    if (inline !== undefined) {
      value = inline;
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--') || next === '-h') {
        throw new ConfigError(`${flag}: needs a value (example: ${VALUE_EXAMPLES[vname]})`);
      }
      value = next;
      i++;
    }
    if (value === '') {
      throw new ConfigError(`${flag}: needs a value (example: ${VALUE_EXAMPLES[vname]})`);
    }

    switch (vname) {
      case 'endpoints':
        // Repeated --endpoints add up, as etcdctl's string-slice flag does.
        flags.endpoints = dedupe([...(flags.endpoints ?? []), ...parseEndpoints(value, flag)]);
        checkSchemes(flags.endpoints, flag);
        break;
      case 'cacert':
        flags.cacert = value;
        break;
      case 'cert':
        flags.cert = value;
        break;
      case 'key':
        flags.key = value;
        break;
      case 'user':
        userText = value;
        break;
      case 'password':
        flags.password = value;
        break;
      case 'dial-timeout':
        flags.dialTimeoutMs = parseDuration(value, flag);
        break;
      case 'command-timeout':
        flags.commandTimeoutMs = parseDuration(value, flag);
        break;
      case 'env-file':
        flags.envFile = value;
        break;
      case 'config':
        flags.config = value;
        break;
      case 'context':
        flags.context = value;
        break;
      case 'refresh':
        flags.refreshMs = parseDuration(value, flag, { minMs: MIN_REFRESH_MS });
        break;
      case 'quota-bytes':
        flags.quotaBytes = parseSize(value, flag);
        break;
      case 'members':
        flags.members = parseCount(value, flag);
        break;
      case 'audit-log':
        flags.auditLog = value;
        break;
      case 'name':
        flags.name = value;
        break;
      case 'peer-urls':
        flags.peerURLs = value;
        break;
      case 'wait':
        flags.waitMs = parseDuration(value, flag);
        break;
      case 'env-out':
        flags.envOut = value;
        break;
      case 'down-for':
        flags.downForMs = parseDuration(value, flag);
        break;
      case 'new-name':
        flags.newName = value;
        break;
      case 'rule':
        flags.rule = value;
        break;
      case 'compact-retain':
        flags.compactRetain = parseCount(value, flag);
        break;
      case 'retain':
        flags.retain = parseCount(value, flag);
        break;
      case 'revision':
        flags.revision = parseCount(value, flag);
        break;
      case 'from':
        flags.from = value;
        break;
      case 'ca-dir':
        flags.caDir = value;
        break;
      case 'binary':
        flags.binary = value;
        break;
      case 'out':
        flags.out = value;
        break;
      case 'token':
        flags.token = value;
        if (/\s/.test(value)) throw new ConfigError(`${flag}: must be one word without spaces`);
        break;
    }
  }

  if (userText !== undefined) {
    const { user, password } = splitUserPassword(userText, '--user');
    flags.user = user;
    if (password !== undefined) {
      if (flags.password !== undefined) {
        throw new ConfigError('--user: has a password after ":" and --password is also given (use one of them)');
      }
      flags.password = password;
    }
  }

  return { command, flags, help, version };
}

/** Split etcdctl's `user:password` form. A value without ":" is a bare user name. */
export function splitUserPassword(text: string, label: string): { user: string; password?: string } {
  const colon = text.indexOf(':');
  if (colon === -1) return { user: text };
  const user = text.slice(0, colon);
  if (user === '') {
    throw new ConfigError(`${label}: no user name before ":" (write NAME or NAME:PASSWORD, e.g. root)`);
  }
  return { user, password: text.slice(colon + 1) };
}

/** Parse `true`/`false` (also for `--flag=value` booleans). */
export function parseBool(text: string, label: string): boolean {
  const t = text.trim().toLowerCase();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  throw new ConfigError(`${label}: "${text}" is not true or false`);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parse a duration into milliseconds: `500ms`, `2s`, `1.5s`, `1m`, `1h30m`; a bare number is seconds.
 * Must be greater than zero (and at least `minMs` when given).
 */
export function parseDuration(text: string, flagName: string, opts: { minMs?: number } = {}): number {
  const t = text.trim();
  const bad = () => new ConfigError(`${flagName}: "${text}" is not a duration (examples: 500ms, 1s, 2m)`);
  if (t.startsWith('-')) {
    throw new ConfigError(`${flagName}: "${text}" must be greater than zero (examples: 500ms, 1s, 2m)`);
  }
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(t)) {
    ms = Number(t) * 1000;
  } else if (/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(t)) {
    ms = 0;
    for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
      ms += Number(m[1]) * DURATION_UNITS[m[2]];
    }
  } else {
    throw bad();
  }
  ms = Math.round(ms);
  if (!Number.isFinite(ms) || ms > 2_147_483_647) {
    throw new ConfigError(`${flagName}: "${text}" is too long (at most 24 days)`);
  }
  if (ms <= 0) {
    throw new ConfigError(`${flagName}: "${text}" must be greater than zero (examples: 500ms, 1s, 2m)`);
  }
  if (opts.minMs !== undefined && ms < opts.minMs) {
    throw new ConfigError(`${flagName}: "${text}" is too short (at least ${formatDuration(opts.minMs)})`);
  }
  return ms;
}

/** Format milliseconds in the shortest exact form parseDuration reads back: 1m, 2s, 500ms. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  ki: 2 ** 10,
  kib: 2 ** 10,
  mi: 2 ** 20,
  mib: 2 ** 20,
  gi: 2 ** 30,
  gib: 2 ** 30,
  ti: 2 ** 40,
  tib: 2 ** 40,
};

/**
 * Parse a size into bytes: plain bytes (`8589934592`), binary units (`16MiB`, `2GiB`, `8Gi`) or
 * decimal units (`16MB`, `8G`, `8GB` = 8e9, the way etcd itself prints sizes). Case-insensitive.
 */
export function parseSize(text: string, flagName: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const factor = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || factor === undefined) {
    throw new ConfigError(`${flagName}: "${text}" is not a size (examples: 8GiB, 2GB, 16MiB, 8589934592)`);
  }
  const bytes = Math.round(Number(m[1]) * factor);
  if (bytes <= 0) {
    throw new ConfigError(`${flagName}: "${text}" must be greater than zero (examples: 8GiB, 2GB, 16MiB)`);
  }
  if (!Number.isSafeInteger(bytes)) {
    throw new ConfigError(`${flagName}: "${text}" is too large`);
  }
  return bytes;
}

/** Format bytes in the shortest exact binary form parseSize reads back: 8GiB, 16MiB, 1000. */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of [
    ['TiB', 2 ** 40],
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}

function parseCount(text: string, flagName: string): number {
  if (!/^\d+$/.test(text.trim())) {
    throw new ConfigError(`${flagName}: "${text}" is not a whole number (example: ${flagName} 3)`);
  }
  const n = Number(text.trim());
  if (n < 1) throw new ConfigError(`${flagName}: "${text}" must be at least 1 (example: ${flagName} 3)`);
  return n;
}

const ENDPOINT_RE = /^([a-z][a-z0-9+.-]*):\/\/(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d+))?(\/?)$/i;

/**
 * Validate one endpoint URL and normalize it to `scheme://host:port` (lower-case scheme, no trailing slash).
 * Requires http:// or https://, a host and a port.
 */
export function parseEndpoint(text: string, label: string): string {
  const t = text.trim();
  const example = 'example: https://10.0.0.1:2379';
  if (!t.includes('://')) {
    if (/^[^\s/]+:\d+$/.test(t)) {
      throw new ConfigError(`${label}: "${t}" has no scheme (write https://${t}, or http://${t} without TLS)`);
    }
    throw new ConfigError(`${label}: "${t}" is not a URL with http:// or https:// (${example})`);
  }
  const m = ENDPOINT_RE.exec(t);
  const scheme = m?.[1].toLowerCase();
  if (!m || (scheme !== 'http' && scheme !== 'https')) {
    if (/^https?:\/\/[^/]*\/./i.test(t)) {
      const origin = /^(https?:\/\/[^/]*)/i.exec(t)?.[1] ?? t;
      throw new ConfigError(`${label}: "${t}" must not have a path (write ${origin})`);
    }
    throw new ConfigError(`${label}: "${t}" is not a URL with http:// or https:// (${example})`);
  }
  const host = m[2].toLowerCase();
  if (m[3] === undefined) {
    throw new ConfigError(`${label}: "${t}" has no port (example: ${scheme}://${host}:2379)`);
  }
  const port = Number(m[3]);
  if (port < 1 || port > 65535) {
    throw new ConfigError(`${label}: "${t}" has a bad port (use 1-65535, e.g. ${scheme}://${host}:2379)`);
  }
  return `${scheme}://${host}:${port}`;
}

/**
 * Parse a comma-separated endpoint list (or a list of URLs), validate each, drop duplicates,
 * and refuse a mix of http:// and https://.
 */
export function parseEndpoints(input: string | readonly string[], label: string): string[] {
  const parts = typeof input === 'string' ? input.split(',') : input;
  const out = dedupe(parts.map((p) => p.trim()).filter((p) => p !== '').map((p) => parseEndpoint(p, label)));
  if (out.length === 0) {
    throw new ConfigError(`${label}: no endpoints given (example: https://10.0.0.1:2379,https://10.0.0.2:2379)`);
  }
  checkSchemes(out, label);
  return out;
}

function checkSchemes(endpoints: readonly string[], label: string): void {
  const https = endpoints.filter((e) => e.startsWith('https://'));
  const http = endpoints.filter((e) => e.startsWith('http://'));
  if (https.length > 0 && http.length > 0) {
    throw new ConfigError(
      `${label}: mixes https:// and http:// (${https[0]}, ${http[0]}): use https:// for all endpoints, or http:// for all`,
    );
  }
}

function dedupe(list: readonly string[]): string[] {
  return [...new Set(list)];
}
