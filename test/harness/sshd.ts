// A real sshd for tests, on 127.0.0.1 and a free port, with its own config,
// host keys and authorized_keys in a temp dir.
//
// sshd refuses to start without /run/sshd, which this machine lacks. It runs in
// a private mount namespace with its own tmpfs on /run, so the machine is not
// touched:
//   unshare -m --propagation private sh -c 'mount -t tmpfs tmpfs /run &&
//     mkdir -p /run/sshd && exec /usr/sbin/sshd -D -e -f CONFIG'
// unshare without --fork execs sh, and sh execs sshd, so the spawned pid is
// sshd's own. It is tracked in the registry and killed on stop(), stopAll()
// and process exit, also when a test fails. Needs root.
//
// Also here: client key pairs (ssh-keygen) and an ssh-agent started and
// stopped by pid.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, LOOPBACK } from './ports.js';
import { isAlive, registerResource, signalPid, trackProcess, unregisterResource, untrackProcess, type Resource } from './registry.js';
import { StopWaiting, waitFor } from './wait.js';

export const SSHD = '/usr/sbin/sshd';
const UNSHARE = '/usr/bin/unshare';

export type HostKeyType = 'ed25519' | 'ecdsa' | 'rsa';

export interface SshdOptions {
  /** Host key types, in the order sshd gets them (default ['ed25519']). */
  hostKeyTypes?: HostKeyType[];
  /** Extra sshd_config lines (e.g. `SetEnv PATH=...`). */
  extraConfig?: string[];
  /** Bound for the start, until the port accepts (default 10 000 ms). */
  startTimeoutMs?: number;
}

export interface KeyPair {
  /** Private key file. */
  privateKey: string;
  /** Public key file (privateKey + '.pub'). */
  publicKey: string;
  /** The public key line (`ssh-ed25519 AAAA... comment`). */
  publicLine: string;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): boolean {
  return (process.env.PATH ?? '/usr/bin:/bin').split(':').some((d) => d !== '' && isExecutable(path.join(d, name)));
}

/** Why sshd tests cannot run here, or undefined when they can. */
export function sshdSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'sshd tests need root (sshd runs in a private mount namespace with its own /run)';
  if (!isExecutable(SSHD)) return `${SSHD} is missing (apt-get install openssh-server)`;
  if (!isExecutable(UNSHARE)) return `${UNSHARE} is missing (util-linux)`;
  for (const tool of ['ssh-keygen', 'ssh-agent', 'ssh-add']) if (!onPath(tool)) return `${tool} is missing (apt-get install openssh-client)`;
  return undefined;
}

/** Makes a key pair with ssh-keygen (default ed25519), optionally encrypted with a passphrase. */
export function makeKeyPair(file: string, opts: { type?: HostKeyType; passphrase?: string; comment?: string; format?: 'PEM' } = {}): KeyPair {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.pub`, { force: true });
  const args = ['-q', '-t', opts.type ?? 'ed25519', '-N', opts.passphrase ?? '', '-C', opts.comment ?? path.basename(file), '-f', file];
  if (opts.type === 'rsa') args.push('-b', '2048');
  if (opts.format) args.push('-m', opts.format);
  execFileSync('ssh-keygen', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return { privateKey: file, publicKey: `${file}.pub`, publicLine: fs.readFileSync(`${file}.pub`, 'utf8').trim() };
}

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch (err) {
    return `(no log: ${err instanceof Error ? err.message : String(err)})`;
  }
}

/** True when `exited` settles within `ms` (the timer is cleared either way). */
async function exitedWithin(exited: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([exited.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves when a TCP connection to host:port is accepted. */
function tcpAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
    sock.setTimeout(1_000, () => done(false));
  });
}

export class TestSshd implements Resource {
  readonly host = LOOPBACK;
  readonly configFile: string;
  readonly authorizedKeysFile: string;
  readonly logFile: string;
  pid = 0;
  private proc?: ChildProcess;
  private exited: Promise<void> = Promise.resolve();
  private stopping?: Promise<void>;

  constructor(
    readonly dir: string,
    readonly port: number,
    private readonly opts: SshdOptions,
  ) {
    this.configFile = path.join(dir, 'sshd_config');
    this.authorizedKeysFile = path.join(dir, 'authorized_keys');
    this.logFile = path.join(dir, 'sshd.log');
  }

  get label(): string {
    return `sshd 127.0.0.1:${this.port} (pid ${this.pid})`;
  }

  get hostKeyTypes(): HostKeyType[] {
    return this.opts.hostKeyTypes ?? ['ed25519'];
  }

  hostKeyFile(type: HostKeyType): string {
    return path.join(this.dir, `ssh_host_${type}_key`);
  }

  /** Adds a public key line (or a KeyPair's) to authorized_keys. */
  authorize(key: string | KeyPair): void {
    const line = typeof key === 'string' ? key : key.publicLine;
    fs.appendFileSync(this.authorizedKeysFile, `${line.trim()}\n`, { mode: 0o600 });
  }

  /** The server's public host key line (`ssh-ed25519 AAAA...`) of a type (default: the first). */
  publicHostKey(type: HostKeyType = this.hostKeyTypes[0]): { keyType: string; base64: string } {
    const [keyType, base64] = fs.readFileSync(`${this.hostKeyFile(type)}.pub`, 'utf8').trim().split(/\s+/);
    return { keyType, base64 };
  }

  /** A known_hosts line for this server: `[127.0.0.1]:PORT ssh-ed25519 AAAA...`. */
  knownHostsLine(type: HostKeyType = this.hostKeyTypes[0]): string {
    const k = this.publicHostKey(type);
    return `[${this.host}]:${this.port} ${k.keyType} ${k.base64}`;
  }

  /** SHA256 fingerprint of a host key, as ssh-keygen -lf prints it. */
  hostKeyFingerprint(type: HostKeyType = this.hostKeyTypes[0]): string {
    const out = execFileSync('ssh-keygen', ['-lf', `${this.hostKeyFile(type)}.pub`], { encoding: 'utf8' });
    return out.split(/\s+/)[1];
  }

  writeConfig(): void {
    const lines = [
      `ListenAddress ${this.host}:${this.port}`,
      ...this.hostKeyTypes.map((t) => `HostKey ${this.hostKeyFile(t)}`),
      `AuthorizedKeysFile ${this.authorizedKeysFile}`,
      `PidFile ${path.join(this.dir, 'sshd.pid')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      'StrictModes no',
      'PrintMotd no',
      'LogLevel VERBOSE',
      'Subsystem sftp internal-sftp',
      ...(this.opts.extraConfig ?? []),
    ];
    fs.writeFileSync(this.configFile, lines.join('\n') + '\n', { mode: 0o600 });
  }

  /** Makes the host keys that are missing. */
  makeHostKeys(): void {
    for (const t of this.hostKeyTypes) {
      if (!fs.existsSync(this.hostKeyFile(t))) makeKeyPair(this.hostKeyFile(t), { type: t, comment: `test-host-${t}` });
    }
  }

  /** Starts sshd and waits until its port accepts connections. */
  async start(): Promise<void> {
    if (this.proc && isAlive(this.pid)) throw new Error(`${this.label} is running`);
    this.stopping = undefined;
    this.makeHostKeys();
    this.writeConfig();
    fs.appendFileSync(this.logFile, `=== etcd-tui harness ${new Date().toISOString()}: start sshd on port ${this.port}\n`);
    const fd = fs.openSync(this.logFile, 'a');
    let proc: ChildProcess;
    try {
      proc = spawn(
        UNSHARE,
        ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs tmpfs /run && mkdir -p /run/sshd && exec "$0" -D -e -f "$1"', SSHD, this.configFile],
        { stdio: ['ignore', fd, fd], cwd: this.dir },
      );
    } finally {
      fs.closeSync(fd);
    }
    let exitInfo: string | undefined;
    this.exited = new Promise<void>((resolve) => {
      proc.once('exit', (code, signal) => {
        exitInfo = signal ? `killed by ${signal}` : `exit code ${code}`;
        untrackProcess(proc.pid ?? -1);
        resolve();
      });
    });
    await new Promise<void>((resolve, reject) => {
      proc.once('spawn', resolve);
      proc.once('error', (err) => reject(new Error(`cannot start ${UNSHARE}: ${err.message}`)));
    });
    proc.on('error', () => undefined);
    proc.unref();
    this.proc = proc;
    this.pid = proc.pid as number;
    trackProcess({ kind: 'sshd', pid: this.pid, dir: this.dir });
    try {
      await waitFor(
        async () => {
          if (exitInfo) throw new StopWaiting(`sshd exited (${exitInfo}) while starting`);
          return tcpAccepts(this.host, this.port);
        },
        { timeoutMs: this.opts.startTimeoutMs ?? 10_000, intervalMs: 25, what: `sshd to accept connections on 127.0.0.1:${this.port}` },
      );
    } catch (err) {
      await this.kill();
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- ${this.logFile} ---\n${tail(this.logFile)}`, { cause: err });
    }
  }

  private async kill(): Promise<void> {
    if (!this.proc || !isAlive(this.pid)) return;
    signalPid(this.pid, 'SIGTERM');
    if (!(await exitedWithin(this.exited, 5_000))) {
      signalPid(this.pid, 'SIGKILL');
      await this.exited;
    }
  }

  /** Stops sshd (SIGTERM, SIGKILL after 5 s) and starts it again on the same port, same keys. */
  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  /** New host keys (as after a reinstall), then a restart: known_hosts lines for the old keys no longer match. */
  async regenerateHostKeys(): Promise<void> {
    await this.kill();
    for (const t of this.hostKeyTypes) {
      fs.rmSync(this.hostKeyFile(t), { force: true });
      fs.rmSync(`${this.hostKeyFile(t)}.pub`, { force: true });
    }
    await this.start();
  }

  /** Log tail, for failure messages. */
  log(lines = 30): string {
    return tail(this.logFile, lines);
  }

  /** Stops sshd by pid and removes the temp dir. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      try {
        await this.kill();
      } finally {
        unregisterResource(this);
        if (!process.env.ETCD_TUI_KEEP_TEST_DIRS) fs.rmSync(this.dir, { recursive: true, force: true });
      }
    })();
    return this.stopping;
  }

  killSync(): void {
    if (this.pid > 0 && isAlive(this.pid)) signalPid(this.pid, 'SIGKILL');
    untrackProcess(this.pid);
    if (!process.env.ETCD_TUI_KEEP_TEST_DIRS) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Starts an sshd on 127.0.0.1 and a free port (retried on another port if that one was taken). */
export async function startSshd(opts: SshdOptions = {}): Promise<TestSshd> {
  const reason = sshdSkipReason();
  if (reason) throw new Error(`startSshd: ${reason}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-sshd-'));
  fs.chmodSync(dir, 0o700);
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const sshd = new TestSshd(dir, await freePort(), opts);
    registerResource(sshd);
    try {
      await sshd.start();
      return sshd;
    } catch (err) {
      lastError = err;
      unregisterResource(sshd);
      if (!/Address already in use/i.test(sshd.log(5))) break;
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

/** An ssh-agent on its own socket (`ssh-agent -a SOCK -D`), tracked and stopped by pid. */
export class TestSshAgent implements Resource {
  private stopping?: Promise<void>;
  constructor(
    readonly socket: string,
    readonly pid: number,
    private readonly exited: Promise<void>,
    private readonly dir: string,
  ) {}

  get label(): string {
    return `ssh-agent ${this.socket} (pid ${this.pid})`;
  }

  /** ssh-add for a key file (no passphrase). */
  add(privateKey: string): void {
    execFileSync('ssh-add', ['-q', privateKey], { env: { ...process.env, SSH_AUTH_SOCK: this.socket }, stdio: ['ignore', 'ignore', 'pipe'] });
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      try {
        if (isAlive(this.pid)) {
          signalPid(this.pid, 'SIGTERM');
          if (!(await exitedWithin(this.exited, 5_000))) {
            signalPid(this.pid, 'SIGKILL');
            await this.exited;
          }
        }
      } finally {
        unregisterResource(this);
        fs.rmSync(this.dir, { recursive: true, force: true });
      }
    })();
    return this.stopping;
  }

  killSync(): void {
    if (isAlive(this.pid)) signalPid(this.pid, 'SIGKILL');
    untrackProcess(this.pid);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Starts ssh-agent in the foreground on a socket in a new temp dir and waits for the socket. */
export async function startSshAgent(): Promise<TestSshAgent> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-agent-'));
  const socket = path.join(dir, 'agent.sock');
  const proc = spawn('ssh-agent', ['-a', socket, '-D'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let exitInfo: string | undefined;
  const exited = new Promise<void>((resolve) => {
    proc.once('exit', (code, signal) => {
      exitInfo = signal ? `killed by ${signal}` : `exit code ${code}`;
      untrackProcess(proc.pid ?? -1);
      resolve();
    });
  });
  await new Promise<void>((resolve, reject) => {
    proc.once('spawn', resolve);
    proc.once('error', (err) => reject(new Error(`cannot start ssh-agent: ${err.message}`)));
  });
  proc.unref();
  (proc.stderr as net.Socket | null)?.unref();
  trackProcess({ kind: 'ssh-agent', pid: proc.pid as number, dir });
  const agent = new TestSshAgent(socket, proc.pid as number, exited, dir);
  registerResource(agent);
  try {
    await waitFor(
      () => {
        if (exitInfo) throw new StopWaiting(`ssh-agent exited (${exitInfo}): ${stderr.trim()}`);
        return fs.existsSync(socket);
      },
      { timeoutMs: 5_000, intervalMs: 20, what: `ssh-agent socket ${socket}` },
    );
  } catch (err) {
    await agent.stop();
    throw err;
  }
  return agent;
}
