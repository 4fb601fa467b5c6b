/**
 * One function that turns whatever the etcd client throws into an error kind and a one-line
 * message that says what to do. Imports nothing: it reads the error's name and message.
 */
import type { ErrorKind } from '../domain/types.js';

export interface Classified {
  kind: ErrorKind;
  message: string;
}

interface ErrorLike {
  name?: string;
  message?: string;
  code?: unknown;
}

/**
 * etcd's strict reconfiguration check: the member that got a membership change has not been connected
 * to every voter for 5 s (just after a start or restart). Nothing was changed; it passes by itself.
 */
export const UNHEALTHY_CLUSTER = 'etcd refused the change: the cluster is unhealthy (every member must have been connected for 5 s); wait and retry';

const RULES: Array<{ test: RegExp; kind: ErrorKind; say: (raw: string, where: string) => string }> = [
  // etcd's refusals of membership changes, as sentences that say what to do.
  { test: /too many learner members/i, kind: 'refused', say: () => 'too many learner members: etcd allows one learner; promote or remove the existing learner first' },
  { test: /can only promote a learner member which is in sync/i, kind: 'not-in-sync', say: () => 'the learner is not in sync with the leader yet: wait for it to catch up, then promote again' },
  { test: /can only promote a learner member/i, kind: 'refused', say: () => 'the member is not a learner: only learners can be promoted' },
  { test: /peerURL exists|Peer URLs already exists/i, kind: 'refused', say: () => 'a member with this peer URL exists already: choose another URL or remove that member first' },
  { test: /member ID already exist/i, kind: 'refused', say: () => 'a member with this ID exists already' },
  { test: /re-configuration failed due to not enough started members/i, kind: 'refused', say: () => 'etcd refused the change: not enough started members would remain to keep quorum' },
  { test: /unhealthy cluster/i, kind: 'refused', say: () => UNHEALTHY_CLUSTER },
  { test: /bad leader transferee/i, kind: 'refused', say: () => 'the target cannot become leader: it must be a started voting member' },
  { test: /leader transfer took too long/i, kind: 'timeout', say: () => 'leadership transfer took too long: check the target member and retry' },
  { test: /deadline exceeded|DeadlineExceeded/i, kind: 'timeout', say: (_r, w) => `no answer${w} within the deadline (member hung, overloaded, or the network drops packets)` },
  { test: /ECONNREFUSED|connection refused/i, kind: 'unreachable', say: (_r, w) => `connection refused${w}: is etcd running and listening there?` },
  { test: /EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|getaddrinfo/i, kind: 'unreachable', say: (r, w) => `cannot reach${w}: ${short(r)}` },
  { test: /certificate|self[- ]signed|SSL|TLS|handshake|wrong version number|alert|CERT_|unable to verify/i, kind: 'tls', say: (r, w) => `TLS failed${w}: ${short(r)}; check --cacert/--cert/--key and that the endpoints use https://` },
  { test: /authentication failed|invalid user ID or password/i, kind: 'auth', say: () => 'authentication failed: wrong user or password' },
  { test: /user name is empty|invalid auth token|auth token is expired|Unauthenticated/i, kind: 'auth', say: (r) => `not authenticated (${short(r)}): give --user and a password` },
  { test: /permission denied/i, kind: 'auth', say: () => 'permission denied: the user lacks the role for this call (root is needed for cluster maintenance)' },
  { test: /rpc not supported for learner/i, kind: 'learner', say: () => 'the member is a learner: it answers only Status and serializable reads' },
  { test: /not leader/i, kind: 'not-leader', say: () => 'the request went to a member that is not the leader' },
  { test: /database space exceeded|NOSPACE/i, kind: 'nospace', say: () => 'database space exceeded (NOSPACE): only reads and deletes are allowed; compact, defragment, then disarm the alarm' },
  { test: /member not found|NotFound/i, kind: 'not-found', say: () => 'member not found: it may have been removed already' },
  { test: /request timed out|no leader|leader changed|timed out, possibly due to connection lost|unhealthy cluster/i, kind: 'no-quorum', say: (r) => `the cluster did not commit the request (${short(r)}): quorum lost or leader election under way` },
  { test: /No connection established|Connection dropped|UNAVAILABLE|Unavailable|socket hang up|ECONNRESET|write after end|closed/i, kind: 'unreachable', say: (r, w) => `no connection${w}: ${short(r)}` },
];

function short(raw: string): string {
  const cleaned = raw
    .replace(/^\d+ [A-Z_]+: /, '')
    .replace(/^(GRPC|Etcd)\w*Error: /, '')
    .replace(/\s+/g, ' ')
    .trim();
  return cleaned.length > 140 ? cleaned.slice(0, 137) + '...' : cleaned;
}

/** Classify an error; `endpoint` is named in the message when given. */
export function classifyError(error: unknown, endpoint?: string): Classified {
  const e: ErrorLike = typeof error === 'object' && error !== null ? (error as ErrorLike) : { message: String(error) };
  const raw = `${e.name ?? ''}: ${e.message ?? String(error)}`;
  const where = endpoint ? ` at ${endpoint}` : '';
  for (const rule of RULES) {
    if (!rule.test.test(raw)) continue;
    const message = rule.say(e.message ?? raw, where);
    // A TLS member drops a plaintext gRPC connection at once ("Failed to connect", not refused).
    if (rule.kind === 'unreachable' && endpoint?.startsWith('http://') && !/ECONNREFUSED|connection refused|ENOTFOUND|EAI_AGAIN|getaddrinfo|EHOSTUNREACH|ENETUNREACH/i.test(raw)) {
      return { kind: rule.kind, message: `${message}; the member may expect https:// (TLS): try ${endpoint.replace(/^http:/, 'https:')} with --cacert` };
    }
    return { kind: rule.kind, message };
  }
  return { kind: 'unknown', message: `${short(e.message ?? raw)}${where ? ` (${endpoint})` : ''}` };
}
