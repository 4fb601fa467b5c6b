import { test } from 'node:test';
import assert from 'node:assert/strict';
import { editDistance, nearestIds, readOnlyMessage, unknownCommandMessage } from '../../src/format/suggest.js';
import { CommandRegistry } from '../../src/commands/registry.js';

const ids = new CommandRegistry({ readOnly: false }).commands.map((c) => c.id);

test('edit distance counts a swap of two letters as one', () => {
  assert.equal(editDistance('defarg', 'defrag'), 1);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
});

test('the palette suggests the nearest command', () => {
  assert.deepEqual(nearestIds('defarg', ids).slice(0, 1), ['defrag']);
  assert.ok(nearestIds('promot', ids).includes('promote'));
  assert.ok(nearestIds('evnts', ids).includes('events'));
  assert.deepEqual(nearestIds('zzzzzz', ids), []);
  assert.equal(unknownCommandMessage('defarg', ids), 'no command "defarg": did you mean defrag?');
  assert.equal(unknownCommandMessage('zzzzzz', ids), 'no command "zzzzzz" (press ? for the list)');
});

test('in read-only mode a hidden command says read-only instead of nothing', () => {
  const visible = new CommandRegistry({ readOnly: true }).commands.map((c) => c.id);
  const hidden = ids.filter((id) => !visible.includes(id));
  assert.ok(hidden.includes('defrag'));
  assert.match(unknownCommandMessage('defrag', visible, hidden), /^read-only: defrag changes the cluster/);
  assert.match(unknownCommandMessage('defarg', visible, hidden), /did you mean defrag\? read-only/);
  assert.equal(readOnlyMessage('Defrag (D)'), 'read-only: Defrag (D) changes the cluster; this console is read-only');
});
