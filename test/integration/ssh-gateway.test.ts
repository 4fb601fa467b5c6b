// The SSH gateway against a real sshd on 127.0.0.1 (test/harness/sshd.ts): host keys, login,
// commands, uploads, reads. The "remote" host is this machine, so the tests can look at the files
// and processes the gateway made there directly.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from '../harness/skip.js'; // counts every test of a skipped describe
import type { SshTarget } from '../../src/domain/hosts.js';
import { HostError, type HostErrorKind } from '../../src/domain/errors.js';
import type { HostConnection, UnknownHostKey } from '../../src/hosts/gateway.js';
import { SshGateway } from '../../src/hosts/ssh-gateway.js';
import { freePort } from '../harness/ports.js';
import { isAlive, stopAll } from '../harness/registry.js';
import { makeKeyPair, sshdSkipReason, startSshAgent, startSshd, type KeyPair, type TestSshd } from '../harness/sshd.js';
import { waitFor } from '../harness/wait.js';

const skip = sshdSkipReason();
after(() => stopAll());

/** Asserts that the promise rejects with a HostError of this kind, and returns it. */
async function rejectsWith(p: Promise<unknown>, kind: HostErrorKind, pattern?: RegExp): Promise<HostError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof HostError, `expected a HostError, got ${String(err)}`);
    assert.equal(err.kind, kind, `kind of: ${err.message}`);
    if (pattern) assert.match(err.message, pattern);
    return err;
  }
  assert.fail(`expected a HostError of kind ${kind}, but it resolved`);
}

describe('SshGateway against a real sshd', { skip }, () => {
  let sshd: TestSshd;
  let dir: string;
  let key: KeyPair;
  let counter = 0;
  const gateway = new SshGateway();

  before(async () => {
    sshd = await startSshd({ hostKeyTypes: ['ed25519', 'ecdsa'] });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-ssh-test-'));
    key = makeKeyPair(path.join(dir, 'id_ed25519'));
    sshd.authorize(key);
  });
  after(async () => {
    await sshd?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh known_hosts file with these lines (none: the file does not exist). */
  function knownHosts(lines: string[] = []): string {
    const file = path.join(dir, `known_hosts-${++counter}`);
    if (lines.length > 0) fs.writeFileSync(file, lines.join('\n') + '\n');
    return file;
  }

  function target(over: Partial<SshTarget> = {}, server: TestSshd = sshd): SshTarget {
    return {
      address: '127.0.0.1',
      port: server.port,
      user: 'root',
      identityFiles: [key.privateKey],
      agent: false,
      knownHosts: over.knownHosts ?? knownHosts([server.knownHostsLine('ed25519')]),
      sudo: false,
      connectTimeoutMs: 10_000,
      ...over,
    };
  }

  /** Connects with the ed25519 host key known; closed after the test. */
  async function connect(t: { after(fn: () => void): void }, over: Partial<SshTarget> = {}): Promise<HostConnection> {
    const conn = await gateway.connect(target(over));
    t.after(() => conn.close());
    return conn;
  }

  describe('host keys', () => {
    test('a known host key is trusted; the connection records its fingerprint', async (t) => {
      const conn = await connect(t);
      assert.equal(conn.fingerprint, sshd.hostKeyFingerprint('ed25519'));
      const r = await conn.run(['echo', 'hello']);
      assert.equal(r.stdout, 'hello\n');
      assert.equal(r.code, 0);
    });

    test('a host known by its ecdsa key is asked for that key, though it also has ed25519', async (t) => {
      const conn = await connect(t, { knownHosts: knownHosts([sshd.knownHostsLine('ecdsa')]) });
      assert.equal(conn.fingerprint, sshd.hostKeyFingerprint('ecdsa'));
    });

    test('a hashed known_hosts entry (ssh-keygen -H) is trusted', async (t) => {
      const file = knownHosts([sshd.knownHostsLine('ed25519')]);
      execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
      fs.rmSync(`${file}.old`, { force: true });
      assert.match(fs.readFileSync(file, 'utf8'), /^\|1\|/);
      const conn = await connect(t, { knownHosts: file });
      assert.equal(conn.fingerprint, sshd.hostKeyFingerprint('ed25519'));
    });

    test('an unknown host key is refused without a confirmation callback', async () => {
      const file = knownHosts();
      await rejectsWith(gateway.connect(target({ knownHosts: file })), 'host-key-unknown', new RegExp(`127\\.0\\.0\\.1:${sshd.port}.*SHA256:`));
      assert.ok(!fs.existsSync(file), 'known_hosts not created');
    });

    test('an unknown host key is refused when the operator says no; known_hosts unchanged', async () => {
      const other = `other.example ssh-ed25519 ${sshd.publicHostKey('ed25519').base64}`;
      const file = knownHosts([other]);
      const before = fs.readFileSync(file);
      const asked: UnknownHostKey[] = [];
      await rejectsWith(
        gateway.connect(target({ knownHosts: file }), {
          confirmUnknownHost: async (k) => {
            asked.push(k);
            return false;
          },
        }),
        'host-key-unknown',
        /not accepted/,
      );
      assert.equal(asked.length, 1);
      assert.equal(asked[0].host, '127.0.0.1');
      assert.equal(asked[0].port, sshd.port);
      assert.equal(asked[0].keyType, 'ssh-ed25519');
      assert.equal(asked[0].fingerprint, sshd.hostKeyFingerprint('ed25519'));
      assert.equal(asked[0].keyBase64, sshd.publicHostKey('ed25519').base64);
      assert.ok(fs.readFileSync(file).equals(before));
    });

    test('an accepted host key is appended; the next connect needs no callback', async (t) => {
      const other = 'other.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKMewAir/X2dlnvpr4hxMXuL9Ozp/i1nUPPO+h2F1Fng';
      const file = knownHosts([other]);
      let asked = 0;
      const conn = await gateway.connect(target({ knownHosts: file }), {
        confirmUnknownHost: async () => {
          asked++;
          return true;
        },
      });
      t.after(() => conn.close());
      assert.equal(asked, 1);
      assert.equal(conn.fingerprint, sshd.hostKeyFingerprint('ed25519'));
      assert.equal(fs.readFileSync(file, 'utf8'), `${other}\n${sshd.knownHostsLine('ed25519')}\n`);
      const again = await gateway.connect(target({ knownHosts: file }));
      again.close();
    });

    test('the connect timeout does not run while the operator looks at the key', async (t) => {
      const file = knownHosts();
      const conn = await gateway.connect(target({ knownHosts: file, connectTimeoutMs: 300 }), {
        confirmUnknownHost: () => new Promise((resolve) => setTimeout(() => resolve(true), 700)),
      });
      t.after(() => conn.close());
      assert.equal((await conn.run(['true'])).code, 0);
    });

    test('aborting while the operator is asked rejects with aborted', async () => {
      const controller = new AbortController();
      const p = gateway.connect(target({ knownHosts: knownHosts() }), {
        signal: controller.signal,
        confirmUnknownHost: () => {
          controller.abort();
          return new Promise<boolean>(() => undefined);
        },
      });
      await rejectsWith(p, 'aborted');
    });

    test('a changed host key is refused before anything runs, with both fingerprints and the line', async (t) => {
      const server = await startSshd();
      t.after(() => server.stop());
      server.authorize(key);
      const file = knownHosts(['# first line', server.knownHostsLine()]);
      const oldFp = server.hostKeyFingerprint();
      await server.regenerateHostKeys();
      const newFp = server.hostKeyFingerprint();
      assert.notEqual(oldFp, newFp);
      const logBefore = fs.readFileSync(server.logFile, 'utf8').length;
      let asked = false;
      const err = await rejectsWith(
        gateway.connect(target({ knownHosts: file }, server), {
          confirmUnknownHost: async () => {
            asked = true;
            return true;
          },
        }),
        'host-key-changed',
      );
      assert.ok(!asked, 'a changed key is never offered for confirmation');
      assert.ok(err.message.includes(`host key of 127.0.0.1:${server.port} has changed`), err.message);
      assert.ok(err.message.includes(`known_hosts line 2 has ${oldFp}`), err.message);
      assert.ok(err.message.includes(`the host offers ${newFp} (ssh-ed25519)`), err.message);
      assert.match(err.message, /ssh-keygen -R/);
      assert.equal(err.host, '127.0.0.1');
      // No login happened after the new key.
      assert.doesNotMatch(fs.readFileSync(server.logFile, 'utf8').slice(logBefore), /Accepted publickey/);
    });
  });

  describe('login', () => {
    test('an encrypted key with the right passphrase works', async (t) => {
      const enc = makeKeyPair(path.join(dir, 'id_encrypted'), { passphrase: 'correct horse' });
      sshd.authorize(enc);
      const asked: string[] = [];
      const conn = await gateway.connect(target({ identityFiles: [enc.privateKey] }), {
        passphrase: async (file) => {
          asked.push(file);
          return 'correct horse';
        },
      });
      t.after(() => conn.close());
      assert.deepEqual(asked, [enc.privateKey]);
      assert.equal((await conn.run(['true'])).code, 0);
    });

    test('an encrypted key with a wrong passphrase is a clear local-file error; without one it is skipped', async () => {
      const enc = makeKeyPair(path.join(dir, 'id_encrypted2'), { passphrase: 'right' });
      sshd.authorize(enc);
      const err = await rejectsWith(
        gateway.connect(target({ identityFiles: [enc.privateKey] }), { passphrase: async () => 'wrong' }),
        'local-file',
        /wrong passphrase/,
      );
      assert.ok(err.message.includes(enc.privateKey));
      assert.doesNotMatch(err.message, /wrong['"]/);
      await rejectsWith(gateway.connect(target({ identityFiles: [enc.privateKey] })), 'auth', /encrypted, no passphrase given/);
    });

    test('ssh-agent keys are used (agent: true, SSH_AUTH_SOCK)', async (t) => {
      const agentKey = makeKeyPair(path.join(dir, 'id_agent'));
      sshd.authorize(agentKey);
      const agent = await startSshAgent();
      t.after(() => agent.stop());
      agent.add(agentKey.privateKey);
      const saved = process.env.SSH_AUTH_SOCK;
      process.env.SSH_AUTH_SOCK = agent.socket;
      try {
        const conn = await gateway.connect(target({ identityFiles: [path.join(dir, 'no-such-key')], agent: true }));
        t.after(() => conn.close());
        assert.equal((await conn.run(['echo', 'via agent'])).stdout, 'via agent\n');
      } finally {
        if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
        else process.env.SSH_AUTH_SOCK = saved;
      }
    });

    test('a key the server does not know: auth error naming user@host and the keys tried', async () => {
      const stranger = makeKeyPair(path.join(dir, 'id_stranger'));
      const err = await rejectsWith(gateway.connect(target({ identityFiles: [stranger.privateKey, path.join(dir, 'missing')] })), 'auth');
      assert.ok(err.message.includes(`root@127.0.0.1:${sshd.port}`), err.message);
      assert.ok(err.message.includes(stranger.privateKey), err.message);
      assert.ok(err.message.includes(`${path.join(dir, 'missing')} (missing)`), err.message);
    });

    test('a closed port is unreachable, at once', async () => {
      const port = await freePort();
      const started = Date.now();
      await rejectsWith(gateway.connect(target({ port, knownHosts: knownHosts() })), 'unreachable', /connection refused/);
      assert.ok(Date.now() - started < 2_000);
    });

    test('a port that never speaks SSH times out after connectTimeoutMs', async (t) => {
      const sockets = new Set<net.Socket>();
      const silent = net.createServer((s) => sockets.add(s));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      t.after(() => {
        for (const s of sockets) s.destroy();
        silent.close();
      });
      const port = (silent.address() as net.AddressInfo).port;
      const started = Date.now();
      await rejectsWith(gateway.connect(target({ port, connectTimeoutMs: 400 })), 'timeout', /connect timeout/);
      const took = Date.now() - started;
      assert.ok(took >= 350 && took < 3_000, `took ${took} ms`);
    });

    test('an aborted signal stops connect', async () => {
      const controller = new AbortController();
      controller.abort();
      await rejectsWith(gateway.connect(target(), { signal: controller.signal }), 'aborted');
    });
  });

  describe('run', () => {
    test('arguments come back byte-exact: spaces, quotes, $HOME, ;, newlines, unicode', async (t) => {
      const conn = await connect(t);
      const args = ['with space', "it's", '"dq"', '$HOME', '${HOME}', '$(id)', '`id`', 'a;b', 'a&&b', 'x|y', 'line1\nline2', '\t', '\\', '*', '~', '', 'ünïcödé €😀', '-n'];
      const r = await conn.run(['printf', '%s\\0', ...args]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.split('\0').slice(0, -1), args);
      assert.deepEqual(r.argv, ['printf', '%s\\0', ...args]);
      const line = await conn.run(['printf', '%s\n', 'a b; $HOME\nü']);
      assert.equal(line.stdout, 'a b; $HOME\nü\n');
    });

    test('exit code, stderr, streamed output', async (t) => {
      const conn = await connect(t);
      const out: string[] = [];
      const err: string[] = [];
      const r = await conn.run(['sh', '-c', 'echo out; echo err >&2; exit 3'], { onStdout: (s) => out.push(s), onStderr: (s) => err.push(s) });
      assert.equal(r.code, 3);
      assert.equal(r.signal, undefined);
      assert.equal(r.stdout, 'out\n');
      assert.equal(r.stderr, 'err\n');
      assert.equal(out.join(''), 'out\n');
      assert.equal(err.join(''), 'err\n');
      assert.ok(r.durationMs >= 0);
      const killed = await conn.run(['sh', '-c', 'kill -TERM $$']);
      assert.equal(killed.code, null);
      assert.equal(killed.signal, 'SIGTERM');
    });

    test('multi-byte characters split across chunks survive', async (t) => {
      const conn = await connect(t);
      let streamed = '';
      const r = await conn.run(['sh', '-c', 'i=0; while [ $i -lt 3000 ]; do printf "€😀ü"; i=$((i+1)); done'], {
        onStdout: (s) => (streamed += s),
      });
      const expected = '€😀ü'.repeat(3000);
      assert.equal(r.stdout, expected);
      assert.equal(streamed, expected);
      assert.doesNotMatch(r.stdout, /\uFFFD/);
    });

    test('stdin is sent and closed; without stdin a reader sees EOF', async (t) => {
      const conn = await connect(t);
      assert.equal((await conn.run(['cat'], { stdin: 'hello\nwörld' })).stdout, 'hello\nwörld');
      assert.equal((await conn.run(['wc', '-c'], { stdin: Buffer.from([1, 2, 3]) })).stdout.trim(), '3');
      const r = await conn.run(['cat'], { timeoutMs: 5_000 });
      assert.equal(r.code, 0);
      assert.equal(r.stdout, '');
    });

    test('a command over its timeout is killed on the host', async (t) => {
      const conn = await connect(t);
      let out = '';
      const started = Date.now();
      await rejectsWith(conn.run(['sh', '-c', 'echo $$; exec sleep 60'], { timeoutMs: 500, onStdout: (s) => (out += s) }), 'timeout', /did not finish within 0.5 s/);
      assert.ok(Date.now() - started < 5_000);
      const pid = Number(out.trim());
      assert.ok(pid > 0, `pid printed: ${JSON.stringify(out)}`);
      await waitFor(() => !isAlive(pid), { timeoutMs: 5_000, what: `remote sleep (pid ${pid}) to be gone` });
      // The connection is still good.
      assert.equal((await conn.run(['echo', 'still here'])).stdout, 'still here\n');
    });

    test('abort kills the command', async (t) => {
      const conn = await connect(t);
      const controller = new AbortController();
      let out = '';
      const p = conn.run(['sh', '-c', 'echo $$; exec sleep 60'], {
        signal: controller.signal,
        onStdout: (s) => {
          out += s;
          controller.abort();
        },
      });
      await rejectsWith(p, 'aborted');
      const pid = Number(out.trim());
      await waitFor(() => !isAlive(pid), { timeoutMs: 5_000, what: `remote sleep (pid ${pid}) to be gone` });
    });

    test('sudo: run through sudo -n --, by option or by the target', async (t) => {
      const conn = await connect(t);
      const r = await conn.run(['id', '-u'], { sudo: true });
      assert.deepEqual(r.argv, ['sudo', '-n', '--', 'id', '-u']);
      assert.equal(r.stdout, '0\n');
      const viaSudo = await conn.run(['printenv', 'SUDO_COMMAND'], { sudo: true });
      assert.match(viaSudo.stdout, /printenv SUDO_COMMAND/);
      const plain = await conn.run(['printenv', 'SUDO_COMMAND']);
      assert.equal(plain.stdout, '');

      const sudoConn = await connect(t, { sudo: true });
      assert.match((await sudoConn.run(['printenv', 'SUDO_COMMAND'])).stdout, /printenv SUDO_COMMAND/);
      assert.equal((await sudoConn.run(['printenv', 'SUDO_COMMAND'], { sudo: false })).stdout, '');
    });

    test('a command under sudo is killed on timeout too', async (t) => {
      const conn = await connect(t, { sudo: true });
      let out = '';
      await rejectsWith(conn.run(['sh', '-c', 'echo $$; exec sleep 60'], { timeoutMs: 500, onStdout: (s) => (out += s) }), 'timeout');
      const pid = Number(out.trim());
      assert.ok(pid > 0, `pid printed: ${JSON.stringify(out)}`);
      await waitFor(() => !isAlive(pid), { timeoutMs: 5_000, what: `sleep under sudo (pid ${pid}) to be gone` });
    });

    test('a sudo that wants a password is a sudo error saying what to do', async (t) => {
      // A host whose sudo asks for a password: a stand-in sudo first on the session's PATH.
      const bin = path.join(dir, 'fakebin');
      fs.mkdirSync(bin, { recursive: true });
      fs.writeFileSync(path.join(bin, 'sudo'), '#!/bin/sh\necho "sudo: a password is required" >&2\nexit 1\n', { mode: 0o755 });
      const server = await startSshd({ extraConfig: [`SetEnv PATH=${bin}:/usr/bin:/bin`] });
      t.after(() => server.stop());
      server.authorize(key);
      const conn = await gateway.connect(target({}, server));
      t.after(() => conn.close());
      await rejectsWith(conn.run(['id', '-u'], { sudo: true }), 'sudo', /passwordless sudo for root.*or log in as root/);
      assert.equal((await conn.run(['id', '-u'])).stdout, '0\n');
    });

    test('a host without sudo is a sudo error too', async (t) => {
      const bin = path.join(dir, 'nosudo-bin');
      fs.mkdirSync(bin, { recursive: true });
      fs.symlinkSync('/usr/bin/id', path.join(bin, 'id'));
      const server = await startSshd({ extraConfig: [`SetEnv PATH=${bin}`] });
      t.after(() => server.stop());
      server.authorize(key);
      const conn = await gateway.connect(target({}, server));
      t.after(() => conn.close());
      await rejectsWith(conn.run(['id', '-u'], { sudo: true }), 'sudo', /sudo is not installed/);
      assert.equal((await conn.run(['id', '-u'])).stdout, '0\n');
    });
  });

  describe('files', () => {
    const leftovers = (d: string): string[] => fs.readdirSync(d).filter((f) => f.includes('.etcd-tui-tmp-'));
    const staged = (): string[] => fs.readdirSync('/tmp').filter((f) => f.startsWith('.etcd-tui-upload-'));
    /** No staging file in /tmp beyond those there before (waits a little: others' uploads may be running). */
    const noNewStaged = (before: string[]): Promise<boolean> =>
      waitFor(() => staged().every((f) => before.includes(f)), { timeoutMs: 5_000, what: 'no staging file of ours left in /tmp' });

    test('upload: mode, content, backup of the old file on replace, no temp files left', async (t) => {
      const conn = await connect(t);
      const d = fs.mkdtempSync(path.join(dir, 'up-'));
      const dest = path.join(d, 'etcd.env');
      const first = await conn.upload(Buffer.from('ETCD_NAME=one\n'), dest, { mode: 0o640 });
      assert.deepEqual(first, { path: dest, replaced: false, bytes: 14 });
      assert.equal((await conn.run(['stat', '-c', '%a', dest])).stdout.trim(), '640');
      assert.equal(fs.readFileSync(dest, 'utf8'), 'ETCD_NAME=one\n');

      const second = await conn.upload(Buffer.from('ETCD_NAME=two\n'), dest, { mode: 0o600 });
      assert.equal(second.replaced, true);
      assert.ok(second.backup, 'a backup path');
      assert.match(path.basename(second.backup ?? ''), /^etcd\.env\.etcd-tui-backup-\d{8}T\d{6}Z$/);
      assert.equal(fs.readFileSync(second.backup ?? '', 'utf8'), 'ETCD_NAME=one\n');
      assert.equal((await conn.run(['stat', '-c', '%a', second.backup ?? ''])).stdout.trim(), '640', 'cp -p keeps the mode');
      assert.equal(fs.readFileSync(dest, 'utf8'), 'ETCD_NAME=two\n');
      assert.equal((await conn.run(['stat', '-c', '%a', dest])).stdout.trim(), '600');

      // A second backup within the same second gets its own name.
      const third = await conn.upload(Buffer.from('ETCD_NAME=three\n'), dest, { mode: 0o600 });
      assert.notEqual(third.backup, second.backup);
      assert.equal(fs.readFileSync(third.backup ?? '', 'utf8'), 'ETCD_NAME=two\n');

      const noBackup = await conn.upload(Buffer.alloc(0), dest, { mode: 0o644, backup: false });
      assert.deepEqual(noBackup, { path: dest, replaced: true, bytes: 0 });
      assert.equal(fs.readFileSync(dest, 'utf8'), '');
      assert.deepEqual(leftovers(d), []);
      assert.equal(fs.readdirSync(d).filter((f) => f.includes('backup')).length, 2);
    });

    test('upload from a local file reports progress; owner is set', async (t) => {
      const conn = await connect(t);
      const d = fs.mkdtempSync(path.join(dir, 'up-'));
      const local = path.join(dir, 'big.bin');
      const data = crypto.randomBytes(3 * 1024 * 1024 + 123);
      fs.writeFileSync(local, data);
      const progress: Array<[number, number]> = [];
      const dest = path.join(d, 'etcd');
      const r = await conn.upload({ localPath: local }, dest, { mode: 0o755, owner: 'nobody:nogroup', onProgress: (s, total) => progress.push([s, total]) });
      assert.equal(r.bytes, data.length);
      assert.ok(fs.readFileSync(dest).equals(data));
      assert.equal((await conn.run(['stat', '-c', '%a %U %G', dest])).stdout.trim(), '755 nobody nogroup');
      assert.ok(progress.length > 10);
      assert.deepEqual(progress[progress.length - 1], [data.length, data.length]);
      for (let i = 1; i < progress.length; i++) assert.ok(progress[i][0] >= progress[i - 1][0]);
      assert.deepEqual(leftovers(d), []);
    });

    test('upload with sudo: staged in /tmp, installed with mode and owner, backup, nothing left', async (t) => {
      const conn = await connect(t);
      const d = fs.mkdtempSync(path.join(dir, 'up-'));
      const dest = path.join(d, 'member-key.pem');
      const before = staged();
      const first = await conn.upload(Buffer.from('secret one\n'), dest, { mode: 0o600, sudo: true, owner: 'nobody' });
      assert.deepEqual(first, { path: dest, replaced: false, bytes: 11 });
      assert.equal((await conn.run(['stat', '-c', '%a %U', dest])).stdout.trim(), '600 nobody');
      const second = await conn.upload(Buffer.from('secret two\n'), dest, { mode: 0o640, sudo: true, owner: 'nobody:nogroup' });
      assert.equal(second.replaced, true);
      assert.equal(fs.readFileSync(second.backup ?? '', 'utf8'), 'secret one\n');
      assert.equal(fs.readFileSync(dest, 'utf8'), 'secret two\n');
      assert.equal((await conn.run(['stat', '-c', '%a %U %G', dest])).stdout.trim(), '640 nobody nogroup');
      assert.deepEqual(leftovers(d), []);
      await noNewStaged(before);
    });

    test('upload into a missing directory says so and leaves nothing behind', async (t) => {
      const conn = await connect(t);
      const missing = path.join(dir, 'no-such-dir', 'etcd.env');
      const before = staged();
      await rejectsWith(conn.upload(Buffer.from('x'), missing, { mode: 0o644 }), 'other', /does not exist.*mkdir -p/);
      await rejectsWith(conn.upload(Buffer.from('x'), missing, { mode: 0o644, sudo: true }), 'other', /does not exist.*mkdir -p/);
      assert.ok(!fs.existsSync(path.dirname(missing)));
      await noNewStaged(before);
    });

    test('readFile: content, missing file -> undefined, with and without sudo, maxBytes', async (t) => {
      const conn = await connect(t);
      const file = path.join(dir, 'read-me.bin');
      const data = Buffer.concat([Buffer.from('bytes: '), crypto.randomBytes(5000), Buffer.from([0xff, 0xfe, 0x00])]);
      fs.writeFileSync(file, data);
      assert.ok((await conn.readFile(file))?.equals(data));
      assert.ok((await conn.readFile(file, { sudo: true }))?.equals(data));
      assert.equal(await conn.readFile(path.join(dir, 'missing')), undefined);
      assert.equal(await conn.readFile(path.join(dir, 'missing'), { sudo: true }), undefined);
      await rejectsWith(conn.readFile(file, { maxBytes: 100 }), 'other', /larger than 100 bytes/);
      await rejectsWith(conn.readFile(file, { maxBytes: 100, sudo: true }), 'other', /larger than 100 bytes/);
    });
  });
});
