// Where the etcd binaries of each supported version are.
//  3.4: Debian bookworm's etcd-server/etcd-client in /usr/bin
//       (override: ETCD_TUI_ETCD34_DIR, a folder holding etcd and etcdctl).
//  3.5: Debian trixie's packages unpacked by scripts/fetch-etcd35.sh into
//       <repo>/.cache/etcd-3.5/usr/bin (override: ETCD_TUI_ETCD35_DIR).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type EtcdVersion = '3.4' | '3.5';
export const ETCD_VERSIONS: readonly EtcdVersion[] = ['3.4', '3.5'];

export interface EtcdBinaries {
  etcd: string;
  etcdctl: string;
  /** Only 3.5 ships etcdutl. */
  etcdutl?: string;
  /** Full version reported by `etcd --version`, e.g. "3.4.23". */
  version: string;
  /** The version family asked for. */
  family: EtcdVersion;
  dir: string;
}

/** The repository root: the nearest folder above this file with package.json named etcd-tui. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        const parsed = JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: unknown };
        if (parsed.name === 'etcd-tui') return dir;
      } catch {
        // keep looking upwards
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`repoRoot: no package.json named etcd-tui above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

function binDir(version: EtcdVersion): string {
  if (version === '3.4') return process.env.ETCD_TUI_ETCD34_DIR || '/usr/bin';
  return process.env.ETCD_TUI_ETCD35_DIR || path.join(repoRoot(), '.cache', 'etcd-3.5', 'usr', 'bin');
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

const cache = new Map<string, EtcdBinaries | undefined>();
const reasons = new Map<EtcdVersion, string>();

/**
 * The binaries of `version`, or undefined when they are absent or report
 * another version (etcdSkipReason tells why).
 */
export function etcdBinaries(version: EtcdVersion): EtcdBinaries | undefined {
  const dir = binDir(version);
  const key = `${version}:${dir}`;
  if (cache.has(key)) return cache.get(key);
  const result = probe(version, dir);
  cache.set(key, result);
  return result;
}

function probe(version: EtcdVersion, dir: string): EtcdBinaries | undefined {
  const etcd = path.join(dir, 'etcd');
  const etcdctl = path.join(dir, 'etcdctl');
  const etcdutl = path.join(dir, 'etcdutl');
  const hint = version === '3.5' ? ' (run scripts/fetch-etcd35.sh)' : ' (run scripts/install-deps.sh)';
  if (!isExecutable(etcd) || !isExecutable(etcdctl)) {
    reasons.set(version, `etcd ${version} binaries not found in ${dir}${hint}`);
    return undefined;
  }
  let full: string;
  try {
    const out = execFileSync(etcd, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
    const m = /etcd Version:\s*(\d+\.\d+\.\d+\S*)/.exec(out);
    if (!m) throw new Error(`unexpected output: ${out.split('\n')[0]}`);
    full = m[1];
  } catch (err) {
    reasons.set(version, `${etcd} --version failed: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  if (!full.startsWith(`${version}.`)) {
    reasons.set(version, `${etcd} is version ${full}, not ${version}.x`);
    return undefined;
  }
  return {
    etcd,
    etcdctl,
    etcdutl: isExecutable(etcdutl) ? etcdutl : undefined,
    version: full,
    family: version,
    dir,
  };
}

/** Why etcdBinaries(version) is undefined, or undefined when it is present. Use as `{ skip: etcdSkipReason('3.5') }`. */
export function etcdSkipReason(version: EtcdVersion): string | undefined {
  if (etcdBinaries(version)) return undefined;
  return reasons.get(version) ?? `etcd ${version} binaries unavailable`;
}
