/**
 * The bootstrap commands' edges that need neither root nor a cluster: `bootstrap render` (every
 * host's files for review), an unreachable host in preflight, a host that is not in the inventory,
 * a context without hosts. The built binary, run as a script would.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { runCli, showCli } from '../harness/cli.js';
import { freePort } from '../harness/ports.js';

describe('bootstrap commands without hosts to reach', () => {
  let dir: string;
  let config: string;
  const cli = (args: string[]) => runCli(['--config', config, '--audit-log', join(dir, 'audit.jsonl'), ...args], { timeoutMs: 60_000 });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-bootstrap-cli-'));
    config = join(dir, 'contexts.yaml');
    const closed = await freePort();
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id_ed25519')]);
    writeFileSync(
      config,
      YAML.stringify({
        current: 'lab',
        contexts: [
          {
            name: 'lab',
            ssh: { knownHosts: join(dir, 'known_hosts'), identityFile: join(dir, 'id_ed25519'), agent: false, connectTimeout: '2s' },
            etcd: { heartbeatInterval: 100, electionTimeout: 1000 },
            hosts: [
              { name: 'etcd-1', address: '10.0.0.11' },
              { name: 'etcd-2', address: '10.0.0.12' },
              { name: 'etcd-3', address: '10.0.0.13' },
              { name: 'ghost', address: '127.0.0.1', port: closed, clientPort: 2479, peerPort: 2480 },
            ],
          },
          { name: 'plain', endpoints: ['http://127.0.0.1:2379'] },
        ],
      }),
    );
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('bootstrap render writes every host file for a new cluster, staggered defrag timers; never overwrites', async () => {
    const out = join(dir, 'rendered');
    const r = await cli(['bootstrap', 'render', 'etcd-1', 'etcd-2', 'etcd-3', '--out', out, '--token', 'lab-token']);
    assert.equal(r.code, 0, showCli(r));
    assert.deepEqual(readdirSync(out).sort(), ['etcd-1', 'etcd-2', 'etcd-3']);
    assert.deepEqual(readdirSync(join(out, 'etcd-2')).sort(), ['etcd-defrag.service', 'etcd-defrag.timer', 'etcd.env', 'etcd.service']);
    const env = readFileSync(join(out, 'etcd-2', 'etcd.env'), 'utf8');
    assert.match(env, /^ETCD_NAME=etcd-2$/m);
    assert.match(env, /^ETCD_INITIAL_CLUSTER=etcd-1=https:\/\/10\.0\.0\.11:2380,etcd-2=https:\/\/10\.0\.0\.12:2380,etcd-3=https:\/\/10\.0\.0\.13:2380$/m);
    assert.match(env, /^ETCD_INITIAL_CLUSTER_TOKEN=lab-token$/m);
    assert.match(env, /^ETCD_HEARTBEAT_INTERVAL=100$/m);
    assert.match(readFileSync(join(out, 'etcd-2', 'etcd.service'), 'utf8'), /^EnvironmentFile=\/etc\/etcd\/etcd\.env$/m);
    const times = ['etcd-1', 'etcd-2', 'etcd-3'].map((h) => /OnCalendar=(.*)/.exec(readFileSync(join(out, h, 'etcd-defrag.timer'), 'utf8'))?.[1]);
    assert.deepEqual(times, ['Sun *-*-* 02:00:00', 'Sun *-*-* 02:20:00', 'Sun *-*-* 02:40:00']);
    assert.equal(statSync(join(out, 'etcd-1', 'etcd.env')).mode & 0o777, 0o644);
    const again = await cli(['bootstrap', 'render', '--out', out]);
    assert.equal(again.code, 4, showCli(again));
    assert.match(again.stderr, /exists; nothing is overwritten/);
    assert.equal(readFileSync(join(out, 'etcd-2', 'etcd.env'), 'utf8'), env);
  });

  test('an unreachable host fails preflight with what to check, quickly; nothing is recorded in known_hosts', async () => {
    const r = await cli(['bootstrap', 'preflight', 'ghost']);
    assert.equal(r.code, 5, showCli(r));
    assert.match(r.stdout, /✗ ghost: ssh: cannot reach 127\.0\.0\.1:\d+: connection refused/);
    assert.ok(r.ms < 15_000, `took ${r.ms} ms`);
    assert.throws(() => readFileSync(join(dir, 'known_hosts')));
  });

  test('a host that is not in the inventory, a missing key, and a context without hosts, are clear errors', async () => {
    const nokey = join(dir, 'nokey.yaml');
    writeFileSync(nokey, readFileSync(config, 'utf8').replace(join(dir, 'id_ed25519'), join(dir, 'missing-key')));
    const k = await runCli(['--config', nokey, '--audit-log', join(dir, 'audit.jsonl'), 'bootstrap', 'preflight', 'ghost']);
    assert.equal(k.code, 5, showCli(k));
    assert.match(k.stdout, /no key to log in to root@127\.0\.0\.1:\d+: no usable identity file; skipped .*missing-key \(missing\)/);
    const r = await cli(['bootstrap', 'preflight', 'etcd-9']);
    assert.equal(r.code, 4, showCli(r));
    assert.match(r.stderr, /etcd-9 is not a host of this context \(hosts: etcd-1, etcd-2, etcd-3, ghost\)/);
    const plain = await cli(['--context', 'plain', 'bootstrap', 'cluster', '--dry-run']);
    assert.equal(plain.code, 4, showCli(plain));
    assert.match(plain.stderr, /context "plain" in .* has no hosts: add a hosts list/);
    const usage = await cli(['bootstrap', 'join']);
    assert.equal(usage.code, 4, showCli(usage));
    assert.match(usage.stderr, /bootstrap join: give one host/);
  });
});
