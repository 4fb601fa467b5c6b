/**
 * The keyspace scan: paginated serializable range reads on one follower (never the leader while a
 * follower answers), all pages at the revision of the first one, bounded in pages and time, with
 * progress and an abort signal. Answers "what filled the DB" without loading the leader.
 */
import type { Member } from '../domain/types.js';
import type { ClusterGateway, InspectGateway } from '../cluster/gateway.js';
import { memberLabel } from '../format/ids.js';
import { ClusterError } from '../domain/errors.js';
import { KeyspaceTally, keyAfter, prefixRangeEnd, type KeyspaceOptions, type KeyspaceReport } from '../plans/keyspace.js';

export interface ScanBounds {
  /** Keys a page (etcd's limit). */
  pageSize: number;
  maxPages: number;
  /** Stop after this long, with what was counted so far. */
  timeMs: number;
  /** Deadline of one page. */
  pageTimeoutMs: number;
}

export const DEFAULT_SCAN_BOUNDS: ScanBounds = { pageSize: 1000, maxPages: 2000, timeMs: 120_000, pageTimeoutMs: 10_000 };

export interface ScanProgress {
  member: string;
  scanned: number;
  total: number;
  pages: number;
}

/** The member to read from: a voting follower that answers; a learner next; the leader only when alone. */
export async function chooseFollower(gateway: ClusterGateway, members: Member[]): Promise<{ member: Member; url: string; isLeader: boolean }> {
  const answers = await Promise.all(
    members
      .filter((m) => m.clientURLs.length > 0)
      .map(async (m) => {
        try {
          const s = await gateway.status(m.clientURLs[0]);
          return { member: m, url: m.clientURLs[0], isLeader: s.leader === s.memberId, isLearner: s.isLearner };
        } catch {
          return undefined;
        }
      }),
  );
  const ok = answers.filter((a): a is NonNullable<typeof a> => a !== undefined);
  const pick = ok.find((a) => !a.isLeader && !a.isLearner) ?? ok.find((a) => !a.isLeader) ?? ok[0];
  if (!pick) throw new ClusterError('no member answered Status: nothing to read the keyspace from', 'unreachable');
  return pick;
}

export async function scanKeyspace(
  gateway: ClusterGateway & InspectGateway,
  options: KeyspaceOptions & { prefix: string },
  bounds: ScanBounds = DEFAULT_SCAN_BOUNDS,
  onProgress: (p: ScanProgress) => void = () => undefined,
  signal?: AbortSignal,
  now: () => number = Date.now,
): Promise<KeyspaceReport> {
  const t0 = now();
  const { members } = await gateway.memberList();
  const source = await chooseFollower(gateway, members);
  const name = `${memberLabel(source.member)}${source.isLeader ? ' (the leader: no follower answered)' : ''}`;
  const tally = new KeyspaceTally(options);
  const prefix = Buffer.from(options.prefix, 'utf8');
  let start: Buffer = prefix.length ? prefix : Buffer.from([0]);
  const end = prefixRangeEnd(prefix);
  let revision = 0;
  let total = 0;
  let pages = 0;
  let stoppedBy: KeyspaceReport['stoppedBy'];
  let more = true;
  while (more) {
    if (signal?.aborted) {
      stoppedBy = 'abort';
      break;
    }
    if (pages >= bounds.maxPages) {
      stoppedBy = 'pages';
      break;
    }
    if (now() - t0 > bounds.timeMs) {
      stoppedBy = 'time';
      break;
    }
    const page = await gateway.rangePage(source.url, start, end, bounds.pageSize, revision, bounds.pageTimeoutMs);
    if (pages === 0) {
      revision = page.revision;
      total = page.count;
    }
    pages += 1;
    for (const kv of page.kvs) tally.add(kv.key.toString('utf8'), kv.keySize + kv.valueSize);
    more = page.more && page.kvs.length > 0;
    if (more) start = keyAfter(page.kvs[page.kvs.length - 1].key);
    onProgress({ member: name, scanned: tally.keys, total, pages });
  }
  return {
    member: name,
    revision,
    totalKeys: total,
    scannedKeys: tally.keys,
    scannedBytes: tally.bytes,
    pages,
    complete: stoppedBy === undefined,
    stoppedBy,
    ms: now() - t0,
    prefixes: tally.all(),
    options,
  };
}
