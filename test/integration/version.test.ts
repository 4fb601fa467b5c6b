/**
 * The versions the console shows, read from real members: each member's server version (status)
 * and the cluster version (etcd's /version "etcdcluster"), over plain HTTP and over mTLS.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { EtcdGateway } from '../../src/cluster/etcd-gateway.js';
import { collectStatus } from '../../src/monitor/observe.js';
import { DEFAULT_HEALTH_OPTIONS } from '../../src/domain/types.js';
import type { ConnectionSettings } from '../../src/domain/config.js';

const deadlines = { statusMs: 3000, commandMs: 5000, longMs: 60_000 };

function settings(cluster: TestCluster, tls = true): ConnectionSettings {
  const files = cluster.tls && tls ? { cacert: cluster.tls.caCert, cert: cluster.tls.clientCert, key: cluster.tls.clientKey } : {};
  return { contextName: 't', endpoints: cluster.endpoints, tls: files, dialTimeoutMs: 2000, commandTimeoutMs: 5000, refreshMs: 1000, readOnly: false };
}

describe('versions from real members', () => {
  const clusters: TestCluster[] = [];
  after(async () => {
    for (const c of clusters) await c.stop();
  });

  test('etcd 3.4 over HTTP: 3.4.23, cluster version 3.4.0, in the view and its verdict', async () => {
    const cluster = await startCluster({ members: 3, version: '3.4' });
    clusters.push(cluster);
    const gateway = new EtcdGateway(settings(cluster), deadlines);
    try {
      assert.deepEqual(await gateway.version(cluster.endpoints[0]), { server: '3.4.23', cluster: '3.4.0' });
      const view = await collectStatus(gateway, DEFAULT_HEALTH_OPTIONS);
      assert.equal(view.clusterVersion, '3.4.0');
      assert.ok(view.verdict.reasons.some((r) => r.level === 'ok' && r.text === 'every answering member runs etcd 3.4.23 (cluster version 3.4.0)'), view.verdict.reasons.map((r) => r.text).join('\n'));
    } finally {
      gateway.close();
    }
  });

  test('etcd 3.5 with mTLS: read with the client certificate; without it, a clear error and no cluster version', async () => {
    const cluster = await startCluster({ members: 3, version: '3.5', tls: true });
    clusters.push(cluster);
    const gateway = new EtcdGateway(settings(cluster), deadlines);
    const noClientCert = new EtcdGateway({ ...settings(cluster), tls: { cacert: cluster.tls?.caCert } }, deadlines);
    try {
      const v = await gateway.version(cluster.endpoints[0]);
      assert.match(v.server, /^3\.5\.\d+$/);
      assert.equal(v.cluster, '3.5.0');
      await assert.rejects(noClientCert.version(cluster.endpoints[0]), (e: Error & { kind?: string }) => /GET https:\/\/127\.0\.0\.1:\d+\/version: .*certificate required/.test(e.message) && e.kind !== undefined);
    } finally {
      gateway.close();
      noClientCert.close();
    }
  });
});
