/**
 * The sandbox: a real local etcd cluster from the installed binary, on free loopback ports in a
 * temporary directory. Every member it starts is stopped by pid when it stops (also on exit).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { initialClusterString } from '../domain/hosts.js';
import { accessSync, constants, existsSync, mkdtempSync, openSync, closeSync, rmSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ConfigError } from '../domain/errors.js';

export interface SandboxMember {
  name: string;
  clientURL: string;
  peerURL: string;
  dataDir: string;
  logFile: string;
  process: ChildProcess;
}

const INSTALL_HINT =
  'no etcd binary found: install it (Debian/Ubuntu: apt-get install etcd-server etcd-client), put it on PATH, or set ETCD_TUI_ETCD=/path/to/etcd';

/** The etcd binary: $ETCD_TUI_ETCD, else the first `etcd` on PATH, else /usr/bin/etcd. */
export function findEtcdBinary(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [env.ETCD_TUI_ETCD, ...(env.PATH ?? '').split(delimiter).map((d) => d && join(d, 'etcd')), '/usr/bin/etcd', '/usr/local/bin/etcd'];
  for (const c of candidates) {
    if (!c) continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // try the next one
    }
  }
  throw new ConfigError(INSTALL_HINT);
}

/** Distinct free loopback ports, all held until every one is known. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export class Sandbox {
  readonly members: SandboxMember[] = [];
  readonly dir: string;
  private readonly token = `etcd-tui-sandbox-${process.pid}-${Date.now()}`;
  private readonly onExit = () => {
    this.killAll();
    rmSync(this.dir, { recursive: true, force: true });
  };

  private constructor(readonly binary: string) {
    this.dir = mkdtempSync(join(tmpdir(), 'etcd-tui-sandbox-'));
    process.on('exit', this.onExit);
  }

  /** Start `count` members forming a new cluster. */
  static async start(count: number, binary = findEtcdBinary()): Promise<Sandbox> {
    if (!Number.isInteger(count) || count < 1 || count > 7) throw new ConfigError(`--members: ${count} is not between 1 and 7`);
    const sandbox = new Sandbox(binary);
    const ports = await freePorts(count * 2);
    const planned = Array.from({ length: count }, (_, i) => ({
      name: `m${i + 1}`,
      clientURL: `http://127.0.0.1:${ports[i * 2]}`,
      peerURL: `http://127.0.0.1:${ports[i * 2 + 1]}`,
    }));
    const initialCluster = initialClusterString(planned);
    for (const m of planned) sandbox.spawnMember(m.name, m.clientURL, m.peerURL, initialCluster, 'new');
    return sandbox;
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.clientURL);
  }

  /**
   * Start one member process (also used to start a learner that was added with `existing`). A
   * member replacing one of the same name gets a fresh data dir: the old one belongs to the removed member.
   */
  spawnMember(name: string, clientURL: string, peerURL: string, initialCluster: string, state: 'new' | 'existing'): SandboxMember {
    let base = name;
    for (let i = 2; existsSync(join(this.dir, `${base}.etcd`)); i++) base = `${name}-${i}`;
    const dataDir = join(this.dir, `${base}.etcd`);
    const logFile = join(this.dir, `${base}.log`);
    const fd = openSync(logFile, 'a');
    const args = [
      '--name', name,
      '--data-dir', dataDir,
      '--listen-client-urls', clientURL,
      '--advertise-client-urls', clientURL,
      '--listen-peer-urls', peerURL,
      '--initial-advertise-peer-urls', peerURL,
      '--initial-cluster', initialCluster,
      '--initial-cluster-state', state,
      '--initial-cluster-token', this.token,
      '--heartbeat-interval', '100',
      '--election-timeout', '1000',
    ];
    const child = spawn(this.binary, args, { stdio: ['ignore', fd, fd], env: { ...process.env, ETCD_UNSUPPORTED_ARCH: process.env.ETCD_UNSUPPORTED_ARCH ?? '' } });
    closeSync(fd);
    const member = { name, clientURL, peerURL, dataDir, logFile, process: child };
    this.members.push(member);
    return member;
  }

  /** A free peer URL on 127.0.0.1, to suggest for a member about to be added. */
  async freePeerURL(): Promise<string> {
    const [port] = await freePorts(1);
    return `http://127.0.0.1:${port}`;
  }

  /**
   * Start a member that was just added to the running cluster (the console's flows, in the
   * sandbox): its client URL on a free 127.0.0.1 port, the peer URLs it was added with, a fresh
   * data dir, `--initial-cluster-state existing`. Resolves once it serves its client URL (a learner
   * does after it has joined), or after timeoutMs with it still starting; fails with its log when
   * it exits first.
   */
  async startAdded(name: string, peerURLs: string[], initialCluster: string, timeoutMs = 15_000): Promise<SandboxMember> {
    const nonLocal = peerURLs.find((u) => !/^https?:\/\/(127\.0\.0\.1|localhost)(:|\/|$)/.test(u));
    if (nonLocal) throw new ConfigError(`the sandbox starts members on 127.0.0.1 only, not ${nonLocal}: start ${name} yourself with its env block`);
    const [port] = await freePorts(1);
    const member = this.spawnMember(name, `http://127.0.0.1:${port}`, peerURLs.join(','), initialCluster, 'existing');
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (member.process.exitCode !== null || member.process.signalCode !== null) {
        throw new ConfigError(`${name} exited at start (its log, ${member.logFile}):\n${this.logTailOf(member, 8)}`);
      }
      try {
        const res = await fetch(`${member.clientURL}/version`, { signal: AbortSignal.timeout(500) });
        if (res.ok) return member;
      } catch {
        // not serving yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return member;
  }

  /** The last lines of a member's log, for error messages. */
  logTail(name: string, lines = 5): string {
    const m = this.members.find((x) => x.name === name);
    return m ? this.logTailOf(m, lines) : '';
  }

  private logTailOf(m: SandboxMember, lines: number): string {
    try {
      return readFileSync(m.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** Members whose process has exited. */
  exited(): SandboxMember[] {
    return this.members.filter((m) => m.process.exitCode !== null || m.process.signalCode !== null);
  }

  private killAll(): void {
    for (const m of this.members) {
      if (m.process.exitCode === null && m.process.signalCode === null && m.process.pid) {
        try {
          process.kill(m.process.pid, 'SIGCONT');
          process.kill(m.process.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }

  /** Stop every member (SIGTERM, then SIGKILL after a bound) and remove the temporary directory. */
  async stop(timeoutMs = 3000): Promise<void> {
    const alive = this.members.filter((m) => m.process.exitCode === null && m.process.signalCode === null);
    await Promise.all(
      alive.map(
        (m) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              m.process.kill('SIGKILL');
            }, timeoutMs);
            m.process.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            try {
              if (m.process.pid) process.kill(m.process.pid, 'SIGCONT');
            } catch {
              // gone
            }
            m.process.kill('SIGTERM');
          }),
      ),
    );
    process.off('exit', this.onExit);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
