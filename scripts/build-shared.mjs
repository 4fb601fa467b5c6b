// What the two builds share (scripts/bundle.mjs: dist/etcd-tui.js and its chunks; scripts/standalone.mjs:
// one offline file): the patches that make etcd3, Ink and its text measuring start faster, the stubs,
// the shell launcher (Node 20 and --env-file) and the banner CommonJS code in an ESM bundle needs.
// Each patch fails the build when its dependency changed under it.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

// etcd3 loads proto/rpc.proto from its own folder at run time; the bundle carries the parsed
// descriptor instead (the same options etcd3 passes to proto-loader's loadSync).
function etcd3Descriptor() {
  const protobuf = require(require.resolve('protobufjs', { paths: [require.resolve('@grpc/proto-loader')] }));
  const root = new protobuf.Root();
  root.loadSync(require.resolve('etcd3/proto/rpc.proto'), { keepCase: true });
  return JSON.stringify(root.toJSON());
}

/** A filter for one file. */
function exactPath(file) {
  return new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}

/** Replace each `from` by its `to` in one module, and fail the build when one is not there (a dependency changed). */
export function patch(filter, ...pairs) {
  return {
    name: `patch ${filter}`,
    setup(b) {
      b.onLoad({ filter }, (args) => {
        let text = readFileSync(args.path, 'utf8');
        for (const [from, to] of pairs) {
          if (!text.includes(from)) throw new Error(`bundle: ${args.path} no longer contains ${JSON.stringify(from)}`);
          text = text.replace(from, to);
        }
        return { contents: text, loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
      });
    },
  };
}

// proto-loader builds, for every method of every service, the descriptor objects of its request and
// response types and the encoded file descriptors: only reflection uses them (grpc-js reads the
// path, the serializers and the stream flags), yet they were a third of etcd3's start. Computed on
// first use instead.
const etcd3ProtoLoader = require.resolve('@grpc/proto-loader', { paths: [require.resolve('etcd3')] });
const lazyProtoDescriptors = patch(
  new RegExp(`^${etcd3ProtoLoader.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
  // protobufjs/ext/descriptor (which adds toDescriptor) loads on first use too (~25 ms at start).
  [
    `const descriptor = require("protobufjs/ext/descriptor");`,
    `let descriptorExt;
const loadDescriptor = () => (descriptorExt ??= require("protobufjs/ext/descriptor"));
const descriptor = {
    get FileDescriptorProto() { return loadDescriptor().FileDescriptorProto; },
    get FileDescriptorSet() { return loadDescriptor().FileDescriptorSet; },
};`,
  ],
  [
    `    const descriptorList = root.toDescriptor('proto3').file;
    const bufferList = descriptorList.map(value => Buffer.from(descriptor.FileDescriptorProto.encode(value).finish()));`,
    `    let bufferCache;
    const bufferList = () => (bufferCache ??= (loadDescriptor(), root).toDescriptor('proto3').file.map(value => Buffer.from(descriptor.FileDescriptorProto.encode(value).finish())));`,
  ],
  [
    `function createMessageDefinition(message, fileDescriptors) {
    const messageDescriptor = message.toDescriptor('proto3');
    return {
        format: 'Protocol Buffer 3 DescriptorProto',
        type: messageDescriptor.$type.toObject(messageDescriptor, descriptorOptions),
        fileDescriptorProtos: fileDescriptors,
    };
}`,
    `function createMessageDefinition(message, fileDescriptors) {
    let type;
    return {
        format: 'Protocol Buffer 3 DescriptorProto',
        get type() {
            if (type === undefined) {
                loadDescriptor();
                const messageDescriptor = message.toDescriptor('proto3');
                type = messageDescriptor.$type.toObject(messageDescriptor, descriptorOptions);
            }
            return type;
        },
        get fileDescriptorProtos() { return fileDescriptors(); },
    };
}`,
  ],
  [
    `function createEnumDefinition(enumType, fileDescriptors) {
    const enumDescriptor = enumType.toDescriptor('proto3');
    return {
        format: 'Protocol Buffer 3 EnumDescriptorProto',
        type: enumDescriptor.$type.toObject(enumDescriptor, descriptorOptions),
        fileDescriptorProtos: fileDescriptors,
    };
}`,
    `function createEnumDefinition(enumType, fileDescriptors) {
    let type;
    return {
        format: 'Protocol Buffer 3 EnumDescriptorProto',
        get type() {
            if (type === undefined) {
                loadDescriptor();
                const enumDescriptor = enumType.toDescriptor('proto3');
                type = enumDescriptor.$type.toObject(enumDescriptor, descriptorOptions);
            }
            return type;
        },
        get fileDescriptorProtos() { return fileDescriptors(); },
    };
}`,
  ],
);

// yoga-layout (Ink's layout engine) loads its WebAssembly from a base64 data: URL through `fetch`
// when a global fetch exists: that loads undici (~25 ms) and its data-URL parser for nothing.
// Without fetch, Emscripten decodes the same string itself.
const yogaWithoutFetch = patch(
  /yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/,
  ['"function"!=typeof fetch?Promise.resolve()', 'true?Promise.resolve()'],
  ['"function"!=typeof fetch?c(b)', 'true?c(b)'],
);

// string-width 8 (Ink's measure of every text node) takes a fast path only for printable ASCII;
// the console's box lines, bullets, arrows and ellipses sent every line through Intl.Segmenter
// and the RGI-emoji regex (~50 ms of the first frame). Characters of FAST_WIDTH_CLASS are each
// their own grapheme cluster and as wide as their East Asian Width says: checked against the
// library itself at every build (fastWidthClassChecked).
const FAST_WIDTH_CLASS = String.raw`\u0020-\u007E\u00A0-\u00AC\u00AE-\u02FF\u2010-\u2027\u202F-\u205F\u2070-\u20CF\u20F1-\u2BFF`;
async function fastWidthClassChecked(stringWidthPath, widthClass = FAST_WIDTH_CLASS) {
  const { default: stringWidth } = await import(pathToFileURL(stringWidthPath).href);
  const { eastAsianWidth } = await import(pathToFileURL(require.resolve('get-east-asian-width', { paths: [stringWidthPath] })).href);
  const inClass = new RegExp(`^[${widthClass}]$`);
  const segmenter = new Intl.Segmenter();
  for (let cp = 0x20; cp <= 0xffff; cp++) {
    const ch = String.fromCharCode(cp);
    if (!inClass.test(ch)) continue;
    const width = cp < 0x7f ? 1 : undefined;
    for (const ambiguousIsNarrow of [true, false]) {
      const fast = width ?? eastAsianWidth(cp, { ambiguousAsWide: !ambiguousIsNarrow });
      if (stringWidth(ch, { ambiguousIsNarrow }) !== fast || [...segmenter.segment(`a${ch}a`)].length !== 3 || [...segmenter.segment(ch + ch)].length !== 2) {
        throw new Error(`bundle: U+${cp.toString(16).toUpperCase()} does not belong in the fast path of ${stringWidthPath} (string-width or Unicode data changed)`);
      }
    }
  }
  return widthClass;
}
/** The code put into string-width: strings of only `widthClass` characters counted one character at a time. */
function fastWidthBlock(what, widthClass) {
  return `	// etcd-tui (scripts/bundle.mjs): ${what}: one cluster per character.
	if (/^[${widthClass}]*$/.test(string)) {
		const fastOptions = {ambiguousAsWide: !ambiguousIsNarrow};
		let fastWidth = 0;
		for (let index = 0; index < string.length; index++) {
			const code = string.charCodeAt(index);
			fastWidth += code < 0x7F ? 1 : eastAsianWidth(code, fastOptions);
		}
		return fastWidth;
	}
`;
}
const inkStringWidth = require.resolve('string-width', { paths: [require.resolve('ink')] });
const widthFastPath = patch(exactPath(inkStringWidth), [
  `	// Fast path: printable ASCII (0x20–0x7E) needs no segmenter, regex, or EAW lookup — width equals length.
	if (/^[\\u0020-\\u007E]*$/.test(string)) {
		return string.length;
	}
`,
  `	// Fast path: printable ASCII (0x20–0x7E) needs no segmenter, regex, or EAW lookup — width equals length.
	if (/^[\\u0020-\\u007E]*$/.test(string)) {
		return string.length;
	}

${fastWidthBlock('box drawing, bullets, arrows', await fastWidthClassChecked(inkStringWidth))}`,
]);

// handlebars (render) and yaml (a contexts file) are CommonJS that esbuild evaluates when the
// modules importing them load, i.e. at every start; the first frame needs neither. Each is
// replaced by a stand-in whose default export loads the real module on first use (both are used
// only through their default export: `Handlebars.create()`, `YAML.parse()`). In the standalone
// build (one file) the real module is bundled in and only its evaluation waits; the split build
// (scripts/bundle.mjs) puts each into a CommonJS file of its own, dist/chunks/vendor-NAME.cjs
// (VENDOR_FILES), so that a start that never renders a template or reads a contexts file does not
// even parse them (half a megabyte of the code the console loaded).
const LAZY_DEFAULT = ['handlebars', 'yaml'];
/** The vendor files of the split build: entry name -> package. */
export const VENDOR_FILES = Object.fromEntries(LAZY_DEFAULT.map((name) => [`vendor-${name}`, name]));
function lazyDefaultPlugin(separateFiles) {
  return {
    name: 'lazy-default',
    setup(b) {
      b.onResolve({ filter: new RegExp(`^(${LAZY_DEFAULT.join('|')})$`) }, (args) =>
        args.namespace === 'lazy-default' ? undefined : { path: args.path, namespace: 'lazy-default' },
      );
      b.onLoad({ filter: /.*/, namespace: 'lazy-default' }, (args) => ({
        loader: 'js',
        resolveDir: process.cwd(),
        contents: separateFiles
          ? // __dirname is the chunk's folder (the banner's): dist/chunks/, or dist/ for the entry.
            `import { existsSync } from 'node:fs';
import { join } from 'node:path';
let real;
const load = () => {
  if (real) return real;
  const file = [join(__dirname, 'vendor-${args.path}.cjs'), join(__dirname, 'chunks', 'vendor-${args.path}.cjs')].find((f) => existsSync(f));
  if (!file) throw Object.assign(new Error('vendor-${args.path}.cjs is missing next to the bundle (' + __dirname + '): reinstall etcd-tui'), { code: 'ETCD_TUI_INSTALL' });
  return (real = require(file));
};
export default new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() });`
          : `let real;
const load = () => (real ??= require(${JSON.stringify(args.path)}));
export default new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() });`,
      }));
    },
  };
}
const lazyDefault = lazyDefaultPlugin(false);

// wrap-ansi (Ink's wrapping of long text) has string-width 7, which has no fast path at all: every
// character went through Intl.Segmenter and a freshly built emoji regex. A smaller class (its emoji
// table counts © and ® as wide), checked the same way.
const wrapAnsiStringWidth = require.resolve('string-width', { paths: [require.resolve('wrap-ansi', { paths: [require.resolve('ink')] })] });
const WRAP_FAST_WIDTH_CLASS = String.raw`\u0020-\u007E\u00A0-\u00A8\u00AA-\u00AC\u00AF-\u02FF\u2010-\u2027\u2030-\u203B\u2190-\u2193\u2500-\u25A9\u25C1-\u25FA\u2605\u2713\u2717`;
const wrapWidthFastPath = patch(exactPath(wrapAnsiStringWidth), [
  `	let width = 0;
	const eastAsianWidthOptions = {ambiguousAsWide: !ambiguousIsNarrow};
`,
  `${fastWidthBlock('ASCII, box drawing, bullets, arrows', await fastWidthClassChecked(wrapAnsiStringWidth, WRAP_FAST_WIDTH_CLASS))}
	let width = 0;
	const eastAsianWidthOptions = {ambiguousAsWide: !ambiguousIsNarrow};
`,
]);

// Ink builds every frame as a grid of styled characters and turns each line back into a string
// (@alcalzone/ansi-tokenize's styledCharsToString): for every character it diffed the styles of
// its neighbour with three fresh Sets and arrays, even when both have the same styles (nearly
// always) or none: ~10 % of the first frame's CPU, and garbage. Equal style lists have an empty
// diff: skipped. Checked against the library's own function at every build.
const STYLED_TO_STRING = `export function styledCharsToString(chars) {
    let ret = "";
    for (let i = 0; i < chars.length; i++) {
        const char = chars[i];
        if (i === 0) {
            ret += ansiCodesToString(char.styles);
        }
        else {
            ret += ansiCodesToString(diffAnsiCodes(chars[i - 1].styles, char.styles));
        }
        ret += char.value;
        // reset active styles at the end of the string
        if (i === chars.length - 1) {
            ret += ansiCodesToString(diffAnsiCodes(char.styles, []));
        }
    }
    return ret;
}`;
const STYLED_TO_STRING_FAST = `// etcd-tui (scripts/build-shared.mjs): equal style lists have an empty diff.
function sameStyles(a, b) {
    if (a === b) return true;
    if (a.length !== b.length) return false;
    for (let k = 0; k < a.length; k++) {
        if (a[k].code !== b[k].code || a[k].endCode !== b[k].endCode) return false;
    }
    return true;
}
export function styledCharsToString(chars) {
    let ret = "";
    for (let i = 0; i < chars.length; i++) {
        const char = chars[i];
        if (i === 0) {
            if (char.styles.length > 0) ret += ansiCodesToString(char.styles);
        }
        else if (!sameStyles(chars[i - 1].styles, char.styles)) {
            ret += ansiCodesToString(diffAnsiCodes(chars[i - 1].styles, char.styles));
        }
        ret += char.value;
        // reset active styles at the end of the string
        if (i === chars.length - 1 && char.styles.length > 0) {
            ret += ansiCodesToString(diffAnsiCodes(char.styles, []));
        }
    }
    return ret;
}`;
/** The build/ folder of the ansi-tokenize Ink uses (an ESM-only package: found as Node finds it, up from Ink's folder). */
function ansiTokenizeBuild() {
  for (let dir = dirname(require.resolve('ink')); dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', '@alcalzone', 'ansi-tokenize', 'build');
    if (existsSync(join(candidate, 'styledChars.js'))) return candidate;
  }
  throw new Error("build: Ink's @alcalzone/ansi-tokenize not found");
}
const ansiTokenizeDir = ansiTokenizeBuild();

/** The fast styledCharsToString gives the library's output on random styled lines and mixes of them (as Ink's grid mixes writes). */
async function styledCharsFastChecked() {
  const lib = await import(pathToFileURL(join(ansiTokenizeDir, 'index.js')).href);
  const { ansiCodesToString } = await import(pathToFileURL(join(ansiTokenizeDir, 'ansiCodes.js')).href);
  const { diffAnsiCodes } = await import(pathToFileURL(join(ansiTokenizeDir, 'diff.js')).href);
  const fast = new Function('ansiCodesToString', 'diffAnsiCodes', `${STYLED_TO_STRING_FAST.replaceAll('export function', 'function')}\nreturn styledCharsToString;`)(ansiCodesToString, diffAnsiCodes);
  const pieces = ['a', 'b', ' ', '─', '│', '●', '…', '\x1b[31m', '\x1b[32m', '\x1b[39m', '\x1b[1m', '\x1b[2m', '\x1b[22m', '\x1b[7m', '\x1b[27m', '\x1b[4m', '\x1b[24m', '\x1b[0m', '\x1b[90m', '\x1b[41m', '\x1b[49m'];
  let seed = 13;
  const rand = (n) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
  const line = () => Array.from({ length: 1 + rand(40) }, () => pieces[rand(pieces.length)]).join('');
  for (let n = 0; n < 3000; n++) {
    const chars = Array.from({ length: 1 + rand(3) }, () => lib.styledCharsFromTokens(lib.tokenize(line()))).flat();
    if (fast(chars) !== lib.styledCharsToString(chars)) throw new Error(`build: the fast styledCharsToString differs from ${ansiTokenizeDir}'s (the library changed)`);
  }
  return STYLED_TO_STRING_FAST;
}
const styledCharsFast = patch(exactPath(join(ansiTokenizeDir, 'styledChars.js')), [STYLED_TO_STRING, await styledCharsFastChecked()]);

// Ink builds every frame from scratch (ink/build/output.js): a grid of width x height blank cells,
// each a fresh object with its own styles array, and caches of styled characters and widths that
// are new for every frame, so each redraw of an unchanged 180x50 screen tokenized every line again
// and left 1-2 MB of garbage (an idle console's redraws and the collections after them were a
// third of its CPU). The caches now live across frames (cleared when one passes CACHE_LIMIT
// entries: the lines of a few screens), and every blank cell is one shared object: Ink only
// replaces cells and reads them (styledCharsToString), never changes one.
const inkOutputReuse = patch(
  exactPath(join(dirname(require.resolve('ink')), 'output.js')),
  ['class OutputCaches {', '// etcd-tui (scripts/build-shared.mjs): caches shared by every frame, bounded.\nconst CACHE_LIMIT = 4096;\nclass OutputCaches {'],
  ['            cached = styledCharsFromTokens(tokenize(line));\n            this.styledChars.set(line, cached);', '            cached = styledCharsFromTokens(tokenize(line));\n            if (this.styledChars.size >= CACHE_LIMIT) this.styledChars.clear();\n            this.styledChars.set(line, cached);'],
  ['            cached = stringWidth(text);\n            this.widths.set(text, cached);', '            cached = stringWidth(text);\n            if (this.widths.size >= CACHE_LIMIT) this.widths.clear();\n            this.widths.set(text, cached);'],
  ['            cached = lineWidth;\n            this.blockWidths.set(text, cached);', '            cached = lineWidth;\n            if (this.blockWidths.size >= CACHE_LIMIT) this.blockWidths.clear();\n            this.blockWidths.set(text, cached);'],
  ['export default class Output {', "const SHARED_CACHES = new OutputCaches();\nconst BLANK_CELL = { type: 'char', value: ' ', fullWidth: false, styles: [] };\nexport default class Output {"],
  ['    caches = new OutputCaches();', '    caches = SHARED_CACHES;'],
  ["                row.push({\n                    type: 'char',\n                    value: ' ',\n                    fullWidth: false,\n                    styles: [],\n                });", '                row.push(BLANK_CELL);'],
);

// slice-ansi (Ink clips every line of a box with overflow hidden through it, and truncates) asked
// Intl.Segmenter for the grapheme cluster at every character (Segments.containing) and segmented a
// fresh string after every escape code: ~1.5 ms per 250-character line. A character of
// FAST_WIDTH_CLASS whose neighbours are of it too (or an escape, or the end) is a cluster of its
// own; two such characters are never one cluster. Checked against Intl.Segmenter at every build.
const ONE_CLUSTER = `// etcd-tui (scripts/build-shared.mjs): clusters of one character without Intl.Segmenter.
const etcdTuiOneCluster = /[${FAST_WIDTH_CLASS}]/;
function etcdTuiOwnCluster(string, index) {
	if (!etcdTuiOneCluster.test(string[index])) return false;
	if (index > 0 && string.charCodeAt(index - 1) !== 0x1B && !etcdTuiOneCluster.test(string[index - 1])) return false;
	return index + 1 >= string.length || string.charCodeAt(index + 1) === 0x1B || etcdTuiOneCluster.test(string[index + 1]);
}`;

/** etcdTuiOwnCluster holds only where Intl.Segmenter's cluster is that one character: random strings of the class, escapes and characters that join (marks, ZWJ, emoji, CRLF, Hangul, flags). */
function oneClusterChecked() {
  const ownCluster = new Function(`${ONE_CLUSTER}\nreturn etcdTuiOwnCluster;`)();
  const inClass = new RegExp(`^[${FAST_WIDTH_CLASS}]$`);
  const classChars = [];
  for (let cp = 0x20; cp <= 0xffff; cp++) if (inClass.test(String.fromCharCode(cp))) classChars.push(String.fromCharCode(cp));
  const joiners = ['\u0301', '\u200D', '\uFE0F', '\u20E3', '\r', '\n', '\r\n', '\u{1F600}', '\u{1F3F3}\uFE0F\u200D\u26A7\uFE0F', '\u{1F1E9}\u{1F1EA}', '\u1100\u1161', '\u0600', '\u0903', '\u0E33', '\x1b[31m', '\x1b[39m', '\x1b', '\u2600', '\u2764'];
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let seed = 7;
  const rand = (n) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  for (let n = 0; n < 4000; n++) {
    const string = Array.from({ length: 2 + rand(12) }, () => (rand(3) === 0 ? joiners[rand(joiners.length)] : classChars[rand(classChars.length)])).join('');
    const segments = segmenter.segment(string);
    for (let i = 0; i < string.length; i++) {
      if (!ownCluster(string, i)) continue;
      const s = segments.containing(i);
      if (s.index !== i || s.segment !== string[i]) throw new Error(`build: ${JSON.stringify(string)} at ${i} is not a cluster of one character (Unicode data changed?)`);
    }
  }
  return ONE_CLUSTER;
}
const sliceAnsiTokenize = join(dirname(require.resolve('slice-ansi', { paths: [require.resolve('ink')] })), 'tokenize-ansi.js');
const sliceAnsiFast = patch(
  exactPath(sliceAnsiTokenize),
  [
    `function parseCharacterTokenWithRawSegmentation(string, index, graphemeSegments) {
	const segment = graphemeSegments.containing(index);`,
    `${oneClusterChecked()}
function parseCharacterTokenWithRawSegmentation(string, index, graphemeSegments) {
	const segment = etcdTuiOwnCluster(string, index) ? {index, segment: string[index]} : graphemeSegments.containing(index);`,
  ],
  [
    `function areValuesInSameGrapheme(leftValue, rightValue) {
`,
    `function areValuesInSameGrapheme(leftValue, rightValue) {
	if (leftValue.length === 1 && rightValue.length === 1 && etcdTuiOwnCluster(leftValue + rightValue, 1)) return false;
`,
  ],
);

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
//
// For snapshot commands (a save streams gigabytes through 256 KiB buffers) the launcher gives Node
// a young generation of 2 MB instead of up to 16 MB per semi-space: their peak RSS is ~20 MB lower.
// Everything else gets semi-spaces of at least 4 MB: V8 starts them at 1 MB and grows them only
// under allocation, so an idle console (~0.4 MB of short-lived objects a second: the status
// answers, the store's rounds, a redraw now and then) ran a scavenge every 3 s, each waking V8's
// helper threads; at 4 MB it runs one every ~10 s and used ~20 % less CPU (0.32-0.37 % of a core
// against 0.40-0.47 % with 5 members, alternating runs), for a few MB of RSS. V8 takes these
// flags only at start; run as `node etcd-tui.js` its defaults apply.
export const LAUNCHER = [
  '":" //; case " $* " in *" snapshot "*) exec node --max-semi-space-size=2 "$0" -- "$@";; esac; exec node --min-semi-space-size=4 "$0" -- "$@"',
  "if (process.argv[2] === '--') process.argv.splice(2, 1);",
].join('\n');

/**
 * The entry's first lines: the shell launcher instead of the placeholder lines the banner put there
 * (same line count, so the source map holds). Line 1 is the shell, not Node.
 */
export function shellLauncher(file) {
  const built = readFileSync(file, 'utf8');
  // esbuild keeps the entry's `#!/usr/bin/env node` above the banner: line 1 becomes `#!/bin/sh`.
  const text = built.startsWith('#!') ? built.slice(built.indexOf('\n') + 1) : built;
  if (!text.startsWith(PLACEHOLDER)) throw new Error(`build: ${file} does not start with the launcher placeholder`);
  writeFileSync(file, '#!/bin/sh\n' + LAUNCHER + '\n' + text.slice(PLACEHOLDER.length));
  chmodSync(file, 0o755);
}

/** The launcher's place in every output file: comment lines, as many as the launcher has (only the entry's are replaced). */
export const PLACEHOLDER = LAUNCHER.split('\n').map(() => '// etcd-tui').join('\n') + '\n';

/** esbuild's banner: the placeholder, then require, __filename and __dirname for the CommonJS modules in the bundle (grpc-js, ssh2); each chunk is a module of its own. */
export const BANNER = [
  PLACEHOLDER.trimEnd(),
  "import { createRequire as __etcdTuiCreateRequire } from 'node:module'; const require = __etcdTuiCreateRequire(import.meta.url);",
  "import { fileURLToPath as __etcdTuiPath } from 'node:url'; import { dirname as __etcdTuiDirname } from 'node:path'; const __filename = __etcdTuiPath(import.meta.url); const __dirname = __etcdTuiDirname(__filename);",
].join('\n');

/** The patches and stubs both builds apply. */
export const SHARED_PLUGINS = [
  stubDevtools,
  lazyDefault,
  yogaWithoutFetch,
  widthFastPath,
  wrapWidthFastPath,
  styledCharsFast,
  sliceAnsiFast,
  inkOutputReuse,
  patch(/etcd3[\\/]lib[\\/]connection-pool\.js$/, ['(0, proto_loader_1.loadSync)(`${__dirname}/../proto/rpc.proto`, {', `(0, proto_loader_1.fromJSON)(${etcd3Descriptor()}, {`]),
  lazyProtoDescriptors,
];

/** The split build's plugins: the shared ones, with handlebars and yaml in files of their own (VENDOR_FILES). */
export const SPLIT_PLUGINS = SHARED_PLUGINS.map((p) => (p === lazyDefault ? lazyDefaultPlugin(true) : p));
