/**
 * The tier summary of scripts/test.sh: Node's test runner with scripts/test-reporter.mjs next to
 * spec, then scripts/test-summary.mjs. Real runs of small test files: the tests of a skipped
 * describe (test/harness/skip.ts) are each counted as skipped with the reason and its hooks do not
 * run; a failure fails the summary; in CI any skip fails it unless its reason is allow-listed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../harness/binaries.js';

const ROOT = repoRoot();
const SKIP_HELPER = pathToFileURL(join(ROOT, 'dist', 'test', 'harness', 'skip.js')).href;

/** The environment for a nested test run: without NODE_TEST_CONTEXT, which makes node --test report to its parent runner. */
function nestedEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

type Run = { code: number | null; spec: string; summary: string; summaryCode: number | null; results: string };

/** Writes `files` (tier/name -> source) under DIR/dist/test/, runs them as test.sh does, summarizes. */
function runTiers(files: Record<string, string>, ci: boolean): Run & { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-summary-'));
  const paths: string[] = [];
  for (const [rel, src] of Object.entries(files)) {
    const file = join(dir, 'dist', 'test', rel);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, src);
    paths.push(file);
  }
  const results = join(dir, 'results.jsonl');
  const node = spawnSync(
    process.execPath,
    [
      '--test',
      '--test-concurrency=1',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      `--test-reporter=${join(ROOT, 'scripts', 'test-reporter.mjs')}`,
      `--test-reporter-destination=${results}`,
      ...paths,
    ],
    { encoding: 'utf8', cwd: dir, timeout: 60_000, env: nestedEnv() },
  );
  const summary = spawnSync(process.execPath, [join(ROOT, 'scripts', 'test-summary.mjs'), results, ...(ci ? ['--ci'] : [])], {
    encoding: 'utf8',
    cwd: dir,
    timeout: 30_000,
  });
  return { dir, code: node.status, spec: node.stdout, summary: summary.stdout, summaryCode: summary.status, results: existsSync(results) ? readFileSync(results, 'utf8') : '' };
}

const SKIPPED_SUITE = (marker: string) => `
import { describe, test, before, after } from ${JSON.stringify(SKIP_HELPER)};
import { writeFileSync } from 'node:fs';
describe('needs a tool', { skip: 'frobnicate is not installed' }, () => {
  before(() => writeFileSync(${JSON.stringify(marker)}, 'the hook ran'));
  after(() => writeFileSync(${JSON.stringify(marker)}, 'the hook ran'));
  test('one', () => { throw new Error('must not run'); });
  describe('nested', () => {
    test('two', () => { throw new Error('must not run'); });
  });
  test('three', { skip: 'its own reason' }, () => {});
});
describe('runs', () => {
  test('four', () => {});
});
`;

describe('scripts/test-summary.mjs over real runs', () => {
  test('a skipped describe: each of its tests (nested ones too) is counted as skipped with the suite\'s reason; its hooks never run', () => {
    const marker = join(tmpdir(), `etcd-tui-summary-hook-${process.pid}`);
    const r = runTiers({ 'integration/a.test.mjs': SKIPPED_SUITE(marker), 'unit/b.test.mjs': "import { test } from 'node:test'; test('five', () => {});\n" }, false);
    try {
      assert.equal(r.code, 0, r.spec);
      assert.equal(existsSync(marker), false, 'a hook of the skipped describe ran');
      const lines = r.summary.trimEnd().split('\n');
      assert.deepEqual(lines, [
        'tier unit: 1 run, 1 passed, 0 failed, 0 skipped',
        'tier integration: 1 run, 1 passed, 0 failed, 3 skipped (3x frobnicate is not installed)',
        '2 passed, 0 failed, 3 skipped',
      ]);
      assert.equal(r.summaryCode, 0);
    } finally {
      rmSync(r.dir, { recursive: true, force: true });
      rmSync(marker, { force: true });
    }
  });

  test('in CI every skip fails the summary, naming the file, the test and the reason', () => {
    const marker = join(tmpdir(), `etcd-tui-summary-hook-ci-${process.pid}`);
    const r = runTiers({ 'e2e/a.test.mjs': SKIPPED_SUITE(marker) }, true);
    try {
      assert.equal(r.code, 0, r.spec);
      assert.equal(r.summaryCode, 1, r.summary);
      assert.match(r.summary, /^CI: 3 skip\(s\) not on the allow-list/m);
      assert.match(r.summary, /^ {2}- dist\/test\/e2e\/a\.test\.mjs: one \(frobnicate is not installed\)$/m);
      assert.match(r.summary, /^ {2}- dist\/test\/e2e\/a\.test\.mjs: three \(frobnicate is not installed\)$/m, 'the suite\'s reason comes first');
      assert.match(r.summary, /\n1 passed, 0 failed, 3 skipped\n$/);
    } finally {
      rmSync(r.dir, { recursive: true, force: true });
    }
  });

  test("a failing test, a runtime t.skip, a plain node:test skipped describe and a file that does not load", () => {
    const r = runTiers(
      {
        'unit/a.test.mjs': [
          "import { describe, test } from 'node:test';",
          "test('fails', () => { throw new Error('boom'); });",
          "test('skips at run time', (t) => { t.skip('decided inside'); });",
          "describe('hidden', { skip: 'old style' }, () => { test('x', () => {}); test('y', () => {}); });",
          '',
        ].join('\n'),
        'screens/b.test.mjs': "import { test } from 'node:test';\nthrow new Error('cannot load');\n",
      },
      false,
    );
    try {
      assert.equal(r.code, 1);
      assert.equal(r.summaryCode, 1);
      const lines = r.summary.trimEnd().split('\n');
      assert.equal(lines[0], 'tier unit: 1 run, 0 passed, 1 failed, 2 skipped (1x decided inside; 1x whole suite, tests uncounted: old style)');
      assert.equal(lines[1], 'tier screens: 1 run, 0 passed, 1 failed, 0 skipped');
      assert.ok(lines.includes('  - dist/test/unit/a.test.mjs: fails'), r.summary);
      assert.equal(lines[lines.length - 1], '0 passed, 2 failed, 2 skipped');
    } finally {
      rmSync(r.dir, { recursive: true, force: true });
    }
  });

  test('an empty or missing result file fails', () => {
    const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-summary-'));
    try {
      writeFileSync(join(dir, 'empty.jsonl'), '');
      const empty = spawnSync(process.execPath, [join(ROOT, 'scripts', 'test-summary.mjs'), join(dir, 'empty.jsonl')], { encoding: 'utf8' });
      assert.equal(empty.status, 1);
      assert.match(empty.stdout, /^no test was reported$/m);
      const missing = spawnSync(process.execPath, [join(ROOT, 'scripts', 'test-summary.mjs'), join(dir, 'nope.jsonl')], { encoding: 'utf8' });
      assert.equal(missing.status, 1);
      assert.match(missing.stdout, /^test-summary: cannot read /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the allow-list: a skip whose reason matches passes CI; the shipped list is empty', async () => {
    const mod = (await import(pathToFileURL(join(ROOT, 'scripts', 'test-summary.mjs')).href)) as {
      ALLOWED_SKIPS: unknown[];
      summarize: (lines: string[], o: { ci: boolean; allowed?: Array<{ pattern: RegExp; why: string }> }) => { code: number; lines: string[] };
    };
    assert.deepEqual(mod.ALLOWED_SKIPS, []);
    const line = JSON.stringify({ file: '/r/dist/test/unit/q.test.js', name: 'zsh quoting', nesting: 0, kind: 'test', outcome: 'skip', reason: '/usr/bin/zsh is not installed' });
    const pass = JSON.stringify({ file: '/r/dist/test/unit/q.test.js', name: 'sh quoting', nesting: 0, kind: 'test', outcome: 'pass', reason: null });
    assert.equal(mod.summarize([line, pass], { ci: true }).code, 1);
    const ok = mod.summarize([line, pass], { ci: true, allowed: [{ pattern: /zsh is not installed/, why: 'zsh quoting is checked where zsh exists' }] });
    assert.equal(ok.code, 0, ok.lines.join('\n'));
    assert.equal(ok.lines[0], 'tier unit: 1 run, 1 passed, 0 failed, 1 skipped (1x /usr/bin/zsh is not installed)');
  });
});
