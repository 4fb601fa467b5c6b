/**
 * The built layout (scripts/bundle.mjs): dist/etcd-tui.js is a small entry, each command's code is
 * in its own chunk under dist/chunks/, loaded through `import()` when that command runs. What a
 * command loads before its first byte is the entry's static imports plus its own chunk's: `--version`
 * and `snapshot save` must not load Ink, React or the console's screens (their RSS before the first
 * byte), while the console's chunk does (so this test can tell). Read from the built files: esbuild
 * marks each bundled module with a `// path` comment.
 *
 * etcd3 (grpc-js, protobufjs) is in a chunk of its own (etcd3-client-*.js) that no command loads at
 * start: the gateway imports it on the first call that needs gRPC. Checked on the files, and by
 * running a copy of the build without that chunk against a real cluster: the console's first frames
 * show live data, `status` answers over HTTP, and a call that needs gRPC says in one line that the
 * gRPC client cannot be loaded (no stack); the full build answers the same calls over gRPC.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '../harness/binaries.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { runCli, showCli } from '../harness/cli.js';
import { startTmux, type TmuxSession } from '../harness/tmux.js';

const ENTRY = join(repoRoot(), 'dist', 'etcd-tui.js');

/** The files a module loads before it runs: itself and its static imports, recursively. */
function staticClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^import (?:[^'"]*? from )?"(\.[^"]+)";?$/gms)) staticClosure(join(dirname(file), m[1]), seen);
  return seen;
}

/** The chunk the entry imports lazily for a command module (e.g. "snapshot" for src/cli/snapshot.ts). */
function lazyChunk(name: string): string {
  const found = [...readFileSync(ENTRY, 'utf8').matchAll(/import\("(\.\/chunks\/([a-z-]+)-[A-Z0-9]+\.js)"\)/g)].filter((m) => m[2] === name);
  assert.equal(found.length > 0, true, `the entry imports a ${name} chunk lazily`);
  return join(dirname(ENTRY), found[0][1]);
}

/** The bundled source modules in a set of files (esbuild's `// node_modules/ink/build/render.js` marks). */
function modulesIn(files: Set<string>): string[] {
  return [...files].flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/^\/\/ ((?:node_modules|src|screens)\/\S+)$/gm)].map((m) => m[1]));
}

const UI = /^(node_modules\/(ink|react|react-reconciler|yoga-layout)\/|screens\/)/;

test('the entry alone (--version, --help) loads neither Ink, React, etcd3 nor the screens', () => {
  const modules = modulesIn(staticClosure(ENTRY));
  assert.ok(modules.includes('src/cli/main.ts'), 'the entry holds main.ts');
  assert.deepEqual(modules.filter((m) => UI.test(m) || m.startsWith('node_modules/etcd3/')), []);
});

/** The gRPC client's modules: etcd3 and what only it uses. */
const GRPC = /^node_modules\/(etcd3|@grpc\/grpc-js|@grpc\/proto-loader|protobufjs|cockatiel)\//;

/** The console's chunk (local.ts imports console.tsx lazily in turn). */
function consoleChunk(): string {
  const local = lazyChunk('local');
  const found = [...readFileSync(local, 'utf8').matchAll(/import\("(\.\/console-[A-Z0-9]+\.js)"\)/g)].map((m) => join(dirname(local), m[1]));
  assert.equal(found.length > 0, true, 'local.ts imports the console chunk lazily');
  return found[0];
}

test('snapshot save loads neither Ink, React, screens nor etcd3; the console loads the UI but not etcd3', () => {
  const snapshot = modulesIn(staticClosure(lazyChunk('snapshot'), staticClosure(ENTRY)));
  assert.ok(snapshot.includes('src/cluster/etcd-gateway.ts'), 'snapshot save has the gateway');
  assert.deepEqual(snapshot.filter((m) => UI.test(m) || GRPC.test(m)), []);
  const consoleModules = modulesIn(staticClosure(consoleChunk(), staticClosure(lazyChunk('local'), staticClosure(ENTRY))));
  assert.ok(consoleModules.some((m) => m.startsWith('node_modules/ink/')), 'the console has Ink');
  assert.ok(consoleModules.some((m) => m.startsWith('screens/')), 'the console has the screens');
  assert.ok(consoleModules.includes('src/cluster/etcd-gateway.ts'), 'the console has the gateway');
  assert.deepEqual(consoleModules.filter((m) => GRPC.test(m)), [], 'the console starts without etcd3, grpc-js, protobufjs');
});

test("a headless command's settings (settings.ts) load neither the console, the sandbox, the renderers nor the status code", () => {
  const entry = staticClosure(ENTRY);
  const settings = modulesIn(staticClosure(lazyChunk('settings'), new Set(entry)));
  assert.ok(settings.includes('src/cli/config.ts'), 'settings has the resolver');
  const extra = settings.filter((m) => !modulesIn(entry).includes(m));
  assert.deepEqual(extra.filter((m) => /^src\/(cli\/(local|console|status)\.tsx?|sandbox\/|render\/|cluster\/etcd-gateway\.ts)/.test(m) || UI.test(m) || GRPC.test(m)), []);
});

test("the console's first frame loads no flow's run code, no handlebars and no yaml; both are CommonJS files of their own", () => {
  const consoleModules = modulesIn(staticClosure(consoleChunk(), staticClosure(lazyChunk('local'), staticClosure(ENTRY))));
  // The action handlers (executor: on the first step), the hosts' preparation (on the preflight),
  // the snapshot writer and reader, the restore and bootstrap runners.
  const lazy = /^(src\/run\/(actions|snapshot-save|snapshot-actions|restore|bootstrap|rotate-certs|ca-rotation|recover-quorum|rolling|config-change)\.ts|src\/snapshot\/|node_modules\/(handlebars|yaml)\/)/;
  assert.deepEqual(consoleModules.filter((m) => lazy.test(m)), []);
  assert.ok(consoleModules.includes('src/flows/modules/index.ts'), 'the flow definitions are there (keys, palette, help)');
  for (const name of ['handlebars', 'yaml']) {
    const file = join(dirname(ENTRY), 'chunks', `vendor-${name}.cjs`);
    const text = readFileSync(file, 'utf8');
    assert.ok(/\b(module\.)?exports\b/.test(text) && !/^(import|export) /m.test(text), `${file} is CommonJS`);
    assert.ok(modulesIn(new Set([file])).some((m) => m.startsWith(`node_modules/${name}/`)), `${name} is in ${file}`);
  }
  // No .js chunk carries them (the stand-ins require the .cjs files on first use).
  for (const f of readdirSync(join(dirname(ENTRY), 'chunks')).filter((c) => c.endsWith('.js'))) {
    assert.deepEqual(modulesIn(new Set([join(dirname(ENTRY), 'chunks', f)])).filter((m) => /^node_modules\/(handlebars|yaml)\//.test(m)), [], f);
  }
});

test('a build without vendor-yaml.cjs says so in one line when it reads a contexts file (exit 70, no stack); without one it starts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-noyaml-'));
  try {
    const broken = join(dir, 'etcd-tui.js');
    cpSync(ENTRY, broken);
    cpSync(join(dirname(ENTRY), 'chunks'), join(dir, 'chunks'), { recursive: true, filter: (src) => !src.endsWith('vendor-yaml.cjs') });
    const config = join(dir, 'config');
    mkdirSync(join(config, 'etcd-tui'), { recursive: true });
    writeFileSync(join(config, 'etcd-tui', 'contexts.yaml'), 'contexts:\n  - name: t\n    endpoints: [http://127.0.0.1:1]\n');
    const r = await runCli(['status', '--context', 't'], { bin: broken, env: { XDG_CONFIG_HOME: config } });
    assert.equal(r.code, 70, showCli(r));
    assert.equal(r.stderr.trim(), `etcd-tui: vendor-yaml.cjs is missing next to the bundle (${join(dir, 'chunks')}): reinstall etcd-tui`, showCli(r));
    const plain = await runCli(['--version'], { bin: broken });
    assert.equal(plain.code, 0, showCli(plain));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('etcd3, grpc-js and protobufjs are in one chunk of their own, with the parsed descriptor; no command loads it at start', () => {
  const chunks = readdirSync(join(dirname(ENTRY), 'chunks')).filter((f) => f.endsWith('.js'));
  const grpcChunks = chunks.filter((f) => /^etcd3-client-[A-Z0-9]+\.js$/.test(f));
  assert.equal(grpcChunks.length, 1, chunks.join(' '));
  const file = join(dirname(ENTRY), 'chunks', grpcChunks[0]);
  const own = modulesIn(new Set([file]));
  for (const name of ['etcd3', '@grpc/grpc-js', 'protobufjs']) assert.ok(own.some((m) => m.startsWith(`node_modules/${name}/`)), `${name} in ${grpcChunks[0]}`);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /proto_loader_1\.fromJSON\)\(\{/, "etcd3's descriptor comes parsed (no rpc.proto read at run time)");
  assert.doesNotMatch(text, /proto\/rpc\.proto/);
  // Every other chunk, and the entry, is free of them: they are only reached through this chunk.
  const others = [ENTRY, ...chunks.filter((c) => c !== grpcChunks[0]).map((c) => join(dirname(ENTRY), 'chunks', c))];
  for (const f of others) assert.deepEqual(modulesIn(new Set([f])).filter((m) => GRPC.test(m)), [], f);
  // Nothing imports the chunk statically; the gateway's chunk imports it through import().
  const importers = others.filter((f) => readFileSync(f, 'utf8').includes(grpcChunks[0]));
  assert.ok(importers.length > 0, 'a chunk imports the gRPC chunk');
  for (const f of importers) {
    const t = readFileSync(f, 'utf8');
    assert.ok(t.includes(`import("./${grpcChunks[0]}")`), f);
    assert.ok(!t.includes(`from "./${grpcChunks[0]}"`) && !t.includes(`import "./${grpcChunks[0]}"`), f);
  }
});

describe('a build without the gRPC chunk, against a real cluster (etcd 3.5)', () => {
  let cluster: TestCluster;
  let dir: string;
  let broken: string;
  let tui: TmuxSession | undefined;
  before(async () => {
    cluster = await startCluster({ members: 3, version: '3.5' });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-nogrpc-'));
    broken = join(dir, 'etcd-tui.js');
    cpSync(ENTRY, broken);
    cpSync(join(dirname(ENTRY), 'chunks'), join(dir, 'chunks'), { recursive: true, filter: (src) => !/etcd3-client-/.test(src) });
  });
  after(async () => {
    await tui?.stop();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the console shows live members and no error: its refresh rounds need no gRPC', async () => {
    tui = startTmux({ cmd: [process.execPath, broken, '--endpoints', cluster.endpoints.join(','), '--refresh', '300ms'], env: { ETCDCTL_ENDPOINTS: undefined, XDG_CONFIG_HOME: '/nonexistent' }, cols: 180, rows: 50 });
    const screen = await tui.waitForText(/HEALTHY\s+3 voters, 3 healthy, tolerates 1 failure/, 20_000);
    assert.match(screen, /MEMBERS \(3\)/);
    assert.doesNotMatch(screen, /gRPC client|etcd3|Error/);
    tui.send('q');
    assert.equal(await tui.waitForExit(10_000), 0);
  });

  test('status answers over HTTP; a call that needs gRPC fails in one clear line; the full build answers it', async () => {
    const endpoints = ['--endpoints', cluster.endpoints.join(',')];
    const http = await runCli(['status', '--json', ...endpoints], { bin: broken, timeoutMs: 30_000 });
    assert.equal(http.code, 0, showCli(http));
    const doc = JSON.parse(http.stdout) as { members: unknown[]; alarmsError: string | null };
    assert.equal(doc.members.length, 3);
    assert.equal(doc.alarmsError, null, 'the alarms were read over HTTP');
    const alarms = await runCli(['alarm', 'list', ...endpoints], { bin: broken, timeoutMs: 30_000 });
    assert.equal(alarms.code, 0, showCli(alarms));
    assert.match(alarms.stdout, /^no alarms$/m);
    // Forced onto gRPC: the missing chunk is named in one line, without a stack.
    const grpc = await runCli(['status', ...endpoints], { bin: broken, timeoutMs: 30_000, env: { ETCD_TUI_STATUS_TRANSPORT: 'grpc' } });
    assert.notEqual(grpc.code, 0, showCli(grpc));
    assert.match(grpc.stdout + grpc.stderr, /cannot load the gRPC client \(etcd3\): .*reinstall etcd-tui/);
    assert.doesNotMatch(grpc.stdout + grpc.stderr, /^\s+at /m, 'no stack trace');
    // The full build loads etcd3 when asked to and answers the same over gRPC.
    const full = await runCli(['status', '--json', ...endpoints], { timeoutMs: 30_000, env: { ETCD_TUI_STATUS_TRANSPORT: 'grpc' } });
    assert.equal(full.code, 0, showCli(full));
    assert.deepEqual(
      (JSON.parse(full.stdout) as { members: Array<{ id: string }> }).members.map((m) => m.id).sort(),
      (JSON.parse(http.stdout) as { members: Array<{ id: string }> }).members.map((m) => m.id).sort(),
    );
    const fullAlarms = await runCli(['alarm', 'list', ...endpoints], { timeoutMs: 30_000, env: { ETCD_TUI_STATUS_TRANSPORT: 'grpc' } });
    assert.equal(fullAlarms.code, 0, showCli(fullAlarms));
  });
});
