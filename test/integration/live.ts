/** A live monitor for integration tests: the real gateway and poller feeding a fresh store. */
import { createAppStore, type AppStore } from '../../src/store/store.js';
import { EtcdGateway } from '../../src/cluster/etcd-gateway.js';
import { Poller } from '../../src/monitor/poller.js';
import type { ConnectionSettings } from '../../src/domain/config.js';
import { deadlinesFor } from '../../src/cli/deadlines.js';
import { connectionInfo } from '../../src/monitor/session.js';
import type { TestCluster } from '../harness/cluster.js';

export function settingsFor(cluster: TestCluster, overrides: Partial<ConnectionSettings> = {}): ConnectionSettings {
  return {
    contextName: 'test',
    endpoints: cluster.endpoints,
    tls: cluster.tls ? { cacert: cluster.tls.caCert, cert: cluster.tls.clientCert, key: cluster.tls.clientKey } : {},
    dialTimeoutMs: 1000,
    commandTimeoutMs: 5000,
    refreshMs: 250,
    readOnly: false,
    ...overrides,
  };
}

export interface Live {
  store: AppStore;
  gateway: EtcdGateway;
  poller: Poller;
  stop(): void;
}

export function startLive(settings: ConnectionSettings): Live {
  const store = createAppStore({ connection: connectionInfo(settings) });
  const gateway = new EtcdGateway(settings, deadlinesFor(settings));
  const poller = new Poller(gateway, (batch) => store.getState().applyBatch(batch), settings.refreshMs);
  poller.start();
  return {
    store,
    gateway,
    poller,
    stop() {
      poller.stop();
      gateway.close();
    },
  };
}

/** Member name -> decimal ID from the live view. */
export function idsByName(store: AppStore): Map<string, string> {
  return new Map(store.getState().view.members.map((m) => [m.name, m.id]));
}
