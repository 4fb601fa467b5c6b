/** The command table: dispatch by words, options refused where they do not belong, per-command help. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS, checkOptions, commandHelp, findCommand } from '../../src/cli/commands.js';
import { parseArgs } from '../../src/cli/args.js';
import { OPTION_BY_NAME } from '../../src/cli/options.js';
import { flowByCommand } from '../../src/flows/modules/index.js';
import { ConfigError } from '../../src/domain/errors.js';

function check(argv: string[]): void {
  const a = parseArgs(argv);
  const { spec } = findCommand(a.command);
  checkOptions(spec, a.flags);
}

function refused(argv: string[], expected: RegExp): void {
  assert.throws(() => check(argv), (e: unknown) => e instanceof ConfigError && expected.test(e.message), `${argv.join(' ')} should be refused with ${expected}`);
}

test('every command option is declared, and every flow command of the table has a flow module', () => {
  for (const c of COMMANDS) for (const o of c.options) assert.ok(OPTION_BY_NAME.has(o), `${c.words.join(' ')}: undeclared option ${o}`);
  for (const words of [['member', 'add-learner'], ['member', 'promote'], ['member', 'remove'], ['member', 'move-leader'], ['member', 'replace'], ['defrag'], ['compact'], ['alarm', 'recover-nospace'], ['snapshot', 'save'], ['bootstrap', 'join'], ['bootstrap', 'cluster']]) {
    assert.ok(flowByCommand(words), `no flow module for ${words.join(' ')}`);
    assert.ok(COMMANDS.some((c) => c.words.join(' ') === words.join(' ')), `no command for ${words.join(' ')}`);
  }
});

test('the words find the command; the rest are its arguments', () => {
  assert.deepEqual(findCommand(['member', 'remove', 'm2']).args, ['m2']);
  assert.deepEqual(findCommand(['member', 'remove', 'm2']).spec.words, ['member', 'remove']);
  assert.deepEqual(findCommand([]).spec.words, []);
  assert.deepEqual(findCommand(['alarm', 'list']).spec.words, ['alarm', 'list']);
});

test('unknown commands and group words alone keep their messages (exit 4)', () => {
  refused(['frobnicate'], /^unknown command "frobnicate" \(commands: status, sandbox, member/);
  refused(['member'], /^member: which command\? \(usage:\netcd-tui member add-learner/);
  refused(['member', 'nope'], /^unknown member command "nope" \(usage:/);
  refused(['alarm'], /^alarm: which command\? "list" or "recover-nospace" \(usage:/);
  refused(['alarm', 'x'], /^alarm: which command\? "list" or "recover-nospace", not "x"/);
  refused(['snapshot'], /^snapshot: which command\?/);
  refused(['bootstrap', 'x'], /^unknown bootstrap command "x"/);
  refused(['status', 'extra'], /^status: unexpected argument "extra"/);
});

test('an option that does not belong to the command is refused with its usage; global options go everywhere', () => {
  refused(['status', '--wait', '5m'], /^status: --wait is not for status \(usage:\netcd-tui status/);
  refused(['member', 'remove', 'm2', '--name', 'x'], /^member remove: --name is not for member remove \(usage:\netcd-tui member add-learner/);
  refused(['defrag', '--retain', '5'], /^defrag: --retain is not for defrag \(defrag takes --compact-retain N\) \(usage:\netcd-tui defrag/);
  refused(['compact', '--compact-retain', '5'], /^compact: --compact-retain is not for compact \(compact takes --retain N\)/);
  refused(['alarm', 'list', '--rule', 'x'], /^alarm list: --rule is not for alarm list/);
  refused(['--members', '3'], /^the console: --members is not for the console/);
  check(['snapshot', 'status', 'f.db', '--json', '--context', 'prod']);
  check(['--config', 'c.yaml', '--audit-log', 'a.jsonl', 'bootstrap', 'render', '--out', 'd', '--token', 't']);
  check(['member', 'replace', 'm3', '--new-name', 'm3b', '--peer-urls', 'http://a:2380', '--down-for', '2s', '--wait', '60s', '--yes', '--endpoints', 'http://a:2379']);
});

test('per-command help is generated from the declarations', () => {
  const member = commandHelp(['member']) ?? '';
  assert.match(member, /etcd-tui member promote ID\|NAME \[--wait 5m\]/);
  assert.match(member, /--peer-urls URL\[,URL\]\s+the new member's peer URLs/);
  const save = commandHelp(['snapshot', 'save']) ?? '';
  assert.match(save, /^Usage:\n {2}etcd-tui snapshot save FILE/);
  assert.match(save, /--from ID\|NAME\s+the member to stream from/);
  assert.doesNotMatch(save, /snapshot status/);
  assert.equal(commandHelp(['nope']), undefined);
  assert.equal(commandHelp([]), undefined);
});
