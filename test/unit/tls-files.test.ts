import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTlsFiles } from '../../src/cluster/tls-files.js';
import { classifyError } from '../../src/cluster/classify.js';
import { makeCerts } from '../harness/certs.js';
import { ConfigError } from '../../src/domain/errors.js';

describe('TLS file checks (no network)', () => {
  test('a good set passes; expiry and a future start are refused with the date; an encrypted key is named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'etcd-tui-tls-unit-'));
    try {
      const c = makeCerts(join(dir, 'certs'));
      const set = { cacert: { path: c.caCert, label: '--cacert' }, cert: { path: c.clientCert, label: '--cert' }, key: { path: c.clientKey, label: '--key' } };
      checkTlsFiles(set);
      const later = new Date(Date.now() + 4000 * 24 * 3600 * 1000);
      assert.throws(() => checkTlsFiles({ cert: set.cert, key: set.key }, later), (e: Error) => e instanceof ConfigError && /--cert: the certificate in .* expired on \d{4}-/.test(e.message));
      assert.throws(() => checkTlsFiles(set, later), /--cacert: every certificate in .* has expired/);
      assert.throws(() => checkTlsFiles({ cert: set.cert }, new Date(2000, 0, 1)), /is not valid before .*check this machine's clock/);
      const encrypted = join(dir, 'enc.key');
      writeFileSync(encrypted, '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n');
      assert.throws(() => checkTlsFiles({ cert: set.cert, key: { path: encrypted, label: '--key' } }), /--key: .* is an encrypted private key/);
      assert.throws(() => checkTlsFiles({ cacert: { path: join(dir, 'nope'), label: '--cacert' } }), /--cacert: cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a dropped plaintext connection to an http:// endpoint says the member may expect https://', () => {
    const failed = new Error('No connection established. Last error: Failed to connect');
    assert.match(classifyError(failed, 'http://10.0.0.1:2379').message, /may expect https:\/\/ \(TLS\): try https:\/\/10\.0\.0\.1:2379/);
    assert.doesNotMatch(classifyError(failed, 'https://10.0.0.1:2379').message, /may expect/);
    assert.doesNotMatch(classifyError(new Error('connect ECONNREFUSED 10.0.0.1:2379'), 'http://10.0.0.1:2379').message, /may expect/);
  });
});
