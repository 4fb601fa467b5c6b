/**
 * The etcd3 implementation of the cluster gateway: one client per member endpoint (a multi-host
 * client sends each call to a random host), the circuit breaker and retries off so that real errors
 * reach the screen, and a deadline on every call (etcd3 never reads dialTimeout).
 *
 * etcd3 (with grpc-js and protobufjs: most of the console's code by size) is loaded on the first
 * call that needs gRPC, not at start: without etcd auth, a refresh round (status, member list,
 * alarms) goes over etcd's HTTP gateway (src/cluster/http-status.ts) and never loads it.
 */
import { readFileSync } from 'node:fs';
import type { Etcd3, IOptions } from 'etcd3';
import { PassThrough, Readable } from 'node:stream';
import { connect as tcpConnect } from 'node:net';
import type { Alarm, AlarmType, Member, MemberId, MemberStatus } from '../domain/types.js';
import type { ConnectionSettings } from '../domain/config.js';
import { ClusterError, ConfigError } from '../domain/errors.js';
import type { ClusterGateway, HashKVResult, InspectGateway, MemberListResult, RangePage } from './gateway.js';
import { fetchText } from './http-fetch.js';
import { classifyError } from './classify.js';
import { HttpStatusClient, type StatusTransport } from './http-status.js';

/** etcd3's client class and cockatiel's no-op policy (the circuit breaker off), loaded on first use. */
type GrpcModules = typeof import('./etcd3-client.js');
let grpcModules: Promise<GrpcModules> | undefined;

/**
 * Load etcd3 once (its chunk of the bundle: grpc-js, protobufjs, the parsed descriptor). A failure
 * (a chunk missing from a broken install) is a one-line ClusterError, and the next call tries again.
 */
function loadGrpc(): Promise<GrpcModules> {
  grpcModules ??= import('./etcd3-client.js').then(
    (loaded) => loaded,
    (error: unknown) => {
      grpcModules = undefined;
      const reason = String((error as Error)?.message ?? error).split('\n')[0];
      throw new ClusterError(`cannot load the gRPC client (etcd3): ${reason}; reinstall etcd-tui`, 'unknown');
    },
  );
  return grpcModules;
}

export interface Deadlines {
  /** Status, member list, alarms: the calls of a refresh round. */
  statusMs: number;
  /** Membership changes, move leader, compaction. */
  commandMs: number;
  /** Defragment and snapshot: sized to the DB by the caller. */
  longMs: number;
}

interface Credentials {
  rootCertificate: Buffer;
  privateKey?: Buffer;
  certChain?: Buffer;
}

function readTls(settings: ConnectionSettings): Credentials | undefined {
  const { cacert, cert, key } = settings.tls;
  if (!cacert && !cert && !key) return undefined;
  const read = (path: string, flag: string) => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new ConfigError(`${flag}: cannot read ${path} (${(error as Error).message})`);
    }
  };
  // Without a CA given, verify against the system roots, as etcdctl does.
  const rootCertificate = cacert ? read(cacert, '--cacert') : Buffer.alloc(0);
  return {
    rootCertificate,
    privateKey: key ? read(key, '--key') : undefined,
    certChain: cert ? read(cert, '--cert') : undefined,
  };
}

export class EtcdGateway implements ClusterGateway, InspectGateway {
  /** The member endpoints calls go to: the seeds and the client URLs of the last member list. */
  private readonly endpoints = new Set<string>();
  /** The gRPC clients made so far (on first gRPC call to an endpoint). */
  private readonly clients = new Map<string, Etcd3>();
  /**
   * Clients without credentials, for the status of learners when etcd auth is on: a learner refuses
   * Authenticate ("rpc not supported for learner") but answers Status, which needs no token.
   */
  private readonly plainClients = new Map<string, Etcd3>();
  private readonly seeds: string[];
  private credentials?: Credentials;
  /** The endpoint that answered the last cluster-wide read. */
  private preferred?: string;
  /**
   * Status over etcd's HTTP/JSON gateway (src/cluster/http-status.ts: a fraction of grpc-js's CPU a
   * call), gRPC for a member whose gateway does not answer. ETCD_TUI_STATUS_TRANSPORT=grpc turns it
   * off, and so does a proxy in the environment (grpc-js goes through grpc_proxy/https_proxy/http_proxy; this client would not).
   */
  private readonly httpStatus = process.env.ETCD_TUI_STATUS_TRANSPORT === 'grpc' || proxyInEnvironment() ? undefined : new HttpStatusClient(() => this.credentials, () => this.deadlines.statusMs);

  constructor(
    private readonly settings: ConnectionSettings,
    readonly deadlines: Deadlines,
  ) {
    this.seeds = [...settings.endpoints];
    this.preferred = this.seeds[0];
    this.credentials = readTls(settings);
    for (const url of this.seeds) this.endpoints.add(url);
  }

  /** The gRPC client for one endpoint, made on first use (etcd3 is loaded then). */
  async client(url: string): Promise<Etcd3> {
    const { Etcd3: Client, noop } = await loadGrpc();
    let c = this.clients.get(url);
    if (!c) {
      c = new Client(this.options(url, noop));
      this.clients.set(url, c);
    }
    return c;
  }

  private async plainClient(url: string): Promise<Etcd3> {
    const { Etcd3: Client, noop } = await loadGrpc();
    let c = this.plainClients.get(url);
    if (!c) {
      c = new Client(this.options(url, noop, false));
      this.plainClients.set(url, c);
    }
    return c;
  }

  private options(url: string, noop: GrpcModules['noop'], withAuth = true): IOptions {
    const deadline = () => ({ deadline: Date.now() + this.deadlines.statusMs });
    const options: IOptions = {
      hosts: [url],
      faultHandling: { host: () => noop, global: noop },
      grpcOptions: {
        // Reconnect soon after a member comes back (the default backoff grows to 120 s).
        'grpc.initial_reconnect_backoff_ms': 300,
        'grpc.max_reconnect_backoff_ms': 2000,
        'grpc.min_reconnect_backoff_ms': 200,
        // Channelz bookkeeping and retry buffering cost CPU on every call; the console needs neither.
        'grpc.enable_channelz': 0,
        'grpc.enable_retries': 0,
        // A larger HTTP/2 window: the default 64 KiB throttles snapshot streams.
        'grpc-node.flow_control_window': 8 << 20,
      },
      defaultCallOptions: deadline,
    };
    if (this.credentials) {
      // etcd3 passes credentials to grpc.credentials.createSsl: an empty root buffer means system roots.
      options.credentials = {
        rootCertificate: this.credentials.rootCertificate.length ? this.credentials.rootCertificate : (undefined as unknown as Buffer),
        privateKey: this.credentials.privateKey,
        certChain: this.credentials.certChain,
      };
    }
    if (this.settings.user && withAuth) {
      options.auth = { username: this.settings.user, password: this.settings.password ?? '', callOptions: deadline };
    }
    return options;
  }

  private async call<T>(url: string, fn: (client: Etcd3) => Promise<T>, plain = false): Promise<T> {
    try {
      return await fn(await (plain ? this.plainClient(url) : this.client(url)));
    } catch (error) {
      if (error instanceof ClusterError) throw error; // classified already (the HTTP gateway's calls)
      const c = classifyError(error, url);
      throw new ClusterError(c.message, c.kind);
    }
  }

  /**
   * Ask one member: the one that answered last time, and only if it fails, every other endpoint
   * at once (first answer wins). Cluster-wide reads thus cost one call a round, not one per member.
   */
  private async any<T>(fn: (url: string) => Promise<T>): Promise<T> {
    const preferred = this.preferred && this.endpoints.has(this.preferred) ? this.preferred : undefined;
    const first: ClusterError[] = [];
    if (preferred) {
      try {
        return await this.classified(preferred, () => fn(preferred));
      } catch (error) {
        first.push(error as ClusterError);
      }
    }
    const urls = [...this.endpoints].filter((u) => u !== preferred);
    try {
      return await Promise.any(
        urls.map(async (url) => {
          const result = await this.classified(url, () => fn(url));
          this.preferred = url;
          return result;
        }),
      );
    } catch (error) {
      if (urls.length === 0 && first.length > 0) throw first[0];
      const errors = [...first, ...(error instanceof AggregateError ? (error.errors as ClusterError[]) : [error as ClusterError])];
      // Prefer the most telling error: auth and TLS before plain unreachability.
      const order = ['auth', 'tls', 'no-quorum', 'nospace', 'timeout', 'unreachable'];
      errors.sort((a, b) => rank(order, a.kind) - rank(order, b.kind));
      const top = errors[0];
      throw new ClusterError(errors.length > 1 ? `${top.message} (and ${errors.length - 1} more endpoint${errors.length > 2 ? 's' : ''} failed)` : top.message, top.kind ?? 'unknown');
    }
  }

  /** A call's failure as a ClusterError (classified already when it is one: the HTTP gateway's, a failed load of etcd3). */
  private async classified<T>(url: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof ClusterError) throw error;
      const c = classifyError(error, url);
      throw new ClusterError(c.message, c.kind);
    }
  }

  async memberList(): Promise<MemberListResult> {
    return this.any(async (url) => {
      // Over the HTTP gateway when etcd auth is not in use (with a user, gRPC's Authenticate is what tells a wrong password).
      const overHttp = this.settings.user ? undefined : await this.httpStatus?.memberList(url);
      if (overHttp) return overHttp;
      const c = await this.client(url);
      const res = await c.cluster.memberList({}, { deadline: Date.now() + this.deadlines.statusMs });
      return { clusterId: String(res.header?.cluster_id ?? ''), memberId: String(res.header?.member_id ?? ''), members: (res.members ?? []).map(toMember) };
    });
  }

  private commandDeadline() {
    return { deadline: Date.now() + this.deadlines.commandMs };
  }

  /**
   * A write goes to one member: the one that answered last. Only when it could not even be reached
   * (connection refused: the request was never delivered) does it go to the next one; a timeout is
   * not retried elsewhere, since the change may have been committed.
   */
  private async one<T>(fn: (client: Etcd3) => Promise<T>): Promise<T> {
    const urls = [...this.endpoints].sort((a, b) => (a === this.preferred ? -1 : b === this.preferred ? 1 : 0));
    let last: unknown;
    for (const url of urls) {
      try {
        const result = await this.call(url, fn);
        this.preferred = url;
        return result;
      } catch (error) {
        last = error;
        if (!(error instanceof ClusterError) || error.kind !== 'unreachable') throw error;
      }
    }
    throw last ?? new ClusterError('no endpoint to send the request to', 'unreachable');
  }

  async memberAdd(peerURLs: string[], isLearner: boolean): Promise<{ member: Member; members: Member[] }> {
    return this.one(async (c) => {
      const res = await c.cluster.memberAdd({ peerURLs, isLearner }, this.commandDeadline());
      return { member: toMember(res.member), members: (res.members ?? []).map(toMember) };
    });
  }

  async memberPromote(id: MemberId, leaderURL?: string): Promise<void> {
    const promote = (c: Etcd3) => c.cluster.memberPromote({ ID: id }, this.commandDeadline());
    if (leaderURL) {
      try {
        await this.call(leaderURL, promote);
        return;
      } catch (error) {
        // Not delivered (the leader went away): any member will do, as without a leader URL.
        if (!(error instanceof ClusterError) || error.kind !== 'unreachable') throw error;
      }
    }
    await this.one(promote);
  }

  async memberRemove(id: MemberId): Promise<void> {
    await this.one((c) => c.cluster.memberRemove({ ID: id }, this.commandDeadline()));
  }

  async defragment(clientURL: string, timeoutMs: number): Promise<void> {
    await this.call(clientURL, (c) => c.maintenance.defragment({ deadline: Date.now() + timeoutMs }));
  }

  async compact(revision: number, physical: boolean): Promise<void> {
    await this.one((c) => c.kv.compact({ revision, physical }, this.commandDeadline()));
  }

  async alarmDisarm(memberId: MemberId, alarm: AlarmType): Promise<void> {
    const name = alarm === 'NOSPACE' ? 'Nospace' : 'Corrupt';
    await this.one((c) => c.maintenance.alarm({ action: 'Deactivate', memberID: memberId, alarm: name }, this.commandDeadline()));
  }

  /**
   * etcd3's maintenance.snapshot() passes the call metadata where the request belongs, so the auth
   * token is lost ("auth: user name is empty"); call the generated client through the pool instead.
   */
  async snapshot(clientURL: string, timeoutMs: number): Promise<Readable> {
    // The stream over node:http2 (src/cluster/snapshot-stream.ts); grpc-js where it cannot go: a URL
    // that is not http(s)://, an HTTP/2 protocol failure before the first byte, or when asked
    // (ETCD_TUI_SNAPSHOT_CLIENT=grpc-js, to compare).
    if (process.env.ETCD_TUI_SNAPSHOT_CLIENT !== 'grpc-js' && /^https?:\/\//.test(clientURL)) {
      try {
        return await this.rawSnapshot(clientURL, timeoutMs);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (!(typeof code === 'string' && code.startsWith('ERR_HTTP2'))) {
          // As with grpc-js, a refusal (auth, TLS, unreachable) comes as the stream's error when it is
          // read: the caller's checks of its own files come first, the message says "stream".
          const failure = error instanceof ClusterError ? error : ((c) => new ClusterError(c.message, c.kind))(classifyError(error, clientURL));
          return new Readable({
            read() {
              this.destroy(failure);
            },
          });
        }
      }
    }
    return this.grpcSnapshot(clientURL, timeoutMs);
  }

  private async rawSnapshot(clientURL: string, timeoutMs: number, retried = false): Promise<Readable> {
    // Without etcd auth the stream needs no token, nor etcd3.
    let pool: TokenPool | undefined;
    let token: string | undefined;
    if (this.settings.user) {
      // The token the gateway's client authenticated with (Authenticate on first use).
      try {
        pool = ((await this.client(clientURL)).maintenance as unknown as { client: TokenPool }).client;
        token = await pool.withConnection('Maintenance', ({ metadata }) => metadata.get('token')[0]?.toString());
      } catch (error) {
        if (error instanceof ClusterError) throw error;
        const c = classifyError(error, clientURL);
        throw new ClusterError(c.message, c.kind);
      }
    }
    const tls = this.credentials;
    // node:http2 and the decoder load with the first snapshot, not with the console.
    const { openRawSnapshotStream } = await import('./snapshot-stream.js');
    try {
      return await openRawSnapshotStream({
        url: clientURL,
        timeoutMs,
        token,
        tls: tls ? { ca: tls.rootCertificate.length ? tls.rootCertificate : undefined, cert: tls.certChain, key: tls.privateKey } : undefined,
        // Failures after the first byte: the same classified ClusterError as the grpc-js path gives.
        mapError: (error) => {
          const c = classifyError(error, clientURL);
          return new ClusterError(c.message, c.kind);
        },
      });
    } catch (error) {
      // An expired token (etcd's simple tokens live --auth-token-ttl after their last use): authenticate again, once.
      if (token && !retried && /invalid auth token/i.test((error as Error).message ?? '')) {
        pool?.authenticator?.invalidateMetadata();
        return this.rawSnapshot(clientURL, timeoutMs, true);
      }
      throw error;
    }
  }

  /** The snapshot through etcd3's generated grpc-js client. */
  private async grpcSnapshot(clientURL: string, timeoutMs: number): Promise<Readable> {
    const out = new PassThrough({ highWaterMark: 1 << 20 });
    try {
      const pool = ((await this.client(clientURL)).maintenance as unknown as { client: SnapshotPool }).client;
      const stream = await pool.withConnection('Maintenance', ({ client: grpcClient, metadata }) => grpcClient.snapshot({}, metadata, { deadline: Date.now() + timeoutMs }));
      stream.on('data', (item: { blob: Buffer }) => {
        if (!out.write(item.blob)) {
          stream.pause();
          out.once('drain', () => stream.resume());
        }
      });
      stream.on('end', () => out.end());
      stream.on('error', (error: unknown) => {
        const c = classifyError(error, clientURL);
        out.destroy(new ClusterError(c.message, c.kind));
      });
      out.on('close', () => stream.cancel?.());
    } catch (error) {
      if (error instanceof ClusterError) throw error;
      const c = classifyError(error, clientURL);
      throw new ClusterError(c.message, c.kind);
    }
    return out;
  }

  async moveLeader(leaderURL: string, targetId: MemberId): Promise<void> {
    await this.call(leaderURL, (c) => c.maintenance.moveLeader({ targetID: targetId }, this.commandDeadline()));
  }

  async status(clientURL: string): Promise<MemberStatus> {
    const overHttp = await this.httpStatus?.status(clientURL);
    if (overHttp) return overHttp;
    try {
      return await this.statusWith(clientURL, false);
    } catch (error) {
      // With auth on, a learner fails the client's Authenticate call; ask it without credentials.
      if (!this.settings.user || !(error instanceof ClusterError) || error.kind !== 'learner') throw error;
      return this.statusWith(clientURL, true);
    }
  }

  private async statusWith(clientURL: string, plain: boolean): Promise<MemberStatus> {
    return this.call(clientURL, async (c) => {
      const s = await c.maintenance.status({ deadline: Date.now() + this.deadlines.statusMs });
      return {
        version: s.version,
        dbSize: Number(s.dbSize),
        dbSizeInUse: Number(s.dbSizeInUse),
        leader: String(s.leader),
        raftIndex: Number(s.raftIndex),
        raftTerm: Number(s.raftTerm),
        raftAppliedIndex: Number(s.raftAppliedIndex),
        isLearner: Boolean(s.isLearner),
        errors: s.errors ?? [],
        memberId: String(s.header?.member_id ?? ''),
        clusterId: String(s.header?.cluster_id ?? ''),
        revision: Number(s.header?.revision ?? 0),
      };
    }, plain);
  }

  async alarms(): Promise<Alarm[]> {
    return this.any(async (url) => {
      // Over the HTTP gateway when etcd auth is not in use, as the member list.
      const overHttp = this.settings.user ? undefined : await this.httpStatus?.alarms(url);
      if (overHttp) return overHttp;
      const c = await this.client(url);
      const res = await c.maintenance.alarm({ action: 'Get', memberID: 0, alarm: 'None' }, { deadline: Date.now() + this.deadlines.statusMs });
      return (res.alarms ?? [])
        .map((a) => ({ memberId: String(a.memberID), alarm: String(a.alarm).toUpperCase() as AlarmType }))
        .filter((a) => a.alarm === 'NOSPACE' || a.alarm === 'CORRUPT');
    });
  }

  async hashKV(clientURL: string, revision: number, timeoutMs: number): Promise<HashKVResult> {
    // etcd3's maintenance.hashKV() calls "hashKV", but the loaded proto names the method "hashKv"
    // (camel case of HashKV): call the generated client through the pool, as for snapshots.
    return this.call(clientURL, async (c) => {
      const pool = (c.maintenance as unknown as { client: UnaryPool }).client;
      const res = await pool.withConnection('Maintenance', ({ client, metadata }) =>
        new Promise<{ header?: { member_id?: string; revision?: string }; hash: string; compact_revision?: string }>((resolve, reject) =>
          client.HashKV({ revision }, metadata, { deadline: Date.now() + timeoutMs }, (error, value) => (error ? reject(error) : resolve(value as never))),
        ),
      );
      return { memberId: String(res.header?.member_id ?? ''), hash: String(res.hash), compactRevision: Number(res.compact_revision ?? 0), headerRevision: Number(res.header?.revision ?? 0) };
    });
  }

  async rangePage(clientURL: string, start: Buffer, end: Buffer, limit: number, revision: number, timeoutMs: number): Promise<RangePage> {
    return this.call(clientURL, async (c) => {
      const res = await c.kv.range({ key: start, range_end: end, limit, revision, serializable: true }, { deadline: Date.now() + timeoutMs });
      return {
        kvs: (res.kvs ?? []).map((kv) => ({ key: kv.key, keySize: kv.key.length, valueSize: kv.value?.length ?? 0 })),
        more: Boolean(res.more),
        count: Number(res.count ?? 0),
        revision: Number(res.header?.revision ?? 0),
      };
    });
  }

  async metrics(url: string, timeoutMs: number): Promise<string> {
    const target = /^https?:\/\/[^/]+\/?$/.test(url) ? `${url.replace(/\/$/, '')}/metrics` : url;
    try {
      return await fetchText(target, this.credentials, timeoutMs);
    } catch (error) {
      const c = classifyError(error, url);
      throw new ClusterError(c.message, c.kind);
    }
  }

  /** GET /version over HTTP(S), with the connection's CA and client certificate, bounded by the status deadline. */
  async version(clientURL: string): Promise<{ server: string; cluster: string }> {
    const url = new URL('/version', clientURL);
    // Loaded on the first call (the poller asks once the first member answered, then every 10 s;
    // an upgrade asks at each step), not with the first frame.
    const { request: send } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
    const body = await new Promise<string>((resolve, reject) => {
      const tls = this.credentials;
      const options = {
        timeout: this.deadlines.statusMs,
        ...(url.protocol === 'https:' && tls ? { ca: tls.rootCertificate.length ? tls.rootCertificate : undefined, cert: tls.certChain, key: tls.privateKey } : {}),
      };
      const req = send(url, options, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text.length < 4096 ? (text += chunk) : undefined));
        res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new ClusterError(`GET ${url.href}: HTTP ${res.statusCode}`, 'unknown'))));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new ClusterError(`GET ${url.href}: no answer within ${this.deadlines.statusMs} ms`, 'timeout')));
      req.on('error', (error) => reject(error instanceof ClusterError ? error : new ClusterError(`GET ${url.href}: ${(error as Error).message}`, 'unreachable')));
      req.end();
    });
    try {
      const parsed = JSON.parse(body) as { etcdserver?: unknown; etcdcluster?: unknown };
      return { server: String(parsed.etcdserver ?? ''), cluster: String(parsed.etcdcluster ?? '') };
    } catch {
      throw new ClusterError(`GET ${url.href}: not a version document`, 'unknown');
    }
  }

  /** How a member's status is read: over the HTTP gateway, over gRPC, or undefined before its first answer. */
  statusTransport(clientURL: string): StatusTransport | undefined {
    return this.httpStatus ? this.httpStatus.transport(clientURL) : 'grpc';
  }

  syncEndpoints(clientURLs: string[]): void {
    const keep = new Set([...this.seeds, ...clientURLs]);
    this.httpStatus?.keepOnly(keep);
    for (const url of clientURLs) this.endpoints.add(url);
    for (const url of [...this.endpoints]) if (!keep.has(url)) this.endpoints.delete(url);
    for (const map of [this.clients, this.plainClients]) {
      for (const [url, c] of map) {
        if (!keep.has(url)) {
          c.close();
          map.delete(url);
        }
      }
    }
  }

  peerListening(peerURL: string): Promise<boolean | undefined> {
    let host: string;
    let port: number;
    try {
      const u = new URL(peerURL);
      host = u.hostname.replace(/^\[|\]$/g, '');
      port = Number(u.port || 2380);
    } catch {
      return Promise.resolve(undefined);
    }
    return new Promise((resolve) => {
      const socket = tcpConnect({ host, port });
      const done = (answer: boolean | undefined) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(answer);
      };
      const timer = setTimeout(() => done(undefined), 2000);
      socket.once('connect', () => done(true));
      socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED' ? false : undefined));
    });
  }

  close(): void {
    this.httpStatus?.close();
    for (const c of [...this.clients.values(), ...this.plainClients.values()]) c.close();
    this.clients.clear();
    this.plainClients.clear();
  }

  /** Connect with other TLS files from now on (a CA change: the bundle of both CAs, then the new client certificate); the open clients are closed and made again on next use. */
  useTls(tls: ConnectionSettings['tls']): void {
    const credentials = readTls({ ...this.settings, tls });
    this.close();
    this.credentials = credentials;
  }
}

/** The part of etcd3's connection pool a unary call through the generated client uses. */
interface UnaryPool {
  withConnection<T>(service: 'Maintenance', fn: (args: { client: { HashKV(req: object, metadata: unknown, options: object, callback: (error: Error | null, value: unknown) => void): void }; metadata: unknown }) => Promise<T>): Promise<T>;
}

/** The part of etcd3's connection pool that holds the auth token (call metadata). */
interface TokenPool {
  withConnection<T>(service: 'Maintenance', fn: (args: { metadata: { get(key: string): Array<string | Buffer> } }) => T): Promise<T>;
  authenticator?: { invalidateMetadata(): void };
}

/** The part of etcd3's connection pool the snapshot call uses. */
interface SnapshotStream {
  on(event: string, fn: (arg: never) => void): unknown;
  pause(): void;
  resume(): void;
  cancel?(): void;
}
interface SnapshotPool {
  withConnection<T>(service: 'Maintenance', fn: (args: { client: { snapshot(req: object, metadata: unknown, options: object): SnapshotStream }; metadata: unknown }) => T): Promise<T>;
}

function toMember(m: { ID: string; name?: string; peerURLs?: string[]; clientURLs?: string[]; isLearner?: boolean }): Member {
  return { id: String(m.ID), name: m.name ?? '', peerURLs: m.peerURLs ?? [], clientURLs: m.clientURLs ?? [], isLearner: Boolean(m.isLearner) };
}

/** A proxy that grpc-js would use for the cluster's calls. */
function proxyInEnvironment(): boolean {
  return ['grpc_proxy', 'https_proxy', 'http_proxy', 'GRPC_PROXY', 'HTTPS_PROXY', 'HTTP_PROXY'].some((name) => !!process.env[name]);
}

function rank(order: string[], kind: string | undefined): number {
  const i = order.indexOf(kind ?? '');
  return i < 0 ? order.length : i;
}
