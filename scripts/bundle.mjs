// Bundles the CLI into an ESM entry (dist/etcd-tui.js) and its chunks (dist/chunks/): loading ~400
// small modules of Ink and its dependencies costs ~300 ms at start; a few bundled files load in a
// fraction of that. etcd3 (with grpc-js
// and protobufjs, ~150 CommonJS files) is bundled too: it read and parsed its .proto files at every
// start (~80 ms of the first frame); the bundle carries the parsed descriptor instead, as the
// standalone build does. It is a chunk of its own (chunks/etcd3-client-*.js, with the descriptor
// patches): src/cluster/etcd-gateway.ts imports src/cluster/etcd3-client.ts through `import()` on the
// first call that needs gRPC, so the console's first frame loads none of it
// (test/integration/bundle-layout.test.ts checks that no other chunk holds it or imports it
// statically). ssh2 stays external (optional native parts; it is imported lazily).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BANNER, SPLIT_PLUGINS, VENDOR_FILES, shellLauncher } from './build-shared.mjs';

// The patches (etcd3's parsed descriptor, lazy proto descriptors, yoga without fetch, the
// string-width fast paths, lazy handlebars and yaml), the stubs and the shell launcher (Node 20 and
// --env-file; a 2 MB young generation) are in build-shared.mjs: the standalone build applies them too.

// The console and each headless command load only their own code: the entry (argument parsing and
// the command table) imports every command's module through `import()`, and esbuild's code
// splitting puts each into its own chunk (dist/chunks/). `--version` and `snapshot save` do not
// compile or evaluate Ink, React or the flows' screens.
// BUNDLE_OUT: another file (e.g. to compare two builds side by side while tests use dist/); its
// chunks go into a chunks/ folder beside it.
const OUT = process.env.BUNDLE_OUT ?? 'dist/etcd-tui.js';
const OUTDIR = dirname(OUT);
const CHUNKS = join(OUTDIR, 'chunks');
// Chunks of an earlier build would pile up (their names carry a hash of their content).
rmSync(CHUNKS, { recursive: true, force: true });
await build({
  entryPoints: { [basename(OUT, '.js')]: 'src/cli/main.ts' },
  outdir: OUTDIR,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  minify: false,
  legalComments: 'none',
  external: ['ssh2', 'cpu-features'],
  plugins: SPLIT_PLUGINS,
  define: { 'process.env.NODE_ENV': '"production"' },
  // The launcher's placeholder (replaced in the entry), require, __filename and __dirname: each chunk is a module of its own.
  banner: { js: BANNER },
  logLevel: 'warning',
});
// handlebars and yaml, each a CommonJS file the stand-ins require on first use (build-shared.mjs).
await build({
  entryPoints: VENDOR_FILES,
  outdir: CHUNKS,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
});
shellLauncher(OUT);
