/**
 * Installing like a real tool: `npm pack` + `npm install -g` into a temporary prefix gives a working
 * `etcd-tui` (built files, templates found, --env-file through the bin); the standalone build is one
 * file that runs from an empty folder with only Node (etcd3/gRPC, ssh2, Ink and the templates inside).
 * Both against a real etcd.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { repoRoot } from '../harness/binaries.js';
import { freePort } from '../harness/ports.js';
import { startTmux } from '../harness/tmux.js';
import { snapshotStatus } from '../../src/snapshot/status.js';

describe('npm pack + install -g, and the standalone file', () => {
  let cluster: TestCluster;
  let dir: string;
  let contexts: string;
  let closedPort: number;
  before(async () => {
    cluster = await startCluster({ members: 1, version: '3.4' });
    // Values of 256 bytes and more go through the native CRC-32C where it is installed.
    const put = await cluster.etcdctl(['put', 'big', 'v'.repeat(5000)]);
    assert.equal(put.code, 0, put.stderr);
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-install-'));
    closedPort = await freePort();
    writeFileSync(join(dir, 'id'), '');
    contexts = join(dir, 'contexts.yaml');
    writeFileSync(
      contexts,
      YAML.stringify({
        contexts: [
          {
            name: 'lab',
            ssh: { knownHosts: join(dir, 'known_hosts'), identityFile: join(dir, 'id'), agent: false, connectTimeout: '2s' },
            hosts: [
              { name: 'etcd-1', address: '10.0.0.11' },
              { name: 'ghost', address: '127.0.0.1', port: closedPort, clientPort: 2479, peerPort: 2480 },
            ],
          },
        ],
      }),
    );
  });
  after(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a program outside the repository, without the test's ETCDCTL_* and contexts. */
  const run = (argv: string[], timeoutMs = 60_000) => {
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCDCTL_'))), XDG_CONFIG_HOME: '/nonexistent', CI: 'true' };
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: timeoutMs, env, cwd: dir });
    return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', all: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}` };
  };

  /** What every install must do: version, live status, templates, --env-file, ssh2 loaded, a snapshot saved and read. */
  async function works(bin: string, templatesFrom: RegExp): Promise<void> {
    const version = run([bin, '--version']);
    assert.equal(version.code, 0, version.all);
    assert.match(version.stdout, /^etcd-tui \d+\.\d+\.\d+\n$/);
    const status = run([bin, 'status', '--endpoints', cluster.endpoints[0]]);
    assert.ok(status.code === 0 || status.code === 1, status.all);
    assert.match(status.stdout, /m1\s+\S+\s+leader\s+up/, status.all);
    const missing = run([bin, 'status', '--env-file', join(dir, 'missing.env')]);
    assert.equal(missing.code, 4, missing.all);
    assert.match(missing.stderr, /^etcd-tui: --env-file: .*missing\.env does not exist/);
    const out = join(dir, `rendered-${Math.random().toString(36).slice(2)}`);
    const render = run([bin, '--config', contexts, '--context', 'lab', '--audit-log', join(dir, 'audit.jsonl'), 'bootstrap', 'render', 'etcd-1', '--out', out]);
    assert.equal(render.code, 0, render.all);
    assert.match(render.stdout, templatesFrom, render.all);
    assert.deepEqual(readdirSync(join(out, 'etcd-1')).sort(), ['etcd-defrag.service', 'etcd-defrag.timer', 'etcd.env', 'etcd.service']);
    // ssh2 (and, in the standalone file, its JavaScript crypto) loads and reports a closed port.
    const preflight = run([bin, '--config', contexts, '--context', 'lab', '--audit-log', join(dir, 'audit.jsonl'), 'bootstrap', 'preflight', 'ghost']);
    assert.equal(preflight.code, 5, preflight.all);
    assert.match(preflight.all, /ghost/);
    assert.doesNotMatch(preflight.all, /\n\s+at |ReferenceError|Cannot find module/, preflight.all);
    // A snapshot save and status: etcdutl's hash as this process computes it (the native CRC-32C
    // in the global install, the JavaScript tables in the standalone file).
    const snap = join(dir, `snap-${Math.random().toString(36).slice(2)}.db`);
    const save = run([bin, '--audit-log', join(dir, 'audit.jsonl'), 'snapshot', 'save', snap, '--endpoints', cluster.endpoints[0]]);
    assert.equal(save.code, 0, save.all);
    const read = run([bin, 'snapshot', 'status', snap, '--json']);
    assert.equal(read.code, 0, read.all);
    const expected = await snapshotStatus(snap);
    assert.deepEqual(JSON.parse(read.stdout) as unknown, { hash: expected.hash, revision: expected.revision, totalKey: expected.totalKey, totalSize: expected.totalSize, fileSize: expected.fileSize, sha256: expected.sha256 });
  }

  test('npm pack, then npm install -g of the tarball into a fresh prefix', async () => {
    const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: repoRoot(), encoding: 'utf8', timeout: 120_000 });
    assert.equal(pack.status, 0, pack.stderr);
    const tarball = readdirSync(dir).find((f) => /^etcd-tui-.*\.tgz$/.test(f));
    assert.ok(tarball, pack.stdout);
    const prefix = join(dir, 'prefix');
    const install = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(dir, tarball)], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
    assert.equal(install.status, 0, `${install.stdout}${install.stderr}`);
    const bin = join(prefix, 'bin', 'etcd-tui');
    assert.ok(existsSync(bin), 'the bin is installed');
    const pkgDir = join(prefix, 'lib', 'node_modules', 'etcd-tui');
    assert.deepEqual(readdirSync(pkgDir).filter((f) => !f.startsWith('node_modules')).sort(), ['README.md', 'dist', 'package.json', 'templates']);
    // The entry and its chunks (scripts/bundle.mjs splits the code per command), nothing of the tests.
    assert.deepEqual(readdirSync(join(pkgDir, 'dist')).sort(), ['chunks', 'etcd-tui.js', 'etcd-tui.js.map']);
    assert.ok(readdirSync(join(pkgDir, 'dist', 'chunks')).some((f) => /^console-\w+\.js$/.test(f)), 'the console chunk is packed');
    // The optional native CRC-32C is installed with it (linux-x64: the package's binary).
    if (process.platform === 'linux' && process.arch === 'x64') assert.ok(existsSync(join(pkgDir, 'node_modules', '@node-rs', 'crc32-linux-x64-gnu')), 'the native CRC-32C is installed');
    await works(bin, new RegExp(`from ${pkgDir.replace(/[.]/g, '\\.')}/templates/etcd\\.env\\.hbs`));
  });

  test('the standalone build: one file in an empty folder, only Node 20', async () => {
    const built = spawnSync(process.execPath, ['scripts/standalone.mjs'], { cwd: repoRoot(), encoding: 'utf8', timeout: 120_000 });
    assert.equal(built.status, 0, built.stderr);
    const alone = join(dir, 'alone');
    mkdirSync(alone);
    const file = join(alone, 'etcd-tui.mjs');
    copyFileSync(join(repoRoot(), 'dist', 'etcd-tui-standalone.mjs'), file);
    spawnSync('chmod', ['755', file]);
    await works(file, /from \(built in\)\/templates\/etcd\.env\.hbs/);
    // node FILE works as well as ./FILE.
    const viaNode = run([process.execPath, file, '--version']);
    assert.equal(viaNode.code, 0, viaNode.all);
    // The console (Ink, React, yoga's wasm) draws its first frame and quits.
    const tui = startTmux({ cmd: [file, '--endpoints', cluster.endpoints[0]], env: { XDG_CONFIG_HOME: '/nonexistent', XDG_STATE_HOME: join(dir, 'state'), ETCDCTL_ENDPOINTS: undefined }, cwd: alone, cols: 160, rows: 40 });
    try {
      await tui.waitForText(/MEMBERS \(1\)/, 20_000);
      tui.send('q');
      assert.equal(await tui.waitForExit(10_000), 0);
    } finally {
      await tui.stop();
    }
  });
});
