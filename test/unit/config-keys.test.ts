/**
 * The table of settings `config set` knows (src/plans/config-change.ts CONFIG_KEYS), key by key: its
 * env variable, whether all members must agree, its gauge, what it expects, what a good value sets
 * (a setting, or an env override) and the words of a refusal, for each kind (size, milliseconds,
 * one of a few words, count, retention).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIG_KEYS, type ConfigKey } from '../../src/plans/config-change.js';
import { DEFAULT_ETCD_SETTINGS, type EtcdSettings } from '../../src/domain/hosts.js';

function key(name: string): ConfigKey {
  const k = CONFIG_KEYS.find((x) => x.key === name);
  assert.ok(k, name);
  return k;
}

/** What a value does: the settings that changed and the overrides, or the refusal. */
function applied(name: string, value: string): { changed: Partial<EtcdSettings>; overrides: Record<string, string> } | { refusal: string } {
  const settings: EtcdSettings = { ...DEFAULT_ETCD_SETTINGS };
  const overrides: Record<string, string> = {};
  const why = key(name).apply(value, settings, overrides);
  if (why !== undefined) return { refusal: why };
  const changed = Object.fromEntries(Object.entries(settings).filter(([k, v]) => v !== (DEFAULT_ETCD_SETTINGS as unknown as Record<string, unknown>)[k]));
  return { changed, overrides };
}

test('each key: its env variable, agreement, gauge and what it expects, in the order the help lists them', () => {
  assert.deepEqual(
    CONFIG_KEYS.map((k) => [k.key, k.env, k.equalOnAll ?? false, k.metric ?? '', k.expects]),
    [
      ['quota-backend-bytes', 'ETCD_QUOTA_BACKEND_BYTES', false, 'etcd_server_quota_backend_bytes', 'a size (8GB, 512MiB, 8589934592)'],
      ['auto-compaction-mode', 'ETCD_AUTO_COMPACTION_MODE', false, '', 'periodic or revision'],
      ['auto-compaction-retention', 'ETCD_AUTO_COMPACTION_RETENTION', false, '', 'hours ("8") or a duration ("30m") in periodic mode, a number of revisions in revision mode'],
      ['snapshot-count', 'ETCD_SNAPSHOT_COUNT', false, '', 'a whole number of at least 1'],
      ['max-request-bytes', 'ETCD_MAX_REQUEST_BYTES', false, '', 'a size (1.5MB, 1572864)'],
      ['heartbeat-interval', 'ETCD_HEARTBEAT_INTERVAL', true, '', 'milliseconds, a whole number (100)'],
      ['election-timeout', 'ETCD_ELECTION_TIMEOUT', true, '', 'milliseconds, a whole number (1000)'],
      ['metrics', 'ETCD_METRICS', false, '', 'basic or extensive'],
      ['log-level', 'ETCD_LOG_LEVEL', false, '', 'debug, info, warn, error, panic, fatal'],
    ],
  );
});

test('sizes: decimal and binary units to bytes; not a size, or above the quota limit, refused', () => {
  assert.deepEqual(applied('quota-backend-bytes', '8GB'), { changed: { quotaBackendBytes: 8e9 }, overrides: {} });
  assert.deepEqual(applied('quota-backend-bytes', '512MiB'), { changed: { quotaBackendBytes: 536870912 }, overrides: {} });
  assert.deepEqual(applied('quota-backend-bytes', '100GB'), { changed: { quotaBackendBytes: 100e9 }, overrides: {} });
  assert.deepEqual(applied('quota-backend-bytes', '101GB'), { refusal: 'is more than 100 GB (etcd recommends at most 8 GB)' });
  assert.deepEqual(applied('quota-backend-bytes', 'big'), { refusal: 'is not a size' });
  assert.deepEqual(applied('max-request-bytes', '1.5MB'), { changed: { maxRequestBytes: 1.5e6 }, overrides: {} });
  assert.deepEqual(applied('max-request-bytes', '200GB'), { changed: { maxRequestBytes: 200e9 }, overrides: {} }, 'no upper limit here');
  assert.deepEqual(applied('max-request-bytes', '0'), { refusal: 'is not a size' });
});

test('milliseconds: whole numbers from 1 to the key\'s limit', () => {
  assert.deepEqual(applied('heartbeat-interval', '300'), { changed: { heartbeatIntervalMs: 300 }, overrides: {} });
  assert.deepEqual(applied('heartbeat-interval', '60000'), { changed: { heartbeatIntervalMs: 60000 }, overrides: {} });
  assert.deepEqual(applied('heartbeat-interval', '60001'), { refusal: 'is not a whole number of milliseconds from 1 to 60000' });
  assert.deepEqual(applied('heartbeat-interval', '0'), { refusal: 'is not a whole number of milliseconds from 1 to 60000' });
  assert.deepEqual(applied('election-timeout', '4000'), { changed: { electionTimeoutMs: 4000 }, overrides: {} });
  assert.deepEqual(applied('election-timeout', '50001'), { refusal: 'is not a whole number of milliseconds from 1 to 50000' });
  assert.deepEqual(applied('election-timeout', '1.5'), { refusal: 'is not a whole number of milliseconds from 1 to 50000' });
});

test('one of a few words: a setting, or the log level as an env override', () => {
  assert.deepEqual(applied('auto-compaction-mode', 'revision'), { changed: { autoCompactionMode: 'revision' }, overrides: {} });
  assert.deepEqual(applied('auto-compaction-mode', 'hourly'), { refusal: 'is neither periodic nor revision' });
  assert.deepEqual(applied('metrics', 'extensive'), { changed: { metrics: 'extensive' }, overrides: {} });
  assert.deepEqual(applied('metrics', 'Basic'), { refusal: 'is neither basic nor extensive' });
  assert.deepEqual(applied('log-level', 'debug'), { changed: {}, overrides: { ETCD_LOG_LEVEL: 'debug' } });
  assert.deepEqual(applied('log-level', 'loud'), { refusal: 'is not one of debug, info, warn, error, panic, fatal' });
});

test('a count and a retention', () => {
  assert.deepEqual(applied('snapshot-count', '50000'), { changed: { snapshotCount: 50000 }, overrides: {} });
  assert.deepEqual(applied('snapshot-count', '0'), { refusal: 'is not a whole number of at least 1' });
  assert.deepEqual(applied('auto-compaction-retention', '30m'), { changed: { autoCompactionRetention: '30m' }, overrides: {} });
  assert.deepEqual(applied('auto-compaction-retention', '8 h'), { refusal: 'is not a retention' });
});
