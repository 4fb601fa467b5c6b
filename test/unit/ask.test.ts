/**
 * The terminal question of the headless flows (src/cli/ask.ts): the answer line; Ctrl-C and the end
 * of the input give undefined (not confirmed), never an AbortError (a stack trace and exit 70).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { askLine } from '../../src/cli/ask.js';

function io(terminal: boolean) {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (b: Buffer) => (shown += b.toString()));
  return { input, output, terminal, shown: () => shown };
}

for (const terminal of [true, false]) {
  test(`askLine (${terminal ? 'a terminal' : 'a pipe'}): the line typed, without its newline`, async () => {
    const t = io(terminal);
    const answer = askLine('Type the member name "m3" to go ahead: ', t);
    t.input.write('m3\n');
    assert.equal(await answer, 'm3');
    assert.match(t.shown(), /Type the member name "m3" to go ahead: /);
    assert.doesNotMatch(t.shown(), /\^C/);
  });

  test(`askLine (${terminal ? 'a terminal' : 'a pipe'}): the end of the input (Ctrl-D) is no answer`, async () => {
    const t = io(terminal);
    const answer = askLine('Go ahead? [y/N] ', t);
    t.input.end();
    assert.equal(await answer, undefined);
    // (on a terminal readline also moves the cursor: ESC [ 17 G)
    const cursorMoves = new RegExp(`${String.fromCharCode(27)}\\[\\d+G`, 'g');
    assert.match(t.shown().replace(cursorMoves, ''), /\[y\/N\] \n$/, 'what follows starts on a new line');
  });
}

test('askLine: Ctrl-C on a terminal is no answer, shown as ^C on a line of its own', async () => {
  const t = io(true);
  const answer = askLine('Type the member name "m3" to go ahead: ', t);
  t.input.write('m\u0003');
  assert.equal(await answer, undefined);
  assert.match(t.shown(), /\^C\n$/);
});

test('askLine: a second question after a Ctrl-C still gets its answer', async () => {
  const t = io(true);
  const first = askLine('first? ', t);
  t.input.write('\u0003');
  assert.equal(await first, undefined);
  const second = askLine('second? ', t);
  t.input.write('yes\n');
  assert.equal(await second, 'yes');
});
