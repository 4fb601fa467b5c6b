/**
 * The host gateway over SSH (ssh2): host keys pinned in known_hosts, key and agent login, commands as
 * argv (quoted once, in quote.ts), atomic uploads over SFTP, remote reads. Every failure is a
 * HostError whose message names the host and says what to do. Key material and passphrases are never
 * logged or put in messages.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AnyAuthMethod, AuthHandlerMiddleware, ClientChannel, ConnectConfig, ParsedKey, SFTPWrapper, ServerHostKeyAlgorithm } from 'ssh2';
import type { SshTarget } from '../domain/hosts.js';
import { HostError, type HostErrorKind } from '../domain/errors.js';
import type {
  CommandResult,
  ConnectOptions,
  HostConnection,
  HostGateway,
  RunOptions,
  UploadOptions,
  UploadResult,
} from './gateway.js';
import { appendKnownHost, checkHostKey, fingerprint, keyBlobType, knownKeyTypes, readKnownHosts, type KnownHostEntry } from './known-hosts.js';
import { shellCommand, sudoArgv } from './quote.js';
import { formatBytes } from '../format/units.js';

/** ssh2, loaded on the first connect: the console starts without it (about 70 ms of module loading). */
type Ssh2 = typeof import('ssh2');
let ssh2Module: Promise<Ssh2> | undefined;
function ssh2(): Promise<Ssh2> {
  // CommonJS: the namespace's default export is module.exports.
  ssh2Module ??= import('ssh2').then((m) => ((m as unknown as { default?: Ssh2 }).default ?? m) as Ssh2);
  return ssh2Module;
}
type SshClient = InstanceType<(typeof import('ssh2'))['Client']>;

const DEFAULT_RUN_TIMEOUT_MS = 60_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** A connection that brings no bytes for this long is lost (keepalives keep a healthy idle one talking). */
export const DEFAULT_STALL_TIMEOUT_MS = 20_000;
/** Keepalive requests per stall timeout: the connection is dropped after this many go unanswered. */
const KEEPALIVES_PER_STALL = 4;
/** Cleanup after a failed or aborted upload (close, unlink) waits at most this long. */
const CLEANUP_BOUND_MS = 5_000;
/** Collected stdout/stderr of one command keep at most this many characters each (the tail). */
const OUTPUT_CAP = 1024 * 1024;
const DEFAULT_READ_MAX_BYTES = 64 * 1024 * 1024;
const UPLOAD_CHUNK = 64 * 1024;
const UPLOAD_PARALLEL = 8;
/** SFTP status codes (draft-ietf-secsh-filexfer-02). */
const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;

/** What sudo -n says when it would have to ask, or may not run at all. */
const SUDO_REFUSED = /^sudo: (a password is required|a terminal is required|.* is not in the sudoers file|.* is not allowed to (run sudo|execute))/m;

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

/** The real host gateway: one ssh2 client per connect(). */
export class SshGateway implements HostGateway {
  constructor(private readonly options: SshGatewayOptions = {}) {}

  async connect(target: SshTarget, opts: ConnectOptions = {}): Promise<HostConnection> {
    const c = await connectClient(target, opts, this.options);
    return new SshConnection(c.client, target, c.fingerprint);
  }
}

// ---------------------------------------------------------------------------------------------------
// Connecting

function hostLabel(target: SshTarget): string {
  return `${target.user}@${target.address}:${target.port}`;
}

function addressLabel(target: SshTarget): string {
  return `${target.address}:${target.port}`;
}

function expandHome(file: string): string {
  if (file === '~') return os.homedir();
  if (file.startsWith('~/')) return path.join(os.homedir(), file.slice(2));
  return file;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The stall timeout of a target, in ms. */
export function stallTimeoutMs(target: SshTarget): number {
  return target.stallTimeoutMs && target.stallTimeoutMs > 0 ? target.stallTimeoutMs : DEFAULT_STALL_TIMEOUT_MS;
}

/**
 * The connection to a host is gone (closed, reset, or silent for the stall timeout). `reason` says how;
 * the message says during what.
 */
export class ConnectionLostError extends HostError {
  constructor(
    readonly target: SshTarget,
    readonly reason: string,
    during?: string,
  ) {
    super(
      `connection to ${hostLabel(target)} lost${during ? ` during ${during}` : ''} (${reason}); check that the host is up and reachable, then run again`,
      'unreachable',
      target.address,
    );
  }
}

/** Resolves with the promise's value, or rejects after ms (the promise is left to settle on its own). */
function bounded<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    const t = setTimeout(() => resolve(undefined), ms);
    promise.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

function aborted(target: SshTarget, what: string): HostError {
  return new HostError(`${what} on ${hostLabel(target)} was aborted`, 'aborted', target.address);
}

/** Resolves with the promise's value, or rejects with `onAbort()` as soon as the signal fires. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, onAbort: () => Error): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const listener = (): void => reject(onAbort());
    signal.addEventListener('abort', listener, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', listener);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', listener);
        reject(e);
      },
    );
  });
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

async function connectClient(
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

// ---------------------------------------------------------------------------------------------------
// The connection

/** Collected text that keeps the last `cap` characters. */
class TailText {
  private parts: string[] = [];
  private length = 0;
  private dropped = 0;
  constructor(private readonly cap: number) {}

  push(text: string): void {
    if (text === '') return;
    this.parts.push(text);
    this.length += text.length;
    if (this.length > 2 * this.cap) this.compact();
  }

  private compact(): void {
    const all = this.parts.join('');
    let keep = all.slice(-this.cap);
    if (/^[\uDC00-\uDFFF]/.test(keep)) keep = keep.slice(1); // half of a character cut in two
    this.dropped += all.length - keep.length;
    this.parts = [keep];
    this.length = keep.length;
  }

  text(): string {
    if (this.length > this.cap) this.compact();
    const body = this.parts.join('');
    return this.dropped > 0 ? `[etcd-tui: ${this.dropped} earlier characters dropped]\n${body}` : body;
  }
}

interface ExecSinks {
  stdout(data: Buffer): void;
  stderr(data: Buffer): void;
}

interface ExecOutcome {
  code: number | null;
  signal?: string;
  durationMs: number;
}

type SftpError = Error & { code?: unknown };

function sftpCode(err: unknown): number | undefined {
  const code = (err as SftpError | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

function backupStamp(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

function randomTag(): string {
  return crypto.randomBytes(6).toString('hex');
}

function commandText(argv: string[]): string {
  let text: string;
  try {
    text = shellCommand(argv);
  } catch {
    text = argv.join(' ');
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/**
 * Sends the "signal" channel request (SIGKILL; sshd does killpg on the session's process group).
 * ssh2's channel.signal() refuses once we have sent EOF on stdin, which every run does, so the request
 * goes through the channel's protocol object as long as the channel is open on our side.
 */
function sendKill(channel: ClientChannel): void {
  const ch = channel as unknown as {
    outgoing?: { id?: number; state?: string };
    _client?: { _protocol?: { signal?(id: number, name: string): void } };
  };
  const state = ch.outgoing?.state;
  const id = ch.outgoing?.id;
  const protocol = ch._client?._protocol;
  try {
    if ((state === 'open' || state === 'eof') && typeof id === 'number' && typeof protocol?.signal === 'function') {
      protocol.signal(id, 'KILL');
    } else {
      channel.signal('KILL');
    }
  } catch {
    // The channel or the connection is gone already: nothing left to kill from here.
  }
}

/** A source of bytes to upload. */
interface UploadSource {
  size: number;
  read(position: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

class SshConnection implements HostConnection {
  private closed = false;
  /** Why the connection was lost (set with closed when it was not close()d here). */
  private lostReason?: string;
  private sftpSession?: Promise<SFTPWrapper>;
  /** Ongoing operations, told when the connection drops. */
  private readonly pending = new Set<(err: HostError) => void>();

  constructor(
    private readonly client: SshClient,
    readonly target: SshTarget,
    readonly fingerprint: string,
  ) {
    const lost = (why: string): void => {
      if (this.closed) return;
      this.closed = true;
      this.lostReason = why;
      const err = new ConnectionLostError(target, why);
      for (const fail of [...this.pending]) fail(err);
      client.destroy();
    };
    client.on('error', (err: Error & { level?: string }) =>
      lost(
        err.level === 'client-timeout'
          ? `no answer for ${stallTimeoutMs(target) / 1000} s`
          : /ECONNRESET/.test(err.message)
            ? 'the host reset it: sshd gone or restarted?'
            : err.message,
      ),
    );
    client.on('close', () => lost('the connection was closed'));
  }

  private get label(): string {
    return hostLabel(this.target);
  }

  private error(text: string, kind: HostErrorKind = 'other'): HostError {
    return new HostError(text, kind, this.target.address);
  }

  /** True once the connection is closed or lost: the pool then connects again. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** A lost connection's error says during what; other errors pass unchanged. */
  private during(err: unknown, what: string): unknown {
    return err instanceof ConnectionLostError ? new ConnectionLostError(this.target, err.reason, what) : err;
  }

  /** The error for an operation started on a closed connection. */
  private closedError(what: string): HostError {
    if (this.lostReason !== undefined) return new ConnectionLostError(this.target, this.lostReason, what);
    return this.error(`cannot run ${what}: the connection to ${this.label} is closed; connect again`, 'unreachable');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fail of [...this.pending]) fail(this.error(`connection to ${this.label} was closed`, 'aborted'));
    this.client.end();
  }

  // ---- commands ----

  async run(argv: string[], opts: RunOptions = {}): Promise<CommandResult> {
    const sudo = opts.sudo ?? this.target.sudo;
    const fullArgv = sudo ? sudoArgv(argv) : [...argv];
    const stdout = new TailText(OUTPUT_CAP);
    const stderr = new TailText(OUTPUT_CAP);
    // stream: true keeps a multi-byte character that is split across two chunks whole.
    const outDecoder = new TextDecoder('utf-8');
    const errDecoder = new TextDecoder('utf-8');
    const emit = (text: string, sink: TailText, cb?: (t: string) => void): void => {
      if (text === '') return;
      sink.push(text);
      cb?.(text);
    };
    const outcome = await this.exec(fullArgv, sudo, opts, {
      stdout: (d) => emit(outDecoder.decode(d, { stream: true }), stdout, opts.onStdout),
      stderr: (d) => emit(errDecoder.decode(d, { stream: true }), stderr, opts.onStderr),
    }).catch((err: unknown) => {
      throw this.during(err, commandText(argv));
    });
    emit(outDecoder.decode(), stdout, opts.onStdout);
    emit(errDecoder.decode(), stderr, opts.onStderr);
    const result: CommandResult = {
      argv: fullArgv,
      code: outcome.code,
      ...(outcome.signal ? { signal: outcome.signal } : {}),
      stdout: stdout.text(),
      stderr: stderr.text(),
      durationMs: outcome.durationMs,
    };
    if (sudo) this.checkSudo(result.code, result.stderr);
    return result;
  }

  /** A sudo -n that refused (needs a password, not in sudoers) is an error, not a command result. */
  private checkSudo(code: number | null, stderr: string): void {
    if (code === 0) return;
    if (code === 127 && /\bsudo: (command )?not found/.test(stderr)) {
      throw this.error(`sudo is not installed on ${this.label}: install it, or log in as root and set sudo: false`, 'sudo');
    }
    const m = SUDO_REFUSED.exec(stderr);
    if (!m) return;
    throw this.error(
      `sudo -n on ${this.label} refused (${m[0].replace(/^sudo: /, '')}): allow passwordless sudo for ${this.target.user} (NOPASSWD in /etc/sudoers.d) or log in as root`,
      'sudo',
    );
  }

  /**
   * Runs argv (already with its sudo prefix) in an exec channel. Output goes to the sinks as it
   * comes. Resolves with the exit status; rejects with 'timeout' or 'aborted' after killing the
   * command, or when the connection drops.
   *
   * Killing: the command line is `echo $$; exec ARGV`, so the first stdout line (taken off here,
   * callers never see it) is the pid of the command, which leads its own process group (sshd starts
   * each session with setsid). On timeout or abort a second channel runs `kill -KILL -- -PID`
   * (through sudo when the command used it). The SSH "signal" request alone is not enough: sshd
   * refuses it for root logins ("session signalling requires privilege separation"), ssh2 will not
   * send it after stdin's EOF, and a non-root user cannot signal a command that sudo runs as root.
   */
  private exec(argv: string[], usedSudo: boolean, opts: RunOptions & { internal?: boolean }, sinks: ExecSinks): Promise<ExecOutcome> {
    const display = commandText(argv);
    let command: string;
    try {
      command = `echo $$; exec ${shellCommand(argv)}`;
    } catch (err) {
      return Promise.reject(this.error(`cannot run ${display} on ${this.label}: ${message(err)}`));
    }
    if (this.closed) return Promise.reject(this.closedError(display));
    if (opts.signal?.aborted) return Promise.reject(this.error(`${display} on ${this.label} was aborted before it started`, 'aborted'));
    const timeoutMs = opts.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
    const started = Date.now();

    return new Promise<ExecOutcome>((resolve, reject) => {
      let settled = false;
      let channel: ClientChannel | undefined;
      let stopReason: HostError | undefined;
      let remotePid: number | undefined;
      let pidLine: Buffer | undefined = Buffer.alloc(0); // undefined once the pid line is read

      const finish = (err: HostError | undefined, outcome?: ExecOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        this.pending.delete(onLost);
        if (err) reject(err);
        else resolve(outcome as ExecOutcome);
      };
      const killGroup = async (): Promise<void> => {
        if (remotePid === undefined || opts.internal) return;
        const killArgv = ['kill', '-KILL', '--', `-${remotePid}`];
        await this.exec(usedSudo ? sudoArgv(killArgv) : killArgv, usedSudo, { timeoutMs: 10_000, internal: true }, { stdout: () => undefined, stderr: () => undefined }).catch(
          () => undefined,
        );
      };
      let channelClosed = false;
      /** Kills the command (once its pid line is there, waiting at most 3 s for it), closes the channel, settles. */
      const killAndClose = (ch: ClientChannel, reason: HostError): void => {
        const waited = Date.now();
        const attempt = (): void => {
          if (remotePid === undefined && !channelClosed && Date.now() - waited < 3_000) {
            setTimeout(attempt, 20);
            return;
          }
          sendKill(ch);
          void killGroup().finally(() => {
            ch.close();
            finish(reason);
          });
        };
        attempt();
      };
      const stop = (err: HostError): void => {
        if (stopReason || settled) return;
        stopReason = err;
        clearTimeout(timer);
        if (channel) killAndClose(channel, err);
        else finish(err); // the exec callback kills the command if its channel still opens
      };
      const timer = setTimeout(
        () => stop(this.error(`${display} on ${this.label} did not finish within ${timeoutMs / 1000} s; it was killed`, 'timeout')),
        timeoutMs,
      );
      const onAbort = (): void => stop(this.error(`${display} on ${this.label} was aborted; it was killed`, 'aborted'));
      const onLost = (err: HostError): void => finish(err);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.add(onLost);

      const onStdout = (d: Buffer): void => {
        if (pidLine === undefined) {
          sinks.stdout(d);
          return;
        }
        const all = Buffer.concat([pidLine, d]);
        const nl = all.indexOf(0x0a);
        if (nl < 0 && all.length < 24) {
          pidLine = all;
          return;
        }
        pidLine = undefined;
        const head = nl >= 0 ? all.subarray(0, nl).toString('latin1') : '';
        if (/^\d+$/.test(head)) {
          remotePid = Number(head);
          if (nl + 1 < all.length) sinks.stdout(all.subarray(nl + 1));
        } else {
          sinks.stdout(all); // not our line (a login shell that is not POSIX?): pass it all on
        }
      };

      try {
        this.client.exec(command, (err, ch) => {
          if (err) {
            finish(this.error(`cannot start ${display} on ${this.label}: ${err.message}`));
            return;
          }
          channel = ch;
          let exit: { code: number | null; signal?: string } = { code: null };
          let stderrClosed = false;
          const done = (): void => {
            if (!channelClosed || !stderrClosed) return;
            if (pidLine !== undefined && pidLine.length > 0) sinks.stdout(pidLine);
            if (stopReason) return; // stop() settles after its kill
            finish(undefined, { ...exit, durationMs: Date.now() - started });
          };
          ch.on('data', onStdout);
          ch.stderr.on('data', (d: Buffer) => sinks.stderr(d));
          ch.on('exit', (code: number | null, signal?: string) => {
            exit = code === null || code === undefined ? { code: null, ...(signal ? { signal } : {}) } : { code };
          });
          ch.stderr.on('close', () => {
            stderrClosed = true;
            done();
          });
          ch.on('close', () => {
            channelClosed = true;
            done();
          });
          if (opts.stdin !== undefined) ch.end(opts.stdin);
          else ch.end();
          if (stopReason) killAndClose(ch, stopReason); // aborted or timed out while the channel was opening
        });
      } catch (err) {
        finish(this.error(`cannot start ${display} on ${this.label}: ${message(err)}`, 'unreachable'));
      }
    });
  }

  /** Runs argv and throws unless it exits 0 (the helper of upload's steps). */
  private async must(argv: string[], sudo: boolean, signal: AbortSignal | undefined, what: string): Promise<void> {
    const r = await this.run(argv, { sudo, signal, timeoutMs: 120_000 });
    if (r.code !== 0) {
      const why = r.stderr.trim().split('\n').pop() || (r.code === null ? `killed by ${r.signal}` : `exit ${r.code}`);
      throw this.error(`${what} on ${this.label} failed: ${why}`);
    }
  }

  // ---- SFTP ----

  private sftp(): Promise<SFTPWrapper> {
    if (this.closed) return Promise.reject(this.closedError('SFTP'));
    this.sftpSession ??= new Promise<SFTPWrapper>((resolve, reject) => {
      try {
        this.client.sftp((err, sftp) => {
          if (err) {
            this.sftpSession = undefined;
            reject(this.error(`SFTP is not available on ${this.label} (${err.message}); enable "Subsystem sftp" in the host's sshd_config`));
            return;
          }
          sftp.on('close', () => {
            this.sftpSession = undefined;
          });
          sftp.on('error', () => undefined);
          resolve(sftp);
        });
      } catch (err) {
        this.sftpSession = undefined;
        reject(this.error(`cannot open SFTP on ${this.label}: ${message(err)}`, 'unreachable'));
      }
    });
    return this.sftpSession;
  }

  /** Calls an SFTP method; a dropped connection rejects it too, and so does the signal (at once). */
  private sftpCall<T>(op: (cb: (err: Error | null | undefined, value?: T) => void) => void, signal?: AbortSignal, what = 'SFTP request'): Promise<T> {
    if (this.closed) return Promise.reject(this.closedError(what));
    if (signal?.aborted) return Promise.reject(this.error(`${what} on ${this.label} was aborted`, 'aborted'));
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        this.pending.delete(onLost);
        signal?.removeEventListener('abort', onAbort);
      };
      const onLost = (err: HostError): void => {
        done();
        reject(err);
      };
      const onAbort = (): void => {
        done();
        reject(this.error(`${what} on ${this.label} was aborted`, 'aborted'));
      };
      this.pending.add(onLost);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        op((err, value) => {
          done();
          if (err) reject(err);
          else resolve(value as T);
        });
      } catch (err) {
        done();
        reject(err);
      }
    });
  }

  /** lstat over SFTP: true, false for "no such file", throws otherwise. */
  private async sftpExists(sftp: SFTPWrapper, file: string): Promise<boolean> {
    try {
      await this.sftpCall((cb) => sftp.lstat(file, cb));
      return true;
    } catch (err) {
      if (sftpCode(err) === SFTP_NO_SUCH_FILE) return false;
      throw err instanceof HostError ? err : this.error(`cannot look at ${file} on ${this.label}: ${message(err)}`);
    }
  }

  private async exists(file: string, sudo: boolean, signal?: AbortSignal): Promise<boolean> {
    if (!sudo) return this.sftpExists(await this.sftp(), file);
    const r = await this.run(['test', '-e', file], { sudo: true, signal, timeoutMs: 30_000 });
    if (r.code === 0) return true;
    if (r.code === 1) return false;
    throw this.error(`cannot look at ${file} on ${this.label}: ${r.stderr.trim() || `exit ${r.code}`}`);
  }

  /** Explains a failed create in `dir`: missing directory, or no permission. */
  private async createError(sftp: SFTPWrapper, file: string, err: unknown): Promise<HostError> {
    if (err instanceof HostError) return err;
    const dir = path.posix.dirname(file);
    const code = sftpCode(err);
    if (code === SFTP_NO_SUCH_FILE || (code === undefined && /no such file/i.test(message(err)))) {
      const dirThere = await this.sftpExists(sftp, dir).catch(() => true);
      if (!dirThere) return this.error(`directory ${dir} does not exist on ${this.label}; create it first (mkdir -p ${dir})`);
    }
    if (code === SFTP_PERMISSION_DENIED) {
      return this.error(`${this.target.user} may not write in ${dir} on ${this.label}; upload with sudo (sudo: true) or log in as root`);
    }
    return this.error(`cannot create ${file} on ${this.label}: ${message(err)}`);
  }

  /**
   * Writes the source to a new remote file (exclusive create) with `mode`, in parallel chunks,
   * reporting progress. A partly written file is removed before the error is thrown.
   */
  private async writeNewFile(
    sftp: SFTPWrapper,
    file: string,
    source: UploadSource,
    mode: number,
    onProgress: ((sent: number, total: number) => void) | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    let handle: Buffer;
    try {
      handle = await this.sftpCall<Buffer>((cb) => sftp.open(file, 'wx', { mode: mode & 0o600 }, cb));
    } catch (err) {
      throw await this.createError(sftp, file, err);
    }
    let open = true;
    try {
      onProgress?.(0, source.size);
      let next = 0;
      let sent = 0;
      let failed = false;
      const worker = async (): Promise<void> => {
        while (!failed && next < source.size) {
          if (signal?.aborted) throw this.error(`upload of ${file} to ${this.label} was aborted`, 'aborted');
          const position = next;
          const length = Math.min(UPLOAD_CHUNK, source.size - position);
          next += length;
          const data = await source.read(position, length);
          await this.sftpCall((cb) => sftp.write(handle, data, 0, data.length, position, cb), signal, `upload of ${file}`);
          sent += length;
          onProgress?.(sent, source.size);
        }
      };
      await Promise.all(
        Array.from({ length: UPLOAD_PARALLEL }, () =>
          worker().catch((err: unknown) => {
            failed = true;
            throw err;
          }),
        ),
      );
      // The umask may have taken bits away at create time; the mode asked for is set here.
      await this.sftpCall((cb) => sftp.fchmod(handle, mode, cb));
      open = false;
      await this.sftpCall((cb) => sftp.close(handle, cb));
    } catch (err) {
      // Bounded: on a connection that went silent these wait for nothing.
      if (open) await bounded(this.sftpCall((cb) => sftp.close(handle, cb)), CLEANUP_BOUND_MS).catch(() => undefined);
      await bounded(this.sftpCall((cb) => sftp.unlink(file, cb)), CLEANUP_BOUND_MS).catch(() => undefined);
      if (err instanceof HostError) throw err;
      // SFTP says only "Failure" for a full disk or a read-only mount: look at the directory.
      throw (await this.writeProblem(path.posix.dirname(file), source.size, false, signal)) ?? this.error(`writing ${file} on ${this.label} failed: ${message(err)}`);
    }
  }

  /**
   * Why a write into `dir` failed, when the directory tells: no space left (free against needed),
   * or no permission to write (a read-only mount too). Undefined when neither explains it.
   */
  private async writeProblem(dir: string, needed: number, sudo: boolean, signal?: AbortSignal): Promise<HostError | undefined> {
    try {
      const df = await this.run(['df', '-P', '-B1', '--', dir], { sudo, signal, timeoutMs: 15_000 });
      const free = Number(df.stdout.trim().split('\n').pop()?.trim().split(/\s+/)[3]);
      if (df.code === 0 && Number.isFinite(free) && free < needed + 64 * 1024) {
        return this.error(
          `no space left on ${this.label} in ${dir}: ${formatBytes(free)} free, ${formatBytes(needed)} needed; free space there (or give that directory more room), then run again`,
          'no-space',
        );
      }
      const writable = await this.run(['test', '-w', dir], { sudo, signal, timeoutMs: 15_000 });
      if (writable.code === 1) {
        return this.error(
          `permission denied: ${sudo ? 'root' : this.target.user} may not write in ${dir} on ${this.label} (no write permission, or a read-only mount); ${sudo ? 'check the mount (findmnt ' + dir + ')' : 'upload with sudo (sudo: true), log in as root, or check the mount'}`,
          'permission',
        );
      }
    } catch {
      // the connection may be gone: the caller's own message stands
    }
    return undefined;
  }

  private async openSource(content: Buffer | { localPath: string }): Promise<UploadSource> {
    if (Buffer.isBuffer(content)) {
      return {
        size: content.length,
        read: async (position, length) => content.subarray(position, position + length),
        close: async () => undefined,
      };
    }
    const file = content.localPath;
    try {
      const handle = await fs.open(file, 'r');
      const { size } = await handle.stat();
      return {
        size,
        read: async (position, length) => {
          const buf = Buffer.alloc(length);
          let got = 0;
          while (got < length) {
            const { bytesRead } = await handle.read(buf, got, length - got, position + got);
            if (bytesRead === 0) throw new HostError(`local file ${file} became shorter during the upload`, 'local-file', this.target.address);
            got += bytesRead;
          }
          return buf;
        },
        close: () => handle.close(),
      };
    } catch (err) {
      throw new HostError(`cannot read local file ${file} to upload it to ${this.label}: ${message(err)}`, 'local-file', this.target.address);
    }
  }

  /** `<path>.etcd-tui-backup-<UTC stamp>`, with -2, -3 ... when that name is taken. */
  private async backupName(remotePath: string, sudo: boolean, signal?: AbortSignal): Promise<string> {
    const base = `${remotePath}.etcd-tui-backup-${backupStamp()}`;
    for (let i = 1; i < 100; i++) {
      const name = i === 1 ? base : `${base}-${i}`;
      if (!(await this.exists(name, sudo, signal))) return name;
    }
    throw this.error(`too many backups of ${remotePath} on ${this.label} in one second`);
  }

  async upload(content: Buffer | { localPath: string }, remotePath: string, opts: UploadOptions): Promise<UploadResult> {
    if (!remotePath.startsWith('/') || remotePath.endsWith('/')) {
      throw this.error(`upload to ${this.label}: the remote path must be an absolute file path, got ${JSON.stringify(remotePath)}`);
    }
    if (!Number.isInteger(opts.mode) || opts.mode < 0 || opts.mode > 0o7777) {
      throw this.error(`upload of ${remotePath} to ${this.label}: bad mode ${opts.mode}`);
    }
    if (opts.signal?.aborted) throw this.error(`upload of ${remotePath} to ${this.label} was aborted`, 'aborted');
    const sudo = opts.sudo ?? this.target.sudo;
    const source = await this.openSource(content);
    try {
      return sudo ? await this.uploadWithSudo(source, remotePath, opts) : await this.uploadDirect(source, remotePath, opts);
    } catch (err) {
      throw this.during(err, `upload of ${remotePath}`);
    } finally {
      await source.close().catch(() => undefined);
    }
  }

  private tempPath(remotePath: string): string {
    return path.posix.join(path.posix.dirname(remotePath), `.${path.posix.basename(remotePath)}.etcd-tui-tmp-${randomTag()}`);
  }

  private async uploadDirect(source: UploadSource, remotePath: string, opts: UploadOptions): Promise<UploadResult> {
    const sftp = await this.sftp();
    const tmp = this.tempPath(remotePath);
    await this.writeNewFile(sftp, tmp, source, opts.mode, opts.onProgress, opts.signal);
    let placed = false;
    try {
      if (opts.owner) await this.must(['chown', '--', opts.owner, tmp], false, opts.signal, `chown ${opts.owner} ${tmp}`);
      const replaced = await this.sftpExists(sftp, remotePath);
      let backup: string | undefined;
      if (replaced && opts.backup !== false) {
        backup = await this.backupName(remotePath, false, opts.signal);
        await this.must(['cp', '-p', '--', remotePath, backup], false, opts.signal, `backup of ${remotePath}`);
      }
      if (opts.signal?.aborted) throw this.error(`upload of ${remotePath} to ${this.label} was aborted`, 'aborted');
      await this.rename(sftp, tmp, remotePath, opts.signal);
      placed = true;
      return { path: remotePath, ...(backup ? { backup } : {}), replaced, bytes: source.size };
    } finally {
      if (!placed) await bounded(this.sftpCall((cb) => sftp.unlink(tmp, cb)), CLEANUP_BOUND_MS).catch(() => undefined);
    }
  }

  /** rename(2) over the destination: posix-rename@openssh.com when the server has it, else mv -f. */
  private async rename(sftp: SFTPWrapper, from: string, to: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.sftpCall((cb) => sftp.ext_openssh_rename(from, to, cb));
      return;
    } catch (err) {
      if (err instanceof HostError) throw err;
      // ssh2 throws at once when the server lacks the extension; an SFTP status means it tried.
      if (sftpCode(err) !== undefined) throw this.error(`cannot move ${from} to ${to} on ${this.label}: ${message(err)}`);
    }
    await this.must(['mv', '-f', '--', from, to], false, signal, `mv ${from} ${to}`);
  }

  private async uploadWithSudo(source: UploadSource, remotePath: string, opts: UploadOptions): Promise<UploadResult> {
    const sftp = await this.sftp();
    // Staged where the login user may write, readable by that user only, then installed by root.
    const stage = `/tmp/.etcd-tui-upload-${randomTag()}`;
    await this.writeNewFile(sftp, stage, source, 0o600, opts.onProgress, opts.signal);
    try {
      const tmp = this.tempPath(remotePath);
      const dir = path.posix.dirname(remotePath);
      const [user, group] = (opts.owner ?? '').split(':');
      const installArgv = [
        'install',
        '-m',
        opts.mode.toString(8).padStart(4, '0'),
        ...(user ? ['-o', user] : []),
        ...(group ? ['-g', group] : []),
        '--',
        stage,
        tmp,
      ];
      const installed = await this.run(installArgv, { sudo: true, signal: opts.signal, timeoutMs: 120_000 });
      if (installed.code !== 0) {
        await this.run(['rm', '-f', '--', tmp], { sudo: true, timeoutMs: 30_000 }).catch(() => undefined);
        const dirThere = await this.run(['test', '-d', dir], { sudo: true, signal: opts.signal, timeoutMs: 30_000 });
        if (dirThere.code === 1) throw this.error(`directory ${dir} does not exist on ${this.label}; create it first (mkdir -p ${dir})`);
        const problem = await this.writeProblem(dir, source.size, true, opts.signal);
        if (problem) throw problem;
        throw this.error(`install of ${tmp} on ${this.label} failed: ${installed.stderr.trim().split('\n').pop() || `exit ${installed.code}`}`);
      }
      let placed = false;
      try {
        const replaced = await this.exists(remotePath, true, opts.signal);
        let backup: string | undefined;
        if (replaced && opts.backup !== false) {
          backup = await this.backupName(remotePath, true, opts.signal);
          await this.must(['cp', '-p', '--', remotePath, backup], true, opts.signal, `backup of ${remotePath}`);
        }
        if (opts.signal?.aborted) throw this.error(`upload of ${remotePath} to ${this.label} was aborted`, 'aborted');
        await this.must(['mv', '-f', '--', tmp, remotePath], true, opts.signal, `mv ${tmp} ${remotePath}`);
        placed = true;
        return { path: remotePath, ...(backup ? { backup } : {}), replaced, bytes: source.size };
      } finally {
        if (!placed) await this.run(['rm', '-f', '--', tmp], { sudo: true, timeoutMs: 30_000 }).catch(() => undefined);
      }
    } finally {
      await bounded(this.sftpCall((cb) => sftp.unlink(stage, cb)), CLEANUP_BOUND_MS).catch(() => undefined);
    }
  }

  // ---- reading ----

  async readFile(remotePath: string, opts: { sudo?: boolean; maxBytes?: number } = {}): Promise<Buffer | undefined> {
    const sudo = opts.sudo ?? this.target.sudo;
    const max = opts.maxBytes ?? DEFAULT_READ_MAX_BYTES;
    const tooBig = (): HostError => this.error(`${remotePath} on ${this.label} is larger than ${max} bytes; not read`);
    if (sudo) {
      const chunks: Buffer[] = [];
      let size = 0;
      const errDecoder = new TextDecoder('utf-8');
      let stderr = '';
      // head -c bounds what comes over the wire; one byte more than allowed tells "too big".
      const argv = sudoArgv(['head', '-c', String(max + 1), '--', remotePath]);
      const outcome = await this.exec(argv, true, { timeoutMs: 300_000 }, {
        stdout: (d) => {
          chunks.push(d);
          size += d.length;
        },
        stderr: (d) => {
          if (stderr.length < 64 * 1024) stderr += errDecoder.decode(d, { stream: true });
        },
      });
      this.checkSudo(outcome.code, stderr);
      if (outcome.code !== 0) {
        if (/No such file or directory/.test(stderr)) return undefined;
        throw this.error(`cannot read ${remotePath} on ${this.label}: ${stderr.trim().split('\n').pop() || `exit ${outcome.code}`}`);
      }
      if (size > max) throw tooBig();
      return Buffer.concat(chunks, size);
    }
    const sftp = await this.sftp();
    try {
      const stats = await this.sftpCall<{ size: number }>((cb) => sftp.stat(remotePath, cb));
      if (stats.size > max) throw tooBig();
      return await this.sftpCall<Buffer>((cb) => sftp.readFile(remotePath, cb));
    } catch (err) {
      if (err instanceof HostError) throw err;
      if (sftpCode(err) === SFTP_NO_SUCH_FILE) return undefined;
      if (sftpCode(err) === SFTP_PERMISSION_DENIED) {
        throw this.error(`${this.target.user} may not read ${remotePath} on ${this.label}; read it with sudo (sudo: true) or log in as root`);
      }
      throw this.error(`cannot read ${remotePath} on ${this.label}: ${message(err)}`);
    }
  }
}
