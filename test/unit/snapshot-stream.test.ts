/**
 * The raw gRPC snapshot stream (src/cluster/snapshot-stream.ts) without etcd: the hand decoder of
 * SnapshotResponse frames split at every byte, with header and remaining_bytes fields and unknown
 * fields, and malformed input refused; then a fake gRPC server on node:http2 (h2c, in this process)
 * that answers like etcd, cuts the stream, sends a corrupt blob, a malformed frame, an error status
 * (trailers-only and after data), no status, and a slow reader (backpressure: the server is held by
 * flow control, the client's memory stays bounded). Each failure reaches saveSnapshot, which leaves
 * no file behind.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { grpcTimeout, openRawSnapshotStream, SnapshotResponseDecoder, SnapshotStreamError, type RecyclingReadable } from '../../src/cluster/snapshot-stream.js';
import { saveSnapshot, SnapshotSaveError } from '../../src/run/snapshot-save.js';
import { classifyError } from '../../src/cluster/classify.js';
import { repoRoot } from '../harness/binaries.js';
import { waitFor } from '../harness/wait.js';

const FIXTURE = path.join(repoRoot(), 'test', 'fixtures', 'snapshots', 'etcd-3.5.16-small.db');

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

/** One SnapshotResponse message as a gRPC frame; `extra` fields go first (etcd sends header, remaining_bytes, blob). */
function frame(blob: Buffer, remaining: number, opts: { header?: boolean; unknown?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  if (opts.header) {
    // ResponseHeader { cluster_id: 1 (field 1 varint), member_id: 2^60 }
    const header = Buffer.concat([Buffer.from([0x08]), varint(1), Buffer.from([0x10]), varint(2 ** 60)]);
    parts.push(Buffer.from([0x0a]), varint(header.length), header);
  }
  if (opts.unknown) parts.push(Buffer.from([0x25, 1, 2, 3, 4]), Buffer.from([0x29, 1, 2, 3, 4, 5, 6, 7, 8]), Buffer.from([0x38]), varint(300));
  parts.push(Buffer.from([0x10]), varint(remaining));
  if (blob.length > 0) parts.push(Buffer.from([0x1a]), varint(blob.length), blob);
  const msg = Buffer.concat(parts);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(msg.length, 1);
  return Buffer.concat([prefix, msg]);
}

/** A snapshot as etcd streams it: 32 KiB blobs, the trailer in the last message. */
function framesOf(snapshot: Buffer, blobSize = 32 * 1024): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o < snapshot.length; o += blobSize) {
    const blob = snapshot.subarray(o, Math.min(snapshot.length, o + blobSize));
    out.push(frame(blob, snapshot.length - o - blob.length, { header: o === 0, unknown: o === blobSize }));
  }
  return out;
}

function withTrailer(data: Buffer): Buffer {
  return Buffer.concat([data, crypto.createHash('sha256').update(data).digest()]);
}

function decodeAll(input: Buffer[]): { bytes: Buffer; decoder: SnapshotResponseDecoder } {
  const got: Buffer[] = [];
  const decoder = new SnapshotResponseDecoder((b) => got.push(Buffer.from(b)));
  for (const c of input) decoder.push(c);
  return { bytes: Buffer.concat(got), decoder };
}

describe('SnapshotResponseDecoder', () => {
  const snapshot = withTrailer(crypto.randomBytes(100_000));
  const wire = Buffer.concat(framesOf(snapshot, 7000));

  test('one buffer, every split point of the first 600 bytes, and 1-byte pieces: the same bytes', () => {
    const whole = decodeAll([wire]);
    assert.ok(whole.bytes.equals(snapshot));
    assert.ok(whole.decoder.atBoundary);
    assert.equal(whole.decoder.messages, Math.ceil(snapshot.length / 7000));
    assert.equal(whole.decoder.remainingBytes, 0);
    for (let cut = 1; cut < 600; cut++) {
      const r = decodeAll([wire.subarray(0, cut), wire.subarray(cut)]);
      assert.ok(r.bytes.equals(snapshot), `split at ${cut}`);
    }
    const pieces = Array.from({ length: 20_000 }, (_, i) => wire.subarray(i, i + 1));
    const r = decodeAll([...pieces, wire.subarray(20_000)]);
    assert.ok(r.bytes.equals(snapshot));
  });

  test('a cut inside a message is not a boundary; an empty message is', () => {
    assert.equal(decodeAll([wire.subarray(0, wire.length - 10)]).decoder.atBoundary, false);
    assert.equal(decodeAll([wire.subarray(0, 3)]).decoder.atBoundary, false);
    assert.equal(decodeAll([Buffer.alloc(5)]).decoder.atBoundary, true);
  });

  test('malformed input: compressed flag, bad wire type, a field past its message, a blob that is not bytes, field 0', () => {
    const cases: Array<[string, Buffer]> = [
      ['compressed', Buffer.from([1, 0, 0, 0, 2, 0x10, 0])],
      ['wire type 7', Buffer.from([0, 0, 0, 0, 2, 0x1f, 0])],
      ['past the end', Buffer.from([0, 0, 0, 0, 3, 0x1a, 5, 0])],
      ['blob as varint', Buffer.from([0, 0, 0, 0, 2, 0x18, 1])],
      ['field 0', Buffer.from([0, 0, 0, 0, 2, 0x00, 1])],
      ['tag at the end', Buffer.from([0, 0, 0, 0, 1, 0x10])],
      ['varint too long', Buffer.from([0, 0, 0, 0, 12, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])],
    ];
    for (const [what, bytes] of cases) {
      assert.throws(() => decodeAll([bytes]), (e: unknown) => e instanceof SnapshotStreamError && e.code === 13, what);
    }
  });

  test('grpc-timeout keeps to 8 digits', () => {
    assert.equal(grpcTimeout(60_000), '60000m');
    assert.equal(grpcTimeout(99_999_999), '99999999m');
    assert.equal(grpcTimeout(100_000_000), '100000S');
    assert.equal(grpcTimeout(1e12), '277778H');
  });
});

type Behaviour = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;

/** A fake etcd gRPC endpoint (h2c) whose answer to Snapshot is `behaviour`. */
class FakeEtcd {
  private server = http2.createServer();
  behaviour: Behaviour = () => undefined;
  lastHeaders?: http2.IncomingHttpHeaders;
  sessions = new Set<http2.ServerHttp2Session>();
  url = '';

  async start(): Promise<void> {
    this.server.on('session', (s) => {
      this.sessions.add(s);
      s.on('close', () => this.sessions.delete(s));
    });
    this.server.on('stream', (stream, headers) => {
      this.lastHeaders = headers;
      stream.on('error', () => undefined);
      // Read the request body (the 5-byte empty request) before answering, as a server does.
      stream.resume();
      this.behaviour(stream, headers);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sessions) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function answer(frames: Buffer[], end: 'ok' | { status: number; message: string } | 'none' | 'reset' | 'destroy-session' = 'ok'): Behaviour {
  return (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: end !== 'none' && end !== 'reset' && end !== 'destroy-session' });
    stream.on('wantTrailers', () => {
      if (end === 'ok') stream.sendTrailers({ 'grpc-status': '0' });
      else if (typeof end === 'object') stream.sendTrailers({ 'grpc-status': String(end.status), 'grpc-message': encodeURIComponent(end.message) });
    });
    for (const f of frames) stream.write(f);
    if (end === 'reset') stream.write(Buffer.alloc(0), () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    else if (end === 'destroy-session') stream.write(Buffer.alloc(0), () => stream.session?.destroy());
    else stream.end();
  };
}

describe('openRawSnapshotStream against a fake gRPC server', () => {
  const fake = new FakeEtcd();
  let dir: string;
  const snapshot = fs.readFileSync(FIXTURE);

  before(async () => {
    await fake.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-rawsnap-'));
  });
  after(async () => {
    await fake.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function save(name: string, opts: { token?: string } = {}): Promise<unknown> {
    const file = path.join(dir, name);
    try {
      const stream = await openRawSnapshotStream({ url: fake.url, timeoutMs: 10_000, ...opts });
      return await saveSnapshot({ stream, file });
    } catch (error) {
      assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith(name)), [], 'no file left behind');
      return error;
    }
  }

  test('a whole stream: the file equals the snapshot; the request carries the gRPC headers and the token', async () => {
    fake.behaviour = answer(framesOf(snapshot));
    const saved = await save('ok.db', { token: 'tok.123' });
    assert.ok(!(saved instanceof Error), String(saved));
    assert.ok(fs.readFileSync(path.join(dir, 'ok.db')).equals(snapshot));
    const h = fake.lastHeaders ?? {};
    assert.deepEqual([h[':method'], h[':path'], h['content-type'], h.te, h.token], ['POST', '/etcdserverpb.Maintenance/Snapshot', 'application/grpc', 'trailers', 'tok.123']);
    assert.match(String(h['grpc-timeout']), /^\d{1,8}m$/);
  });

  test('a snapshot of many chunks: saveSnapshot hands written chunks back and they are filled again; the file is exact', async () => {
    // Not a valid bbolt file: the read-back refuses it after the stream, so check what was received through a plain sink too.
    const big = withTrailer(crypto.randomBytes((5 << 20) + 12345));
    fake.behaviour = answer(framesOf(big));
    const stream = (await openRawSnapshotStream({ url: fake.url, timeoutMs: 30_000 })) as RecyclingReadable;
    const seen = new Set<ArrayBufferLike>();
    let reused = 0;
    const got: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => {
      if (seen.has(chunk.buffer)) reused++;
      seen.add(chunk.buffer);
      got.push(Buffer.from(chunk));
      // Handed back at once, as the file sink does after writing: the next chunk may reuse it.
      stream.recycle(chunk);
    });
    await new Promise<void>((resolve, reject) => stream.once('end', resolve).once('error', reject));
    assert.ok(Buffer.concat(got).equals(big));
    assert.ok(reused > 0, 'no chunk was reused');

    // Through saveSnapshot (recycling after each write): the sha256 over what arrived matches the trailer.
    fake.behaviour = answer(framesOf(big));
    const e = await save('big.db');
    assert.ok(e instanceof SnapshotSaveError && e.kind === 'verify', String(e));
  });

  test('a changed byte in a blob: sha256 mismatch, nothing kept', async () => {
    const bad = Buffer.from(snapshot);
    bad[5000] ^= 0xff;
    fake.behaviour = answer(framesOf(bad));
    const e = await save('flipped.db');
    assert.ok(e instanceof SnapshotSaveError && e.kind === 'sha256', String(e));
  });

  test('status OK after half the messages: the stream was cut (short / stream error), nothing kept', async () => {
    const frames = framesOf(snapshot, 4096);
    assert.ok(frames.length > 4);
    fake.behaviour = answer(frames.slice(0, 2));
    const e = await save('half.db');
    assert.ok(e instanceof SnapshotSaveError, String(e));
    assert.ok(['sha256', 'short', 'verify'].includes(e.kind), `${e.kind}: ${e.message}`);
  });

  test('status OK inside a message: "cut off"', async () => {
    const wire = Buffer.concat(framesOf(snapshot));
    fake.behaviour = answer([wire.subarray(0, wire.length - 100)]);
    const e = await save('cut.db');
    assert.ok(e instanceof SnapshotSaveError && e.kind === 'stream', String(e));
    assert.match(e.message, /ended inside a message \(cut off\)/);
  });

  test('no trailers at all, a reset stream, a dropped connection: stream errors, nothing kept', async () => {
    const first = framesOf(snapshot, 4096).slice(0, 2);
    for (const [end, re] of [['none', /without a gRPC status/], ['reset', /without a gRPC status|RST_STREAM/], ['destroy-session', /Connection dropped|RST_STREAM|without a gRPC status/]] as const) {
      fake.behaviour = answer(first, end);
      const e = await save(`end-${end}.db`);
      assert.ok(e instanceof SnapshotSaveError && e.kind === 'stream', `${end}: ${String(e)}`);
      assert.match(e.message, re, end);
    }
  });

  test('a malformed frame after good data: INTERNAL, nothing kept', async () => {
    fake.behaviour = answer([...framesOf(snapshot, 4096).slice(0, 2), Buffer.from([0, 0, 0, 0, 2, 0x1f, 0])]);
    const e = await save('malformed.db');
    assert.ok(e instanceof SnapshotSaveError && e.kind === 'stream', String(e));
    assert.match(e.message, /13 INTERNAL: wire type 7/);
  });

  test('an error status: trailers-only rejects before any byte; after data it breaks the stream; messages classify as grpc-js ones do', async () => {
    fake.behaviour = (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '3', 'grpc-message': encodeURIComponent('etcdserver: user name is empty') }, { endStream: true });
    };
    const early = await openRawSnapshotStream({ url: fake.url, timeoutMs: 5000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(early instanceof SnapshotStreamError, String(early));
    assert.equal(early.message, '3 INVALID_ARGUMENT: etcdserver: user name is empty');
    assert.equal(classifyError(early).kind, 'auth');

    fake.behaviour = answer(framesOf(snapshot, 4096).slice(0, 2), { status: 14, message: 'etcdserver: server stopped' });
    const late = await save('late-error.db');
    assert.ok(late instanceof SnapshotSaveError && late.kind === 'stream', String(late));
    assert.match(late.message, /14 UNAVAILABLE: etcdserver: server stopped/);
  });

  test('HTTP status other than 200 and a refused connection reject with a clear error', async () => {
    fake.behaviour = (stream) => stream.respond({ ':status': 503 }, { endStream: true });
    const e = await openRawSnapshotStream({ url: fake.url, timeoutMs: 5000 }).then(
      () => undefined,
      (x: unknown) => x,
    );
    assert.ok(e instanceof SnapshotStreamError && e.code === 14, String(e));
    const refused = await openRawSnapshotStream({ url: 'http://127.0.0.1:1', timeoutMs: 5000 }).then(
      () => undefined,
      (x: unknown) => x,
    );
    assert.equal(classifyError(refused).kind, 'unreachable');
    const bad = await openRawSnapshotStream({ url: 'unix:///tmp/x', timeoutMs: 5000 }).then(
      () => undefined,
      (x: unknown) => x,
    );
    assert.ok(bad instanceof SnapshotStreamError && bad.code === 3);
  });

  test('a server that never answers: the deadline ends it (DEADLINE_EXCEEDED, classified as a timeout)', async () => {
    fake.behaviour = () => undefined;
    const e = await openRawSnapshotStream({ url: fake.url, timeoutMs: 300 }).then(
      () => undefined,
      (x: unknown) => x,
    );
    assert.ok(e instanceof SnapshotStreamError && e.code === 4, String(e));
    assert.equal(classifyError(e).kind, 'timeout');
  });

  test('a slow reader holds the server back by flow control: bounded buffering, then every byte arrives', async () => {
    const big = withTrailer(crypto.randomBytes(24 << 20));
    let written = 0;
    fake.behaviour = (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      const frames = framesOf(big);
      let i = 0;
      const pump = () => {
        while (i < frames.length) {
          const f = frames[i++];
          const more = stream.write(f, () => (written += f.length));
          if (!more) return void stream.once('drain', pump);
        }
        stream.end();
      };
      pump();
    };
    const window = 1 << 20;
    const stream = await openRawSnapshotStream({ url: fake.url, timeoutMs: 60_000, windowBytes: window, highWaterMark: 256 << 10 });
    let received = 0;
    let release: (() => void) | undefined;
    const hash = crypto.createHash('sha256');
    const sink = new Writable({
      highWaterMark: 64 << 10,
      write(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        hash.update(chunk);
        // Stop after 2 MiB until the test has looked at the server.
        if (received >= 2 << 20 && !release) {
          release = () => cb();
          return;
        }
        cb();
      },
    });
    const done = pipeline(stream, sink);
    await waitFor(() => release !== undefined, { timeoutMs: 30_000, intervalMs: 5, what: 'the reader to have 2 MiB' });
    // The server cannot get far ahead: the client's window, the readable's and the server's own buffers.
    let last = -1;
    await waitFor(
      () => {
        const still = written === last;
        last = written;
        return still || undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: 'the server to stop writing (held by flow control)' },
    );
    assert.ok(written < received + 8 * window, `server wrote ${written} while the reader had ${received}`);
    assert.ok(written < big.length / 2, `server wrote ${written} of ${big.length}`);
    release?.();
    await done;
    assert.equal(received, big.length);
    assert.equal(hash.digest('hex'), crypto.createHash('sha256').update(big).digest('hex'));
  });
});
