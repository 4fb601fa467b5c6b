import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validatePeerURLs } from '../../src/plans/membership.js';
import { evaluateRule, explainRule, parseRule, ruleVariables, type Rule } from '../../src/plans/defrag-rule.js';
import { loadSettings } from '../../src/cli/config.js';
import { parseArgs, parseEndpoint } from '../../src/cli/args.js';
import { ConfigError } from '../../src/domain/errors.js';

function rule(text: string): Rule {
  const parsed = parseRule(text);
  assert.ok(parsed.ok, text);
  return parsed.rule;
}

describe('bad input is refused (issue 13.6)', () => {
  test('a peer URL with port 0 is refused before anything is added', () => {
    const r = validatePeerURLs('http://10.0.0.4:0', []);
    assert.equal(r.ok, false);
    assert.match((r as { refusal: string }).refusal, /port 0: etcd cannot listen on it/);
    assert.equal(validatePeerURLs('http://10.0.0.4:2380', []).ok, true);
  });

  test('n/a never selects, also under negation; && and || decide only when one side decides alone', () => {
    const v = ruleVariables(100e6, 10e6, 0); // quota unknown: quota is n/a
    assert.equal(evaluateRule(rule('!(size / 0 > 1)'), v), false);
    assert.equal(evaluateRule(rule('size / 0 > 1'), v), false);
    assert.equal(evaluateRule(rule('!!(size / 0 > 1)'), v), false);
    assert.equal(evaluateRule(rule('!(quota > 0.5)'), v), false);
    assert.equal(evaluateRule(rule('!(quota > 0.5) || free >= 50MB'), v), true, 'the other side decides alone');
    assert.equal(evaluateRule(rule('!(quota > 0.5) && free >= 50MB'), v), false);
    assert.equal(evaluateRule(rule('!(!(quota > 0.5) && free >= 500MB)'), v), true, 'false && n/a is false, so its negation is true');
    assert.match(explainRule(rule('!(size / 0 > 1)'), v), /^undecided: size \/ 0 \(n\/a\) > 1 compares n\/a/);
    assert.equal(evaluateRule(rule('!(size > 1GB)'), v), true, 'an ordinary negation still works');
  });

  test('an empty contexts file is an error, not a silent 127.0.0.1:2379', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'etcd-tui-empty-ctx-'));
    try {
      const file = join(dir, 'etcd-tui', 'contexts.yaml');
      await (await import('node:fs/promises')).mkdir(join(dir, 'etcd-tui'));
      await writeFile(file, '');
      await assert.rejects(loadSettings(parseArgs(['--config', file]).flags, {}), (e: unknown) => e instanceof ConfigError && /contexts\.yaml: the contexts file has no contexts/.test(e.message));
      // The default file, empty, with no endpoints from anywhere: the same error.
      await assert.rejects(loadSettings({}, { XDG_CONFIG_HOME: dir }), /the contexts file has no contexts/);
      // Endpoints given: the empty default file does not matter.
      const r = await loadSettings(parseArgs(['--endpoints', 'http://10.0.0.1:2379']).flags, { XDG_CONFIG_HOME: dir });
      assert.deepEqual(r.settings.endpoints, ['http://10.0.0.1:2379']);
      await writeFile(file, '# just a comment\n');
      await assert.rejects(loadSettings({}, { XDG_CONFIG_HOME: dir }), /the contexts file has no contexts/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('credentials in an endpoint URL: a message that says so and points at --user, without echoing the password', () => {
    assert.throws(
      () => parseEndpoint('http://user:s3cret@10.0.0.1:2379', '--endpoints'),
      (e: unknown) => e instanceof ConfigError && /credentials in URLs are not supported/.test(e.message) && /--user/.test(e.message) && !e.message.includes('s3cret'),
    );
    assert.throws(() => parseArgs(['--endpoints', 'https://root@10.0.0.1:2379']), /credentials in URLs are not supported/);
  });
});
