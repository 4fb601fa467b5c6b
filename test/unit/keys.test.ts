import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Key } from 'ink';
import { keyNames } from '../../screens/keys.js';

const none: Key = { upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false, return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false, super: false, hyper: false, capsLock: false, numLock: false } as Key;

test('esc then a key in one chunk (read as alt+key) acts as esc, then the key', () => {
  assert.deepEqual(keyNames('x', { ...none, meta: true }), ['escape', 'x']);
  assert.deepEqual(keyNames('x', none), ['x']);
  assert.deepEqual(keyNames('', { ...none, escape: true, meta: true }), ['escape']);
  assert.deepEqual(keyNames('', { ...none, upArrow: true, meta: true }), ['up']);
});
