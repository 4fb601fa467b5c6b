/**
 * `--env-file` despite Node 20, which takes that flag for itself even after the script name (a
 * missing file: exit 9, "node: FILE: not found", before etcd-tui runs). Through the bin (the built
 * file run as an executable, as npm's bin symlink and the shipped defrag timer run it) and through
 * `node dist/etcd-tui.js`: a good file connects, a missing one is etcd-tui's own sentence, exit 4.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { BIN } from '../harness/cli.js';
import { defragUnitData } from '../../src/render/defrag-units.js';
import { DEFAULT_DEFRAG_RULE as DEFAULT_RULE } from '../../src/plans/defrag-rule.js';

describe('--env-file through the bin and through node', () => {
  let cluster: TestCluster;
  let dir: string;
  let bin: string;
  before(async () => {
    cluster = await startCluster({ members: 1, version: '3.4' });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-env-file-'));
    // What `npm install -g` makes: a symlink named etcd-tui to the built file.
    bin = join(dir, 'bin', 'etcd-tui');
    spawnSync('mkdir', ['-p', join(dir, 'bin')]);
    symlinkSync(BIN, bin);
    writeFileSync(join(dir, 'etcd.env'), `ETCD_NAME=m1\nETCDCTL_ENDPOINTS=${cluster.endpoints[0]}\n`);
  });
  after(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = () => ({ ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCDCTL_'))), XDG_CONFIG_HOME: '/nonexistent', CI: 'true' });
  const run = (argv: string[]) => {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 30_000, env: env() });
    return { code: r.status, out: `${r.stdout}${r.stderr}`, stderr: r.stderr };
  };

  test('the bin: a good env file connects, both spellings; a missing one is one etcd-tui line, exit 4', () => {
    for (const args of [['--env-file', join(dir, 'etcd.env')], [`--env-file=${join(dir, 'etcd.env')}`]]) {
      const ok = run([bin, 'status', ...args]);
      assert.ok(ok.code === 0 || ok.code === 1, ok.out);
      assert.match(ok.out, /m1\s+\S+\s+leader\s+up/, ok.out);
    }
    for (const args of [['--env-file', join(dir, 'missing.env')], [`--env-file=${join(dir, 'missing.env')}`]]) {
      const missing = run([bin, 'status', ...args]);
      assert.equal(missing.code, 4, missing.out);
      assert.equal(missing.stderr, `etcd-tui: --env-file: ${join(dir, 'missing.env')} does not exist (check the path, e.g. /etc/etcd.env)\n`);
    }
  });

  test('node dist/etcd-tui.js: a good env file connects; after `--` a missing one is etcd-tui\'s line too', () => {
    const ok = run([process.execPath, BIN, 'status', '--env-file', join(dir, 'etcd.env')]);
    assert.ok(ok.code === 0 || ok.code === 1, ok.out);
    assert.match(ok.out, /m1\s+\S+\s+leader\s+up/);
    const missing = run([process.execPath, BIN, '--', 'status', '--env-file', join(dir, 'missing.env')]);
    assert.equal(missing.code, 4, missing.out);
    assert.match(missing.stderr, /^etcd-tui: --env-file: .*missing\.env does not exist/);
  });

  test('the shipped defrag timer command, run as systemd would (the bin with --env-file)', () => {
    const data = defragUnitData({ nodeName: 'm1', nodeIndex: 0, nodeCount: 1, envFile: join(dir, 'missing.env'), etcdTuiBin: bin, auditLog: join(dir, 'audit.jsonl') });
    // ExecStart's words as systemd splits them (double quotes group, backslash escapes).
    const argv = [...data.execStart.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]));
    assert.ok(argv.includes(DEFAULT_RULE), `the rule is one word: ${JSON.stringify(argv)}`);
    assert.equal(argv[0], bin);
    assert.ok(argv.includes('--env-file'), data.execStart);
    const r = run(argv);
    assert.equal(r.code, 4, r.out);
    assert.match(r.stderr, /^etcd-tui: --env-file: .*missing\.env does not exist/);
  });
});
