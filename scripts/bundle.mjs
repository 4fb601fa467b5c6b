// Bundles the CLI into one ESM file (dist/etcd-tui.js): loading ~400 small modules of Ink and its
// dependencies costs ~300 ms at start; one file loads in a fraction of that. etcd3 and ssh2 stay
// external: etcd3 reads its .proto files from its own folder at run time, ssh2 has optional
// native parts.
import { build } from 'esbuild';

// Ink loads react-devtools-core only when DEV=true; the console never does, so it is a stub here.
const stubDevtools = {
  name: 'stub-devtools',
  setup(b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'export default { initialize() {}, connectToDevTools() {} };', loader: 'js' }));
  },
};

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/etcd-tui.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  minify: false,
  legalComments: 'none',
  external: ['etcd3', 'ssh2', 'cpu-features'],
  plugins: [stubDevtools],
  define: { 'process.env.NODE_ENV': '"production"' },
  banner: { js: "import { createRequire as __etcdTuiCreateRequire } from 'node:module'; const require = __etcdTuiCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
