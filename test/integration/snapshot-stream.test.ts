/**
 * The snapshot stream over node:http2 (src/cluster/snapshot-stream.ts) against real etcd 3.4 and
 * 3.5, plain (h2c) and with mTLS: the bytes equal `etcdctl snapshot save` of the same revision and
 * the grpc-js path's; with etcd auth on, the gateway's token is sent (no token: "not
 * authenticated"); a wrong CA and http:// against a TLS member fail with a clear error; a member
 * killed mid-stream breaks the save and leaves no file.
 */
import { after, before, describe, test } from '../harness/skip.js';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { etcdSkipReason, type EtcdVersion } from '../harness/binaries.js';
import { EtcdGateway } from '../../src/cluster/etcd-gateway.js';
import { openRawSnapshotStream } from '../../src/cluster/snapshot-stream.js';
import { ClusterError } from '../../src/domain/errors.js';
import type { ConnectionSettings } from '../../src/domain/config.js';
import { saveSnapshot, SnapshotSaveError } from '../../src/run/snapshot-save.js';
import { snapshotStatus } from '../../src/snapshot/status.js';
import { waitFor } from '../harness/wait.js';

const PASSWORD = 'Raw-5e2a-pw';

function settings(cluster: TestCluster, opts: { user?: boolean; tls?: Partial<ConnectionSettings['tls']>; endpoint?: string } = {}): ConnectionSettings {
  const t = cluster.tls;
  return {
    contextName: 't',
    endpoints: [opts.endpoint ?? cluster.endpoints[0]],
    tls: opts.tls ?? (t ? { cacert: t.caCert, cert: t.clientCert, key: t.clientKey } : {}),
    ...(opts.user ? { user: 'root', password: PASSWORD } : {}),
    dialTimeoutMs: 2000,
    commandTimeoutMs: 5000,
    refreshMs: 1000,
    readOnly: false,
  };
}

const DEADLINES = { statusMs: 5000, commandMs: 5000, longMs: 60_000 };

async function writeKeys(cluster: TestCluster, count: number, valueBytes = 100): Promise<void> {
  const t = cluster.tls;
  const c = new Etcd3({
    hosts: cluster.endpoints,
    faultHandling: { host: () => noop, global: noop },
    defaultCallOptions: () => ({ deadline: Date.now() + 30_000 }),
    ...(t ? { credentials: { rootCertificate: fs.readFileSync(t.caCert), certChain: fs.readFileSync(t.clientCert), privateKey: fs.readFileSync(t.clientKey) } } : {}),
  });
  try {
    const value = Buffer.alloc(valueBytes, 7);
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        await c.put(`/raw/${String(i).padStart(6, '0')}`).value(value);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  } finally {
    c.close();
  }
}

async function saveWith(gateway: EtcdGateway, url: string, file: string): Promise<unknown> {
  try {
    const stream = await gateway.snapshot(url, 30_000);
    return await saveSnapshot({ stream, file });
  } catch (error) {
    return error;
  }
}

for (const version of ['3.4', '3.5'] as EtcdVersion[]) {
  for (const tls of [false, true]) {
    describe(`raw snapshot stream against etcd ${version}${tls ? ' with mTLS' : ' (h2c)'}`, { skip: etcdSkipReason(version), timeout: 180_000 }, () => {
      let cluster: TestCluster;
      let dir: string;

      before(async () => {
        cluster = await startCluster({ members: 1, version, tls });
        dir = fs.mkdtempSync(path.join(os.tmpdir(), `etcd-tui-rawsnap-it-${version}-`));
        await writeKeys(cluster, 600);
      });
      after(async () => {
        await cluster?.stop();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
      });

      test('the file equals etcdctl snapshot save of the same revision and the grpc-js path\'s', async () => {
        const url = cluster.endpoints[0];
        const gateway = new EtcdGateway(settings(cluster), DEADLINES);
        try {
          const raw = path.join(dir, 'raw.db');
          const viaGrpc = path.join(dir, 'grpc.db');
          const theirs = path.join(dir, 'etcdctl.db');
          const saved = await saveWith(gateway, url, raw);
          assert.ok(!(saved instanceof Error), String(saved));
          process.env.ETCD_TUI_SNAPSHOT_CLIENT = 'grpc-js';
          let other: unknown;
          try {
            other = await saveWith(gateway, url, viaGrpc);
          } finally {
            delete process.env.ETCD_TUI_SNAPSHOT_CLIENT;
          }
          assert.ok(!(other instanceof Error), String(other));
          const e = await cluster.etcdctl(['--endpoints', url, 'snapshot', 'save', theirs], { timeoutMs: 60_000 });
          assert.equal(e.code, 0, e.stderr);
          // The same database: size, revision, keys and etcdutl's hash (3.5 may rewrite a meta page between two snapshots).
          const [a, b, c] = [await snapshotStatus(raw), await snapshotStatus(viaGrpc), await snapshotStatus(theirs)];
          const numbers = (x: typeof a) => ({ fileSize: x.fileSize, hash: x.hash, revision: x.revision, totalKey: x.totalKey });
          assert.deepEqual(numbers(a), numbers(b));
          assert.deepEqual(numbers(a), numbers(c));
          assert.ok(a.sha256.ok);
          assert.equal(fs.statSync(raw).mode & 0o777, 0o600);
        } finally {
          gateway.close();
        }
      });

      if (tls) {
        test('a CA that did not sign the member: a TLS error; http:// against the TLS member: a clear error; nothing saved', async () => {
          const t = cluster.tls;
          assert.ok(t);
          const url = cluster.endpoints[0];
          const wrongCa = new EtcdGateway(settings(cluster, { tls: { cacert: t.otherCaCert, cert: t.clientCert, key: t.clientKey } }), DEADLINES);
          try {
            const e = await saveWith(wrongCa, url, path.join(dir, 'wrong-ca.db'));
            assert.ok(e instanceof SnapshotSaveError && e.cause instanceof ClusterError && e.cause.kind === 'tls', String(e));
          } finally {
            wrongCa.close();
          }
          const plainURL = url.replace(/^https:/, 'http:');
          const plain = new EtcdGateway(settings(cluster, { endpoint: plainURL }), DEADLINES);
          try {
            const e = await saveWith(plain, plainURL, path.join(dir, 'plain.db'));
            assert.ok(e instanceof SnapshotSaveError && e.cause instanceof ClusterError, String(e));
            assert.match(e.message, /https/);
          } finally {
            plain.close();
          }
          assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('wrong-ca') || f.startsWith('plain')), []);
        });
      }

      test('with etcd auth on: the token is sent (user root saves); without a user: not authenticated, nothing saved (with mTLS the certificate CN is the user)', async () => {
        for (const args of [['user', 'add', `root:${PASSWORD}`], ['user', 'grant-role', 'root', 'root'], ['auth', 'enable']]) {
          const r = await cluster.etcdctl(args);
          assert.equal(r.code, 0, `etcdctl ${args.join(' ')}: ${r.stderr}`);
        }
        const url = cluster.endpoints[0];
        const withUser = new EtcdGateway(settings(cluster, { user: true }), DEADLINES);
        const without = new EtcdGateway(settings(cluster), DEADLINES);
        try {
          const file = path.join(dir, 'auth.db');
          const saved = await saveWith(withUser, url, file);
          assert.ok(!(saved instanceof Error), String(saved));
          assert.ok((await snapshotStatus(file)).sha256.ok);
          const denied = await saveWith(without, url, path.join(dir, 'denied.db'));
          if (tls) {
            // With client-cert-auth, etcd takes the certificate's CN (root) as the user: no token needed.
            assert.ok(!(denied instanceof Error), String(denied));
          } else {
            assert.ok(denied instanceof SnapshotSaveError && denied.cause instanceof ClusterError && denied.cause.kind === 'auth', String(denied));
            assert.match(denied.message, /not authenticated/);
            assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('denied')), []);
          }
        } finally {
          withUser.close();
          without.close();
        }
        // Back to no auth for the next test (root may disable it).
        const off = await cluster.etcdctl(['--user', `root:${PASSWORD}`, 'auth', 'disable']);
        assert.equal(off.code, 0, off.stderr);
      });

      if (!tls && version === '3.4') {
        test('the member killed mid-stream: a stream error, no FILE and no FILE.part', async (t) => {
          await writeKeys(cluster, 400, 256 * 1024);
          const file = path.join(dir, 'killed.db');
          const stream = await openRawSnapshotStream({ url: cluster.endpoints[0], timeoutMs: 60_000 });
          let killedAt = 0;
          let killing: Promise<unknown> | undefined;
          const error = await saveSnapshot({
            stream,
            file,
            progressIntervalMs: 0,
            onProgress: (bytes) => {
              if (killedAt === 0) {
                killedAt = bytes;
                killing = cluster.kill('m1', 'SIGKILL');
              }
            },
          }).then(
            () => undefined,
            (e: unknown) => e,
          );
          await killing;
          t.diagnostic(`killed after ${killedAt} bytes: ${String(error)}`);
          assert.ok(killedAt > 0);
          assert.ok(error instanceof SnapshotSaveError && error.kind === 'stream', String(error));
          assert.match(error.message, /Connection dropped|RST_STREAM|without a gRPC status|ECONNRESET/);
          assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('killed')), []);
        });
      }
    });
  }
}

describe('raw snapshot stream with an expired auth token (etcd 3.4, --auth-token-ttl 1)', { skip: etcdSkipReason('3.4'), timeout: 120_000 }, () => {
  let cluster: TestCluster;
  let dir: string;

  before(async () => {
    cluster = await startCluster({ members: 1, version: '3.4', extraArgs: ['--auth-token-ttl', '1'] });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-rawsnap-ttl-'));
    await writeKeys(cluster, 100);
    for (const args of [['user', 'add', `root:${PASSWORD}`], ['user', 'grant-role', 'root', 'root'], ['auth', 'enable']]) {
      const r = await cluster.etcdctl(args);
      assert.equal(r.code, 0, `etcdctl ${args.join(' ')}: ${r.stderr}`);
    }
  });
  after(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the gateway authenticates again once and saves', async () => {
    const url = cluster.endpoints[0];
    const gateway = new EtcdGateway(settings(cluster, { user: true }), DEADLINES);
    try {
      await gateway.status(url);
      const pool = ((await gateway.client(url)).maintenance as unknown as { client: { withConnection<T>(s: string, fn: (a: { metadata: { get(k: string): unknown[] } }) => T): Promise<T> } }).client;
      const token = String(await pool.withConnection('Maintenance', ({ metadata }) => metadata.get('token')[0]));
      // The cached token expires 1-2 s after its last use; each try uses it, so try less often than that.
      await waitFor(
        async () => {
          try {
            const s = await openRawSnapshotStream({ url, timeoutMs: 5000, token });
            s.destroy();
            return undefined;
          } catch (error) {
            return /invalid auth token/.test(String(error)) ? true : undefined;
          }
        },
        { timeoutMs: 60_000, intervalMs: 2500, what: 'the cached auth token to expire' },
      );
      const file = path.join(dir, 'ttl.db');
      const saved = await saveWith(gateway, url, file);
      assert.ok(!(saved instanceof Error), String(saved));
      assert.ok((await snapshotStatus(file)).sha256.ok);
    } finally {
      gateway.close();
    }
  });
});
