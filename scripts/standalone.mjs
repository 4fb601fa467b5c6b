// The standalone build: one file, dist/etcd-tui-standalone.mjs, that runs with nothing but Node 20
// (bastions are often offline): everything bundled, etcd3 with @grpc/grpc-js and its .proto files
// (as a JSON descriptor), ssh2 without its optional native parts (it falls back to JavaScript
// crypto), React and Ink (yoga's wasm is inline), and the templates. Run as a program it is the
// same shell launcher as dist/etcd-tui.js (see scripts/bundle.mjs, Node 20 and --env-file).
//
//   node scripts/standalone.mjs            (npm run build:standalone)
import { build } from 'esbuild';
import { chmodSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const OUT = 'dist/etcd-tui-standalone.mjs';
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

// etcd3 loads proto/rpc.proto from its own folder at run time; the bundle carries the parsed
// descriptor instead (the same options etcd3 passes to proto-loader's loadSync).
function etcd3Descriptor() {
  const protobuf = require(require.resolve('protobufjs', { paths: [require.resolve('@grpc/proto-loader')] }));
  const root = new protobuf.Root();
  root.loadSync(require.resolve('etcd3/proto/rpc.proto'), { keepCase: true });
  return JSON.stringify(root.toJSON());
}

const templates = Object.fromEntries(readdirSync('templates').filter((f) => f.endsWith('.hbs')).map((f) => [f, readFileSync(join('templates', f), 'utf8')]));

/** Replace `from` by `to` in one module, and fail the build when it is not there (a dependency changed). */
function patch(filter, from, to) {
  return {
    name: `patch ${filter}`,
    setup(b) {
      b.onLoad({ filter }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes(from)) throw new Error(`standalone build: ${args.path} no longer contains ${JSON.stringify(from)}`);
        return { contents: text.replace(from, to), loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
      });
    },
  };
}

const stubs = {
  name: 'stubs',
  setup(b) {
    // Ink loads react-devtools-core only when DEV=true.
    b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'stub' }));
    b.onLoad({ filter: /^react-devtools-core$/, namespace: 'stub' }, () => ({ contents: 'export default { initialize() {}, connectToDevTools() {} };', loader: 'js' }));
    // Native addons (ssh2's sshcrypto.node, cpu-features): required inside try/catch, so a throw
    // makes ssh2 use its JavaScript fallbacks.
    b.onResolve({ filter: /\.node$/ }, (args) => ({ path: args.path, namespace: 'native' }));
    b.onLoad({ filter: /.*/, namespace: 'native' }, (args) => ({ contents: `throw new Error(${JSON.stringify(`${args.path}: native addons are not part of the standalone build`)});`, loader: 'js' }));
  },
};

const LAUNCHER = ['":" //; exec node "$0" -- "$@"', "if (process.argv[2] === '--') process.argv.splice(2, 1);"].join('\n');

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: OUT,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: false,
  legalComments: 'none',
  plugins: [
    stubs,
    patch(/etcd3[\\/]lib[\\/]connection-pool\.js$/, '(0, proto_loader_1.loadSync)(`${__dirname}/../proto/rpc.proto`, {', `(0, proto_loader_1.fromJSON)(${etcd3Descriptor()}, {`),
    // There is no package.json next to the one file: the version is written in.
    patch(/src[\\/]cli[\\/]main\.ts$/, "return 'unknown';", `return ${JSON.stringify(pkg.version)};`),
  ],
  define: { 'process.env.NODE_ENV': '"production"', ETCD_TUI_EMBEDDED_TEMPLATES: JSON.stringify(templates) },
  // CommonJS modules in the bundle (ssh2's poly1305 wasm loader) read require and __dirname.
  banner: {
    js: [
      LAUNCHER,
      "import { createRequire as __etcdTuiCreateRequire } from 'node:module'; const require = __etcdTuiCreateRequire(import.meta.url);",
      "import { fileURLToPath as __etcdTuiPath } from 'node:url'; import { dirname as __etcdTuiDirname } from 'node:path'; const __filename = __etcdTuiPath(import.meta.url); const __dirname = __etcdTuiDirname(__filename);",
    ].join('\n'),
  },
  logLevel: 'warning',
});

const text = readFileSync(OUT, 'utf8');
writeFileSync(OUT, '#!/bin/sh\n' + (text.startsWith('#!') ? text.slice(text.indexOf('\n') + 1) : text));
chmodSync(OUT, 0o755);
process.stdout.write(`${OUT}: ${(Buffer.byteLength(readFileSync(OUT)) / 1e6).toFixed(1)} MB\n`);
