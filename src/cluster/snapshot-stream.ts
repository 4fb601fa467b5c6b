/**
 * etcd's Maintenance/Snapshot stream over node:http2 directly, without grpc-js: one POST to the
 * member's client URL (h2c for http://, TLS with the context's CA, certificate and key for
 * https://), the auth token as the `token` metadata header, a large HTTP/2 window so that etcd never
 * waits on flow control, and the length-prefixed SnapshotResponse messages decoded by hand: the
 * `blob` bytes are gathered straight from the received buffers into 256 KiB chunks (no message
 * assembly, one copy: fewer, larger chunks cost far less CPU downstream than 16 KiB pieces). The
 * result is a Readable of the raw snapshot bytes (the bbolt database, then its 32-byte sha256) that
 * honours backpressure (a paused HTTP/2 stream stops returning window to etcd). Errors carry the
 * gRPC status text grpc-js would give ("4 DEADLINE_EXCEEDED: ...", "14 UNAVAILABLE: ..."), so the
 * caller classifies them the same way (src/cluster/classify.ts).
 */
import http2 from 'node:http2';
import { Readable } from 'node:stream';

export interface RawSnapshotOptions {
  /** The member's client URL, http:// or https://. */
  url: string;
  /** The whole stream must end within this (sent as grpc-timeout and enforced locally). */
  timeoutMs: number;
  /** For https://: the CA (empty or absent: the system roots), client certificate and key. */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** etcd's auth token (from Authenticate), sent as the `token` metadata header. */
  token?: string;
  /** HTTP/2 receive window of the session and the stream (default 8 MiB). */
  windowBytes?: number;
  /** What a failure after the stream was handed out becomes (the caller's error type). */
  mapError?: (error: Error) => Error;
  /** Bytes held in the Readable before the HTTP/2 stream is paused (default 1 MiB). */
  highWaterMark?: number;
}

/** gRPC status names, for messages shaped like grpc-js's ("14 UNAVAILABLE: ..."). */
const STATUS_NAMES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

/** A gRPC failure of the snapshot stream: the status code and etcd's message. */
export class SnapshotStreamError extends Error {
  override name = 'SnapshotStreamError';
  constructor(
    readonly code: number,
    details: string,
  ) {
    super(`${code} ${STATUS_NAMES[code] ?? 'UNKNOWN'}: ${details}`);
  }
}

const DEFAULT_WINDOW = 8 << 20;
const PATH = '/etcdserverpb.Maintenance/Snapshot';
/** The request: a gRPC frame (not compressed, length 0) holding an empty SnapshotRequest. */
const EMPTY_REQUEST = Buffer.from([0, 0, 0, 0, 0]);

/** grpc-timeout: at most 8 digits and a unit. */
export function grpcTimeout(ms: number): string {
  const n = Math.max(1, Math.ceil(ms));
  if (n < 1e8) return `${n}m`;
  const s = Math.ceil(n / 1000);
  if (s < 1e8) return `${s}S`;
  return `${Math.min(99_999_999, Math.ceil(s / 3600))}H`;
}

/** States of the decoder: within the 5-byte frame prefix, or within a message. */
const S = { Prefix: 0, Tag: 1, Varint: 2, Length: 3, Payload: 4 } as const;
type DecoderState = (typeof S)[keyof typeof S];

/**
 * A decoder of a stream of gRPC frames holding SnapshotResponse messages (field 1 header: message,
 * field 2 remaining_bytes: uint64, field 3 blob: bytes). Fed buffers of any size; calls onBlob with
 * slices of them. Throws SnapshotStreamError on anything malformed.
 */
export class SnapshotResponseDecoder {
  private state: DecoderState = S.Prefix;
  private prefix = Buffer.alloc(5);
  private prefixHave = 0;
  /** Bytes of the current message not consumed yet. */
  private messageLeft = 0;
  private varint = 0;
  private varintScale = 1;
  private varintBytes = 0;
  private field = 0;
  /** Bytes of the current length-delimited field still to come. */
  private payloadLeft = 0;
  /** Messages decoded completely. */
  messages = 0;
  /** The last remaining_bytes etcd sent (informational). */
  remainingBytes = 0;

  constructor(private readonly onBlob: (slice: Buffer) => void) {}

  /** Whether the input so far ended exactly at a message boundary. */
  get atBoundary(): boolean {
    return this.state === S.Prefix && this.prefixHave === 0;
  }

  push(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.state) {
        case S.Prefix: {
          const take = Math.min(5 - this.prefixHave, n - i);
          chunk.copy(this.prefix, this.prefixHave, i, i + take);
          this.prefixHave += take;
          i += take;
          if (this.prefixHave < 5) break;
          this.prefixHave = 0;
          if (this.prefix[0] !== 0) throw new SnapshotStreamError(13, `a compressed or unknown gRPC frame (flag ${this.prefix[0]}) in the snapshot stream`);
          this.messageLeft = this.prefix.readUInt32BE(1);
          this.state = this.messageLeft === 0 ? S.Prefix : S.Tag;
          if (this.messageLeft === 0) this.messages++;
          this.resetVarint();
          break;
        }
        case S.Tag:
        case S.Varint:
        case S.Length: {
          // A varint, byte by byte (at most 10 bytes, and only a few per message).
          const b = chunk[i++];
          this.consume(1);
          if (this.varintBytes >= 10) throw new SnapshotStreamError(13, 'a malformed varint in the snapshot stream');
          // Numbers, not BigInt: every length and count here is far below 2^53.
          this.varint += (b & 0x7f) * this.varintScale;
          this.varintScale *= 128;
          this.varintBytes++;
          if (b & 0x80) {
            if (this.messageLeft === 0) throw new SnapshotStreamError(13, 'a varint cut off at the end of a snapshot message');
            break;
          }
          const value = this.varint;
          this.resetVarint();
          this.onVarint(value);
          break;
        }
        case S.Payload: {
          const take = Math.min(this.payloadLeft, n - i);
          if (this.field === 3 && take > 0) this.onBlob(chunk.subarray(i, i + take));
          i += take;
          this.payloadLeft -= take;
          this.consume(take);
          if (this.payloadLeft === 0) this.endField();
          break;
        }
      }
    }
  }

  private resetVarint(): void {
    this.varint = 0;
    this.varintScale = 1;
    this.varintBytes = 0;
  }

  private consume(bytes: number): void {
    this.messageLeft -= bytes;
    if (this.messageLeft < 0) throw new SnapshotStreamError(13, 'a field runs past the end of its snapshot message');
  }

  private onVarint(value: number): void {
    if (this.state === S.Tag) {
      const wire = value % 8;
      this.field = Math.floor(value / 8);
      if (this.field === 0) throw new SnapshotStreamError(13, 'field number 0 in a snapshot message');
      if (wire === 0) this.state = S.Varint;
      else if (wire === 2) this.state = S.Length;
      else if (wire === 1 || wire === 5) {
        this.payloadLeft = wire === 1 ? 8 : 4;
        this.state = S.Payload;
      } else throw new SnapshotStreamError(13, `wire type ${wire} in a snapshot message`);
      if (this.field === 3 && wire !== 2) throw new SnapshotStreamError(13, 'the blob field of a snapshot message is not bytes');
      if (this.state !== S.Payload && this.messageLeft === 0) throw new SnapshotStreamError(13, 'a snapshot message ends after a field tag');
      return;
    }
    if (this.state === S.Varint) {
      if (this.field === 2) this.remainingBytes = value;
      this.endField();
      return;
    }
    // S.Length
    if (value > this.messageLeft) throw new SnapshotStreamError(13, 'a field runs past the end of its snapshot message');
    this.payloadLeft = value;
    this.state = S.Payload;
    if (this.payloadLeft === 0) this.endField();
  }

  private endField(): void {
    if (this.messageLeft === 0) {
      this.messages++;
      this.state = S.Prefix;
    } else this.state = S.Tag;
  }
}

/** grpc-message is percent-encoded. */
function decodeMessage(raw: unknown): string {
  const text = Array.isArray(raw) ? String(raw[0]) : raw === undefined ? '' : String(raw);
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** What an HTTP status means in gRPC terms (as grpc-js maps it). */
function httpStatusCode(status: number): number {
  if (status === 400) return 13;
  if (status === 401) return 16;
  if (status === 403) return 7;
  if (status === 404) return 12;
  if (status === 429 || status === 502 || status === 503 || status === 504) return 14;
  return 2;
}

/**
 * Blob bytes are handed on in chunks of this size: HTTP/2 delivers ~16 KiB pieces, and every piece
 * through the Readable, the sha256 tap and the file sink costs more CPU than copying it once. Not
 * larger: 1 MiB chunks are mmap'ed and unmapped by malloc each time (1 GB took 5.8 s of system time
 * instead of 1.1 s).
 */
const CHUNK_BYTES = 256 << 10;

/** Chunks handed back by the consumer, kept for reuse (at most this many). */
const FREE_CHUNKS = 16;

/**
 * A Readable whose chunks the consumer may hand back once it is done with them (written to disk):
 * they are filled again instead of allocating (and later collecting) a fresh 256 KiB each time.
 */
export interface RecyclingReadable extends Readable {
  recycle(chunk: Buffer): void;
}

class RawSnapshotReadable extends Readable implements RecyclingReadable {
  private paused = false;
  private finished = false;
  private chunk?: Buffer;
  private fill = 0;
  private readonly free: Buffer[] = [];

  constructor(
    private readonly session: http2.ClientHttp2Session,
    private readonly req: http2.ClientHttp2Stream,
    private readonly timer: NodeJS.Timeout,
    highWaterMark: number,
  ) {
    super({ highWaterMark });
  }

  /** A blob slice arrived: gather it into the current chunk; a full chunk goes on. */
  deliver(slice: Buffer): void {
    let at = 0;
    while (at < slice.length) {
      this.chunk ??= this.free.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES);
      const n = slice.copy(this.chunk, this.fill, at);
      at += n;
      this.fill += n;
      if (this.fill === CHUNK_BYTES) this.pushChunk();
    }
  }

  private pushChunk(): void {
    if (!this.chunk || this.fill === 0) return;
    const out = this.fill === this.chunk.length ? this.chunk : this.chunk.subarray(0, this.fill);
    this.chunk = undefined;
    this.fill = 0;
    // Above the high-water mark: stop reading from etcd until the reader asks again.
    if (!this.push(out)) this.paused = true;
  }

  /** The consumer is done with `chunk` (only whole chunks of this stream are taken back). */
  recycle(chunk: Buffer): void {
    if (chunk.length === CHUNK_BYTES && chunk.byteOffset === 0 && chunk.buffer.byteLength === CHUNK_BYTES && this.free.length < FREE_CHUNKS && !this.free.includes(chunk)) this.free.push(chunk);
  }

  /** After each received piece: pause the HTTP/2 stream while the reader is behind. */
  maybePause(): void {
    if (this.paused && !this.req.isPaused()) this.req.pause();
  }

  override _read(): void {
    this.paused = false;
    if (this.req.isPaused()) this.req.resume();
  }

  finish(): void {
    this.finished = true;
    clearTimeout(this.timer);
    this.pushChunk();
    this.push(null);
    this.session.close();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.timer);
    if (!this.finished && !this.req.destroyed) this.req.close(http2.constants.NGHTTP2_CANCEL);
    this.session.destroy();
    callback(error);
  }
}

/**
 * Open the snapshot stream of one member. Resolves once etcd answered with its response headers (a
 * refusal that comes before any byte, such as an auth error, rejects); later failures destroy the
 * returned Readable with a SnapshotStreamError or the socket's error.
 */
export function openRawSnapshotStream(opts: RawSnapshotOptions): Promise<Readable> {
  const url = new URL(opts.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new SnapshotStreamError(3, `not an http:// or https:// URL: ${opts.url}`));
  const window = opts.windowBytes ?? DEFAULT_WINDOW;
  const authority = `${url.protocol}//${url.host}`;
  const tls = url.protocol === 'https:' ? opts.tls : undefined;
  return new Promise<Readable>((resolve, reject) => {
    let settled = false;
    /** The stream ended with status OK at a message boundary: later events (the session closing) are no failure. */
    let done = false;
    let out: RawSnapshotReadable | undefined;
    const fail = (error: Error) => {
      if (done) return;
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        session.destroy();
        reject(error);
      } else if (out && !out.destroyed) out.destroy(opts.mapError ? opts.mapError(error) : error);
    };
    const session = http2.connect(authority, {
      settings: { initialWindowSize: window, enablePush: false },
      ...(tls?.ca?.length ? { ca: tls.ca } : {}),
      ...(tls?.cert ? { cert: tls.cert } : {}),
      ...(tls?.key ? { key: tls.key } : {}),
    });
    const timer = setTimeout(() => fail(new SnapshotStreamError(4, 'Deadline exceeded')), opts.timeoutMs);
    session.on('error', (error: Error) => fail(error));
    session.once('connect', () => {
      try {
        session.setLocalWindowSize(window);
      } catch {
        // Not fatal: the default window only slows the stream.
      }
    });
    session.on('goaway', (code: number) => {
      if (code !== http2.constants.NGHTTP2_NO_ERROR) fail(new SnapshotStreamError(14, `Connection dropped (GOAWAY ${code})`));
    });
    session.once('close', () => fail(new SnapshotStreamError(14, 'Connection dropped')));
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': grpcTimeout(opts.timeoutMs),
      'user-agent': 'etcd-tui',
      ...(opts.token ? { token: opts.token } : {}),
    };
    const req = session.request(headers, { endStream: false });
    req.end(EMPTY_REQUEST);
    let grpcStatus: number | undefined;
    let endedWithoutStatus = false;
    let grpcMessage = '';
    const readStatus = (h: http2.IncomingHttpHeaders) => {
      if (h['grpc-status'] !== undefined) {
        grpcStatus = Number(h['grpc-status']);
        grpcMessage = decodeMessage(h['grpc-message']);
      }
    };
    const decoder = new SnapshotResponseDecoder((slice) => out?.deliver(slice));
    req.on('response', (h) => {
      const status = Number(h[':status']);
      if (status !== 200) return fail(new SnapshotStreamError(httpStatusCode(status), `HTTP status ${status} from ${authority}`));
      readStatus(h);
      if (grpcStatus !== undefined && grpcStatus !== 0) return fail(new SnapshotStreamError(grpcStatus, grpcMessage));
      out = new RawSnapshotReadable(session, req, timer, opts.highWaterMark ?? 1 << 20);
      settled = true;
      resolve(out);
    });
    req.on('trailers', readStatus);
    req.on('data', (chunk: Buffer) => {
      if (!out) return fail(new SnapshotStreamError(13, 'data before the response headers'));
      try {
        decoder.push(chunk);
      } catch (error) {
        return fail(error as Error);
      }
      out.maybePause();
    });
    req.on('end', () => {
      // Without a status: 'close' follows and tells a reset stream from one that just stopped.
      if (grpcStatus === undefined) return void (endedWithoutStatus = true);
      if (grpcStatus !== 0) return fail(new SnapshotStreamError(grpcStatus, grpcMessage));
      if (!decoder.atBoundary) return fail(new SnapshotStreamError(13, 'the snapshot stream ended inside a message (cut off)'));
      if (!out) return fail(new SnapshotStreamError(13, 'no response headers'));
      done = true;
      out.finish();
    });
    req.on('error', (error: Error) => fail(error));
    const resetError = () => {
      const code = req.rstCode;
      if (code === undefined || code === http2.constants.NGHTTP2_NO_ERROR) return undefined;
      // CANCEL is what Node gives every stream of a session that closed under it: the connection dropped.
      if (code === http2.constants.NGHTTP2_CANCEL) return new SnapshotStreamError(14, 'Connection dropped');
      return new SnapshotStreamError(13, `Received RST_STREAM with code ${code}`);
    };
    req.on('close', () => fail(resetError() ?? (endedWithoutStatus ? new SnapshotStreamError(13, 'the snapshot stream ended without a gRPC status (cut off)') : new SnapshotStreamError(14, 'Connection dropped'))));
  });
}
