/**
 * The sandbox: a real local etcd cluster from the installed binary, on free loopback ports in a
 * temporary directory. Each member lives in its own directory (data/, etcd.env, etcd.log) and runs
 * from its env file, as a host's etcd.service does: so the sandbox can act as a set of hosts (its
 * "unit" of each member starts, stops and answers is-active; src/sandbox/hosts.ts), and the flows
 * that work on hosts (a snapshot restore) can be rehearsed on it. Every process it starts is
 * stopped by pid when it stops (also on exit).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { DEFAULT_ETCD_SETTINGS, initialClusterString, type EtcdSettings, type HostSpec } from '../domain/hosts.js';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { ConfigError } from '../domain/errors.js';
import { renderNodeFiles } from '../render/node-files.js';

export interface SandboxMember {
  name: string;
  clientURL: string;
  peerURL: string;
  /** The member's own directory: data/, etcd.env, etcd.log. */
  home: string;
  dataDir: string;
  /** The env file its process starts from (as etcd.service reads /etc/etcd/etcd.env). */
  envFile: string;
  logFile: string;
  /** The current process (a new one each time its unit starts). */
  process: ChildProcess;
  /** Set when the sandbox stopped it (systemctl stop): it is inactive, not failed. */
  stopped?: boolean;
}

/** The cluster-wide settings of every sandbox member (plain http on 127.0.0.1, fast elections). */
export const SANDBOX_SETTINGS: EtcdSettings = { ...DEFAULT_ETCD_SETTINGS, tls: false, listenLocalhost: false, heartbeatIntervalMs: 100, electionTimeoutMs: 1000 };

/** The unit name of every sandbox member (`systemctl stop etcd.service` on host m1 stops m1). */
export const SANDBOX_UNIT = 'etcd';

/** KEY=VALUE lines of an env file as systemd's EnvironmentFile reads them (comments and blanks skipped). */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const i = t.indexOf('=');
    if (i <= 0) continue;
    env[t.slice(0, i).trim()] = t.slice(i + 1).trim();
  }
  return env;
}

function portOf(url: string): number {
  return Number(new URL(url).port);
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
  /** Every process the sandbox started (a member restarted has several): all stopped by pid. */
  private readonly processes: ChildProcess[] = [];
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
   * member replacing one of the same name gets a fresh directory: the old one belongs to the removed member.
   */
  spawnMember(name: string, clientURL: string, peerURL: string, initialCluster: string, state: 'new' | 'existing'): SandboxMember {
    let base = name;
    for (let i = 2; existsSync(join(this.dir, base)); i++) base = `${name}-${i}`;
    const home = join(this.dir, base);
    mkdirSync(home, { mode: 0o700 });
    const member: SandboxMember = { name, clientURL, peerURL, home, dataDir: join(home, 'data'), envFile: join(home, 'etcd.env'), logFile: join(home, 'etcd.log'), process: undefined as unknown as ChildProcess };
    const initial = initialCluster.split(',').map((kv) => {
      const i = kv.indexOf('=');
      return { name: kv.slice(0, i), peerURL: kv.slice(i + 1) };
    });
    const env = renderNodeFiles({ host: this.hostSpec(member), settings: SANDBOX_SETTINGS, initialCluster: initial, state, token: this.token }).find((f) => f.kind === 'env');
    // The peer URLs exactly as given (an added member's may say localhost, or be several).
    const content = (env?.content ?? '').replace(/^(ETCD_LISTEN_PEER_URLS|ETCD_INITIAL_ADVERTISE_PEER_URLS)=.*$/gm, (_l, key: string) => `${key}=${peerURL}`);
    writeFileSync(member.envFile, content, { mode: 0o644 });
    this.members.push(member);
    this.startProcess(member);
    return member;
  }

  /** The member as a host of an inventory: its own directory for data, env file and "unit dir". */
  hostSpec(m: SandboxMember): HostSpec {
    return {
      name: m.name,
      ssh: { address: `${m.name}.sandbox`, port: 22, user: userInfo().username, identityFiles: [], agent: false, knownHosts: '/dev/null', sudo: false, connectTimeoutMs: 1000 },
      etcdAddress: '127.0.0.1',
      clientPort: portOf(m.clientURL),
      peerPort: portOf(m.peerURL.split(',')[0]),
      dataDir: m.dataDir,
      certDir: join(m.home, 'pki'),
      binaryPath: this.binary,
      envFile: m.envFile,
      unitName: SANDBOX_UNIT,
      unitDir: m.home,
      envOverrides: {},
    };
  }

  /** Start the member's process from its env file (whatever ETCD_* the operator's shell has is left out). */
  private startProcess(m: SandboxMember): void {
    const { ETCD_DATA_DIR, ...fromFile } = parseEnvFile(readFileSync(m.envFile, 'utf8'));
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCD_') && !k.startsWith('ETCDCTL_')));
    const fd = openSync(m.logFile, 'a');
    // The data dir on the command line (the same as the env file's): `ps` shows which sandbox a process is of.
    const child = spawn(this.binary, ['--data-dir', ETCD_DATA_DIR ?? m.dataDir], { stdio: ['ignore', fd, fd], env: { ...base, ...fromFile, ETCD_UNSUPPORTED_ARCH: process.env.ETCD_UNSUPPORTED_ARCH ?? '' } });
    closeSync(fd);
    m.process = child;
    m.stopped = false;
    this.processes.push(child);
  }

  /** The newest member of this name (a replacement takes the name over). */
  member(name: string): SandboxMember | undefined {
    return [...this.members].reverse().find((m) => m.name === name);
  }

  /** systemctl is-active, for a member: active, inactive (stopped by the sandbox) or failed (exited by itself). */
  unitState(name: string): 'active' | 'inactive' | 'failed' | undefined {
    const m = this.member(name);
    if (!m) return undefined;
    if (alive(m.process)) return 'active';
    return m.stopped ? 'inactive' : 'failed';
  }

  /** systemctl start: the member's process from its env file again (nothing when it runs). */
  unitStart(name: string): void {
    const m = this.member(name);
    if (!m) throw new ConfigError(`no sandbox member ${name}`);
    if (!alive(m.process)) this.startProcess(m);
  }

  /** systemctl stop: SIGTERM, SIGKILL after the bound; resolves once the process is gone. */
  async unitStop(name: string, timeoutMs = 10_000): Promise<void> {
    const m = this.member(name);
    if (!m) throw new ConfigError(`no sandbox member ${name}`);
    m.stopped = true;
    await stopProcess(m.process, timeoutMs);
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
    return this.members.filter((m) => !alive(m.process));
  }

  private killAll(): void {
    for (const p of this.processes) {
      if (alive(p) && p.pid) {
        try {
          process.kill(p.pid, 'SIGCONT');
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }

  /** Stop every member (SIGTERM, then SIGKILL after a bound) and remove the temporary directory. */
  async stop(timeoutMs = 3000): Promise<void> {
    await Promise.all(this.processes.filter(alive).map((p) => stopProcess(p, timeoutMs)));
    process.off('exit', this.onExit);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function alive(p: ChildProcess): boolean {
  return p.exitCode === null && p.signalCode === null;
}

/** SIGTERM (after SIGCONT: a stopped process cannot exit), SIGKILL after the bound; resolves once it is gone. */
function stopProcess(p: ChildProcess, timeoutMs: number): Promise<void> {
  if (!alive(p)) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      if (p.pid) process.kill(p.pid, 'SIGCONT');
    } catch {
      // gone
    }
    p.kill('SIGTERM');
  });
}
