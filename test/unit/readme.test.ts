import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandRegistry, keyTableMarkdown } from '../../src/commands/registry.js';
import { repoRoot } from '../harness/binaries.js';
import { HELP_TEXT } from '../../src/cli/args.js';

test('the README key table is the one the registry generates (npm run keys)', () => {
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
  const table = /<!-- keys:begin -->\n([\s\S]*?)\n<!-- keys:end -->/.exec(readme)?.[1];
  assert.ok(table, 'README has the keys markers');
  assert.equal(table, keyTableMarkdown(new CommandRegistry({ readOnly: false })));
});

test('the help text documents every status exit code the README lists', () => {
  for (const code of ['0  healthy', '1  degraded', '2  critical', '3  unreachable', '4  usage']) assert.ok(HELP_TEXT.includes(code), code);
});
