// The standalone build: one file, dist/etcd-tui-standalone.mjs, that runs with nothing but Node 20
// (bastions are often offline): everything bundled, etcd3 with @grpc/grpc-js and its .proto files
// (as a JSON descriptor), ssh2 without its optional native parts (it falls back to JavaScript
// crypto), React and Ink (yoga's wasm is inline), and the templates. The same patches and the same
// shell launcher as dist/etcd-tui.js (scripts/build-shared.mjs: Node 20 and --env-file).
//
//   node scripts/standalone.mjs            (npm run build:standalone)
import { build } from 'esbuild';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BANNER, SHARED_PLUGINS, patch, shellLauncher } from './build-shared.mjs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const OUT = 'dist/etcd-tui-standalone.mjs';

const templates = Object.fromEntries(readdirSync('templates').filter((f) => f.endsWith('.hbs')).map((f) => [f, readFileSync(join('templates', f), 'utf8')]));

const nativeStubs = {
  name: 'native-stubs',
  setup(b) {
    // Native addons (ssh2's sshcrypto.node, cpu-features): required inside try/catch, so a throw
    // makes ssh2 use its JavaScript fallbacks.
    b.onResolve({ filter: /\.node$/ }, (args) => ({ path: args.path, namespace: 'native' }));
    b.onLoad({ filter: /.*/, namespace: 'native' }, (args) => ({ contents: `throw new Error(${JSON.stringify(`${args.path}: native addons are not part of the standalone build`)});`, loader: 'js' }));
  },
};

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: OUT,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: false,
  legalComments: 'none',
  // One file: no code splitting (dist/ has chunks; this build must run alone).
  plugins: [
    nativeStubs,
    // There is no package.json next to the one file: the version is written in.
    patch(/src[\\/]cli[\\/]main\.ts$/, ["return 'unknown';", `return ${JSON.stringify(pkg.version)};`]),
    ...SHARED_PLUGINS,
  ],
  define: { 'process.env.NODE_ENV': '"production"', ETCD_TUI_EMBEDDED_TEMPLATES: JSON.stringify(templates) },
  banner: { js: BANNER },
  logLevel: 'warning',
});

shellLauncher(OUT);
process.stdout.write(`${OUT}: ${(Buffer.byteLength(readFileSync(OUT)) / 1e6).toFixed(1)} MB\n`);
