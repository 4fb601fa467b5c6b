/**
 * Command-line parsing on node:util parseArgs: argv in, typed flags out. The options are declared once
 * in options.ts (name, value or boolean, value parser, example, help); the value parsers (durations,
 * sizes, endpoints) live in values.ts and are shared with the environment, env-file and contexts layers.
 * Which command takes which option is declared in the command table (commands.ts). Every bad flag or
 * value throws one ConfigError line: which value, what is wrong, what to do.
 */
import { parseArgs as nodeParseArgs } from 'node:util';
import { ConfigError } from '../domain/errors.js';
import { OPTIONS, OPTION_BY_NAME, type CliFlags, type ParseState } from './options.js';
import { parseBool, splitUserPassword } from './values.js';

export type { CliFlags } from './options.js';
export { MIN_REFRESH_MS, checkSchemes, formatDuration, formatSize, parseBool, parseCount, parseDuration, parseEndpoint, parseEndpoints, parseSize, splitUserPassword } from './values.js';

export interface ParsedArgs {
  /** Positional words, e.g. ['status'], ['sandbox'], ['member', 'remove', 'm2']; [] opens the console. */
  command: string[];
  flags: CliFlags;
  help: boolean;
  version: boolean;
}

export const HELP_TEXT = `etcd-tui - a keyboard-driven terminal console to watch and operate etcd clusters

Usage:
  etcd-tui [flags]                   open the console
  etcd-tui status [--json] [--metrics] [flags]
                                     check the cluster once, print a report, exit with its code
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
  etcd-tui snapshot restore FILE [HOST...] [--skip-hash-check] [--bump-revision N] [--token T]
                                     over SSH: restore FILE onto every host of the context (or the
                                     ones named) as a new cluster of exactly these hosts: stop etcd
                                     (and the hosts' stopServices), restore into a fresh dir, old
                                     data moved aside, start, verify one leader, a new cluster ID
                                     and one HashKV; a failure before the start puts it all back
  etcd-tui recover quorum [--from HOST]
                                     over SSH, when quorum is lost for good: the best survivor
                                     (highest raft index) becomes a one-member cluster, then every
                                     other host joins back as a learner and is promoted; refused
                                     while quorum is present
  etcd-tui restart-all [HOST...]     over SSH: restart the members one at a time, followers first,
                                     the leader last after a verified move; gated and waited for
  etcd-tui upgrade --binary PATH [--etcd-version V] [HOST...]
                                     over SSH: rolling upgrade (path and flag checks, a snapshot
                                     first); a member that does not come back is rolled back
  etcd-tui config set KEY=VALUE... [HOST...]
                                     over SSH: a rolling config change (quota-backend-bytes,
                                     log-level, ...): env files rendered from the templates, the
                                     diff per host, each member verified or rolled back
  etcd-tui rotate-certs [--ca-dir DIR] [HOST...] [--phase 1|2|3|all]
                                     over SSH: new member certificates from the CA dir, one member
                                     at a time, verified by the serial it presents; another CA is
                                     the three-phase CA change (the context moved to the new files)
  etcd-tui runs [--all]              runs that did not finish (cut off, or undo steps left), from
                                     the run journals next to the audit log
  etcd-tui undo RUN [--dry-run] [--yes]
                                     show what RUN did and undo it as its rollback would have
                                     (the console offers it on start: u, :undo RUN)
  etcd-tui certs [--json] [--no-ssh] every member's server certificate (TLS handshake), the CA and
                                     the client certificate: days left, SAN coverage; exit 0 fine,
                                     1 within 30 days, 2 within 7 days, expired or a SAN gap;
                                     with hosts in the context also their peer, server and CA files
                                     over SSH (--no-ssh: not those)
  etcd-tui keyspace [--prefix P] [--depth N] [--json]
                                     the top prefixes by keys and bytes (serializable reads on a
                                     follower, bounded); Kubernetes prefixes understood
  etcd-tui check consistency         HashKV on every member at one revision; a member whose data
                                     differs is named
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
  --no-ssh                    certs: do not read the certificate files of the context's hosts over SSH
  --down-for DURATION         member replace: how long the member must be unreachable (default 30s)
  --new-name NAME             member replace: the replacement's name (default: the same)
  --rule EXPR                 defrag: which members, over size, inUse, free (size - inUse), quota
                              (size / --quota-bytes); numbers with units (100MB, 1GiB, 80%),
                              < <= > >= == != + - * / && || ! ( ); default:
                              'free >= 100MB || inUse/size < 0.55'
  --all                       defrag: every voter, whatever the rule says; runs: every run,
                              finished ones too
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
  --phase 1|2|3|all           rotate-certs, a CA change: only this phase (1 CA bundles, 2 new
                              certificates, 3 old CA dropped; default: every phase still to do)
  --binary FILE               bootstrap: the etcd binary or release .tar.gz to upload where a host
                              lacks etcd at the wanted version (default: etcd.binarySource)
  --pause-between DURATION    restart-all, upgrade: wait this long between two members (abortable)
  --snapshot-each             upgrade: a verified snapshot before every member, not only the first
  --token T                   bootstrap cluster, render: the initial-cluster token (default: a new one)
  --out DIR                   bootstrap render: where to write the files
  -h, --help                  show this help (after a command, e.g. etcd-tui member --help: that
                              command's usage and options)
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
  ctrl-c or ctrl-d at the question: not confirmed (7)
  ctrl-c, SIGTERM or SIGHUP during the run: aborted (7; the flows that undo, undo first)

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

const NODE_OPTIONS = Object.fromEntries(OPTIONS.map((o) => [o.name, { type: o.type, ...(o.name === 'help' ? { short: 'h' } : {}) }]));

/** Parse the command line (without the node and script paths). Throws ConfigError on a bad flag or value. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const { tokens } = nodeParseArgs({ args: [...argv], options: NODE_OPTIONS as never, strict: false, allowPositionals: true, tokens: true });
  const command: string[] = [];
  const state: ParseState = { flags: {}, help: false, version: false };
  for (const token of tokens ?? []) {
    if (token.kind === 'positional') {
      command.push(token.value);
      continue;
    }
    if (token.kind === 'option-terminator') continue;
    const spec = OPTION_BY_NAME.get(token.name);
    // A short option other than -h, or a group (-abc): named as it was written.
    const written = token.rawName.startsWith('--') ? token.rawName : (argv[token.index] ?? token.rawName).split('=')[0];
    if (!spec || (!token.rawName.startsWith('--') && token.name !== 'help') || (written !== token.rawName && !token.rawName.startsWith('--'))) {
      throw new ConfigError(`unknown flag ${written} (see etcd-tui --help)`);
    }
    const flag = `--${spec.name}`;
    if (spec.type === 'boolean') {
      spec.set(state, token.value === undefined ? true : parseBool(token.value, flag), flag);
      continue;
    }
    const value = token.value;
    // A value that is the next flag is no value (--context --json); with = it may start with a dash.
    if (value === undefined || value === '' || (!token.inlineValue && (value.startsWith('--') || value === '-h'))) {
      throw new ConfigError(`${flag}: needs a value (example: ${spec.example})`);
    }
    spec.set(state, value, flag);
  }
  if (state.userText !== undefined) {
    const { user, password } = splitUserPassword(state.userText, '--user');
    state.flags.user = user;
    if (password !== undefined) {
      if (state.flags.password !== undefined) {
        throw new ConfigError('--user: has a password after ":" and --password is also given (use one of them)');
      }
      state.flags.password = password;
    }
  }
  return { command, flags: state.flags, help: state.help, version: state.version };
}
