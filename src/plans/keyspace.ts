/**
 * Keyspace triage, pure part: which prefix a key belongs to (path segments to a depth; Kubernetes'
 * /registry/<resource>/<namespace> understood), the tally of keys and bytes per prefix, the top
 * prefixes, and the range arithmetic of a paginated scan.
 */

export interface KeyspaceOptions {
  /** Path segments that make a prefix ("/a/b/c" at depth 2 is "/a/b"). */
  depth: number;
  /** Group /registry/... keys by resource and namespace. */
  kubernetes: boolean;
}

export const DEFAULT_KEYSPACE_OPTIONS: KeyspaceOptions = { depth: 2, kubernetes: true };

/** Kubernetes resources that are not namespaced: their third segment is an object name. */
const CLUSTER_SCOPED = new Set([
  'namespaces',
  'nodes',
  'minions',
  'persistentvolumes',
  'clusterroles',
  'clusterrolebindings',
  'priorityclasses',
  'storageclasses',
  'csidrivers',
  'csinodes',
  'certificatesigningrequests',
  'volumeattachments',
  'runtimeclasses',
  'ranges',
  'masterleases',
  'podsecuritypolicy',
  'apiregistration.k8s.io/apiservices',
  'apiextensions.k8s.io/customresourcedefinitions',
  'admissionregistration.k8s.io/validatingwebhookconfigurations',
  'admissionregistration.k8s.io/mutatingwebhookconfigurations',
  'flowcontrol.apiserver.k8s.io/flowschemas',
  'flowcontrol.apiserver.k8s.io/prioritylevelconfigurations',
]);

/** The prefix a key is counted under. */
export function prefixOf(key: string, options: KeyspaceOptions = DEFAULT_KEYSPACE_OPTIONS): string {
  const leadingSlash = key.startsWith('/');
  const segments = (leadingSlash ? key.slice(1) : key).split('/');
  const join = (n: number) => (leadingSlash ? '/' : '') + segments.slice(0, n).join('/');
  if (options.kubernetes && leadingSlash && segments[0] === 'registry' && segments.length >= 3) {
    // /registry/<resource>/..., where an API group's resources are <group>/<resource> (the group has a dot).
    const grouped = segments[1].includes('.') && segments.length >= 4;
    const resourceEnd = grouped ? 3 : 2;
    const resource = segments.slice(1, resourceEnd).join('/');
    const rest = segments.length - resourceEnd;
    // Namespaced: /registry/<resource>/<namespace>/<name>; keep the namespace when a name follows it.
    if (!CLUSTER_SCOPED.has(resource) && rest >= 2) return join(resourceEnd + 1);
    return join(resourceEnd);
  }
  // Leave the last segment (the key's own name) out, unless the key is shorter than the depth.
  return join(Math.max(1, Math.min(options.depth, segments.length - 1)));
}

export interface PrefixTally {
  prefix: string;
  keys: number;
  /** Key plus value bytes. */
  bytes: number;
}

export interface KeyspaceReport {
  /** The member read (never the leader when a follower answers). */
  member: string;
  /** The revision every page was read at. */
  revision: number;
  /** Keys in the scanned range, as etcd counted them on the first page. */
  totalKeys: number;
  scannedKeys: number;
  scannedBytes: number;
  pages: number;
  /** The scan stopped at a bound (pages or time) or was aborted before the end. */
  complete: boolean;
  stoppedBy?: 'pages' | 'time' | 'abort';
  ms: number;
  prefixes: PrefixTally[];
  options: KeyspaceOptions & { prefix: string };
}

/** Keys and bytes per prefix. */
export class KeyspaceTally {
  private readonly map = new Map<string, PrefixTally>();
  keys = 0;
  bytes = 0;

  constructor(private readonly options: KeyspaceOptions) {}

  add(key: string, size: number): void {
    const p = prefixOf(key, this.options);
    const t = this.map.get(p) ?? { prefix: p, keys: 0, bytes: 0 };
    t.keys += 1;
    t.bytes += size;
    this.map.set(p, t);
    this.keys += 1;
    this.bytes += size;
  }

  /** Every prefix, largest by bytes first. */
  all(): PrefixTally[] {
    return [...this.map.values()].sort((a, b) => b.bytes - a.bytes || b.keys - a.keys || a.prefix.localeCompare(b.prefix));
  }
}

/** The top `n` prefixes by key count and by bytes. */
export function topPrefixes(prefixes: PrefixTally[], n: number): { byKeys: PrefixTally[]; byBytes: PrefixTally[] } {
  return {
    byKeys: [...prefixes].sort((a, b) => b.keys - a.keys || b.bytes - a.bytes || a.prefix.localeCompare(b.prefix)).slice(0, n),
    byBytes: [...prefixes].sort((a, b) => b.bytes - a.bytes || b.keys - a.keys || a.prefix.localeCompare(b.prefix)).slice(0, n),
  };
}

/** The range end that covers every key with this prefix (etcd's "prefix + 1"); "\0" for all keys. */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i] += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** The first key after `key`: the next page starts there. */
export function keyAfter(key: Buffer): Buffer {
  return Buffer.concat([key, Buffer.from([0])]);
}
