/**
 * The built layout (scripts/bundle.mjs): dist/etcd-tui.js is a small entry, each command's code is
 * in its own chunk under dist/chunks/, loaded through `import()` when that command runs. What a
 * command loads before its first byte is the entry's static imports plus its own chunk's: `--version`
 * and `snapshot save` must not load Ink, React or the console's screens (their RSS before the first
 * byte), while the console's chunk does (so this test can tell). Read from the built files: esbuild
 * marks each bundled module with a `// path` comment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '../harness/binaries.js';

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

test('snapshot save loads etcd3 but no Ink, React or screens; the console loads them', () => {
  const snapshot = modulesIn(staticClosure(lazyChunk('snapshot'), staticClosure(ENTRY)));
  assert.ok(snapshot.some((m) => m.startsWith('node_modules/etcd3/')), 'snapshot save has etcd3');
  assert.deepEqual(snapshot.filter((m) => UI.test(m)), []);
  // The console: local.ts imports console.tsx lazily in turn.
  const local = lazyChunk('local');
  const consoleChunk = [...readFileSync(local, 'utf8').matchAll(/import\("(\.\/console-[A-Z0-9]+\.js)"\)/g)].map((m) => join(dirname(local), m[1]));
  assert.equal(consoleChunk.length > 0, true, 'local.ts imports the console chunk lazily');
  const consoleModules = modulesIn(staticClosure(consoleChunk[0]));
  assert.ok(consoleModules.some((m) => m.startsWith('node_modules/ink/')), 'the console has Ink');
  assert.ok(consoleModules.some((m) => m.startsWith('screens/')), 'the console has the screens');
});
