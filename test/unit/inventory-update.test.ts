/**
 * config set's rewrite of the contexts file (src/cli/inventory-update.ts): the context's etcd settings
 * get the new values (comments, other contexts and other keys kept), log-level goes to each host's env,
 * a context-level quota follows; the old file is kept as a backup that is never overwritten; a run on
 * some hosts only leaves the file alone and says why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { applyConfig, parseConfigArgs, type ConfigAssignment } from '../../src/plans/config-change.js';
import { configSetInventory, updatedContextsText, writeContextSettings } from '../../src/cli/inventory-update.js';
import { parseContextsFile } from '../../src/cli/contexts.js';
import { loadInventory } from '../../src/cli/bootstrap-context.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const FILE = `# the team's contexts
current: prod
contexts:
  - name: staging
    endpoints: [https://10.0.1.1:2379]
  - name: prod
    quota: 256MiB
    ssh: { user: root, agent: false }
    etcd:
      # keep the quota small
      quota: 256MiB
      heartbeatInterval: 100
      electionTimeout: 1000
    hosts:
      - { name: p1, address: 10.0.0.1 }
      - name: p2
        address: 10.0.0.2
        env: { ETCD_LOG_LEVEL: warn }
`;

function assignments(words: string[]): ConfigAssignment[] {
  const p = parseConfigArgs(words);
  if ('refusal' in p) throw new Error(p.refusal);
  return p.assignments;
}

function withFile<T>(text: string, use: (path: string, dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-inv-'));
  try {
    const path = join(dir, 'contexts.yaml');
    writeFileSync(path, text, { mode: 0o640 });
    return use(path, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the context gets the new etcd settings; comments, the other context and the other keys are kept', () => {
  withFile(FILE, (path) => {
    const loaded = loadInventory({ config: path, context: 'prod' } as never, {});
    const asked = assignments(['quota-backend-bytes=512MiB', 'election-timeout=1500', 'log-level=debug']);
    const applied = applyConfig(loaded.inventory.settings, loaded.inventory.hosts, asked);
    assert.ok(!('refusal' in applied));
    const text = updatedContextsText(FILE, path, 'prod', asked, applied.settings);
    assert.match(text, /^# the team's contexts$/m);
    assert.match(text, /# keep the quota small/);
    const doc = YAML.parse(text) as { contexts: Array<Record<string, Any>> };
    assert.deepEqual(doc.contexts[0], { name: 'staging', endpoints: ['https://10.0.1.1:2379'] });
    const prod = doc.contexts[1];
    assert.equal(prod.etcd.quota, 536870912);
    assert.equal(prod.quota, 536870912, 'the context-level quota (the console reads it) follows');
    assert.equal(prod.etcd.electionTimeout, 1500);
    assert.equal(prod.etcd.heartbeatInterval, 100, 'a setting not asked for is unchanged');
    assert.deepEqual(prod.hosts.map((h: { env?: Record<string, string> }) => h.env?.ETCD_LOG_LEVEL), ['debug', 'debug']);
    // It reads back: the inventory now renders what the members run.
    writeFileSync(path, text);
    const again = loadInventory({ config: path, context: 'prod' } as never, {});
    assert.equal(again.inventory.settings.quotaBackendBytes, 536870912);
    assert.equal(again.inventory.settings.electionTimeoutMs, 1500);
    assert.equal(again.inventory.hosts[1].envOverrides.ETCD_LOG_LEVEL, 'debug');
    assert.doesNotThrow(() => parseContextsFile(text, path));
  });
});

test('a context that left the file is a clear error, nothing written', () => {
  withFile(FILE, (path) => {
    assert.throws(() => updatedContextsText(FILE, path, 'gone', assignments(['snapshot-count=5']), {} as never), /context "gone" is not in the file any more/);
  });
});

test('the rewrite keeps the old file as a backup (never overwritten: -2 the second time), with the file mode', () => {
  withFile(FILE, (path, dir) => {
    const loaded = loadInventory({ config: path, context: 'prod' } as never, {});
    const at = new Date('2026-12-03T19:30:00.123Z');
    const asked = assignments(['snapshot-count=20000']);
    const applied = applyConfig(loaded.inventory.settings, loaded.inventory.hosts, asked);
    assert.ok(!('refusal' in applied));
    const first = writeContextSettings(path, 'prod', asked, applied.settings, at);
    assert.equal(first.backup, `${path}.etcd-tui-backup-20261203T193000Z`);
    assert.equal(readFileSync(first.backup, 'utf8'), FILE);
    const second = writeContextSettings(path, 'prod', asked, applied.settings, at);
    assert.equal(second.backup, `${path}.etcd-tui-backup-20261203T193000Z-2`);
    assert.equal(readFileSync(first.backup, 'utf8'), FILE, 'the first backup is untouched');
    assert.equal((YAML.parse(readFileSync(path, 'utf8')) as { contexts: Array<Record<string, Any>> }).contexts[1].etcd.snapshotCount, 20000);
    assert.equal(statSync(path).mode & 0o777, 0o640);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'no temporary file left');
  });
});

test('config set on some hosts only: the contexts file is not changed, and the run says why', () => {
  withFile(FILE, (path) => {
    const loaded = loadInventory({ config: path, context: 'prod' } as never, {});
    const local = configSetInventory(assignments(['snapshot-count=20000']), ['p1']);
    assert.equal(local.problem(loaded), undefined, 'nothing to check: the file is not written');
    const lines = local.after(loaded);
    assert.match(lines.join('\n'), /the contexts file .* is not changed: only p1 took snapshot-count=20000, the other members keep their value/);
    assert.equal(readFileSync(path, 'utf8'), FILE);
    assert.equal(existsSync(`${path}.etcd-tui-backup-`), false);
    const all = configSetInventory(assignments(['snapshot-count=20000']), []);
    assert.equal(all.problem(loaded), undefined, 'a writable directory');
    assert.match(all.after(loaded).join('\n'), /context "prod" in .* now has snapshot-count=20000 \(the old file kept as .*etcd-tui-backup-/);
    const missingDir = { ...loaded, path: join(path, 'nowhere', 'contexts.yaml') };
    assert.match(all.problem(missingDir) ?? '', /the contexts file .* cannot be written/);
  });
});
