import { test } from 'node:test';
import assert from 'node:assert/strict';
import { editLine, isPrintable } from '../../src/flows/line-editor.js';

test('the line editor: printable text appends, backspace deletes, control keys do not edit', () => {
  assert.equal(editLine('ab', 'c', 'c'), 'abc');
  assert.equal(editLine('ab', '', 'xyz ü'), 'abxyz ü');
  assert.equal(editLine('ab', 'backspace', ''), 'a');
  assert.equal(editLine('', 'backspace', ''), '');
  assert.equal(editLine('ab', 'escape', '\u001b'), undefined);
  assert.equal(editLine('ab', 'up', ''), undefined);
  assert.equal(editLine('ab', '', '\u007f'), undefined);
  assert.equal(isPrintable('a\tb'), false);
});
