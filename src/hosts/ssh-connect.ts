/**
 * Connecting and logging in over SSH (ssh2): host keys pinned in known_hosts (an unknown key asks, a
 * changed or revoked one is refused), key files (encrypted ones ask for their passphrase) and
 * ssh-agent, a connect timer that stops while the operator looks at a key, keepalives sized to the
 * stall timeout. Part of the SSH gateway (src/hosts/ssh-gateway.ts).
 */
import fs from 'node:fs/promises';
import type { AnyAuthMethod, AuthHandlerMiddleware, ConnectConfig, ParsedKey, ServerHostKeyAlgorithm } from 'ssh2';
import type { SshTarget } from '../domain/hosts.js';
import { HostError } from '../domain/errors.js';
import type { ConnectOptions } from './gateway.js';
import { appendKnownHost, checkHostKey, fingerprint, keyBlobType, knownKeyTypes, readKnownHosts, type KnownHostEntry } from './known-hosts.js';
import { KEEPALIVES_PER_STALL, aborted, addressLabel, expandHome, hostLabel, message, raceAbort, ssh2, stallTimeoutMs, type SshClient } from './ssh-common.js';

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** ssh2's host key algorithm names for a known_hosts key type (an RSA key signs with three). */
const HOST_KEY_ALGORITHMS: Record<string, ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'ssh-dss': ['ssh-dss'],
};
/** ssh2 1.17's default order (ed25519 is there on Node >= 12). */
const DEFAULT_HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];


export interface SshGatewayOptions {
  /** Write accepted host keys to known_hosts with hashed names (like HashKnownHosts yes). Default false. */
  hashKnownHosts?: boolean;
}

interface Identity {
  file: string;
  key: ParsedKey;
}

/**
 * Reads the target's identity files. Missing files are skipped (the defaults list files that may not
 * exist); an encrypted key asks for its passphrase and is skipped without one; a wrong passphrase,
 * an unreadable file or a file that is no private key is an error.
 */
async function loadIdentities(target: SshTarget, opts: ConnectOptions): Promise<{ keys: Identity[]; skipped: string[] }> {
  const keys: Identity[] = [];
  const skipped: string[] = [];
  for (const raw of target.identityFiles) {
    const file = expandHome(raw);
    let data: Buffer;
    try {
      data = await fs.readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        skipped.push(`${file} (missing)`);
        continue;
      }
      throw new HostError(`cannot read key file ${file} for ${hostLabel(target)}: ${message(err)}`, 'local-file', target.address);
    }
    const { utils } = await ssh2();
    let parsed = utils.parseKey(data);
    if (parsed instanceof Error && /encrypted/i.test(parsed.message) && /no passphrase/i.test(parsed.message)) {
      const passphrase = opts.passphrase
        ? await raceAbort(opts.passphrase(file), opts.signal, () => aborted(target, 'connecting'))
        : undefined;
      if (passphrase === undefined) {
        skipped.push(`${file} (encrypted, no passphrase given)`);
        continue;
      }
      parsed = utils.parseKey(data, passphrase);
      if (parsed instanceof Error) {
        throw new HostError(`cannot decrypt key file ${file}: wrong passphrase? (${parsed.message}); connect again and type the key's passphrase`, 'local-file', target.address);
      }
    }
    if (parsed instanceof Error) {
      throw new HostError(`cannot use key file ${file}: ${parsed.message}; give an OpenSSH or PEM private key`, 'local-file', target.address);
    }
    const key = (Array.isArray(parsed) ? parsed[0] : parsed) as ParsedKey;
    if (!key.isPrivateKey()) {
      throw new HostError(`key file ${file} holds a public key; give the private key file (the one without .pub)`, 'local-file', target.address);
    }
    keys.push({ file, key });
  }
  return { keys, skipped };
}

/** Host key algorithms to ask for: those known_hosts has for the host first, then ssh2's defaults. */
function preferredHostKeyAlgorithms(types: string[]): ServerHostKeyAlgorithm[] | undefined {
  const first = types.flatMap((t) => HOST_KEY_ALGORITHMS[t] ?? []);
  if (first.length === 0) return undefined;
  return [...new Set([...first, ...DEFAULT_HOST_KEY_ALGORITHMS])];
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'EAI_NONAME']);

/** Classifies an ssh2 connection error (before the session is ready). */
function connectError(target: SshTarget, err: Error & { level?: string; code?: unknown; description?: string }): HostError {
  const where = addressLabel(target);
  const code = typeof err.code === 'string' ? err.code : undefined;
  if (err.level === 'client-dns' || (code && UNREACHABLE_CODES.has(code))) {
    const why = code === 'ECONNREFUSED' ? 'connection refused (is sshd running on that port?)'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' || err.level === 'client-dns' ? `the name ${target.address} does not resolve`
      : `no route (${code})`;
    return new HostError(`cannot reach ${where}: ${why}; check the address and port in the inventory`, 'unreachable', target.address);
  }
  if (code === 'ETIMEDOUT') return new HostError(`cannot reach ${where}: TCP connect timed out; check the address and the firewall`, 'timeout', target.address);
  if (err.level === 'client-socket') return new HostError(`connection to ${where} failed: ${err.message}`, 'unreachable', target.address);
  if (typeof err.code === 'number') return new HostError(`${where} closed the SSH connection: ${err.message}`, 'other', target.address);
  return new HostError(`SSH handshake with ${where} failed: ${err.message}`, 'other', target.address);
}

/** The middle of /etc/ssh/ssh_host_<type>_key.pub for a key type. */
function hostKeyFileType(keyType: string): string {
  if (keyType.startsWith('ecdsa-')) return 'ecdsa';
  return keyType.replace(/^ssh-/, '');
}

function changedKeyError(
  target: SshTarget,
  knownHostsFile: string,
  keyType: string,
  offered: string,
  known: Array<{ keyType: string; fingerprint: string; line: number }>,
): HostError {
  const where = addressLabel(target);
  const lines = known.map((k) => `known_hosts line ${k.line} has ${k.fingerprint}${k.keyType === keyType ? '' : ` (${k.keyType})`}`).join(', ');
  const name = target.port === 22 ? target.address : `[${target.address}]:${target.port}`;
  return new HostError(
    `host key of ${where} has changed: ${lines}, the host offers ${offered} (${keyType}). ` +
      `If the host was reinstalled, remove the old line (ssh-keygen -R '${name}' -f ${knownHostsFile}) and connect again; otherwise someone may be in the middle.`,
    'host-key-changed',
    target.address,
  );
}

export async function connectClient(
  target: SshTarget,
  opts: ConnectOptions,
  gatewayOptions: SshGatewayOptions,
): Promise<{ client: SshClient; fingerprint: string }> {
  const label = hostLabel(target);
  if (opts.signal?.aborted) throw aborted(target, 'connecting');
  const knownHostsFile = expandHome(target.knownHosts);
  let entries: KnownHostEntry[];
  try {
    entries = await readKnownHosts(knownHostsFile);
  } catch (err) {
    throw new HostError(`cannot read known_hosts file ${knownHostsFile}: ${message(err)}`, 'local-file', target.address);
  }
  const { keys, skipped } = await loadIdentities(target, opts);
  const agentSocket = target.agent ? process.env.SSH_AUTH_SOCK || undefined : undefined;
  const skippedNote = skipped.length > 0 ? `; skipped ${skipped.join(', ')}` : '';
  if (keys.length === 0 && !agentSocket) {
    const agentNote = target.agent ? 'ssh-agent is not running (SSH_AUTH_SOCK is not set)' : 'ssh-agent is off for this host';
    throw new HostError(`no key to log in to ${label}: no usable identity file${skippedNote}, and ${agentNote}; set identityFile or start ssh-agent`, 'auth', target.address);
  }

  const algorithms = preferredHostKeyAlgorithms(knownKeyTypes(entries, target.address, target.port));
  const { Client } = await ssh2();
  const client = new Client();

  return new Promise((resolve, reject) => {
    let settled = false;
    let verifiedKey: Buffer | undefined;
    let verifiedFingerprint = '';
    let appendKey: { keyType: string; blob: Buffer } | undefined;
    let appendDone: Promise<void> = Promise.resolve();
    let authExhausted = false;
    let askingOperator = false;
    const tried: string[] = [];
    const authNotes: string[] = [];

    // Our own connect timer rather than ssh2's readyTimeout: it stops while the operator looks at
    // an unknown host key, so a slow answer is not reported as an unreachable host.
    const timeoutMs = target.connectTimeoutMs > 0 ? target.connectTimeoutMs : DEFAULT_CONNECT_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const startTimer = (): void => {
      timer = setTimeout(() => {
        fail(new HostError(`no SSH session with ${label} within ${timeoutMs / 1000} s (connect timeout); check that the host is up and sshd answers`, 'timeout', target.address));
      }, timeoutMs);
    };
    const stopTimer = (): void => {
      if (timer) clearTimeout(timer);
      timer = undefined;
    };

    const onAbort = (): void => fail(aborted(target, 'connecting'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const cleanup = (): void => {
      stopTimer();
      opts.signal?.removeEventListener('abort', onAbort);
    };
    function fail(err: HostError): void {
      if (settled) return;
      settled = true;
      cleanup();
      client.destroy();
      reject(err);
    }
    const succeed = (): void => {
      if (settled) return;
      appendDone.then(
        () => {
          if (settled) return;
          settled = true;
          cleanup();
          resolve({ client, fingerprint: verifiedFingerprint });
        },
        (err: unknown) =>
          fail(new HostError(`cannot add the host key of ${addressLabel(target)} to ${knownHostsFile}: ${message(err)}`, 'local-file', target.address)),
      );
    };

    const hostVerifier = (key: Buffer, verify: (ok: boolean) => void): void => {
      // ssh2 asks again on every re-key: the key must stay the one verified first.
      if (verifiedKey) {
        verify(verifiedKey.equals(key));
        return;
      }
      const keyType = keyBlobType(key) ?? 'unknown';
      const offered = fingerprint(key);
      const check = checkHostKey(entries, target.address, target.port, keyType, key);
      const accept = (): void => {
        verifiedKey = key;
        verifiedFingerprint = offered;
        verify(true);
      };
      switch (check.status) {
        case 'trusted':
          accept();
          return;
        case 'revoked':
          fail(new HostError(`host key of ${addressLabel(target)} (${offered}, ${keyType}) is marked @revoked in ${knownHostsFile}: refusing to connect; find out why it was revoked before you trust this host`, 'host-key-changed', target.address));
          verify(false);
          return;
        case 'changed':
          fail(changedKeyError(target, knownHostsFile, keyType, offered, check.known));
          verify(false);
          return;
        case 'unknown': {
          if (!opts.confirmUnknownHost) {
            fail(new HostError(`host key of ${addressLabel(target)} is not in ${knownHostsFile} (${offered}, ${keyType}); compare the fingerprint with the host's (ssh-keygen -lf /etc/ssh/ssh_host_${hostKeyFileType(keyType)}_key.pub on it) and confirm it in the console`, 'host-key-unknown', target.address));
            verify(false);
            return;
          }
          stopTimer();
          askingOperator = true;
          let answer: Promise<boolean>;
          try {
            answer = Promise.resolve(
              opts.confirmUnknownHost({ host: target.address, port: target.port, keyType, fingerprint: offered, keyBase64: key.toString('base64') }),
            );
          } catch (err) {
            answer = Promise.reject(err);
          }
          answer.then(
            (yes) => {
              askingOperator = false;
              if (settled) return;
              if (!yes) {
                fail(new HostError(`host key of ${addressLabel(target)} (${offered}, ${keyType}) was not accepted; nothing was written to ${knownHostsFile}`, 'host-key-unknown', target.address));
                verify(false);
                return;
              }
              startTimer();
              // Written once the handshake has proved that the host holds the private key.
              appendKey = { keyType, blob: key };
              accept();
            },
            (err: unknown) => {
              fail(new HostError(`confirming the host key of ${addressLabel(target)} failed: ${message(err)}`, 'host-key-unknown', target.address));
              verify(false);
            },
          );
          return;
        }
      }
    };

    const methods: Array<{ label: string; method: AnyAuthMethod }> = keys.map((k) => ({
      label: k.file,
      method: { type: 'publickey', username: target.user, key: k.key },
    }));
    if (agentSocket) methods.push({ label: `ssh-agent (${agentSocket})`, method: { type: 'agent', username: target.user, agent: agentSocket } });
    let nextMethod = 0;
    const authHandler: AuthHandlerMiddleware = (methodsLeft, _partial, next) => {
      const send = next as unknown as (m: AnyAuthMethod | false) => void;
      while (nextMethod < methods.length) {
        const m = methods[nextMethod++];
        // The server lists what it still accepts after the first failure.
        if (methodsLeft && !methodsLeft.includes('publickey')) break;
        tried.push(m.label);
        send(m.method);
        return;
      }
      authExhausted = true;
      send(false);
    };

    client.on('handshake', () => {
      if (!appendKey) return;
      const k = appendKey;
      appendKey = undefined;
      appendDone = appendKnownHost(knownHostsFile, target.address, target.port, k.keyType, k.blob.toString('base64'), {
        hash: gatewayOptions.hashKnownHosts,
      }).then(() => undefined);
      appendDone.catch(() => undefined); // reported by succeed()
    });
    client.on('ready', succeed);
    client.on('error', (err: Error & { level?: string; code?: unknown; description?: string }) => {
      if (settled) return;
      if (err.level === 'agent') {
        authNotes.push(`ssh-agent: ${err.message}`);
        return;
      }
      if (err.level === 'client-authentication') {
        if (!authExhausted) {
          authNotes.push(err.message); // one key failed to sign; ssh2 goes on with the next
          return;
        }
        const triedText = tried.length > 0 ? tried.join(', ') : 'nothing';
        const notes = authNotes.length > 0 ? ` (${authNotes.join('; ')})` : '';
        fail(new HostError(`${label} refused every key: tried ${triedText}${notes}${skippedNote}; add the public key to ~${target.user}/.ssh/authorized_keys on the host or use another identityFile`, 'auth', target.address));
        return;
      }
      fail(connectError(target, err));
    });
    client.on('close', () => {
      if (settled) return;
      const when = askingOperator ? 'while its host key was being confirmed (sshd LoginGraceTime); connect again and answer sooner' : 'during the SSH handshake';
      fail(new HostError(`${addressLabel(target)} closed the connection ${when}`, 'other', target.address));
    });

    const config: ConnectConfig = {
      host: target.address,
      port: target.port,
      username: target.user,
      readyTimeout: 0,
      hostVerifier: hostVerifier as ConnectConfig['hostVerifier'],
      authHandler,
      // Keepalive requests are answered by the server's SSH layer, so a healthy connection brings bytes
      // at least this often, busy or idle; after KEEPALIVES_PER_STALL unanswered ones it is dropped.
      keepaliveInterval: Math.max(250, Math.floor(stallTimeoutMs(target) / KEEPALIVES_PER_STALL)),
      keepaliveCountMax: KEEPALIVES_PER_STALL - 1,
      ...(algorithms ? { algorithms: { serverHostKey: algorithms } } : {}),
    };
    startTimer();
    try {
      client.connect(config);
    } catch (err) {
      fail(new HostError(`cannot connect to ${label}: ${message(err)}`, 'other', target.address));
    }
  });
}
