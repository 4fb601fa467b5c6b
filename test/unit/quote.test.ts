import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { shellCommand, shellQuote, sudoArgv } from '../../src/hosts/quote.js';

const NASTY = [
  '',
  'plain',
  'with space',
  "it's",
  "'",
  "''",
  '"double"',
  '$HOME',
  '${HOME}',
  '$(id -u)',
  '`id -u`',
  'a;b',
  'a && b || c',
  'a|b',
  'line1\nline2',
  '\ttab',
  'back\\slash',
  '\\',
  'glob*?[a]',
  '~',
  '~root',
  '=cmd',
  '-n',
  '--',
  '!history',
  '#comment',
  '%1',
  '{a,b}',
  'a=b',
  'ünïcödé €',
  '😀 emoji',
  ' leading and trailing ',
  '\r\n',
];

describe('shellQuote', () => {
  test('plain words stay as they are', () => {
    for (const w of ['etcd', '/etc/etcd/etcd.env', '--name=node1', 'a_b-c.d:e,f@g%h+i', '0644', 'a=b']) assert.equal(shellQuote(w), w);
  });

  test('everything else goes in single quotes, each quote as \'\\\'\'', () => {
    assert.equal(shellQuote(''), "''");
    assert.equal(shellQuote('a b'), "'a b'");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
    assert.equal(shellQuote('$HOME'), "'$HOME'");
    assert.equal(shellQuote('=cmd'), "'=cmd'", 'zsh expands a leading =');
    assert.equal(shellQuote('~'), "'~'");
  });

  test('a NUL byte is refused', () => {
    assert.throws(() => shellQuote('a\0b'), /NUL/);
    assert.throws(() => shellCommand(['printf', '%s', 'x\0']), /NUL/);
  });

  test('shellCommand refuses an empty argv', () => {
    assert.throws(() => shellCommand([]), /empty/);
  });

  test('sudoArgv: non-interactive sudo, end of options', () => {
    assert.deepEqual(sudoArgv(['systemctl', 'restart', 'etcd']), ['sudo', '-n', '--', 'systemctl', 'restart', 'etcd']);
  });

  for (const shell of ['/bin/sh', '/bin/bash', '/bin/dash', '/usr/bin/zsh']) {
    test(`every argument comes back byte-exact through ${shell} -c`, { skip: fs.existsSync(shell) ? false : `${shell} is not installed` }, () => {
      // printf '%s\0' keeps each argument apart, newlines included.
      const out = execFileSync(shell, ['-c', shellCommand(['printf', '%s\\0', ...NASTY])], { encoding: 'utf8', env: { HOME: '/nowhere', PATH: process.env.PATH } });
      assert.deepEqual(out.split('\0').slice(0, -1), NASTY);
    });
  }
});
