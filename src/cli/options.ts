/**
 * Every command-line option, declared once: its name, whether it takes a value, how the value is
 * parsed into CliFlags, an example for error messages and its help line. The parser (args.ts) and the
 * per-command help (commands.ts) are generated from these declarations; which command takes which
 * option is declared in the command table (commands.ts).
 */
import { ConfigError } from '../domain/errors.js';
import { MIN_REFRESH_MS, checkSchemes, dedupe, parseCount, parseDuration, parseEndpoints, parseSize } from './values.js';

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
  /** certs: do not read the hosts' certificate files over SSH. */
  noSsh?: boolean;
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
  /** rotate-certs, a CA change: only this phase. */
  caPhase?: 1 | 2 | 3 | 'all';
  binary?: string;
  token?: string;
  /** bootstrap render: the folder to write the rendered files to. */
  out?: string;
  /** snapshot restore: restore a file without etcd's sha256 trailer (a db copied out of a data dir). */
  skipHashCheck?: boolean;
  /** snapshot restore: raise every revision by N and mark the old ones compacted (Kubernetes). */
  bumpRevision?: number;
  /** upgrade: the new binary's version when it cannot be run here to ask it. */
  etcdVersion?: string;
  /** rolling runs (restart-all, upgrade): wait this long between two members (abortable). */
  pauseBetweenMs?: number;
  /** upgrade: a verified snapshot before every member, not only the first. */
  snapshotEach?: boolean;
  /** status: scrape every member's /metrics twice and add the metric health lines. */
  metrics?: boolean;
  /** keyspace: the prefix to scan and how many path segments make a group. */
  prefix?: string;
  depth?: number;
}

/** What the parser fills besides CliFlags. */
export interface ParseState {
  flags: CliFlags;
  help: boolean;
  version: boolean;
  /** --user as given (split into user and password at the end). */
  userText?: string;
}

export interface OptionSpec {
  /** The long name, without the dashes. */
  name: string;
  /** A value option, or a boolean (which also takes =true / =false). */
  type: 'string' | 'boolean';
  /** The value's placeholder in help (URL, FILE, DURATION). */
  value?: string;
  /** An example for "needs a value" messages. */
  example?: string;
  /** One help line. */
  help: string;
  /** Store the (already checked non-empty) value. */
  set(state: ParseState, value: string | boolean, flag: string): void;
}

const str = (field: keyof CliFlags) => (state: ParseState, value: string | boolean) => void ((state.flags as Record<string, unknown>)[field] = value);

/** Every option, in the order of the help. */
export const OPTIONS: readonly OptionSpec[] = [
  {
    name: 'endpoints',
    type: 'string',
    value: 'URL[,URL...]',
    example: '--endpoints https://10.0.0.1:2379',
    help: 'client URLs: http:// or https://, host, port',
    set: (s, v, flag) => {
      // Repeated --endpoints add up, as etcdctl's string-slice flag does.
      s.flags.endpoints = dedupe([...(s.flags.endpoints ?? []), ...parseEndpoints(String(v), flag)]);
      checkSchemes(s.flags.endpoints, flag);
    },
  },
  { name: 'cacert', type: 'string', value: 'FILE', example: '--cacert /etc/etcd/pki/ca.pem', help: "CA bundle that signed the members' server certificates", set: str('cacert') },
  { name: 'cert', type: 'string', value: 'FILE', example: '--cert /etc/etcd/pki/admin.pem', help: 'client certificate for mutual TLS (needs --key)', set: str('cert') },
  { name: 'key', type: 'string', value: 'FILE', example: '--key /etc/etcd/pki/admin-key.pem', help: 'client private key for mutual TLS (needs --cert)', set: str('key') },
  { name: 'user', type: 'string', value: 'NAME[:PASSWORD]', example: '--user root', help: 'etcd user; you are prompted when no password is given', set: (s, v) => void (s.userText = String(v)) },
  { name: 'password', type: 'string', value: 'PASSWORD', example: '--password secret', help: 'password for --user (ETCDCTL_PASSWORD is safer: flags show in ps)', set: str('password') },
  { name: 'dial-timeout', type: 'string', value: 'DURATION', example: '--dial-timeout 2s', help: 'time to connect to an endpoint (default 2s)', set: (s, v, f) => void (s.flags.dialTimeoutMs = parseDuration(String(v), f)) },
  { name: 'command-timeout', type: 'string', value: 'DURATION', example: '--command-timeout 5s', help: 'time for one request (default 5s)', set: (s, v, f) => void (s.flags.commandTimeoutMs = parseDuration(String(v), f)) },
  { name: 'env-file', type: 'string', value: 'FILE', example: '--env-file /etc/etcd.env', help: "read ETCDCTL_* from a node's etcd env file (e.g. /etc/etcd.env)", set: str('envFile') },
  { name: 'config', type: 'string', value: 'FILE', example: '--config ~/.config/etcd-tui/contexts.yaml', help: 'contexts file', set: str('config') },
  { name: 'context', type: 'string', value: 'NAME', example: '--context prod', help: 'use this context of the contexts file (default: its "current")', set: str('context') },
  { name: 'read-only', type: 'boolean', help: 'disable every action that writes to the cluster', set: str('readOnly') },
  { name: 'refresh', type: 'string', value: 'DURATION', example: '--refresh 1s', help: 'refresh interval (default 1s, at least 100ms)', set: (s, v, f) => void (s.flags.refreshMs = parseDuration(String(v), f, { minMs: MIN_REFRESH_MS })) },
  { name: 'quota-bytes', type: 'string', value: 'SIZE', example: '--quota-bytes 8GiB', help: "the cluster's --quota-backend-bytes, to show DB use against it", set: (s, v, f) => void (s.flags.quotaBytes = parseSize(String(v), f)) },
  { name: 'json', type: 'boolean', help: 'print JSON instead of text', set: str('json') },
  { name: 'members', type: 'string', value: 'N', example: '--members 3', help: 'number of members', set: (s, v, f) => void (s.flags.members = parseCount(String(v), f)) },
  { name: 'dry-run', type: 'boolean', help: 'show the plan, change nothing', set: str('dryRun') },
  { name: 'yes', type: 'boolean', help: 'do not ask for confirmation (required without a terminal)', set: str('yes') },
  { name: 'audit-log', type: 'string', value: 'FILE', example: '--audit-log /var/log/etcd-tui/audit.jsonl', help: 'audit log (default $XDG_STATE_HOME/etcd-tui/audit.jsonl, else ~/.local/state/etcd-tui/audit.jsonl)', set: str('auditLog') },
  { name: 'name', type: 'string', value: 'NAME', example: '--name etcd-4', help: "the new member's name", set: str('name') },
  { name: 'peer-urls', type: 'string', value: 'URL[,URL]', example: '--peer-urls https://10.0.0.4:2380', help: "the new member's peer URLs", set: str('peerURLs') },
  { name: 'wait', type: 'string', value: 'DURATION', example: '--wait 5m', help: 'bound for catch-up and promotion, and for a new cluster to form (default 5m)', set: (s, v, f) => void (s.flags.waitMs = parseDuration(String(v), f)) },
  { name: 'env-out', type: 'string', value: 'FILE', example: '--env-out /tmp/etcd-4.env', help: 'also write the env block to FILE', set: str('envOut') },
  { name: 'down-for', type: 'string', value: 'DURATION', example: '--down-for 30s', help: 'how long the member must be unreachable (default 30s)', set: (s, v, f) => void (s.flags.downForMs = parseDuration(String(v), f)) },
  { name: 'new-name', type: 'string', value: 'NAME', example: '--new-name etcd-5', help: "the replacement's name (default: the same)", set: str('newName') },
  { name: 'no-move-leader', type: 'boolean', help: 'do not move leadership away from a leader first', set: str('noMoveLeader') },
  { name: 'rule', type: 'string', value: 'EXPR', example: "--rule 'free >= 100MB || inUse/size < 0.55'", help: "which members, over size, inUse, free, quota (default 'free >= 100MB || inUse/size < 0.55')", set: str('rule') },
  { name: 'all', type: 'boolean', help: 'defrag: every voter, whatever the rule says; runs: every run, finished ones too', set: str('all') },
  { name: 'compact-retain', type: 'string', value: 'N', example: '--compact-retain 10000', help: 'compact first, keeping the last N revisions', set: (s, v, f) => void (s.flags.compactRetain = parseCount(String(v), f)) },
  { name: 'move-leader', type: 'boolean', help: "move leadership to a defragmented voter before the leader's turn", set: str('moveLeader') },
  { name: 'retain', type: 'string', value: 'N', example: '--retain 10000', help: 'keep the last N revisions', set: (s, v, f) => void (s.flags.retain = parseCount(String(v), f)) },
  { name: 'revision', type: 'string', value: 'R', example: '--revision 123456', help: 'compact up to revision R', set: (s, v, f) => void (s.flags.revision = parseCount(String(v), f)) },
  { name: 'from', type: 'string', value: 'ID|NAME', example: '--from etcd-1', help: 'the member to stream from (default: the leader)', set: str('from') },
  { name: 'accept-new-host-key', type: 'boolean', help: 'trust a host key that known_hosts lacks and record it (check its fingerprint first)', set: str('acceptNewHostKey') },
  { name: 'ca-dir', type: 'string', value: 'DIR', example: '--ca-dir /srv/pki/prod', help: "upload ca.pem, member-NAME.pem, member-NAME-key.pem from DIR (default: the context's etcd.caDir)", set: str('caDir') },
  {
    name: 'phase',
    type: 'string',
    value: '1|2|3|all',
    example: '--phase 1',
    help: 'rotate-certs, a CA change: only this phase (1: CA bundles, 2: new certificates, 3: old CA dropped; default all still to do)',
    set: (s, v, f) => {
      const t = String(v).trim();
      if (!['1', '2', '3', 'all'].includes(t)) throw new ConfigError(`${f}: "${t}" is not 1, 2, 3 or all (example: ${f} 1)`);
      s.flags.caPhase = t === 'all' ? 'all' : (Number(t) as 1 | 2 | 3);
    },
  },
  { name: 'binary', type: 'string', value: 'FILE', example: '--binary /srv/etcd/etcd-v3.4.23-linux-amd64.tar.gz', help: 'the etcd binary or release .tar.gz to upload (default: etcd.binarySource)', set: str('binary') },
  {
    name: 'token',
    type: 'string',
    value: 'T',
    example: '--token prod-etcd-2026',
    help: 'the initial-cluster token (default: a new one)',
    set: (s, v, f) => {
      s.flags.token = String(v);
      if (/\s/.test(String(v))) throw new ConfigError(`${f}: must be one word without spaces`);
    },
  },
  { name: 'out', type: 'string', value: 'DIR', example: '--out ./rendered', help: 'where to write the files', set: str('out') },
  { name: 'no-ssh', type: 'boolean', help: "do not read the certificate files of the context's hosts over SSH", set: str('noSsh') },
  { name: 'metrics', type: 'boolean', help: "also scrape every member's /metrics twice (5 s apart): disk, network and proposal health lines", set: str('metrics') },
  { name: 'prefix', type: 'string', value: 'P', example: '--prefix /registry/', help: 'only keys under this prefix', set: str('prefix') },
  { name: 'depth', type: 'string', value: 'N', example: '--depth 3', help: 'path segments that make a group (default: Kubernetes-aware)', set: (s, v, f) => void (s.flags.depth = parseCount(String(v), f)) },
  { name: 'etcd-version', type: 'string', value: 'V', example: '--etcd-version 3.5.16', help: "the new binary's version, when it cannot run on this machine to say it", set: (s, v, f) => {
    if (!/^v?\d+\.\d+\.\d+$/.test(String(v))) throw new ConfigError(`${f}: "${String(v)}" is not an etcd version (example: --etcd-version 3.5.16)`);
    s.flags.etcdVersion = String(v).replace(/^v/, '');
  } },
  { name: 'pause-between', type: 'string', value: 'DURATION', example: '--pause-between 30s', help: 'rolling runs: wait this long between two members (abortable)', set: (s, v, f) => void (s.flags.pauseBetweenMs = parseDuration(String(v), f)) },
  { name: 'snapshot-each', type: 'boolean', help: 'upgrade: a verified snapshot before every member, not only the first', set: str('snapshotEach') },
  { name: 'skip-hash-check', type: 'boolean', help: "restore a file without etcd's sha256 trailer (a db copied out of a data dir), on the bbolt check alone", set: str('skipHashCheck') },
  { name: 'bump-revision', type: 'string', value: 'N', example: '--bump-revision 1000000000', help: 'raise every revision by N and mark the old ones compacted, so Kubernetes watchers relist (etcdutl 3.5+)', set: (s, v, f) => void (s.flags.bumpRevision = parseCount(String(v), f)) },
  { name: 'help', type: 'boolean', help: 'show this help', set: (s, v) => void (s.help = Boolean(v)) },
  { name: 'version', type: 'boolean', help: 'print the version', set: (s, v) => void (s.version = Boolean(v)) },
];

export type OptionName = (typeof OPTIONS)[number]['name'];

export const OPTION_BY_NAME: ReadonlyMap<string, OptionSpec> = new Map(OPTIONS.map((o) => [o.name, o]));

/** Options every command takes: where the connection settings come from, the audit log, help. */
export const GLOBAL_OPTIONS: readonly string[] = ['endpoints', 'cacert', 'cert', 'key', 'user', 'password', 'dial-timeout', 'command-timeout', 'env-file', 'config', 'context', 'read-only', 'quota-bytes', 'audit-log', 'help', 'version'];

/** `--name VALUE` or `--name` for a help line. */
export function optionLabel(o: OptionSpec): string {
  return o.type === 'string' ? `--${o.name} ${o.value ?? 'VALUE'}` : `--${o.name}`;
}
