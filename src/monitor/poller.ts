/**
 * The poller: keeps the cluster view fresh, outside React. Every interval it asks for the member
 * list, the alarms and each member's status, each call independent and bounded by its deadline, with
 * an in-flight guard (never two calls at once for the same thing), so a hung member costs the others
 * nothing. A round's results are handed over in one batch, so the screen redraws once a round: the
 * batch goes as soon as no call is in flight any more, or BATCH_WINDOW_MS after its first result when
 * a call is slow (a hung member does not hold back the others' figures for longer than that).
 */
import type { Member, MemberId } from '../domain/types.js';
import type { ClusterGateway } from '../cluster/gateway.js';
import type { Refresh } from '../health/view.js';
import { ClusterError } from '../domain/errors.js';

export type RefreshSink = (batch: Refresh[]) => void;

const BATCH_WINDOW_MS = 100;

/**
 * The alarm API is asked every ALARM_EVERY_MS, and at once when a member's status errors change
 * (every member reports the cluster's active alarms there, "memberID:<id> alarm:NOSPACE": an alarm
 * shows within one round without asking). Alarm GET goes through raft on etcd 3.4/3.5: each one
 * appends an entry to the cluster's log and moves every member's raft index, which redraws the
 * console; asking every 10 s was most of an idle console's redraws.
 */
export const ALARM_EVERY_MS = 60_000;

/**
 * The member list is read every MEMBERS_EVERY_MS, and in the next round whenever a member's raft
 * index moved (a membership change is a raft entry). An idle cluster thus costs one status call per
 * member a round; a busy one also gets its member list every round.
 */
const MEMBERS_EVERY_MS = 5_000;

/**
 * The cluster version is read every VERSION_EVERY_MS (it changes only when the last member of an
 * upgrade is done), and at once when a member's server version changes.
 */
const VERSION_EVERY_MS = 10_000;

function failure(error: unknown): { error: string; kind: ClusterError['kind'] } {
  if (error instanceof ClusterError) return { error: error.message, kind: error.kind };
  return { error: (error as Error)?.message ?? String(error), kind: 'unknown' };
}

/** The endpoint to probe a member through (its first client URL), if it has one. */
export function probeURL(member: Member): string | undefined {
  return member.clientURLs[0];
}

export class Poller {
  private timer?: NodeJS.Timeout;
  private flushTimer?: NodeJS.Timeout;
  private pending: Refresh[] = [];
  private readonly inFlight = new Set<string>();
  private members: Member[] = [];
  private stopped = true;
  private lastAlarmCheck = -Infinity;
  private lastMembersCheck = -Infinity;
  /** Highest raft index seen since the last member list, and at that member list. */
  private highestIndex = 0;
  private indexAtMembers = -1;
  private forceMembers = true;
  private readonly errorsSeen = new Map<MemberId, string>();
  private lastVersionCheck = -Infinity;
  /** A client URL that answered its status lately (the cluster version is asked there), and the versions seen. */
  private answeringURL?: string;
  private readonly versionsSeen = new Map<MemberId, string>();

  constructor(
    private readonly gateway: ClusterGateway,
    private readonly sink: RefreshSink,
    private intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.stopped = false;
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.timer = undefined;
    this.flushTimer = undefined;
  }

  setIntervalMs(ms: number): void {
    this.intervalMs = ms;
  }

  /** Refresh now (and then on the usual schedule). */
  refreshNow(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.tick();
  }

  private tick(): void {
    this.round();
    this.timer = setTimeout(() => this.tick(), this.intervalMs);
    this.timer.unref?.();
  }

  private guarded(key: string, work: () => Promise<Refresh>): void {
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    work()
      .then((r) => {
        this.inFlight.delete(key);
        this.push(r);
      })
      .finally(() => this.inFlight.delete(key));
  }

  /** Read the member list in the next round whatever the schedule (after a membership change). */
  invalidateMembers(): void {
    this.forceMembers = true;
  }

  private membersDue(): boolean {
    return this.forceMembers || this.highestIndex !== this.indexAtMembers || this.now() - this.lastMembersCheck >= MEMBERS_EVERY_MS;
  }

  private round(): void {
    if (this.membersDue()) this.checkMembers();
    if (this.now() - this.lastAlarmCheck >= ALARM_EVERY_MS) this.checkAlarms();
    if (this.now() - this.lastVersionCheck >= VERSION_EVERY_MS) this.checkVersion();
    for (const m of this.members) {
      const url = probeURL(m);
      if (url) this.guarded(`status:${m.id}`, () => probeMember(this.gateway, m.id, url, this.now));
    }
  }

  private checkMembers(): void {
    this.guarded('members', async () => {
      const at = this.now();
      this.lastMembersCheck = at;
      this.forceMembers = false;
      this.indexAtMembers = this.highestIndex;
      try {
        const res = await this.gateway.memberList();
        this.members = res.members;
        this.gateway.syncEndpoints(res.members.map(probeURL).filter((u): u is string => !!u));
        return { type: 'membership', at: this.now(), result: { ok: true, clusterId: res.clusterId, members: res.members } };
      } catch (error) {
        this.forceMembers = true; // try again next round
        return { type: 'membership', at, result: { ok: false, ...failure(error) } };
      }
    });
  }

  private checkAlarms(): void {
    this.lastAlarmCheck = this.now();
    this.guarded('alarms', async () => {
      try {
        const alarms = await this.gateway.alarms();
        return { type: 'alarms', at: this.now(), result: { ok: true, alarms } };
      } catch (error) {
        this.lastAlarmCheck = -Infinity; // try again next round
        return { type: 'alarms', at: this.now(), result: { ok: false, ...failure(error) } };
      }
    });
  }

  private checkVersion(): void {
    const url = this.answeringURL;
    const read = this.gateway.version?.bind(this.gateway);
    if (!url || !read) return;
    this.lastVersionCheck = this.now();
    this.guarded('version', () => readVersion(read, url, this.now));
  }

  private push(r: Refresh): void {
    if (this.stopped) return;
    this.pending.push(r);
    if (r.type === 'probe' && r.probe.ok) {
      this.highestIndex = Math.max(this.highestIndex, r.probe.status.raftIndex);
      const errors = r.probe.status.errors.join('\n');
      if (this.errorsSeen.has(r.memberId) && this.errorsSeen.get(r.memberId) !== errors) this.checkAlarms();
      this.errorsSeen.set(r.memberId, errors);
      const answered = this.members.find((m) => m.id === r.memberId);
      const url = answered ? probeURL(answered) : undefined;
      const firstAnswer = this.answeringURL === undefined;
      if (url) this.answeringURL = url;
      const versionChanged = this.versionsSeen.has(r.memberId) && this.versionsSeen.get(r.memberId) !== r.probe.status.version;
      this.versionsSeen.set(r.memberId, r.probe.status.version);
      if (firstAnswer || versionChanged) this.checkVersion();
    }
    // A new member list means new members to probe: probe them without waiting for the next tick.
    if (r.type === 'membership' && r.result.ok) {
      for (const m of r.result.members) {
        const url = probeURL(m);
        if (url) this.guarded(`status:${m.id}`, () => probeMember(this.gateway, m.id, url, this.now));
      }
    }
    if (this.inFlight.size === 0) {
      // The round is complete (follow-up calls started above count as part of it).
      this.flush();
    } else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), BATCH_WINDOW_MS);
    }
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0 && !this.stopped) this.sink(batch);
  }
}

/** Probe one member's status, timing the call. */
export async function probeMember(gateway: ClusterGateway, memberId: MemberId, url: string, now: () => number = Date.now): Promise<Refresh> {
  const started = performance.now();
  try {
    const status = await gateway.status(url);
    return { type: 'probe', at: now(), memberId, probe: { ok: true, status, latencyMs: performance.now() - started, at: now() } };
  } catch (error) {
    return { type: 'probe', at: now(), memberId, probe: { ok: false, ...failure(error), latencyMs: performance.now() - started, at: now() } };
  }
}

/** Read the cluster version through one member. */
async function readVersion(read: NonNullable<ClusterGateway['version']>, url: string, now: () => number): Promise<Refresh> {
  try {
    const v = await read(url);
    return { type: 'version', at: now(), result: { ok: true, cluster: v.cluster } };
  } catch (error) {
    return { type: 'version', at: now(), result: { ok: false, ...failure(error) } };
  }
}

/**
 * One complete round, for the one-shot `status` command and the flows' gates: member list, then
 * every status and (unless `alarms` is false: alarm GET is a raft request) the alarms.
 */
export async function pollOnce(gateway: ClusterGateway, now: () => number = Date.now, opts: { alarms?: boolean } = {}): Promise<Refresh[]> {
  const refreshes: Refresh[] = [];
  let members: Member[] = [];
  try {
    const res = await gateway.memberList();
    members = res.members;
    gateway.syncEndpoints(members.map(probeURL).filter((u): u is string => !!u));
    refreshes.push({ type: 'membership', at: now(), result: { ok: true, clusterId: res.clusterId, members } });
  } catch (error) {
    refreshes.push({ type: 'membership', at: now(), result: { ok: false, ...failure(error) } });
    return refreshes;
  }
  const probes = members.flatMap((m) => {
    const url = probeURL(m);
    return url ? [probeMember(gateway, m.id, url, now)] : [];
  });
  const alarms =
    opts.alarms === false
      ? []
      : [
          gateway
            .alarms()
            .then((list): Refresh => ({ type: 'alarms', at: now(), result: { ok: true, alarms: list } }))
            .catch((error): Refresh => ({ type: 'alarms', at: now(), result: { ok: false, ...failure(error) } })),
        ];
  const read = gateway.version?.bind(gateway);
  const url = members.map(probeURL).find((u) => u !== undefined);
  const version = read && url ? [readVersion(read, url, now)] : [];
  refreshes.push(...(await Promise.all([...probes, ...alarms, ...version])));
  return refreshes;
}
