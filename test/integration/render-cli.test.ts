/**
 * Template and render mistakes end with exit 4 and one line naming the file and line (never 70 and
 * a stack): a template syntax error, an unknown variable, a templatesDir that does not exist, --out
 * naming a file, a host named twice. The built binary, as a script runs it; no cluster, no SSH.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { runCli, showCli } from '../harness/cli.js';
import { repoRoot } from '../harness/binaries.js';

describe('bootstrap render refuses bad templates and outputs with exit 4', () => {
  let dir: string;
  const config = (templatesDir?: string) => {
    const file = join(dir, `contexts-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      file,
      YAML.stringify({
        current: 'lab',
        contexts: [
          {
            name: 'lab',
            ssh: { knownHosts: join(dir, 'known_hosts'), identityFile: join(dir, 'id'), agent: false },
            etcd: templatesDir ? { templatesDir } : { heartbeatInterval: 100 },
            hosts: [
              { name: 'etcd-1', address: '10.0.0.11' },
              { name: 'etcd-2', address: '10.0.0.12' },
            ],
          },
        ],
      }),
    );
    return file;
  };
  const render = (file: string, args: string[]) => runCli(['--config', file, '--audit-log', join(dir, 'audit.jsonl'), 'bootstrap', 'render', ...args], { timeoutMs: 30_000 });
  /** A copy of the shipped templates with one file changed. */
  const templates = (name: string, edit: (text: string) => string) => {
    const t = join(dir, `tpl-${Math.random().toString(36).slice(2)}`);
    mkdirSync(t);
    for (const f of readdirSync(join(repoRoot(), 'templates'))) if (f.endsWith('.hbs')) copyFileSync(join(repoRoot(), 'templates', f), join(t, f));
    writeFileSync(join(t, name), edit(readFileSync(join(t, name), 'utf8')));
    return t;
  };
  const refused = (r: Awaited<ReturnType<typeof runCli>>, pattern: RegExp, out?: string) => {
    assert.equal(r.code, 4, showCli(r));
    assert.equal(r.stderr.trim().split('\n').length, 1, showCli(r));
    assert.doesNotMatch(r.stderr, /\n\s+at |unexpected error/);
    assert.match(r.stderr, pattern);
    if (out) assert.equal(existsSync(out), false, 'nothing written');
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-render-cli-'));
    writeFileSync(join(dir, 'id'), '');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a template syntax error names the file and line', async () => {
    const t = templates('etcd.service.hbs', (s) => s.replace('\n', '\n{{#if tls}}\n'));
    const out = join(dir, 'out-syntax');
    refused(await render(config(t), ['--out', out]), new RegExp(`^etcd-tui: ${t}/etcd\\.service\\.hbs:\\d+: template syntax error: .*not closed`), out);
  });

  test('an unknown variable names the file, line and the variables there are', async () => {
    const t = templates('etcd.env.hbs', (s) => s.replace('\n', '\nX={{nodeNmae}}\n'));
    const out = join(dir, 'out-var');
    refused(await render(config(t), ['--out', out]), new RegExp(`^etcd-tui: ${t}/etcd\\.env\\.hbs:2:\\d+: unknown variable "nodeNmae" \\(the template gets: .*nodeName`), out);
  });

  test('a templatesDir that does not exist is an error, not a fallback to the shipped templates', async () => {
    const out = join(dir, 'out-nodir');
    refused(await render(config(join(dir, 'no-such-dir')), ['--out', out]), /templatesDir .*no-such-dir does not exist/, out);
  });

  test('--out naming a file, and a host named twice', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'keep');
    refused(await render(config(), ['--out', file]), /--out: .*a-file is a file, not a directory/);
    assert.equal(readFileSync(file, 'utf8'), 'keep');
    const out = join(dir, 'out-dup');
    refused(await render(config(), ['etcd-1', 'etcd-1', '--out', out]), /etcd-1 twice/, out);
  });

  test('the good case still renders', async () => {
    const out = join(dir, 'out-ok');
    const r = await render(config(), ['--out', out]);
    assert.equal(r.code, 0, showCli(r));
    assert.deepEqual(readdirSync(out).sort(), ['etcd-1', 'etcd-2']);
  });
});
