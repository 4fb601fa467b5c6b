import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { guardStdin, isKnownKeySequence, sanitizeInput, splitKeys } from '../../src/cli/input-guard.js';

describe('input guard (what reaches Ink 6.8 key parser)', () => {
  test('keys Ink names pass unchanged', () => {
    for (const seq of ['\x1b[A', '\x1b[B', '\x1b[1;5A', '\x1bOP', '\x1b[11~', '\x1b[24~', '\x1b[Z', '\x1b[3~', '\x1b[5~', '\x1b\x1b[A', '\x1b[97;5u', '\x1b[1;1:1A']) {
      assert.equal(isKnownKeySequence(seq), true, JSON.stringify(seq));
      assert.deepEqual(sanitizeInput(seq), { text: seq, pending: '' });
    }
  });

  test('Ctrl+F1..F4, colours, bracketed paste marks and mouse reports are dropped; the text around them stays', () => {
    for (const seq of ['\x1b[1;5P', '\x1b[1;5Q', '\x1b[1;5R', '\x1b[1;5S', '\x1b[31m', '\x1b[0m', '\x1b[200~', '\x1b[201~', '\x1b[M', '\x1b[?25h']) {
      assert.equal(isKnownKeySequence(seq), false, JSON.stringify(seq));
    }
    assert.deepEqual(sanitizeInput('\x1b[31mred\x1b[0m'), { text: 'red', pending: '' });
    assert.deepEqual(sanitizeInput('a\x1b[1;5Pb\x1b[200~c\x1b[201~'), { text: 'abc', pending: '' });
  });

  test('escape alone, alt+key and double escape pass; an unfinished sequence waits for the next chunk', () => {
    assert.deepEqual(sanitizeInput('\x1b'), { text: '\x1b', pending: '' });
    assert.deepEqual(sanitizeInput('\x1bx'), { text: '\x1bx', pending: '' });
    assert.deepEqual(sanitizeInput('\x1b\x1b'), { text: '\x1b\x1b', pending: '' });
    assert.deepEqual(sanitizeInput('ab\x1b[1;5'), { text: 'ab', pending: '\x1b[1;5' });
    assert.deepEqual(sanitizeInput('\x1b[1;5' + 'P!'), { text: '!', pending: '' });
  });

  test('guardStdin: read() gives sanitised chunks, split sequences are joined, and a throwing listener is reported, not fatal', () => {
    const raw = new PassThrough();
    raw.setEncoding('utf8');
    const errors: unknown[] = [];
    const stdin = guardStdin(raw as unknown as NodeJS.ReadStream, { onError: (e) => errors.push(e) });
    raw.write('x\x1b[1;');
    assert.equal(stdin.read(), 'x');
    raw.write('5Py\x1b[A');
    assert.equal(stdin.read(), 'y');
    assert.equal(stdin.read(), '\x1b[A');
    assert.equal(stdin.read(), null);
    raw.write('m3\r\x03');
    assert.deepEqual([stdin.read(), stdin.read(), stdin.read(), stdin.read()], ['m3', '\r', '\x03', null]);
    const listener = () => {
      throw new TypeError("Cannot read properties of undefined (reading 'startsWith')");
    };
    stdin.on('data', listener);
    raw.emit('data', 'z');
    assert.equal(errors.length, 1);
    stdin.removeListener('data', listener);
    assert.equal(raw.listenerCount('data'), 0);
  });

  test('splitKeys: control characters and escape sequences alone, text in runs, alt+key kept whole', () => {
    assert.deepEqual(splitKeys('m3\r\x03'), ['m3', '\r', '\x03']);
    assert.deepEqual(splitKeys('ab\x1b[Acd\x1bx\t'), ['ab', '\x1b[A', 'cd', '\x1bx', '\t']);
    assert.deepEqual(splitKeys('\x1b'), ['\x1b']);
    assert.deepEqual(splitKeys('héllo wörld'), ['héllo wörld']);
  });
});
