/** The usage text of each group of headless commands (shown with a usage error of any command of the group). */

export const MEMBER_USAGE = `etcd-tui member add-learner --name NAME --peer-urls URL[,URL] [--env-out FILE]
etcd-tui member promote ID|NAME [--wait 5m]
etcd-tui member remove ID|NAME [--no-move-leader]
etcd-tui member move-leader ID|NAME
etcd-tui member replace ID|NAME [--new-name NAME] [--peer-urls URL] [--down-for 30s] [--wait 5m]
  every one also takes --dry-run (show the plan, change nothing), --yes (no question), --audit-log FILE`;

export const MAINTENANCE_USAGE = `etcd-tui defrag [--rule EXPR | --all] [--compact-retain N] [--move-leader]
etcd-tui compact --retain N | --revision R
etcd-tui alarm list [--json]
etcd-tui alarm recover-nospace [--compact-retain N] [--move-leader]
  defrag, compact and recover-nospace also take --dry-run, --yes, --audit-log FILE and --quota-bytes SIZE`;

export const SNAPSHOT_USAGE = `etcd-tui snapshot save FILE [--from ID|NAME] [--dry-run] [--json] [--audit-log FILE]
etcd-tui snapshot status FILE [--json]
etcd-tui snapshot restore FILE [HOST...] [--skip-hash-check] [--bump-revision N] [--token T] [--accept-new-host-key] [--wait 5m]`;

export const BOOTSTRAP_USAGE = `etcd-tui bootstrap join HOST [--ca-dir DIR] [--binary FILE] [--accept-new-host-key] [--wait 5m]
etcd-tui bootstrap cluster [HOST...] [--token T] [--ca-dir DIR] [--binary FILE] [--accept-new-host-key] [--wait 5m]
etcd-tui bootstrap preflight [HOST...]
etcd-tui bootstrap render [HOST...] --out DIR [--token T]
  HOST: a host of the context's inventory (hosts: in the contexts file, see the README)
  every one also takes --dry-run (preflight and plan, change nothing), --yes, --audit-log FILE`;

