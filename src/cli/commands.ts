/**
 * The command table: every `etcd-tui` command, declared once with the words that name it, its usage,
 * a one-line summary, the options it takes (besides the global ones: connection, --audit-log, --help)
 * and how it runs. The dispatcher (main.ts), the refusal of an option that does not belong to a
 * command, and the per-command help (`etcd-tui member --help`, `etcd-tui snapshot save --help`) all
 * come from it.
 *
 * To add a headless command: add one entry to COMMANDS below (words, summary, usage, options, run;
 * `run` imports its module lazily so that the console starts without it). A new option: declare it
 * once in options.ts (its value parser in values.ts), then list it in the entries that take it. A new
 * group of words (like `member`): add it to GROUPS, so that `etcd-tui WORD` alone says which commands
 * there are. A flow's command also names itself in its flow module (src/flows/modules: `cli.command`).
 */
import type { ConnectionSettings } from '../domain/config.js';
import { ConfigError } from '../domain/errors.js';
import { GLOBAL_OPTIONS, OPTION_BY_NAME, optionLabel, type CliFlags } from './options.js';
import { BOOTSTRAP_USAGE, MAINTENANCE_USAGE, MEMBER_USAGE, SNAPSHOT_USAGE } from './usage.js';

export { BOOTSTRAP_USAGE, MAINTENANCE_USAGE, MEMBER_USAGE, SNAPSHOT_USAGE } from './usage.js';

/** What a command's run gets. */
export interface CommandRun {
  /** The positional words after the command's own words. */
  args: string[];
  flags: CliFlags;
  env: NodeJS.ProcessEnv;
  /** The connection settings (flags, environment, env file, context; a password prompt when needed). */
  settings(): Promise<ConnectionSettings>;
}

export interface CommandSpec {
  /** The words that name the command: ['member', 'promote']; [] is the console. */
  words: string[];
  /** Usage line(s) of this command. */
  usage: string;
  /** One line: what it does. */
  summary: string;
  /** The options it takes besides GLOBAL_OPTIONS (names as in options.ts). */
  options: string[];
  /** A hint for an option of a sibling command ("defrag takes --compact-retain N"). */
  hints?: Record<string, string>;
  /** The usage shown with a usage error (default: the group's usage, else `usage`). */
  errorUsage?: string;
  /** Takes no positional words after its own. */
  noArgs?: boolean;
  run(ctx: CommandRun): Promise<number>;
}

const FLOW = ['dry-run', 'yes'];

const member = (sub: string, usage: string, summary: string, options: string[]): CommandSpec => ({
  words: ['member', sub],
  usage,
  summary,
  options: [...FLOW, ...options],
  run: async ({ args, flags, settings }) => (await import('./member.js')).runMemberCommand(sub, args, flags, await settings()),
});

const maintenance = (words: string[], usage: string, summary: string, options: string[], hints?: Record<string, string>): CommandSpec => ({
  words,
  usage,
  summary,
  options,
  hints,
  errorUsage: MAINTENANCE_USAGE,
  run: async ({ args, flags, settings }) => (await import('./maintenance.js')).runMaintenanceCommand(words[0], [...words.slice(1), ...args], flags, await settings()),
});

const bootstrap = (sub: string, usage: string, summary: string, options: string[]): CommandSpec => ({
  words: ['bootstrap', sub],
  usage,
  summary,
  options: [...FLOW, ...options],
  run: async ({ args, flags, env, settings }) => (await import('./bootstrap.js')).runBootstrapCommand(sub, args, flags, env, settings),
});

export const COMMANDS: readonly CommandSpec[] = [
  {
    words: [],
    usage: 'etcd-tui [flags]',
    summary: 'open the console',
    options: ['refresh'],
    run: async ({ args, flags, env, settings }) => {
      if (args.length > 0) throw new ConfigError(`unknown command "${args[0]}" (commands: status, sandbox, member, bootstrap, defrag, compact, alarm, snapshot; see etcd-tui --help)`);
      const local = await import('./local.js');
      local.requireTerminal();
      return local.openConsole(await settings(), flags, env);
    },
  },
  {
    words: ['status'],
    noArgs: true,
    usage: 'etcd-tui status [--json] [--metrics] [flags]',
    summary: 'check the cluster once, print a report, exit with its code (--metrics: also the disk, network and proposal figures)',
    options: ['json', 'refresh', 'metrics'],
    run: async ({ flags, env, settings }) => (flags.metrics ? (await import('./status-metrics.js')).runStatusWithMetrics(await settings(), { json: flags.json }, process) : (await import('./local.js')).status(flags, env)),
  },
  {
    words: ['sandbox'],
    noArgs: true,
    usage: 'etcd-tui sandbox [--members N]',
    summary: 'start a throwaway local cluster and open the console on it',
    options: ['members', 'refresh'],
    run: async ({ flags, env }) => (await import('./local.js')).sandbox(flags, env),
  },
  member('add-learner', 'etcd-tui member add-learner --name NAME --peer-urls URL[,URL] [--env-out FILE]', 'add a member as a learner; print the env block it must start with', ['name', 'peer-urls', 'env-out']),
  member('promote', 'etcd-tui member promote ID|NAME [--wait 5m]', 'wait for the learner to catch up, then promote it', ['wait']),
  member('remove', 'etcd-tui member remove ID|NAME [--no-move-leader]', 'remove a member (a leader hands over first); quorum checked before and after', ['no-move-leader']),
  member('move-leader', 'etcd-tui member move-leader ID|NAME', 'make a healthy, caught-up voter the leader', []),
  member('replace', 'etcd-tui member replace ID|NAME [--new-name NAME] [--peer-urls URL] [--down-for 30s] [--wait 5m]', 'replace a failed member: confirm it is down, remove it, add the new one, wait, promote, verify', ['new-name', 'peer-urls', 'down-for', 'wait']),
  maintenance(['defrag'], 'etcd-tui defrag [--rule EXPR | --all] [--compact-retain N] [--move-leader]', 'rolling defrag: followers first, the leader last, health gates before and after each member', [...FLOW, 'rule', 'all', 'compact-retain', 'move-leader'], {
    retain: 'defrag takes --compact-retain N',
  }),
  maintenance(['compact'], 'etcd-tui compact --retain N | --revision R', 'compact the history, keeping the last N revisions or up to revision R', [...FLOW, 'retain', 'revision'], { 'compact-retain': 'compact takes --retain N' }),
  maintenance(['alarm', 'list'], 'etcd-tui alarm list [--json]', 'every member x NOSPACE/CORRUPT; exit 0 none, 2 armed, 3 unknown', ['json']),
  maintenance(['alarm', 'recover-nospace'], 'etcd-tui alarm recover-nospace [--compact-retain N] [--move-leader]', 'compact, defragment every voter, check the quota, disarm NOSPACE only (never CORRUPT)', [...FLOW, 'compact-retain', 'move-leader']),
  {
    words: ['snapshot', 'save'],
    usage: 'etcd-tui snapshot save FILE [--from ID|NAME] [--dry-run] [--json]',
    summary: 'stream a verified snapshot (default: from the leader) to FILE, with a FILE.json sidecar; never overwrites',
    options: [...FLOW, 'from', 'json'],
    run: async ({ args, flags, settings }) => (await import('./snapshot.js')).runSnapshotCommand('save', args, flags, settings),
  },
  {
    words: ['snapshot', 'status'],
    usage: 'etcd-tui snapshot status FILE [--json]',
    summary: 'hash, revision, total keys, total size as etcdutl prints them, plus the sha256 trailer check; needs no cluster',
    options: ['json'],
    run: async ({ args, flags, settings }) => (await import('./snapshot.js')).runSnapshotCommand('status', args, flags, settings),
  },
  {
    words: ['snapshot', 'restore'],
    usage: 'etcd-tui snapshot restore FILE [HOST...] [--skip-hash-check] [--bump-revision N] [--token T] [--accept-new-host-key] [--wait 5m]',
    summary: "over SSH: restore FILE onto the context's hosts (or those named) as a new cluster of exactly these; old data moved aside; undone before the start",
    options: [...FLOW, 'skip-hash-check', 'bump-revision', 'token', 'accept-new-host-key', 'wait'],
    run: async ({ args, flags, env }) => (await import('./restore.js')).runRestoreCommand(args, flags, env),
  },
  {
    words: ['recover', 'quorum'],
    usage: 'etcd-tui recover quorum [--from HOST] [--accept-new-host-key] [--wait 5m]',
    summary: 'over SSH, quorum lost for good: the best survivor (highest raft index, or --from) becomes a one-member cluster, the other hosts join back; refused with quorum present',
    options: [...FLOW, 'from', 'accept-new-host-key', 'wait'],
    noArgs: true,
    run: async ({ args, flags, env }) => (await import('./recover.js')).runRecoverCommand('quorum', args, flags, env),
  },
  {
    words: ['restart-all'],
    usage: 'etcd-tui restart-all [HOST...] [--pause-between DURATION] [--accept-new-host-key] [--wait 5m]',
    summary: 'over SSH: restart every member (or those named) one at a time, followers first, the leader last after a verified move, each gated and waited for',
    options: [...FLOW, 'accept-new-host-key', 'wait', 'pause-between'],
    run: async ({ args, flags, env, settings }) => (await import('./rolling.js')).runRollingCommand('restart', args, flags, env, settings),
  },
  {
    words: ['upgrade'],
    usage: 'etcd-tui upgrade --binary PATH [--etcd-version V] [HOST...] [--pause-between DURATION] [--snapshot-each] [--accept-new-host-key] [--wait 5m]',
    summary: 'over SSH: a rolling upgrade to the etcd binary or release tarball PATH: path and flag checks, a snapshot first, one member at a time, the one that fails rolled back',
    options: [...FLOW, 'binary', 'etcd-version', 'accept-new-host-key', 'wait', 'pause-between', 'snapshot-each'],
    run: async ({ args, flags, env, settings }) => (await import('./rolling.js')).runRollingCommand('upgrade', args, flags, env, settings),
  },
  {
    words: ['config', 'set'],
    usage: 'etcd-tui config set KEY=VALUE... [HOST...] [--accept-new-host-key] [--wait 5m]',
    summary: "over SSH: change etcd settings (quota-backend-bytes, auto-compaction-*, log-level, heartbeat-interval, ...) in each node's env file, rendered from the templates, one member at a time, each verified or rolled back",
    options: [...FLOW, 'accept-new-host-key', 'wait'],
    run: async ({ args, flags, env, settings }) => (await import('./config-change.js')).runConfigSetCommand(args, flags, env, settings),
  },
  {
    words: ['rotate-certs'],
    usage: 'etcd-tui rotate-certs [--ca-dir DIR] [HOST...] [--phase 1|2|3|all] [--pause-between 30s] [--accept-new-host-key] [--wait 5m]',
    summary: "over SSH: new member certificates from the CA dir (checked: SANs, usages, chain, expiry), one member at a time, each verified by the serial it presents, or rolled back; another CA in the CA dir is the three-phase CA change (both CAs trusted, new certificates, old CA dropped), the bastion's files and context moved along",
    options: [...FLOW, 'ca-dir', 'phase', 'pause-between', 'accept-new-host-key', 'wait'],
    run: async ({ args, flags, env, settings }) => (await import('./rotate-certs.js')).runRotateCertsCommand(args, flags, env, settings),
  },
  {
    words: ['runs'],
    noArgs: true,
    usage: 'etcd-tui runs [--all]',
    summary: 'runs that did not finish (cut off, or undo steps left), from the run journals next to the audit log',
    options: ['all'],
    run: async ({ args, flags }) => (await import('./runs.js')).runsCommand(args, flags),
  },
  {
    words: ['undo'],
    usage: 'etcd-tui undo RUN [--dry-run] [--yes] [--accept-new-host-key]',
    summary: 'show what RUN did and undo it as its rollback would have (a run cut off by kill -9, a lost bastion)',
    options: [...FLOW, 'accept-new-host-key'],
    run: async ({ args, flags, env }) => (await import('./runs.js')).undoCommand(args, flags, env, async (f) => (await import('./settings.js')).resolveSettings(f, env)),
  },
  {
    words: ['certs'],
    noArgs: true,
    usage: 'etcd-tui certs [--json] [--no-ssh]',
    summary: "every member's server certificate (read in the TLS handshake), the CA and the client certificate, and the peer/server/CA files of the context's hosts (over SSH; --no-ssh skips them): days left, SAN coverage; exit 0 fine, 1 within 30 days, 2 within 7 days, expired or a SAN gap, 3 nothing answered",
    options: ['json', 'no-ssh'],
    run: async ({ flags, env, settings }) => {
      const certs = await import('./certs.js');
      const s = await settings();
      return certs.runCertsCommand(s, { json: flags.json, hostFiles: flags.noSsh ? undefined : () => certs.contextHostFiles(flags, env, s) }, process);
    },
  },
  {
    words: ['keyspace'],
    noArgs: true,
    usage: 'etcd-tui keyspace [--prefix P] [--depth N] [--json]',
    summary: 'the top prefixes by key count and bytes, from paginated serializable reads on a follower (Kubernetes prefixes understood), bounded in time and pages',
    options: ['json', 'prefix', 'depth'],
    run: async ({ flags, settings }) => (await import('./keyspace.js')).runKeyspaceCommand(await settings(), { json: flags.json, prefix: flags.prefix, depth: flags.depth }, process),
  },
  {
    words: ['check', 'consistency'],
    noArgs: true,
    usage: 'etcd-tui check consistency [--json] [--wait 2m]',
    summary: 'HashKV on every member at one revision; the member whose data differs is named',
    options: ['json', 'wait'],
    run: async ({ flags, settings }) => (await import('./check.js')).runCheckCommand('consistency', await settings(), { json: flags.json, waitMs: flags.waitMs }, process),
  },
  bootstrap('join', 'etcd-tui bootstrap join HOST [--ca-dir DIR] [--binary FILE] [--accept-new-host-key] [--wait 5m]', "over SSH: add HOST (of the context's inventory) as a learner, put its files in place, start it, promote it; undone on failure", ['ca-dir', 'binary', 'accept-new-host-key', 'wait']),
  bootstrap('cluster', 'etcd-tui bootstrap cluster [HOST...] [--token T] [--ca-dir DIR] [--binary FILE] [--accept-new-host-key] [--wait 5m]', 'over SSH: a new cluster on the hosts, then save the context and make it current', ['token', 'ca-dir', 'binary', 'accept-new-host-key', 'wait']),
  bootstrap('preflight', 'etcd-tui bootstrap preflight [HOST...]', 'the read-only checks alone (exit 0 all pass, 5 some fail)', ['accept-new-host-key', 'ca-dir', 'binary', 'wait']),
  bootstrap('render', 'etcd-tui bootstrap render [HOST...] --out DIR [--token T]', "write each host's etcd.env, etcd.service and staggered defrag units to DIR/HOST/ (no SSH)", ['out', 'token']),
  {
    words: ['help'],
    noArgs: true,
    usage: 'etcd-tui help',
    summary: 'show the help',
    options: [],
    run: async () => {
      const { HELP_TEXT } = await import('./args.js');
      process.stdout.write(HELP_TEXT + '\n');
      return 0;
    },
  },
];

/** Words that group commands: `etcd-tui WORD` alone, or with an unknown next word, says which commands there are. */
export const GROUPS: Record<string, { usage: string; missing: (sub?: string) => string }> = {
  member: { usage: MEMBER_USAGE, missing: (sub) => (sub ? `unknown member command "${sub}"` : 'member: which command?') },
  alarm: { usage: MAINTENANCE_USAGE, missing: (sub) => `alarm: which command? "list" or "recover-nospace"${sub ? `, not "${sub}"` : ''}` },
  snapshot: { usage: SNAPSHOT_USAGE, missing: (sub) => (sub ? `unknown snapshot command "${sub}"` : 'snapshot: which command?') },
  bootstrap: { usage: BOOTSTRAP_USAGE, missing: (sub) => (sub ? `unknown bootstrap command "${sub}"` : 'bootstrap: which command?') },
  recover: { usage: 'etcd-tui recover quorum [--from HOST] [--accept-new-host-key] [--wait 5m]', missing: (sub) => (sub ? `unknown recover command "${sub}"` : 'recover: which command? "quorum"') },
  config: { usage: 'etcd-tui config set KEY=VALUE... [HOST...]', missing: (sub) => (sub ? `unknown config command "${sub}" (config set KEY=VALUE...)` : 'config: which command? "set KEY=VALUE..."') },
  check: { usage: 'etcd-tui check consistency [--json] [--wait 2m]', missing: (sub) => (sub ? `check: unknown check "${sub}"` : 'check: which check? "consistency"') },
};

/** The command the positional words name, and the words left for it; a group word alone (or with an unknown word) is a usage error. */
export function findCommand(words: string[]): { spec: CommandSpec; args: string[] } {
  const matches = COMMANDS.filter((c) => c.words.length <= words.length && c.words.every((w, i) => words[i] === w));
  const spec = matches.sort((a, b) => b.words.length - a.words.length)[0];
  const group = GROUPS[words[0] ?? ''];
  if (group && (!spec || spec.words.length === 0)) throw new ConfigError(`${group.missing(words[1])} (usage:\n${group.usage})`);
  if (!spec || (spec.words.length === 0 && words.length > 0 && !['status', 'sandbox', 'help'].includes(words[0]))) {
    throw new ConfigError(`unknown command "${words[0]}" (commands: status, sandbox, member, bootstrap, defrag, compact, alarm, snapshot; see etcd-tui --help)`);
  }
  const args = words.slice(spec.words.length);
  if (spec.noArgs && args.length > 0) throw new ConfigError(`${spec.words.join(' ')}: unexpected argument "${args[0]}" (see etcd-tui --help)`);
  return { spec, args };
}

/** Which option set each CliFlags field (to tell which options were given). */
const FIELD_OPTION: Record<keyof CliFlags, string> = {
  endpoints: 'endpoints',
  cacert: 'cacert',
  cert: 'cert',
  key: 'key',
  user: 'user',
  password: 'password',
  dialTimeoutMs: 'dial-timeout',
  commandTimeoutMs: 'command-timeout',
  envFile: 'env-file',
  config: 'config',
  context: 'context',
  readOnly: 'read-only',
  refreshMs: 'refresh',
  quotaBytes: 'quota-bytes',
  json: 'json',
  members: 'members',
  dryRun: 'dry-run',
  yes: 'yes',
  auditLog: 'audit-log',
  name: 'name',
  peerURLs: 'peer-urls',
  waitMs: 'wait',
  envOut: 'env-out',
  downForMs: 'down-for',
  newName: 'new-name',
  noMoveLeader: 'no-move-leader',
  noSsh: 'no-ssh',
  rule: 'rule',
  all: 'all',
  compactRetain: 'compact-retain',
  moveLeader: 'move-leader',
  retain: 'retain',
  revision: 'revision',
  from: 'from',
  acceptNewHostKey: 'accept-new-host-key',
  caDir: 'ca-dir',
  caPhase: 'phase',
  binary: 'binary',
  token: 'token',
  out: 'out',
  skipHashCheck: 'skip-hash-check',
  bumpRevision: 'bump-revision',
  etcdVersion: 'etcd-version',
  pauseBetweenMs: 'pause-between',
  snapshotEach: 'snapshot-each',
  metrics: 'metrics',
  prefix: 'prefix',
  depth: 'depth',
};

function commandName(spec: CommandSpec): string {
  return spec.words.length ? spec.words.join(' ') : 'the console';
}

/** Refuse an option the command does not take, with the command's usage. */
export function checkOptions(spec: CommandSpec, flags: CliFlags): void {
  const allowed = new Set([...GLOBAL_OPTIONS, ...spec.options]);
  for (const [field, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    const option = FIELD_OPTION[field as keyof CliFlags];
    if (!option || allowed.has(option)) continue;
    const name = commandName(spec);
    const hint = spec.hints?.[option] ? ` (${spec.hints[option]})` : '';
    const usage = spec.errorUsage ?? GROUPS[spec.words[0] ?? '']?.usage ?? spec.usage;
    throw new ConfigError(`${name}: --${option} is not for ${name}${hint} (usage:\n${usage})`);
  }
}

/** The help of one command (or of a group of commands), generated from the declarations. */
export function commandHelp(words: string[]): string | undefined {
  const exact = COMMANDS.find((c) => c.words.length > 0 && c.words.join(' ') === words.join(' '));
  const specs = exact ? [exact] : COMMANDS.filter((c) => words.length > 0 && c.words.length > words.length && words.every((w, i) => c.words[i] === w));
  if (specs.length === 0) return undefined;
  const lines = ['Usage:'];
  for (const s of specs) lines.push(`  ${s.usage}`, `      ${s.summary}`);
  const names = [...new Set(specs.flatMap((s) => s.options))];
  if (names.length > 0) {
    lines.push('', 'Options:');
    for (const n of names) {
      const o = OPTION_BY_NAME.get(n);
      if (o) lines.push(`  ${optionLabel(o).padEnd(28)}${o.help}`);
    }
  }
  lines.push('', 'Every command also takes the connection flags (--endpoints, --cacert, --cert, --key, --user, --password,', '--dial-timeout, --command-timeout, --env-file, --config, --context), --read-only, --quota-bytes and', '--audit-log: see etcd-tui --help.');
  return lines.join('\n');
}
