import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  appendKnownHost,
  checkHostKey,
  entryMatches,
  fingerprint,
  keyBlobType,
  knownHostLine,
  knownKeyTypes,
  parseKnownHosts,
  readKnownHosts,
} from '../../src/hosts/known-hosts.js';

// Keys made with ssh-keygen; fingerprints as `ssh-keygen -lf` printed them.
const ED = 'AAAAC3NzaC1lZDI1NTE5AAAAIL0oGQxzs3rHGNg4apxodUnm5EXXlOAOf0kJKZiSPG7l';
const ED_FP = 'SHA256:eOpD8vwIY1ZM54LLbsFAzazbbdkNnyhR6oLDJD4LL+g';
const EC = 'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBJknPqMgECc/4vWLW1b+zdoTn46Vazdm7SxiE5x1l1XftpZbEJRv318ObwoP6cgQWwTu8StVmsDmWAMBuoQv324=';
const EC_FP = 'SHA256:sqm0dooS8mT3n0dGmVu6Z1iZxWToVoYQb7yJxZya4cY';
const ED2 = 'AAAAC3NzaC1lZDI1NTE5AAAAIKMewAir/X2dlnvpr4hxMXuL9Ozp/i1nUPPO+h2F1Fng';
const ED2_FP = 'SHA256:0PnCr9ySKlf3FDXvm2JaLD4GSlsQIyC/J9OsORrxtuM';
// `ssh-keygen -H` of "[10.0.0.5]:2222 ssh-ed25519 ED" and "10.0.0.6 ecdsa-sha2-nistp256 EC".
const HASHED = [
  `|1|D3ZTDPxcmUQXQXbK03TyMFUWMlc=|DCFiXNW7tQlwoC5SLXyNP6Lkxz8= ssh-ed25519 ${ED}`,
  `|1|0YowsjM+U/FnE+Qs6RpmjvC55BQ=|4Wt5SG2gcsdkJaGijbAgOW5b4Mk= ecdsa-sha2-nistp256 ${EC}`,
].join('\n');

const blob = (b64: string): Buffer => Buffer.from(b64, 'base64');

describe('fingerprints and key blobs', () => {
  test('fingerprint is SHA256:<base64 without padding>, as ssh-keygen -lf prints it', () => {
    assert.equal(fingerprint(blob(ED)), ED_FP);
    assert.equal(fingerprint(blob(EC)), EC_FP);
    assert.equal(fingerprint(blob(ED2)), ED2_FP);
    assert.doesNotMatch(fingerprint(blob(ED)), /=/);
  });

  test('keyBlobType reads the first SSH string of the blob', () => {
    assert.equal(keyBlobType(blob(ED)), 'ssh-ed25519');
    assert.equal(keyBlobType(blob(EC)), 'ecdsa-sha2-nistp256');
    assert.equal(keyBlobType(Buffer.from([0, 0, 0, 9, 0x61])), undefined);
    assert.equal(keyBlobType(Buffer.alloc(2)), undefined);
  });
});

describe('parseKnownHosts', () => {
  test('comments, blank lines, CRLF, markers, comments after the key, bad lines left out; line numbers kept', () => {
    const text = [
      '# a comment',
      '',
      `host1,10.0.0.1 ssh-ed25519 ${ED} root@host1\r`,
      `   @revoked * ssh-ed25519 ${ED2}`,
      `@cert-authority *.example.com ecdsa-sha2-nistp256 ${EC}`,
      `@bogus host2 ssh-ed25519 ${ED}`,
      'host3 ssh-ed25519 not-base64!',
      `host4 ssh-rsa ${ED}`, // the blob says ed25519
      'host5 1024 35 12345', // SSH1
      `|1|bad|hash ssh-ed25519 ${ED}`,
      `\t[10.0.0.5]:2222\tecdsa-sha2-nistp256\t${EC}`,
    ].join('\n');
    const entries = parseKnownHosts(text);
    assert.deepEqual(
      entries.map((e) => [e.line, e.marker ?? '', e.keyType]),
      [
        [3, '', 'ssh-ed25519'],
        [4, 'revoked', 'ssh-ed25519'],
        [5, 'cert-authority', 'ecdsa-sha2-nistp256'],
        [11, '', 'ecdsa-sha2-nistp256'],
      ],
    );
    assert.deepEqual(entries[0].names, { kind: 'patterns', patterns: ['host1', '10.0.0.1'] });
    assert.ok(entries[0].keyBlob.equals(blob(ED)));
  });

  test('hashed names are parsed as salt and hash', () => {
    const [first] = parseKnownHosts(HASHED);
    assert.equal(first.names.kind, 'hashed');
    if (first.names.kind === 'hashed') {
      assert.equal(first.names.salt.length, 20);
      assert.equal(first.names.hash.length, 20);
    }
  });
});

describe('matching host names', () => {
  const match = (patterns: string, host: string, port = 22): boolean => {
    const [e] = parseKnownHosts(`${patterns} ssh-ed25519 ${ED}`);
    return entryMatches(e, host, port);
  };

  test('plain names, comma lists, case', () => {
    assert.ok(match('10.0.0.5', '10.0.0.5'));
    assert.ok(match('a,b,10.0.0.5', '10.0.0.5'));
    assert.ok(match('Node1.Example.COM', 'node1.example.com'));
    assert.ok(match('node1.example.com', 'NODE1.example.com'));
    assert.ok(!match('10.0.0.5', '10.0.0.50'));
  });

  test('ports other than 22 use [host]:port, port 22 the bare name (as OpenSSH)', () => {
    assert.ok(match('[10.0.0.5]:2222', '10.0.0.5', 2222));
    assert.ok(!match('10.0.0.5', '10.0.0.5', 2222));
    assert.ok(!match('[10.0.0.5]:2222', '10.0.0.5', 22));
    assert.ok(!match('[10.0.0.5]:22', '10.0.0.5', 22));
    assert.ok(match('[::1]:2200', '::1', 2200));
    assert.ok(match('::1', '::1', 22));
  });

  test('wildcards * and ?, negation with !', () => {
    assert.ok(match('*.example.com', 'node1.example.com'));
    assert.ok(!match('*.example.com', 'example.com'));
    assert.ok(match('10.0.0.?', '10.0.0.7'));
    assert.ok(!match('10.0.0.?', '10.0.0.17'));
    assert.ok(match('*', 'anything'));
    assert.ok(match('[10.0.0.*]:2222', '10.0.0.9', 2222));
    assert.ok(match('a*b*c', 'aXXbYYc'));
    assert.ok(!match('a*b*c', 'aXXbYY'));
    assert.ok(!match('*.example.com,!bad.example.com', 'bad.example.com'));
    assert.ok(match('*.example.com,!bad.example.com', 'good.example.com'));
    assert.ok(!match('!bad.example.com', 'good.example.com'), 'a negation alone matches nothing');
  });

  test('hashed entries made by ssh-keygen -H match their names only', () => {
    const [e5, e6] = parseKnownHosts(HASHED);
    assert.ok(entryMatches(e5, '10.0.0.5', 2222));
    assert.ok(!entryMatches(e5, '10.0.0.5', 22));
    assert.ok(!entryMatches(e5, '10.0.0.6', 2222));
    assert.ok(entryMatches(e6, '10.0.0.6', 22));
    assert.ok(!entryMatches(e6, '10.0.0.5', 22));
  });
});

describe('checkHostKey', () => {
  const entries = parseKnownHosts(
    [
      `node1 ssh-ed25519 ${ED}`, // line 1
      `node1 ecdsa-sha2-nistp256 ${EC}`, // line 2
      `node2 ssh-ed25519 ${ED2}`, // line 3
      `@cert-authority * ssh-ed25519 ${ED}`, // line 4
      `@revoked node9 ssh-ed25519 ${ED}`, // line 5
      `node9 ssh-ed25519 ${ED}`, // line 6
      HASHED, // lines 7, 8
    ].join('\n'),
  );

  test('trusted when a line for the host has the key', () => {
    assert.deepEqual(checkHostKey(entries, 'node1', 22, 'ssh-ed25519', blob(ED)), { status: 'trusted' });
    assert.deepEqual(checkHostKey(entries, 'node1', 22, 'ecdsa-sha2-nistp256', blob(EC)), { status: 'trusted' });
    assert.deepEqual(checkHostKey(entries, '10.0.0.5', 2222, 'ssh-ed25519', blob(ED)), { status: 'trusted' });
  });

  test('unknown when no line is for the host (a @cert-authority line does not count)', () => {
    assert.deepEqual(checkHostKey(entries, 'node3', 22, 'ssh-ed25519', blob(ED)), { status: 'unknown' });
    assert.deepEqual(checkHostKey(entries, 'node1', 2200, 'ssh-ed25519', blob(ED)), { status: 'unknown' });
    assert.deepEqual(checkHostKey([], 'node1', 22, 'ssh-ed25519', blob(ED)), { status: 'unknown' });
  });

  test('changed when the host has lines and none has the key, even of another type (stricter than OpenSSH)', () => {
    assert.deepEqual(checkHostKey(entries, 'node2', 22, 'ssh-ed25519', blob(ED)), {
      status: 'changed',
      known: [{ keyType: 'ssh-ed25519', fingerprint: ED2_FP, line: 3 }],
    });
    assert.deepEqual(checkHostKey(entries, 'node2', 22, 'ecdsa-sha2-nistp256', blob(EC)), {
      status: 'changed',
      known: [{ keyType: 'ssh-ed25519', fingerprint: ED2_FP, line: 3 }],
    });
    const hashed = checkHostKey(entries, '10.0.0.6', 22, 'ssh-ed25519', blob(ED2));
    assert.deepEqual(hashed, { status: 'changed', known: [{ keyType: 'ecdsa-sha2-nistp256', fingerprint: EC_FP, line: 8 }] });
  });

  test('revoked when a matching @revoked line has the key, even if a plain line has it too', () => {
    assert.deepEqual(checkHostKey(entries, 'node9', 22, 'ssh-ed25519', blob(ED)), { status: 'revoked' });
    // The revocation is for node9 only.
    assert.deepEqual(checkHostKey(entries, 'node1', 22, 'ssh-ed25519', blob(ED)), { status: 'trusted' });
  });

  test('knownKeyTypes lists the types of plain lines for the host, in file order, once each', () => {
    assert.deepEqual(knownKeyTypes(entries, 'node1', 22), ['ssh-ed25519', 'ecdsa-sha2-nistp256']);
    assert.deepEqual(knownKeyTypes(entries, 'node2', 22), ['ssh-ed25519']);
    assert.deepEqual(knownKeyTypes(entries, '10.0.0.6', 22), ['ecdsa-sha2-nistp256']);
    assert.deepEqual(knownKeyTypes(entries, 'node3', 22), []);
    const twice = parseKnownHosts(`node1 ssh-ed25519 ${ED}\nnode1 ssh-ed25519 ${ED2}`);
    assert.deepEqual(knownKeyTypes(twice, 'node1', 22), ['ssh-ed25519']);
  });
});

describe('writing lines', () => {
  test('knownHostLine: bare name on port 22, [host]:port otherwise, hashed with a fresh salt when asked', () => {
    assert.equal(knownHostLine('10.0.0.5', 22, 'ssh-ed25519', ED), `10.0.0.5 ssh-ed25519 ${ED}`);
    assert.equal(knownHostLine('Node1', 2222, 'ssh-ed25519', ED), `[node1]:2222 ssh-ed25519 ${ED}`);
    const h1 = knownHostLine('10.0.0.5', 2222, 'ssh-ed25519', ED, { hash: true });
    const h2 = knownHostLine('10.0.0.5', 2222, 'ssh-ed25519', ED, { hash: true });
    assert.match(h1, /^\|1\|[A-Za-z0-9+/=]{28}\|[A-Za-z0-9+/=]{28} ssh-ed25519 /);
    assert.notEqual(h1, h2);
    const [e] = parseKnownHosts(h1);
    assert.ok(entryMatches(e, '10.0.0.5', 2222));
    assert.ok(!entryMatches(e, '10.0.0.5', 22));
  });

  test('knownHostLine refuses names and keys that would break the file', () => {
    assert.throws(() => knownHostLine('a b', 22, 'ssh-ed25519', ED), RangeError);
    assert.throws(() => knownHostLine('a,b', 22, 'ssh-ed25519', ED), RangeError);
    assert.throws(() => knownHostLine('*', 22, 'ssh-ed25519', ED), RangeError);
    assert.throws(() => knownHostLine('a\nb', 22, 'ssh-ed25519', ED), RangeError);
    assert.throws(() => knownHostLine('a', 0, 'ssh-ed25519', ED), RangeError);
    assert.throws(() => knownHostLine('a', 22, 'ssh-rsa', ED), RangeError);
    assert.throws(() => knownHostLine('a', 22, 'ssh-ed25519', 'not base64!'), RangeError);
  });

  test('appendKnownHost creates the file 0600 in a 0700 directory and only ever appends', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-kh-'));
    try {
      const file = path.join(base, 'ssh', 'known_hosts');
      const first = await appendKnownHost(file, '10.0.0.5', 2222, 'ssh-ed25519', ED);
      assert.equal(first, `[10.0.0.5]:2222 ssh-ed25519 ${ED}`);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
      assert.equal(fs.readFileSync(file, 'utf8'), `${first}\n`);

      // A last line without a newline gets one; what was there stays byte for byte.
      const before = `${first}\n# my note, no newline at the end`;
      fs.writeFileSync(file, before);
      const second = await appendKnownHost(file, 'node1', 22, 'ecdsa-sha2-nistp256', EC, { hash: true });
      const after = fs.readFileSync(file, 'utf8');
      assert.equal(after, `${before}\n${second}\n`);

      const entries = await readKnownHosts(file);
      assert.deepEqual(checkHostKey(entries, '10.0.0.5', 2222, 'ssh-ed25519', blob(ED)), { status: 'trusted' });
      assert.deepEqual(checkHostKey(entries, 'node1', 22, 'ecdsa-sha2-nistp256', blob(EC)), { status: 'trusted' });
      assert.deepEqual(await readKnownHosts(path.join(base, 'missing')), []);
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});
