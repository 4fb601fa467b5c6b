// Bundles the CLI into one ESM file (dist/etcd-tui.js): loading ~400 small modules of Ink and its
// dependencies costs ~300 ms at start; one file loads in a fraction of that. etcd3 and ssh2 stay
// external: etcd3 reads its .proto files from its own folder at run time, ssh2 has optional
// native parts.
import { build } from 'esbuild';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';

// Ink loads react-devtools-core only when DEV=true; the console never does, so it is a stub here.
const stubDevtools = {
  name: 'stub-devtools',
  setup(b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'export default { initialize() {}, connectToDevTools() {} };', loader: 'js' }));
  },
};

// Node 20 takes `--env-file` for itself even after the script name: `node etcd-tui.js --env-file
// missing.env` exits 9 ("node: missing.env: not found") before any of our code runs. It stops looking
// at `--`. So the file starts as a shell script (line 1 `#!/bin/sh`, line 2 read by sh as `: //`
// then exec, by Node as a string and a comment) that runs Node with `--` before the operator's
// arguments; the argv line below drops that `--` again. Run as `node etcd-tui.js`, the file is
// plain JavaScript (Node skips the first line).
const LAUNCHER = [
  '":" //; exec node "$0" -- "$@"',
  "if (process.argv[2] === '--') process.argv.splice(2, 1);",
].join('\n');

/** Line 1: the shell, not Node (esbuild keeps the entry's `#!/usr/bin/env node`); same line count, so the source map holds. */
function shellShebang(file) {
  const text = readFileSync(file, 'utf8');
  const body = text.startsWith('#!') ? text.slice(text.indexOf('\n') + 1) : text;
  writeFileSync(file, '#!/bin/sh\n' + body);
  chmodSync(file, 0o755);
}

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
  banner: { js: [LAUNCHER, "import { createRequire as __etcdTuiCreateRequire } from 'node:module'; const require = __etcdTuiCreateRequire(import.meta.url);"].join('\n') },
  logLevel: 'warning',
});
shellShebang('dist/etcd-tui.js');
