/**
 * The inventory's metrics URL (etcd's --listen-metrics-urls as the bastion reaches it): parsed from
 * a host's `metricsUrl` or derived from a wildcard listenMetricsUrls, carried into the connection
 * settings, and used by the scraper for that member (the client URL for the others).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInventory } from '../../src/cli/inventory.js';
import { resolveSettings } from '../../src/cli/config.js';
import { parseArgs } from '../../src/cli/args.js';
import { parseContextsFile } from '../../src/cli/contexts.js';
import { ConfigError } from '../../src/domain/errors.js';
import { MetricsScraper, inventoryMetricsURL } from '../../src/monitor/metrics.js';
import type { InspectGateway } from '../../src/cluster/gateway.js';
import type { Member } from '../../src/domain/types.js';

const ENV = { path: '/etc/etcd-tui/contexts.yaml', home: '/home/op', exists: () => false };

function hosts(extra: Record<string, unknown> = {}, h1: Record<string, unknown> = {}) {
  const inv = parseInventory({ etcd: { ...extra }, hosts: [{ name: 'etcd-1', address: '10.9.0.11', ...h1 }, { name: 'etcd-2', address: '10.9.0.12' }] }, 'ctx', ENV);
  assert.ok(inv);
  return inv.hosts;
}

test('a host metricsUrl is kept for that host only; none by default', () => {
  const [h1, h2] = hosts({}, { metricsUrl: 'http://10.9.0.11:2381/' });
  assert.equal(h1.metricsURL, 'http://10.9.0.11:2381');
  assert.equal(h2.metricsURL, undefined);
  assert.deepEqual(hosts().map((h) => h.metricsURL), [undefined, undefined]);
});

test('listenMetricsUrls on every address gives each host its own URL; a loopback one gives none', () => {
  assert.deepEqual(hosts({ listenMetricsUrls: 'http://0.0.0.0:2381' }).map((h) => h.metricsURL), ['http://10.9.0.11:2381', 'http://10.9.0.12:2381']);
  assert.deepEqual(hosts({ listenMetricsUrls: 'http://127.0.0.1:2381' }).map((h) => h.metricsURL), [undefined, undefined]);
  // The host's own metricsUrl wins over the derived one.
  assert.deepEqual(hosts({ listenMetricsUrls: 'http://0.0.0.0:2381' }, { metricsUrl: 'https://10.9.0.11:9000' }).map((h) => h.metricsURL), ['https://10.9.0.11:9000', 'http://10.9.0.12:2381']);
});

test('a bad metricsUrl is one line naming the host, and nothing is parsed', () => {
  for (const bad of ['10.9.0.11:2381', 'ftp://10.9.0.11:2381', 'http://10.9.0.11', 'http://u:p@10.9.0.11:2381', 'http://10.9.0.11:2381/?x=1']) {
    assert.throws(
      () => hosts({}, { metricsUrl: bad }),
      (e: unknown) => e instanceof ConfigError && /host "etcd-1": metricsUrl must be a URL like/.test(e.message) && !e.message.includes('\n'),
      bad,
    );
  }
});

test('the context carries the metrics URLs into the connection settings', async () => {
  const path = '/root/.config/etcd-tui/contexts.yaml';
  const file = parseContextsFile(
    ['current: prod', 'contexts:', '  - name: prod', '    hosts:', '      - { name: etcd-1, address: 10.9.0.11, metricsUrl: "http://10.9.0.11:2381" }', '      - { name: etcd-2, address: 10.9.0.12 }', ''].join('\n'),
    path,
  );
  const { settings } = await resolveSettings({ flags: parseArgs([]).flags, env: {}, fileExists: () => true, contexts: { path, file } });
  assert.deepEqual(settings.metricsURLs, [{ name: 'etcd-1', clientURL: 'https://10.9.0.11:2379', metricsURL: 'http://10.9.0.11:2381' }]);
  const plain = await resolveSettings({ flags: parseArgs(['--endpoints', 'http://10.9.0.11:2379']).flags, env: {}, fileExists: () => true });
  assert.equal(plain.settings.metricsURLs, undefined);
});

const member = (id: string, name: string, clientURL?: string): Member => ({ id, name, peerURLs: [], clientURLs: clientURL ? [clientURL] : [], isLearner: false });

test('the scraper asks the inventory URL for the members it names, the client URL for the others', async () => {
  const asked: string[] = [];
  const gateway = {
    metrics: async (url: string) => {
      asked.push(url);
      return 'process_resident_memory_bytes 1e+07\n';
    },
  } as unknown as InspectGateway;
  const targets = [
    { name: 'etcd-1', clientURL: 'https://10.9.0.11:2379', metricsURL: 'http://10.9.0.11:2381' },
    { name: 'etcd-3', clientURL: 'https://10.9.0.13:2379', metricsURL: 'http://10.9.0.13:2381' },
  ];
  const scraper = new MetricsScraper(gateway, 1000, () => 0, inventoryMetricsURL(targets));
  // etcd-3 by its client URL (a member that has not said its name yet), etcd-2 is not in the inventory.
  const round = await scraper.round([member('1', 'etcd-1', 'https://10.9.0.11:2379'), member('2', 'etcd-2', 'https://10.9.0.12:2379'), member('3', '', 'https://10.9.0.13:2379/')]);
  assert.deepEqual(round.errors, {});
  assert.deepEqual(asked.sort(), ['http://10.9.0.11:2381', 'http://10.9.0.13:2381', 'https://10.9.0.12:2379']);
  assert.equal(inventoryMetricsURL(undefined)(member('1', 'etcd-1', 'https://10.9.0.11:2379')), undefined);
});
