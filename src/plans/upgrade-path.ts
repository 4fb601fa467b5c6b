/**
 * The upgrade path check (ETCD-OPS.md "Upgrades"; etcd's upgrade guides): which version changes a
 * rolling upgrade may make, and the env settings a new binary no longer knows. Pure: versions are
 * strings as etcd reports them ("3.5.16"), the flags are the new binary's own `--help` text.
 */

export interface EtcdVersion {
  major: number;
  minor: number;
  patch: number;
}

/** Parse "3.5.16" (also "v3.5.16", "3.5.16-rc.0", "etcd Version: 3.5.16"); undefined when it is not a version. */
export function parseEtcdVersion(text: string): EtcdVersion | undefined {
  const m = /(?:^|[^\d.])v?(\d+)\.(\d+)\.(\d+)/.exec(` ${text.trim()}`);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function formatEtcdVersion(v: EtcdVersion): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

/** Negative, zero or positive as a is older than, equal to or newer than b. */
export function compareVersions(a: EtcdVersion, b: EtcdVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/**
 * The lowest patch release of a minor from which the next minor may be reached. 3.5 -> 3.6 needs
 * 3.5.20 or later per etcd's 3.6 upgrade guide; ETCD-OPS.md asks for 3.5.32 (the release that fixes
 * the v2store / membership migration issues), which is what this tool requires.
 */
export const MINIMUM_PATCH_BEFORE_NEXT_MINOR: Record<string, number> = {
  '3.5': 32,
};

export interface UpgradePathInput {
  /** Each member's server version as it reports it (name -> version). */
  current: Record<string, string>;
  /** The version of the new binary. */
  target: string;
  /** Authentication is enabled on the cluster (3.4 -> 3.5 is not supported as a rolling upgrade then). */
  authEnabled: boolean;
  /** The operator's explicit override of the 3.4 -> 3.5 with auth refusal. */
  allowAuthUpgrade?: boolean;
}

export type UpgradePathResult =
  | { ok: true; kind: 'patch' | 'minor' | 'patch-downgrade' | 'none'; from: string; to: string; notes: string[] }
  | { ok: false; refusal: string };

/**
 * Check that every member may go to `target` in one rolling run: patch changes any time; one minor
 * up at a time, never skipping, from at least the minimum patch; no major change; a downgrade only
 * within the patch releases of one minor; 3.4 -> 3.5 with auth on only with an explicit override.
 */
export function checkUpgradePath(input: UpgradePathInput): UpgradePathResult {
  const target = parseEtcdVersion(input.target);
  if (!target) return { ok: false, refusal: `"${input.target}" is not an etcd version (expected e.g. 3.5.16)` };
  const names = Object.keys(input.current).sort();
  if (names.length === 0) return { ok: false, refusal: 'no member reported its version: is the cluster reachable?' };
  const versions: Array<[string, EtcdVersion]> = [];
  for (const name of names) {
    const v = parseEtcdVersion(input.current[name]);
    if (!v) return { ok: false, refusal: `${name} reports version "${input.current[name]}", which is not an etcd version; fix or replace that member first` };
    versions.push([name, v]);
  }
  const oldest = versions.reduce((a, b) => (compareVersions(b[1], a[1]) < 0 ? b : a));
  const newest = versions.reduce((a, b) => (compareVersions(b[1], a[1]) > 0 ? b : a));
  const to = formatEtcdVersion(target);
  const notes: string[] = [];
  if (oldest[1].major !== newest[1].major || oldest[1].minor !== newest[1].minor) {
    // A mixed cluster in the middle of a minor upgrade may only go on to the newest minor.
    if (target.major !== newest[1].major || target.minor !== newest[1].minor) {
      return { ok: false, refusal: `the cluster is mixed (${formatEtcdVersion(oldest[1])} on ${oldest[0]} .. ${formatEtcdVersion(newest[1])} on ${newest[0]}): finish that upgrade to ${newest[1].major}.${newest[1].minor} first (or roll the upgraded members back while it is still mixed)` };
    }
    notes.push(`the cluster is mixed: this run finishes the upgrade to ${newest[1].major}.${newest[1].minor}`);
  }
  for (const [name, v] of versions) {
    const from = formatEtcdVersion(v);
    if (target.major !== v.major) return { ok: false, refusal: `${name}: ${from} -> ${to} changes the major version; etcd supports no such rolling upgrade` };
    const minorStep = target.minor - v.minor;
    if (minorStep > 1) {
      return { ok: false, refusal: `${name}: ${from} -> ${to} skips a minor version; upgrade one minor at a time (${v.major}.${v.minor} -> ${v.major}.${v.minor + 1} -> ... -> ${target.major}.${target.minor})` };
    }
    if (minorStep < 0) {
      return { ok: false, refusal: `${name}: ${from} -> ${to} is a minor downgrade; etcd supports only patch downgrades in a rolling run (3.6 has its own downgrade procedure)` };
    }
    if (minorStep === 1) {
      const minimum = MINIMUM_PATCH_BEFORE_NEXT_MINOR[`${v.major}.${v.minor}`];
      if (minimum !== undefined && v.patch < minimum) {
        return { ok: false, refusal: `${name}: ${from} -> ${to} needs ${v.major}.${v.minor}.${minimum} or later first; upgrade to the newest ${v.major}.${v.minor} patch release, then to ${target.major}.${target.minor}` };
      }
      if (v.major === 3 && v.minor === 4 && input.authEnabled && !input.allowAuthUpgrade) {
        return { ok: false, refusal: `${name}: 3.4 -> 3.5 with authentication enabled is not supported as a rolling upgrade (etcd's upgrade guide); disable auth for the upgrade, or give the explicit override if you accept that risk` };
      }
    }
  }
  const from = formatEtcdVersion(oldest[1]);
  const cmp = compareVersions(target, oldest[1]);
  const minorUp = target.minor > oldest[1].minor;
  if (minorUp) {
    notes.push(`minor upgrade ${oldest[1].major}.${oldest[1].minor} -> ${target.major}.${target.minor}: the cluster version moves to ${target.major}.${target.minor}.0 only when the last member runs ${to}; until then the cluster speaks ${oldest[1].major}.${oldest[1].minor}`);
    notes.push('a binary swap back is possible only while the cluster is still mixed (before the cluster version moves)');
    if (input.authEnabled && input.allowAuthUpgrade) notes.push('authentication is on and the 3.4 -> 3.5 refusal was overridden by the operator');
    if (target.minor === 6) notes.push('3.6 drops --enable-v2 and lowers the --snapshot-count default to 10000; run `etcdutl check v2store` first');
  }
  const kind = cmp === 0 && versions.every(([, v]) => compareVersions(v, target) === 0) ? 'none' : minorUp ? 'minor' : cmp < 0 || versions.some(([, v]) => compareVersions(v, target) > 0) ? 'patch-downgrade' : 'patch';
  if (kind === 'patch-downgrade') notes.push(`a patch downgrade to ${to}: allowed within ${target.major}.${target.minor}`);
  if (kind === 'none') notes.push(`every member already runs ${to}: nothing to upgrade (a rolling restart changes nothing either)`);
  return { ok: true, kind, from, to, notes };
}

/**
 * The `ETCD_*` settings of a node's env file that the new binary does not know, with the fix. The
 * flags come from the new binary's own `--help` (`--enable-v2` -> `ETCD_ENABLE_V2`). Settings that
 * are not flags (`ETCDCTL_*`, comments) are ignored. An unknown one is a preflight failure: at best
 * etcd ignores it with a warning, so the operator's intent silently stops applying.
 */
export function unknownEnvSettings(envFile: string, helpText: string): Array<{ key: string; line: number; fix: string }> {
  const flags = new Set<string>();
  for (const m of helpText.matchAll(/(?:^|\s)--([a-z0-9][a-z0-9-]*)/g)) flags.add(`ETCD_${m[1].replace(/-/g, '_').toUpperCase()}`);
  const out: Array<{ key: string; line: number; fix: string }> = [];
  envFile.split('\n').forEach((raw, i) => {
    const text = raw.trim();
    if (!text || text.startsWith('#')) return;
    const m = /^(?:export\s+)?(ETCD_[A-Z0-9_]+)\s*=/.exec(text);
    if (!m || flags.has(m[1])) return;
    // etcd reads a few variables that are not flags.
    if (m[1] === 'ETCD_UNSUPPORTED_ARCH') return;
    out.push({ key: m[1], line: i + 1, fix: `the new etcd has no --${m[1].slice(5).toLowerCase().replace(/_/g, '-')} flag: remove ${m[1]} from the env file before its turn (or use the setting's new name)` });
  });
  return out;
}
