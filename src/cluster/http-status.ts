/**
 * Member status over etcd's HTTP/JSON gateway (`POST /v3/maintenance/status`, served by etcd 3.4 and
 * 3.5 on the client URL) instead of gRPC: the poller's one call per member a round. Measured here, at
 * one call per member a second, grpc-js and etcd3 took ~1.1 ms of CPU a call, Node's http client with
 * a keep-alive agent ~0.6 ms, and this client ~0.2-0.3 ms: one kept-alive connection per member, a
 * fixed request, and a response read by Content-Length (or chunked), nothing else. Status needs no
 * auth token in etcd (a learner answers it without one), so no Authenticate call is made.
 * Without etcd auth, the member list (`/v3/cluster/member/list`) and the alarm list
 * (`/v3/maintenance/alarm`, action GET) go the same way: a refresh round then needs no gRPC at all,
 * and the console does not load etcd3 (grpc-js, protobufjs) until a call needs it.
 *
 * A member whose gateway does not answer as a gateway (404 with `--enable-grpc-gateway=false`, a
 * plaintext request to a TLS port, anything but JSON) is marked once as gRPC-only: `status` then
 * answers `undefined` and the caller uses gRPC, with its own error mapping. Connection failures
 * (refused, timeout, TLS handshake) decide nothing: they are mapped as the gRPC path maps them.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Alarm, AlarmType, Member, MemberStatus } from '../domain/types.js';
import type { MemberListResult } from './gateway.js';
import { ClusterError } from '../domain/errors.js';
import { classifyError } from './classify.js';

export interface HttpCredentials {
  /** Empty: the system roots. */
  rootCertificate: Buffer;
  privateKey?: Buffer;
  certChain?: Buffer;
}

/** A status answer is ~300 bytes, a member list ~200 bytes a member; anything far bigger is not one. */
const MAX_RESPONSE_BYTES = 256 << 10;

const STATUS_PATH = '/v3/maintenance/status';
const MEMBER_LIST_PATH = '/v3/cluster/member/list';
/** The alarm list: the same path on 3.4 and 3.5 (3.4 also serves /v3beta). */
const ALARM_PATH = '/v3/maintenance/alarm';

/** The request body of each path: the alarm call says GET (the enum's zero value, named for clarity). */
const BODY: Record<string, string> = { [ALARM_PATH]: '{"action":"GET"}' };

/** The transport a member's status goes over; undefined until its first answer decided. */
export type StatusTransport = 'http' | 'grpc';

/** A response that shows the URL serves no etcd gateway (or not this way): use gRPC for this member. */
class NotAGateway extends Error {}

/** The status JSON of etcd's gateway: int64 fields as strings, zero and false fields left out. */
interface StatusJson {
  header?: { cluster_id?: string; member_id?: string; revision?: string };
  version?: string;
  dbSize?: string;
  dbSizeInUse?: string;
  leader?: string;
  raftIndex?: string;
  raftTerm?: string;
  raftAppliedIndex?: string;
  isLearner?: boolean;
  errors?: string[];
}

/** The member list JSON of etcd's gateway (uint64 IDs as strings; isLearner left out when false). */
interface MemberListJson {
  header?: { cluster_id?: string; member_id?: string };
  members?: Array<{ ID?: string; name?: string; peerURLs?: string[]; clientURLs?: string[]; isLearner?: boolean }>;
}

/**
 * The alarm list JSON of etcd's gateway: enum values by name ("NOSPACE", "CORRUPT"; NONE, the zero
 * value, left out), uint64 IDs as strings, `alarms` left out when none is armed; 3.4 sends no header.
 */
export interface AlarmJson {
  header?: { cluster_id?: string; member_id?: string };
  alarms?: Array<{ memberID?: string; alarm?: string | number }>;
}

/** The AlarmType enum of etcd's rpc.proto by number (a gateway set to emit enums as numbers). */
const ALARM_BY_NUMBER: Record<number, string> = { 0: 'NONE', 1: 'NOSPACE', 2: 'CORRUPT' };

/** The armed alarms of the gateway's answer, as the gRPC path gives them: NOSPACE and CORRUPT only. */
export function alarmsFromJson(json: AlarmJson): Alarm[] {
  return (json.alarms ?? [])
    .map((a) => ({ memberId: String(a.memberID ?? '0'), alarm: (typeof a.alarm === 'number' ? (ALARM_BY_NUMBER[a.alarm] ?? '') : String(a.alarm ?? 'NONE')).toUpperCase() as AlarmType }))
    .filter((a) => a.alarm === 'NOSPACE' || a.alarm === 'CORRUPT');
}

/** One member of the gateway's member list, as the gRPC path's toMember makes it. */
export function memberFromJson(m: NonNullable<MemberListJson['members']>[number]): Member {
  return { id: String(m.ID ?? ''), name: m.name ?? '', peerURLs: m.peerURLs ?? [], clientURLs: m.clientURLs ?? [], isLearner: Boolean(m.isLearner) };
}

/** The status JSON as the gateway interface's MemberStatus (the same fields the gRPC path fills). */
export function statusFromJson(json: StatusJson): MemberStatus {
  return {
    version: String(json.version ?? ''),
    dbSize: Number(json.dbSize ?? 0),
    dbSizeInUse: Number(json.dbSizeInUse ?? 0),
    leader: String(json.leader ?? '0'),
    raftIndex: Number(json.raftIndex ?? 0),
    raftTerm: Number(json.raftTerm ?? 0),
    raftAppliedIndex: Number(json.raftAppliedIndex ?? 0),
    isLearner: Boolean(json.isLearner),
    errors: Array.isArray(json.errors) ? json.errors.map(String) : [],
    memberId: String(json.header?.member_id ?? ''),
    clusterId: String(json.header?.cluster_id ?? ''),
    revision: Number(json.header?.revision ?? 0),
  };
}

export interface ParsedResponse {
  statusCode: number;
  body: string;
  /** The server asked to close the connection after this response. */
  close: boolean;
}

/**
 * Parse one HTTP/1.1 response from the start of `buf`: undefined while incomplete. Throws on a
 * malformed or oversized one. Knows Content-Length and chunked bodies, which is all a Go server sends.
 */
export function parseResponse(buf: Buffer): ParsedResponse | undefined {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) {
    if (buf.length > MAX_RESPONSE_BYTES) throw new NotAGateway('response header too large');
    return undefined;
  }
  const head = buf.toString('latin1', 0, headEnd).split('\r\n');
  const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]);
  if (!statusLine) throw new NotAGateway(`not an HTTP response: ${head[0].slice(0, 60)}`);
  const headers = new Map<string, string>();
  for (const line of head.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const statusCode = Number(statusLine[1]);
  const close = /close/i.test(headers.get('connection') ?? '') || head[0].startsWith('HTTP/1.0');
  const start = headEnd + 4;
  if (/chunked/i.test(headers.get('transfer-encoding') ?? '')) {
    const parts: Buffer[] = [];
    let at = start;
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', at);
      if (lineEnd < 0) return undefined;
      const size = parseInt(buf.toString('latin1', at, lineEnd), 16);
      if (!Number.isFinite(size) || size < 0) throw new NotAGateway('bad chunk size');
      if (size === 0) {
        if (buf.indexOf('\r\n\r\n', lineEnd) < 0) return undefined;
        return { statusCode, body: Buffer.concat(parts).toString('utf8'), close };
      }
      if (buf.length < lineEnd + 2 + size + 2) {
        if (buf.length > MAX_RESPONSE_BYTES) throw new NotAGateway('response too large');
        return undefined;
      }
      parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
  }
  const lengthHeader = headers.get('content-length');
  if (lengthHeader === undefined) {
    // No length: the body runs to the end of the connection; a gateway never answers so.
    throw new NotAGateway('response without Content-Length');
  }
  const length = Number(lengthHeader);
  if (!Number.isInteger(length) || length < 0 || length > MAX_RESPONSE_BYTES) throw new NotAGateway(`bad Content-Length ${lengthHeader}`);
  if (buf.length < start + length) return undefined;
  return { statusCode, body: buf.toString('utf8', start, start + length), close };
}

/** One kept-alive connection to a member's gateway for one request path; one request at a time on it. */
class MemberConnection {
  private socket?: Socket;
  private readonly request: Buffer;
  private readonly host: string;
  private readonly port: number;
  private readonly secure: boolean;
  /** A request is under way on this connection. */
  busy = false;

  constructor(
    readonly url: string,
    path: string,
    private readonly credentials: () => HttpCredentials | undefined,
  ) {
    const u = new URL(url);
    this.secure = u.protocol === 'https:';
    this.host = u.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(u.port || (this.secure ? 443 : 80));
    const body = BODY[path] ?? '{}';
    this.request = Buffer.from(`POST ${path} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, 'latin1');
  }

  /** One status request; a reused connection that the server closed meanwhile is retried once on a new one. */
  async post(deadlineMs: number): Promise<ParsedResponse> {
    this.busy = true;
    const deadline = Date.now() + deadlineMs;
    try {
      const reused = this.socket !== undefined && !this.socket.destroyed;
      try {
        return await this.exchange(deadline);
      } catch (error) {
        if (!reused || !(error instanceof StaleConnection)) throw error;
        return await this.exchange(deadline);
      }
    } finally {
      this.busy = false;
    }
  }

  private open(): Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    let socket: Socket;
    if (this.secure) {
      const tls = this.credentials();
      socket = tlsConnect({
        host: this.host,
        port: this.port,
        // An IP address as servername makes Node print DEP0123 over the screen; the IP is checked against the certificate anyway.
        ...(isIP(this.host) ? {} : { servername: this.host }),
        ...(tls?.rootCertificate.length ? { ca: tls.rootCertificate } : {}),
        ...(tls?.certChain ? { cert: tls.certChain } : {}),
        ...(tls?.privateKey ? { key: tls.privateKey } : {}),
        ALPNProtocols: ['http/1.1'],
      });
    } else {
      socket = netConnect({ host: this.host, port: this.port });
    }
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    // An idle kept-alive connection never holds the process open (a call in flight does: its deadline timer).
    socket.unref();
    // Errors are read by the exchange; one between requests only ends the connection.
    socket.on('error', () => socket.destroy());
    this.socket = socket;
    return socket;
  }

  private exchange(deadline: number): Promise<ParsedResponse> {
    const socket = this.open();
    return new Promise<ParsedResponse>((resolve, reject) => {
      let buf: Buffer = Buffer.alloc(0);
      let received = false;
      const finish = (error: Error | undefined, response?: ParsedResponse) => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('error', onError);
        socket.off('close', onClose);
        if (error || response?.close) {
          socket.destroy();
          if (this.socket === socket) this.socket = undefined;
        }
        if (error) reject(error);
        else resolve(response!);
      };
      const onData = (chunk: Buffer) => {
        received = true;
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        try {
          const response = parseResponse(buf);
          if (response) finish(undefined, response);
        } catch (error) {
          finish(error as Error);
        }
      };
      const onError = (error: Error) => finish(received ? error : new StaleConnection(error.message, error));
      const onClose = () => finish(received ? new Error(`connection to ${this.url} closed mid-answer`) : new StaleConnection(`connection to ${this.url} closed`));
      const timer = setTimeout(() => finish(new Error(`deadline exceeded: no answer from ${this.url}`)), Math.max(1, deadline - Date.now()));
      socket.on('data', onData);
      socket.on('error', onError);
      socket.on('close', onClose);
      socket.write(this.request);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

/** The connection ended before any answer: on a reused connection, ask again on a new one. */
class StaleConnection extends Error {
  constructor(
    message: string,
    readonly original?: Error,
  ) {
    super(original?.message ?? message);
  }
}

/** Status over the HTTP gateway for every member, with the once-per-member decision to use gRPC instead. */
export class HttpStatusClient {
  private readonly connections = new Map<string, MemberConnection>();
  private readonly transports = new Map<string, StatusTransport>();

  constructor(
    private readonly credentials: () => HttpCredentials | undefined,
    private readonly deadlineMs: () => number,
  ) {}

  /** The transport decided for a member's client URL (undefined: not decided yet). */
  transport(url: string): StatusTransport | undefined {
    return this.transports.get(url);
  }

  /**
   * The member's status over HTTP, or undefined when this member is to be asked over gRPC (decided
   * now or before). Failures throw a ClusterError mapped as the gRPC path maps them.
   */
  async status(url: string): Promise<MemberStatus | undefined> {
    const json = await this.post(url, STATUS_PATH);
    if (json === undefined || typeof (json as StatusJson).version !== 'string') return this.useGrpc(url);
    this.transports.set(url, 'http');
    return statusFromJson(json as StatusJson);
  }

  /**
   * The member list as the member behind `url` answers it, or undefined when that member is to be
   * asked over gRPC. Only for clusters without etcd auth: the caller sends it over gRPC otherwise
   * (its Authenticate is what tells a wrong password).
   */
  async memberList(url: string): Promise<MemberListResult | undefined> {
    const json = (await this.post(url, MEMBER_LIST_PATH)) as MemberListJson | undefined;
    if (json === undefined || !Array.isArray(json.members)) return this.useGrpc(url);
    this.transports.set(url, 'http');
    return { clusterId: String(json.header?.cluster_id ?? ''), memberId: String(json.header?.member_id ?? ''), members: json.members.map(memberFromJson) };
  }

  /**
   * The alarms armed in the cluster as the member behind `url` answers them, or undefined when that
   * member is to be asked over gRPC. Only for clusters without etcd auth, as the member list.
   */
  async alarms(url: string): Promise<Alarm[] | undefined> {
    const json = (await this.post(url, ALARM_PATH)) as AlarmJson | undefined;
    // 3.4 answers `{}` when no alarm is armed; an `alarms` that is not a list is no gateway's.
    if (json === undefined || (json.alarms !== undefined && !Array.isArray(json.alarms))) return this.useGrpc(url);
    this.transports.set(url, 'http');
    return alarmsFromJson(json);
  }

  /**
   * POST the path's body (`{}` mostly) to one path of one member's gateway: the parsed JSON answer, or undefined when the
   * member is (now) to be asked over gRPC. A call while that member's connection for the path is busy
   * (a flow's round beside the poller's) goes over a connection of its own, closed after it.
   */
  private async post(url: string, path: string): Promise<unknown> {
    if (this.transports.get(url) === 'grpc' || !/^https?:\/\//.test(url)) return undefined;
    const key = `${path} ${url}`;
    let connection = this.connections.get(key);
    if (!connection) {
      connection = new MemberConnection(url, path, this.credentials);
      this.connections.set(key, connection);
    }
    const extra = connection.busy ? new MemberConnection(url, path, this.credentials) : undefined;
    let response: ParsedResponse;
    try {
      response = await (extra ?? connection).post(this.deadlineMs());
    } catch (error) {
      if (error instanceof NotAGateway) return this.useGrpc(url);
      const c = classifyError(error instanceof StaleConnection && error.original ? error.original : error, url);
      throw new ClusterError(c.message, c.kind);
    } finally {
      extra?.close();
    }
    let json: unknown;
    try {
      json = JSON.parse(response.body);
    } catch {
      return this.useGrpc(url);
    }
    if (typeof json !== 'object' || json === null) return this.useGrpc(url);
    if (response.statusCode !== 200) {
      // A gateway error answer carries gRPC's message ({"error": ..., "code": N}); anything else is not a gateway.
      const message = (json as { message?: unknown }).message ?? (json as { error?: unknown }).error;
      if (typeof message !== 'string' || response.statusCode === 404) return this.useGrpc(url);
      const c = classifyError(new Error(message), url);
      throw new ClusterError(c.message, c.kind);
    }
    return json;
  }

  private useGrpc(url: string): undefined {
    this.transports.set(url, 'grpc');
    this.keepOnly(new Set([...this.connections.values()].map((c) => c.url).filter((u) => u !== url)), false);
    return undefined;
  }

  /** Close the connections of URLs no longer listed (their decisions are forgotten too). */
  keepOnly(urls: Set<string>, forget = true): void {
    for (const [key, connection] of this.connections) {
      if (!urls.has(connection.url)) {
        connection.close();
        this.connections.delete(key);
      }
    }
    if (!forget) return;
    for (const url of [...this.transports.keys()]) if (!urls.has(url)) this.transports.delete(url);
  }

  /** Close every connection (they open again on next use, with the credentials of then). */
  close(): void {
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
  }
}
