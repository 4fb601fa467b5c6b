/**
 * Member status (and, without auth, the member list and the alarms) over etcd's HTTP/JSON gateway
 * (src/cluster/http-status.ts) against real etcd 3.4 and 3.5: the same figures as gRPC's Status and
 * MemberList; calls at once for one member each answered; plaintext and etcd auth on (status needs no token, a
 * learner answers it too); mTLS, and mTLS with auth on (etcd refuses the gateway then: gRPC); a
 * member with `--enable-grpc-gateway=false` falls back to gRPC, decided once; a stopped member is
 * "unreachable", a SIGSTOPped one a timeout within the status deadline, and a member restarted under
 * a kept-alive connection answers again on the next call.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { ETCD_VERSIONS } from '../harness/binaries.js';
import { EtcdGateway } from '../../src/cluster/etcd-gateway.js';
import { deadlinesFor } from '../../src/cli/deadlines.js';
import { ClusterError } from '../../src/domain/errors.js';
import type { MemberStatus } from '../../src/domain/types.js';
import { settingsFor } from './live.js';
import type { ConnectionSettings } from '../../src/domain/config.js';
import type { MemberListResult } from '../../src/cluster/gateway.js';

/** gRPC's Status of the same member, read through the gateway's own etcd3 client. */
async function grpcStatus(gateway: EtcdGateway, url: string): Promise<{ version: string; leader: string; raftTerm: number; memberId: string; clusterId: string; dbSize: number }> {
  const s = await (await gateway.client(url)).maintenance.status();
  return { version: s.version, leader: String(s.leader), raftTerm: Number(s.raftTerm), memberId: String(s.header?.member_id), clusterId: String(s.header?.cluster_id), dbSize: Number(s.dbSize) };
}

/** gRPC's member list through the gateway's own etcd3 client, as the gateway returns it. */
async function grpcMemberList(gateway: EtcdGateway, url: string): Promise<MemberListResult> {
  const res = await (await gateway.client(url)).cluster.memberList({});
  return {
    clusterId: String(res.header?.cluster_id),
    memberId: String(res.header?.member_id),
    members: (res.members ?? []).map((m) => ({ id: String(m.ID), name: m.name ?? '', peerURLs: m.peerURLs ?? [], clientURLs: m.clientURLs ?? [], isLearner: Boolean(m.isLearner) })),
  };
}

function sameFigures(http: MemberStatus, grpc: Awaited<ReturnType<typeof grpcStatus>>): void {
  assert.deepEqual({ version: http.version, leader: http.leader, raftTerm: http.raftTerm, memberId: http.memberId, clusterId: http.clusterId, dbSize: http.dbSize }, grpc);
  assert.ok(http.raftIndex > 0 && http.raftAppliedIndex > 0 && http.revision >= 1, JSON.stringify(http));
  assert.equal(http.isLearner, false);
  assert.deepEqual(http.errors, []);
}

async function withGateway<T>(settings: ConnectionSettings, fn: (gateway: EtcdGateway) => Promise<T>): Promise<T> {
  const gateway = new EtcdGateway(settings, deadlinesFor(settings));
  try {
    return await fn(gateway);
  } finally {
    gateway.close();
  }
}

/** A gateway with the HTTP gateway turned off (ETCD_TUI_STATUS_TRANSPORT=grpc, read when it is made). */
async function withGrpcGateway<T>(settings: ConnectionSettings, fn: (gateway: EtcdGateway) => Promise<T>): Promise<T> {
  const saved = process.env.ETCD_TUI_STATUS_TRANSPORT;
  process.env.ETCD_TUI_STATUS_TRANSPORT = 'grpc';
  let gateway: EtcdGateway;
  try {
    gateway = new EtcdGateway(settings, deadlinesFor(settings));
  } finally {
    if (saved === undefined) delete process.env.ETCD_TUI_STATUS_TRANSPORT;
    else process.env.ETCD_TUI_STATUS_TRANSPORT = saved;
  }
  try {
    return await fn(gateway);
  } finally {
    gateway.close();
  }
}

async function enableAuth(cluster: TestCluster): Promise<void> {
  for (const args of [['user', 'add', 'root:s3cret'], ['user', 'grant-role', 'root', 'root'], ['auth', 'enable']]) {
    const r = await cluster.etcdctl(args);
    assert.equal(r.code, 0, `etcdctl ${args.join(' ')}: ${r.stderr}`);
  }
}

async function kindOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'answered';
  } catch (error) {
    assert.ok(error instanceof ClusterError, String(error));
    return error.kind ?? 'unknown';
  }
}

for (const version of ETCD_VERSIONS) {
  describe(`status over the HTTP gateway, etcd ${version}`, () => {
    test('plaintext: the same figures as gRPC Status, over HTTP; with auth on, no token needed, a learner answers too', async () => {
      const cluster = await startCluster({ members: 1, version });
      try {
        const url = cluster.endpoints[0];
        await withGateway(settingsFor(cluster), async (gateway) => {
          assert.equal(gateway.statusTransport(url), undefined);
          // Without auth the member list goes over the gateway too: the same as gRPC's.
          const list = await gateway.memberList();
          assert.equal(gateway.statusTransport(url), 'http');
          assert.deepEqual(list, await grpcMemberList(gateway, url));
          const http = await gateway.status(url);
          assert.equal(gateway.statusTransport(url), 'http');
          sameFigures(http, await grpcStatus(gateway, url));
          // A write moves the raft index and the revision: the next call sees it (no stale answer on the kept connection).
          const put = await cluster.etcdctl(['put', 'k', 'v']);
          assert.equal(put.code, 0, put.stderr);
          const after = await gateway.status(url);
          assert.ok(after.raftIndex > http.raftIndex && after.revision > http.revision, `${http.raftIndex} -> ${after.raftIndex}`);
          // Calls at once for one member (a flow's round beside the poller's) each get their answer.
          const together = await Promise.all([gateway.status(url), gateway.status(url), gateway.memberList(), gateway.memberList()]);
          assert.ok(together.every((r) => r !== undefined));
          assert.equal((together[1] as MemberStatus).memberId, http.memberId);
        });
        // A learner (added before auth: etcdctl's member add would need the password).
        const { member } = await cluster.addMember({ learner: true });
        await withGateway(settingsFor(cluster), async (gateway) => {
          const list = await gateway.memberList();
          assert.deepEqual(list, await grpcMemberList(gateway, url));
          assert.equal(list.members.find((m) => m.name === member.name)?.isLearner, true);
        });
        await enableAuth(cluster);
        await withGateway(settingsFor(cluster, { user: 'root', password: 's3cret' }), async (gateway) => {
          const http = await gateway.status(url);
          assert.equal(gateway.statusTransport(url), 'http');
          sameFigures(http, await grpcStatus(gateway, url));
          // A learner refuses Authenticate but answers Status: over HTTP with the same settings as the voters.
          const s = await gateway.status(member.clientURL);
          assert.equal(gateway.statusTransport(member.clientURL), 'http');
          assert.equal(s.isLearner, true);
          assert.equal(s.clusterId, http.clusterId);
        });
        // A wrong password still shows where it matters: the member list (gRPC, authenticated).
        await withGateway(settingsFor(cluster, { user: 'root', password: 'wrong' }), async (gateway) => {
          assert.equal(await kindOf(gateway.memberList()), 'auth');
        });
      } finally {
        await cluster.stop();
      }
    });

    test('alarms over HTTP (POST /v3/maintenance/alarm): none, then NOSPACE and CORRUPT armed, as gRPC lists them; with auth on, gRPC', async () => {
      const cluster = await startCluster({ members: 1, version });
      try {
        const url = cluster.endpoints[0];
        await withGateway(settingsFor(cluster), async (gateway) => {
          // The first call to this member: its answer decides the transport.
          assert.deepEqual(await gateway.alarms(), []);
          assert.equal(gateway.statusTransport(url), 'http');
          const { memberId } = await gateway.status(url);
          const client = await gateway.client(url);
          for (const alarm of ['Nospace', 'Corrupt'] as const) await client.maintenance.alarm({ action: 'Activate', memberID: memberId, alarm });
          const byName = (a: { alarm: string }, b: { alarm: string }) => a.alarm.localeCompare(b.alarm);
          const armed = (await gateway.alarms()).sort(byName);
          assert.deepEqual(armed, [
            { memberId, alarm: 'CORRUPT' },
            { memberId, alarm: 'NOSPACE' },
          ]);
          assert.equal(gateway.statusTransport(url), 'http');
          // The gRPC path (forced) gives the same list.
          await withGrpcGateway(settingsFor(cluster), async (grpc) => {
            assert.deepEqual((await grpc.alarms()).sort(byName), armed);
            assert.equal(grpc.statusTransport(url), 'grpc');
          });
          await gateway.alarmDisarm(memberId, 'NOSPACE');
          assert.deepEqual(await gateway.alarms(), [{ memberId, alarm: 'CORRUPT' }]);
          await gateway.alarmDisarm(memberId, 'CORRUPT');
          assert.deepEqual(await gateway.alarms(), []);
        });
        await enableAuth(cluster);
        // With a user the alarms go over gRPC (authenticated): a wrong password tells, as for the member list.
        await withGateway(settingsFor(cluster, { user: 'root', password: 's3cret' }), async (gateway) => {
          assert.deepEqual(await gateway.alarms(), []);
        });
        await withGateway(settingsFor(cluster, { user: 'root', password: 'wrong' }), async (gateway) => {
          assert.equal(await kindOf(gateway.alarms()), 'auth');
        });
      } finally {
        await cluster.stop();
      }
    });

    test('mTLS: status over HTTPS with the CA and client certificate; a CA that does not match is a TLS error; with auth on, gRPC', async () => {
      const cluster = await startCluster({ members: 1, version, tls: true });
      try {
        const url = cluster.endpoints[0];
        assert.match(url, /^https:/);
        await withGateway(settingsFor(cluster), async (gateway) => {
          const http = await gateway.status(url);
          assert.equal(gateway.statusTransport(url), 'http');
          sameFigures(http, await grpcStatus(gateway, url));
        });
        // The client certificate as CA: the server's certificate cannot be verified.
        const tls = cluster.tls!;
        await withGateway(settingsFor(cluster, { tls: { cacert: tls.clientCert, cert: tls.clientCert, key: tls.clientKey } }), async (gateway) => {
          assert.equal(await kindOf(gateway.status(url)), 'tls');
          assert.equal(gateway.statusTransport(url), undefined, 'a failed handshake decides nothing');
        });
        // With auth on, etcd refuses gateway requests that carry a client certificate ("CommonName of
        // client sending a request against gateway will be ignored"): that member goes over gRPC.
        await enableAuth(cluster);
        await withGateway(settingsFor(cluster, { user: 'root', password: 's3cret' }), async (gateway) => {
          const first = await gateway.status(url);
          assert.equal(gateway.statusTransport(url), 'grpc');
          sameFigures(first, await grpcStatus(gateway, url));
        });
      } finally {
        await cluster.stop();
      }
    });

    test('gateway disabled (--enable-grpc-gateway=false): gRPC, decided once, the same figures', async () => {
      const cluster = await startCluster({ members: 1, version, extraArgs: ['--enable-grpc-gateway=false'] });
      try {
        const url = cluster.endpoints[0];
        // The alarm list as the first call: it decides gRPC for this member and answers over gRPC.
        await withGateway(settingsFor(cluster), async (gateway) => {
          assert.deepEqual(await gateway.alarms(), []);
          assert.equal(gateway.statusTransport(url), 'grpc');
        });
        await withGateway(settingsFor(cluster), async (gateway) => {
          assert.deepEqual(await gateway.memberList(), await grpcMemberList(gateway, url));
          assert.equal(gateway.statusTransport(url), 'grpc');
          const first = await gateway.status(url);
          assert.equal(gateway.statusTransport(url), 'grpc');
          sameFigures(first, await grpcStatus(gateway, url));
          const again = await gateway.status(url);
          assert.equal(again.memberId, first.memberId);
          assert.equal(gateway.statusTransport(url), 'grpc');
        });
      } finally {
        await cluster.stop();
      }
    });
  });
}

describe('status over the HTTP gateway when a member fails (etcd 3.4)', () => {
  test('SIGSTOPped: a timeout within the deadline; resumed, restarted and stopped: answers, answers, unreachable', async () => {
    const cluster = await startCluster({ members: 1, version: '3.4' });
    try {
      const member = cluster.members[0];
      const url = member.clientURL;
      const settings = settingsFor(cluster, { dialTimeoutMs: 700 });
      await withGateway(settings, async (gateway) => {
        await gateway.status(url);
        assert.equal(gateway.statusTransport(url), 'http');
        await cluster.pause(member.name);
        try {
          const started = Date.now();
          assert.equal(await kindOf(gateway.status(url)), 'timeout');
          const took = Date.now() - started;
          assert.ok(took >= 600 && took < 5000, `the hung call ended after ${took} ms (deadline 700 ms)`);
        } finally {
          await cluster.resume(member.name);
        }
        // The timed-out connection was dropped (its late answer must not be read as the next one's).
        const resumed = await gateway.status(url);
        assert.equal(resumed.memberId, (await grpcStatus(gateway, url)).memberId);
        // The kept-alive connection is cut by the restart: the next call opens a new one.
        await cluster.kill(member.name, 'SIGTERM');
        await cluster.restart(member.name);
        const restarted = await gateway.status(url);
        assert.ok(restarted.raftTerm >= resumed.raftTerm);
        assert.equal(gateway.statusTransport(url), 'http');
        await cluster.kill(member.name, 'SIGTERM');
        assert.equal(await kindOf(gateway.status(url)), 'unreachable');
        assert.equal(await kindOf(gateway.memberList()), 'unreachable');
        assert.equal(gateway.statusTransport(url), 'http', 'a refused connection decides nothing');
      });
    } finally {
      await cluster.stop();
    }
  });
});

describe('status transport with a proxy in the environment', () => {
  test('https_proxy set: status and member list stay on gRPC (grpc-js honours the proxy, the HTTP client would not)', () => {
    const saved = process.env.https_proxy;
    process.env.https_proxy = 'http://127.0.0.1:9';
    try {
      const settings: ConnectionSettings = { contextName: 'proxy', endpoints: ['http://127.0.0.1:2379'], tls: {}, dialTimeoutMs: 1000, commandTimeoutMs: 5000, refreshMs: 1000, readOnly: false };
      const gateway = new EtcdGateway(settings, deadlinesFor(settings));
      try {
        assert.equal(gateway.statusTransport('http://127.0.0.1:2379'), 'grpc');
      } finally {
        gateway.close();
      }
    } finally {
      if (saved === undefined) delete process.env.https_proxy;
      else process.env.https_proxy = saved;
    }
    const settings: ConnectionSettings = { contextName: 'direct', endpoints: ['http://127.0.0.1:2379'], tls: {}, dialTimeoutMs: 1000, commandTimeoutMs: 5000, refreshMs: 1000, readOnly: false };
    const direct = new EtcdGateway(settings, deadlinesFor(settings));
    try {
      assert.equal(direct.statusTransport('http://127.0.0.1:2379'), undefined, 'without a proxy: decided at the first answer');
    } finally {
      direct.close();
    }
  });
});
