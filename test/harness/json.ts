// JSON parsing that keeps etcd's uint64 IDs exact.
//
// `etcdctl -w json` prints member, cluster and leader IDs as JSON numbers;
// JSON.parse rounds anything above 2^53. Before parsing, integers that are
// either 16+ digits long or the value of an ID-like key are turned into JSON
// strings, so IDs come out as exact decimal strings (and always as strings,
// even the rare short one). Text inside JSON strings is never touched.

/** Keys whose integer values are etcd IDs (always parsed as decimal strings). */
export const ID_KEYS: ReadonlySet<string> = new Set([
  'ID',
  'id',
  'cluster_id',
  'member_id',
  'leader',
  'clusterID',
  'memberID',
  'leaderID',
]);

const TOKEN = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[:,{}[\]]/g;

/** Rewrites big and ID-valued integers in JSON text as strings. */
export function quoteBigInts(text: string): string {
  let lastString: string | undefined; // the most recent string token
  let afterColon = false; // the previous significant token was ':'
  let key: string | undefined; // the key of the value being read
  return text.replace(TOKEN, (tok) => {
    const c = tok[0];
    if (c === '"') {
      lastString = tok;
      afterColon = false;
      return tok;
    }
    if (c === ':') {
      key = lastString === undefined ? undefined : (JSON.parse(lastString) as string);
      afterColon = true;
      return tok;
    }
    if (c === ',' || c === '{' || c === '}' || c === '[' || c === ']') {
      afterColon = false;
      key = undefined;
      lastString = undefined;
      return tok;
    }
    // A number.
    const isInt = /^-?\d+$/.test(tok);
    const idValued = afterColon && key !== undefined && ID_KEYS.has(key);
    afterColon = false;
    if (isInt && (tok.replace('-', '').length >= 16 || idValued)) return `"${tok}"`;
    return tok;
  });
}

/** JSON.parse that keeps uint64 IDs exact (as decimal strings). */
export function parseJsonExact<T = unknown>(text: string): T {
  return JSON.parse(quoteBigInts(text)) as T;
}

/** etcdctl's hex ID form of a decimal ID string. */
export function idToHex(decimalId: string): string {
  return BigInt(decimalId).toString(16);
}

/** Decimal ID string of etcdctl's hex form. */
export function hexToId(hexId: string): string {
  return BigInt(`0x${hexId.replace(/^0x/, '')}`).toString(10);
}
