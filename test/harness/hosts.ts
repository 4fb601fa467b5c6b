// Simulated hosts for tests that reach etcd machines over SSH.
//
// Each host is a set of Linux namespaces on this machine (needs root):
//  - network: its own eth0 (a veth on a bridge the harness creates, in a /24
//    of 10.0.0.0/8 that nothing here uses) and its own loopback, so every host
//    has ports 22/2379/2380 of its own;
//  - mount: copy-on-write overlays on /etc, /usr/local and /var/lib (upper and
//    work dirs in the host's temp dir; nothing is written to the real ones),
//    tmpfs on /run, /tmp and /root (a fresh root home: .bashrc/.profile from
//    Debian's defaults, not this machine's), the host's temp dir bound at
//    /run/etcd-tui-host (sshd config and keys), and the systemctl/journalctl
//    stand-ins of test/fixtures/hosts bind-mounted over /usr/bin/systemctl and
//    /usr/bin/journalctl;
//  - pid: the host's init (a bash script) is pid 1 inside, reaps orphans (a
//    unit's daemon once systemctl has exited) and takes every process of the
//    host with it when it dies; `ps` on the host shows only its own processes;
//  - uts: hostname = the host's name.
// Its own sshd (ed25519 host key, key-only root login) listens on its address.
//
// Nothing is created under a real path: directories the hosts need
// (/etc/etcd, /etc/systemd/system, /usr/local/bin) are made in the overlays'
// upper dirs before the mounts, and /var/lib/etcd plus the Debian package's
// etcd*.service links in /etc/systemd/system are hidden by overlay whiteouts
// (character devices 0/0 in the upper dir), so a host starts without etcd.
//
// Names: every network namespace and link starts with `etui<owner pid>` so a
// cleanup (scripts/test.sh) can find leftovers and tell whether their owner
// is still running. Teardown: stop() / stopAll() / the registry's exit hooks
// (killSync); the unshare process of each host runs with --kill-child, so
// SIGKILL to that one recorded pid takes the whole host down.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './binaries.js';
import {
  isAlive,
  procStartTime,
  registerResource,
  signalPid,
  trackProcess,
  unregisterResource,
  untrackProcess,
  type Resource,
} from './registry.js';
import { StopWaiting, waitFor } from './wait.js';

export interface SimExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface SimHost {
  /** e.g. "h1"; also the host's hostname. */
  name: string;
  /** Its own address on the bridge. */
  address: string;
  netns: string;
  /** OpenSSH known_hosts line for this host's current key. */
  knownHostsLine(): string;
  /** SHA256 fingerprint of the current host key, as `ssh-keygen -lf` prints it ("SHA256:..."). */
  fingerprint(): string;
  /**
   * Runs argv inside the host (nsenter into its mount, net, uts and pid
   * namespaces), for test assertions. Never throws for a non-zero exit; code is
   * null when killed (timeout, default 30 s).
   */
  exec(argv: string[], opts?: { timeoutMs?: number; input?: string }): Promise<SimExecResult>;
  /** A file's content inside the host, or undefined when it does not exist. */
  readFile(path: string): Promise<string | undefined>;
  /**
   * Replaces the host key and restarts sshd (SIGHUP: sshd re-executes itself,
   * same pid, same namespaces; after killSshd, a new sshd); resolves once sshd serves the new key. The
   * shared knownHostsFile keeps the old key (for "changed host key" tests).
   */
  regenerateHostKey(): Promise<void>;
  /** Pids (in this machine's pid namespace) of every process in the host (ip netns pids). */
  pids(): number[];

  // Faults (for tests of what the product does when a host or its network fails).
  /**
   * Kills every sshd of the host with SIGKILL (the listener and every session): connections drop, new
   * ones are refused. With sessionsOnly, the listener lives: open connections drop, new ones are served.
   */
  killSshd(opts?: { sessionsOnly?: boolean }): Promise<void>;
  /** Starts sshd again (same config and key); resolves once it accepts connections. */
  startSshd(): Promise<void>;
  /** Takes the host's link down (the bridge side of its veth): packets are dropped silently, nothing is reset. */
  linkDown(): Promise<void>;
  linkUp(): Promise<void>;
  /** Limits what the bastion sends to the host to `kbit` kbit/s (tc tbf on the bridge side); undefined lifts it. */
  throttle(kbit: number | undefined): Promise<void>;
  /**
   * Mounts an empty tmpfs of `sizeBytes` over `dir` inside the host (its own mount namespace; the sshd
   * sessions see it; what was in `dir` is hidden); `fill` then fills it up to the last byte.
   */
  smallFilesystem(dir: string, sizeBytes: number, opts?: { fill?: boolean }): Promise<void>;
}

export interface SimHosts {
  hosts: SimHost[];
  /** The bastion's (this machine's) address on the bridge. */
  bridgeAddress: string;
  /** Private key file (ed25519, no passphrase) authorized for root on every host. */
  clientKey: string;
  /** known_hosts with every host's line as of the start, for tests that start trusted. */
  knownHostsFile: string;
  /** Temp dir of the whole set (keys, per-host dirs, logs). */
  dir: string;
  /** The bridge's interface name. */
  bridge: string;
  /** Prefix of every netns and link name of this set. */
  prefix: string;
  /** How long startSimHosts took, in ms. */
  startMs: number;
  /** Kills every process of every host (SIGTERM, bounded wait, SIGKILL); deletes netns, links, bridge, temp dirs. Idempotent. */
  stop(): Promise<void>;
}

export interface SimHostsOptions {
  /** Host names (default h1..hN); lowercase letters, digits and '-'. */
  names?: string[];
  /**
   * Settle time of the systemctl stand-in for Type=notify units (default 2000 ms;
   * written to /run/etcd-tui-standin/settle-ms in each host).
   */
  standinSettleMs?: number;
  /** Bound for the whole start (default 30 000 ms). */
  timeoutMs?: number;
}

const NAME_PREFIX = 'etui';
const MAX_IFNAME = 15;
const MAX_HOSTS = 99;
const SSH_PORT = 22;
const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Where the host's temp dir is bound inside it (the real /tmp is covered by the host's own tmpfs). */
const INNER_DIR = '/run/etcd-tui-host';
const TOOLS = ['ip', 'unshare', 'nsenter', 'mount', 'mknod', 'bash', 'ssh-keygen', 'ssh-keyscan', 'sshd'] as const;
type Tool = (typeof TOOLS)[number];

// ---------------------------------------------------------------------------
// Tools and skip reason

function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // next
    }
  }
  return undefined;
}

let toolCache: Record<Tool, string> | undefined;
let skipCache: { reason: string | undefined } | undefined;

function tools(): Record<Tool, string> {
  if (toolCache) return toolCache;
  const found: Partial<Record<Tool, string>> = {};
  for (const t of TOOLS) {
    const file = findExecutable(t);
    if (!file) throw new Error(`simulated hosts need ${t} (not found in PATH or /usr/sbin)`);
    found[t] = file;
  }
  toolCache = found as Record<Tool, string>;
  return toolCache;
}

/** Why simulated hosts cannot run here, or undefined when they can. */
export function simHostsSkipReason(): string | undefined {
  if (skipCache) return skipCache.reason;
  let reason: string | undefined;
  if (process.platform !== 'linux') reason = 'simulated hosts need Linux (network, mount and pid namespaces)';
  else if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    reason = 'simulated hosts need root (ip netns, mount namespaces); run the tests as root';
  } else {
    try {
      tools();
      const filesystems = fs.readFileSync('/proc/filesystems', 'utf8');
      if (!/\boverlay\b/.test(filesystems) && !fs.existsSync('/sys/module/overlay')) {
        reason = 'simulated hosts need overlayfs (not in /proc/filesystems)';
      } else if (!/\btmpfs\b/.test(filesystems)) {
        reason = 'simulated hosts need tmpfs';
      } else if (!fs.existsSync('/proc/self/ns/net') || !fs.existsSync('/proc/self/ns/pid')) {
        reason = 'simulated hosts need network and pid namespaces';
      } else {
        const passwd = fs.readFileSync('/etc/passwd', 'utf8');
        if (!/^sshd:/m.test(passwd)) reason = 'simulated hosts need the sshd privilege-separation user (openssh-server)';
      }
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
  }
  skipCache = { reason };
  return reason;
}

// ---------------------------------------------------------------------------
// Small helpers

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: opts.timeoutMs ?? 15_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, env: opts.env, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
          reject(new Error(`cannot run ${file}: ${err.message}`));
          return;
        }
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
  });
}

async function must(file: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  const r = await run(file, args, opts);
  if (r.code !== 0) throw new Error(`${path.basename(file)} ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

function ipSync(args: string[]): string {
  try {
    return execFileSync(tools().ip, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000, encoding: 'utf8' });
  } catch {
    return '';
  }
}

function netnsPidsSync(netns: string): number[] {
  return ipSync(['netns', 'pids', netns])
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(-lines).join('\n');
  } catch (err) {
    return `(no log: ${err instanceof Error ? err.message : String(err)})`;
  }
}

/** signalPid for a pid we recorded; 0 (not started) is never signalled (kill(0) would hit our own process group). */
function kill(pid: number, signal: NodeJS.Signals): void {
  if (Number.isInteger(pid) && pid > 0) signalPid(pid, signal);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function tcpConnects(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** The children of a process (needs /proc/<pid>/task/<pid>/children). */
function childrenOf(pid: number): number[] {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function comm(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** "SHA256:<base64 without padding>" of an OpenSSH public key blob (base64). */
function sshFingerprint(blobBase64: string): string {
  const digest = crypto.createHash('sha256').update(Buffer.from(blobBase64, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

function readPublicKey(file: string): { type: string; blob: string } {
  const [type, blob] = fs.readFileSync(file, 'utf8').trim().split(/\s+/);
  if (!type || !blob) throw new Error(`${file} is not an OpenSSH public key`);
  return { type, blob };
}

// ---------------------------------------------------------------------------
// Names and addresses

function ipv4ToInt(a: string): number {
  return a.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/** Every IPv4 prefix this machine has as an address or a route (default routes left out). */
async function usedIpv4Ranges(): Promise<{ start: number; end: number }[]> {
  const ranges: { start: number; end: number }[] = [];
  const add = (cidr: string) => {
    const m = /^(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?$/.exec(cidr);
    if (!m) return;
    const len = m[2] === undefined ? 32 : Number(m[2]);
    if (len === 0) return;
    const size = 2 ** (32 - len);
    const start = Math.floor(ipv4ToInt(m[1]) / size) * size;
    ranges.push({ start, end: start + size - 1 });
  };
  const addrs = await must(tools().ip, ['-4', '-o', 'addr', 'show']);
  for (const m of addrs.matchAll(/\binet (\d+\.\d+\.\d+\.\d+\/\d+)/g)) add(m[1]);
  const routes = await must(tools().ip, ['-4', 'route', 'show', 'table', 'all']);
  for (const line of routes.split('\n')) {
    const first = line.trim().split(/\s+/)[0];
    const dest = first === 'local' || first === 'broadcast' || first === 'unicast' ? line.trim().split(/\s+/)[1] : first;
    if (dest && dest !== 'default') add(dest);
  }
  return ranges;
}

/** A random 10.x.y.0/24 that overlaps no address or route of this machine; returns "10.x.y". */
async function pickSubnet(): Promise<string> {
  const used = await usedIpv4Ranges();
  for (let attempt = 0; attempt < 200; attempt++) {
    const x = 1 + crypto.randomInt(254);
    const y = crypto.randomInt(256);
    const start = ipv4ToInt(`10.${x}.${y}.0`);
    const end = start + 255;
    if (!used.some((r) => r.start <= end && start <= r.end)) return `10.${x}.${y}`;
  }
  throw new Error('startSimHosts: no free /24 in 10.0.0.0/8');
}

let sequence = 0;

function seqLetters(n: number): string {
  let s = '';
  let k = n;
  do {
    s = String.fromCharCode(97 + (k % 26)) + s;
    k = Math.floor(k / 26) - 1;
  } while (k >= 0);
  return s;
}

/** `etui<pid><letters>`, not used by any netns or link yet. */
async function pickPrefix(count: number): Promise<string> {
  const links = await must(tools().ip, ['-o', 'link', 'show']);
  const netns = await must(tools().ip, ['netns', 'list']);
  const taken = (p: string) => links.includes(`: ${p}`) || netns.split('\n').some((l) => l.startsWith(p));
  for (;;) {
    const prefix = `${NAME_PREFIX}${process.pid}${seqLetters(sequence++)}`;
    if (`${prefix}v${count}`.length > MAX_IFNAME || `${prefix}br`.length > MAX_IFNAME) {
      throw new Error(`startSimHosts: interface names of ${prefix} would exceed ${MAX_IFNAME} characters`);
    }
    // A prefix that is a prefix of a taken name (etui123a vs etui123ab) is fine: names end in v<n>/br/-<name>.
    if (!taken(`${prefix}br`) && !taken(`${prefix}v`) && !taken(`${prefix}-`)) return prefix;
  }
}

// ---------------------------------------------------------------------------
// The hosts

interface HostPlan {
  name: string;
  index: number;
  address: string;
  netns: string;
  veth: string;
  dir: string;
}

class Host implements SimHost {
  readonly name: string;
  readonly address: string;
  readonly netns: string;
  readonly veth: string;
  readonly dir: string;
  readonly index: number;
  /** pid of `unshare` (in this machine's pid namespace, inside the host's netns). */
  unsharePid = 0;
  /** pid of the host's init (pid 1 inside). */
  initPid = 0;
  sshdPid = 0;
  proc: ChildProcess | undefined;
  exited: Promise<void> = Promise.resolve();
  exitInfo: string | undefined;
  private readonly set: SimHostSet;

  constructor(plan: HostPlan, set: SimHostSet) {
    this.name = plan.name;
    this.address = plan.address;
    this.netns = plan.netns;
    this.veth = plan.veth;
    this.dir = plan.dir;
    this.index = plan.index;
    this.set = set;
  }

  get hostKey(): string {
    return path.join(this.dir, 'ssh', 'ssh_host_ed25519_key');
  }

  get logFile(): string {
    return path.join(this.dir, 'host.log');
  }

  knownHostsLine(): string {
    const { type, blob } = readPublicKey(`${this.hostKey}.pub`);
    return `${this.address} ${type} ${blob}`;
  }

  fingerprint(): string {
    return sshFingerprint(readPublicKey(`${this.hostKey}.pub`).blob);
  }

  pids(): number[] {
    return netnsPidsSync(this.netns);
  }

  private sshdPids(): number[] {
    return this.pids().filter((p) => comm(p) === 'sshd');
  }

  async killSshd(opts: { sessionsOnly?: boolean } = {}): Promise<void> {
    this.requireRunning('killSshd');
    const pids = this.sshdPids().filter((p) => !opts.sessionsOnly || p !== this.sshdPid);
    for (const p of pids) kill(p, 'SIGKILL');
    await waitFor(() => pids.every((p) => !isAlive(p)), { timeoutMs: 10_000, intervalMs: 20, what: `the sshd processes of ${this.name} to die` });
    if (!opts.sessionsOnly) this.sshdPid = 0;
  }

  async startSshd(): Promise<void> {
    this.requireRunning('startSshd');
    // Without -D sshd goes to the background; its parent is then the host's init, which reaps it.
    const r = await this.exec(['/usr/sbin/sshd', '-f', path.posix.join(INNER_DIR, 'ssh', 'sshd_config')]);
    if (r.code !== 0) throw new Error(`sshd did not start on ${this.name} (exit ${r.code}): ${r.stderr.trim()}`);
    await waitFor(
      async () => {
        const listener = this.sshdPids().find((p) => parentOf(p) === this.initPid);
        if (listener) this.sshdPid = listener;
        return listener !== undefined && tcpConnects(this.address, SSH_PORT, 1_000);
      },
      { timeoutMs: 15_000, intervalMs: 50, what: `sshd of ${this.name} to accept connections again` },
    );
  }

  async linkDown(): Promise<void> {
    await must(tools().ip, ['link', 'set', this.veth, 'down']);
  }

  async linkUp(): Promise<void> {
    await must(tools().ip, ['link', 'set', this.veth, 'up']);
  }

  async throttle(kbit: number | undefined): Promise<void> {
    const tc = findExecutable('tc');
    if (!tc) throw new Error('throttle needs tc (iproute2)');
    if (kbit === undefined) {
      await run(tc, ['qdisc', 'del', 'dev', this.veth, 'root']);
      return;
    }
    await must(tc, ['qdisc', 'replace', 'dev', this.veth, 'root', 'tbf', 'rate', `${kbit}kbit`, 'burst', '32kb', 'latency', '2s']);
  }

  async smallFilesystem(dir: string, sizeBytes: number, opts: { fill?: boolean } = {}): Promise<void> {
    this.requireRunning('smallFilesystem');
    const script = [
      'set -e',
      'd="$1"; size="$2"; fill="$3"',
      'mount -t tmpfs -o "size=$size,mode=0755" etui-small "$d"',
      // dd stops with "No space left on device" (exit 1) once the tmpfs is full.
      'if [ "$fill" = 1 ]; then dd if=/dev/zero of="$d/.etui-fill" bs=4096 2>/dev/null || true; fi',
      'test "$fill" != 1 || [ "$(df -P -B1 -- "$d" | awk \'NR==2 {print $4}\')" -lt 4096 ]',
    ].join('\n');
    const r = await this.exec(['bash', '-c', script, 'small-fs', dir, String(sizeBytes), opts.fill ? '1' : '0']);
    if (r.code !== 0) throw new Error(`smallFilesystem ${dir} on ${this.name} failed (exit ${r.code}): ${r.stderr.trim()}`);
  }

  private requireRunning(what: string): void {
    if (!this.initPid || !isAlive(this.initPid)) {
      throw new Error(`${what}: simulated host ${this.name} is not running (${this.exitInfo ?? 'stopped'}); log tail:\n${tail(this.logFile)}`);
    }
  }

  exec(argv: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<SimExecResult> {
    try {
      this.requireRunning(`exec ${argv.join(' ')}`);
    } catch (err) {
      return Promise.reject(err);
    }
    if (argv.length === 0) return Promise.reject(new Error('exec: empty argv'));
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const t = tools();
    // nsenter forks into the pid namespace and waits; on our timeout it is
    // killed, and coreutils timeout inside kills the command itself.
    const inner = ['timeout', '-s', 'KILL', `${Math.max(1, Math.ceil(timeoutMs / 1000))}s`, ...argv];
    return new Promise((resolve, reject) => {
      const child = spawn(t.nsenter, ['-t', String(this.initPid), '-m', '-n', '-u', '-p', '--', ...inner], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { PATH: HOST_PATH, HOME: '/root', USER: 'root', LOGNAME: 'root', LANG: 'C.UTF-8' },
        cwd: '/',
      });
      this.set.execChildren.add(child);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      const t0 = Date.now();
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs + 2_000);
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.once('error', (e) => {
        clearTimeout(timer);
        this.set.execChildren.delete(child);
        reject(new Error(`cannot run nsenter for ${this.name}: ${e.message}`));
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        this.set.execChildren.delete(child);
        let stderr = Buffer.concat(err).toString('utf8');
        // timeout(1) exits 137 (128+KILL) when it had to kill the command.
        const expired = timedOut || (code === 137 && Date.now() - t0 >= timeoutMs);
        if (expired) stderr += `\n(etcd-tui harness: ${argv[0]} on ${this.name} killed after ${timeoutMs}ms)`;
        resolve({ code: expired || signal !== null ? null : code, stdout: Buffer.concat(out).toString('utf8'), stderr });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input ?? '');
    });
  }

  async readFile(file: string): Promise<string | undefined> {
    const r = await this.exec(['cat', '--', file], { timeoutMs: 10_000 });
    if (r.code === 0) return r.stdout;
    if (/No such file or directory/.test(r.stderr)) return undefined;
    throw new Error(`readFile ${file} on ${this.name} failed (exit ${r.code}): ${r.stderr.trim()}`);
  }

  async regenerateHostKey(): Promise<void> {
    this.requireRunning('regenerateHostKey');
    const before = this.fingerprint();
    const tmp = path.join(this.dir, 'ssh', 'new_host_key');
    fs.rmSync(tmp, { force: true });
    fs.rmSync(`${tmp}.pub`, { force: true });
    await must(tools()['ssh-keygen'], ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${this.name}`, '-f', tmp]);
    fs.renameSync(`${tmp}.pub`, `${this.hostKey}.pub`);
    fs.renameSync(tmp, this.hostKey);
    const { blob } = readPublicKey(`${this.hostKey}.pub`);
    if (sshFingerprint(blob) === before) throw new Error('regenerateHostKey: ssh-keygen made the same key');
    // A host whose sshd was killed (killSshd) gets a new one with the new key.
    if (!this.sshdPid) await this.startSshd();
    else kill(this.sshdPid, 'SIGHUP');
    await waitFor(
      async () => {
        if (!isAlive(this.sshdPid)) throw new StopWaiting(`sshd of ${this.name} (pid ${this.sshdPid}) died after SIGHUP; log tail:\n${tail(this.logFile)}`);
        const r = await run(tools()['ssh-keyscan'], ['-T', '2', '-t', 'ed25519', this.address], { timeoutMs: 5_000 });
        return r.stdout.split('\n').some((l) => l.trim().split(/\s+/)[2] === blob);
      },
      { timeoutMs: 15_000, intervalMs: 50, what: `sshd of ${this.name} to serve its new host key` },
    );
  }

  /** Sets up the netns, the dirs, and starts init + sshd; resolves once sshd accepts connections. */
  async start(all: HostPlan[], deadline: number): Promise<void> {
    const t = tools();
    const s = this.set;
    await must(t.ip, ['netns', 'add', this.netns]);
    await must(t.ip, ['link', 'add', this.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.netns]);
    await must(t.ip, ['link', 'set', this.veth, 'master', s.bridge, 'up']);
    await must(t.ip, ['-n', this.netns, 'addr', 'add', `${this.address}/24`, 'dev', 'eth0']);
    await must(t.ip, ['-n', this.netns, 'link', 'set', 'eth0', 'up']);
    await must(t.ip, ['-n', this.netns, 'link', 'set', 'lo', 'up']);

    const sshDir = path.join(this.dir, 'ssh');
    const innerSsh = path.posix.join(INNER_DIR, 'ssh');
    fs.mkdirSync(sshDir, { recursive: true, mode: 0o700 });
    await must(t['ssh-keygen'], ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${this.name}`, '-f', this.hostKey]);
    fs.copyFileSync(`${s.clientKey}.pub`, path.join(sshDir, 'authorized_keys'));
    fs.writeFileSync(
      path.join(sshDir, 'sshd_config'),
      [
        `# sshd of simulated host ${this.name} (etcd-tui tests)`,
        `Port ${SSH_PORT}`,
        `ListenAddress ${this.address}`,
        `HostKey ${path.posix.join(innerSsh, 'ssh_host_ed25519_key')}`,
        `AuthorizedKeysFile ${path.posix.join(innerSsh, 'authorized_keys')}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'UsePAM no',
        'StrictModes no',
        'UseDNS no',
        'PrintMotd no',
        'PrintLastLog no',
        'PidFile /run/sshd.pid',
        'MaxStartups 100:30:200',
        'MaxSessions 64',
        'Subsystem sftp internal-sftp',
        '',
      ].join('\n'),
    );
    await this.prepareOverlays(all);
    fs.writeFileSync(path.join(this.dir, 'init.sh'), this.initScript());

    const logFd = fs.openSync(this.logFile, 'a');
    let proc: ChildProcess;
    try {
      proc = spawn(
        t.ip,
        [
          'netns', 'exec', this.netns,
          t.unshare, '--mount', '--uts', '--pid', '--fork', '--kill-child=SIGKILL', '--mount-proc', '--propagation', 'private',
          '--', t.bash, path.join(this.dir, 'init.sh'),
        ],
        { stdio: ['ignore', logFd, logFd], cwd: '/', env: { PATH: HOST_PATH, LANG: 'C.UTF-8' } },
      );
    } finally {
      fs.closeSync(logFd);
    }
    this.exited = new Promise<void>((resolve) => {
      proc.once('exit', (code, signal) => {
        this.exitInfo = signal ? `killed by ${signal}` : `exit code ${code}`;
        untrackProcess(proc.pid ?? -1);
        resolve();
      });
    });
    await new Promise<void>((resolve, reject) => {
      proc.once('spawn', resolve);
      proc.once('error', (err) => reject(new Error(`cannot start host ${this.name}: ${err.message}`)));
    });
    proc.on('error', () => undefined);
    proc.unref();
    this.proc = proc;
    this.unsharePid = proc.pid as number;
    trackProcess({ kind: 'simhost', pid: this.unsharePid, dir: s.dir });

    await waitFor(
      async () => {
        if (this.exitInfo) throw new StopWaiting(`simulated host ${this.name} exited while starting (${this.exitInfo})`);
        if (!this.initPid) {
          const init = childrenOf(this.unsharePid).find((p) => comm(p) === 'bash');
          if (!init) return false;
          this.initPid = init;
          trackProcess({ kind: 'simhost-init', pid: init });
        }
        if (!this.sshdPid) {
          const sshd = childrenOf(this.initPid).find((p) => comm(p) === 'sshd');
          if (!sshd) return false;
          this.sshdPid = sshd;
        }
        return tcpConnects(this.address, SSH_PORT, 1_000);
      },
      { timeoutMs: Math.max(deadline - Date.now(), 1_000), intervalMs: 20, what: `sshd of simulated host ${this.name} on ${this.address}:${SSH_PORT}` },
    ).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}; host log tail:\n${tail(this.logFile)}`, { cause: err });
    });
    this.checkMounts();
  }

  /** Refuses a host whose overlays or /run are not in place (init runs with set -e, so this is a second look). */
  private checkMounts(): void {
    const info = fs.readFileSync(`/proc/${this.initPid}/mountinfo`, 'utf8');
    const fsAt = new Map<string, string>();
    for (const line of info.split('\n')) {
      const parts = line.split(' ');
      const sep = parts.indexOf('-');
      if (sep < 0) continue;
      fsAt.set(parts[4], parts[sep + 1]);
    }
    const expected = [['/etc', 'overlay'], ['/usr/local', 'overlay'], ['/var/lib', 'overlay'], ['/run', 'tmpfs'], ['/tmp', 'tmpfs'], ['/root', 'tmpfs']] as const;
    for (const [mp, type] of expected) {
      if (fsAt.get(mp) !== type) throw new Error(`simulated host ${this.name}: ${mp} is not ${type} inside (${fsAt.get(mp) ?? 'no mount'})`);
    }
  }

  /** Upper/work dirs, directories the hosts need, whiteouts, /etc/hosts, the stand-ins. All under this.dir. */
  private async prepareOverlays(all: HostPlan[]): Promise<void> {
    const t = tools();
    for (const layer of ['etc', 'usrlocal', 'varlib']) {
      fs.mkdirSync(path.join(this.dir, layer, 'up'), { recursive: true });
      fs.mkdirSync(path.join(this.dir, layer, 'work'), { recursive: true });
    }
    const etcUp = path.join(this.dir, 'etc', 'up');
    const usrLocalUp = path.join(this.dir, 'usrlocal', 'up');
    const varLibUp = path.join(this.dir, 'varlib', 'up');
    for (const d of [path.join(etcUp, 'etcd'), path.join(etcUp, 'systemd', 'system'), path.join(usrLocalUp, 'bin')]) {
      fs.mkdirSync(d, { recursive: true, mode: 0o755 });
    }
    const whiteouts: string[] = [];
    if (fs.existsSync('/var/lib/etcd')) whiteouts.push(path.join(varLibUp, 'etcd'));
    // The machine's etcd package links (etcd.service in multi-user.target.wants, aliases): a fresh host has none.
    const lowerUnits = '/etc/systemd/system';
    const unitDirs = [''];
    try {
      for (const e of fs.readdirSync(lowerUnits, { withFileTypes: true })) {
        if (e.isDirectory() && /\.(wants|requires)$/.test(e.name)) unitDirs.push(e.name);
      }
    } catch {
      // no /etc/systemd/system
    }
    for (const sub of unitDirs) {
      let entries: string[] = [];
      try {
        entries = fs.readdirSync(path.join(lowerUnits, sub));
      } catch {
        continue;
      }
      for (const e of entries) {
        if (/^etcd/.test(e) && /\.(service|timer)$/.test(e)) whiteouts.push(path.join(etcUp, 'systemd', 'system', sub, e));
      }
    }
    for (const w of whiteouts) {
      fs.mkdirSync(path.dirname(w), { recursive: true, mode: 0o755 });
      await must(t.mknod, [w, 'c', '0', '0']);
    }
    fs.writeFileSync(path.join(etcUp, 'hostname'), `${this.name}\n`);
    fs.writeFileSync(
      path.join(etcUp, 'hosts'),
      [
        '127.0.0.1\tlocalhost',
        '::1\tlocalhost ip6-localhost ip6-loopback',
        `${this.set.bridgeAddress}\tbastion`,
        ...all.map((h) => `${h.address}\t${h.name}`),
        '',
      ].join('\n'),
    );
    // The stand-ins: copies with this node as interpreter (node need not be on the hosts' PATH).
    const binDir = path.join(this.dir, 'bin');
    fs.mkdirSync(binDir, { recursive: true });
    for (const tool of ['systemctl', 'journalctl']) {
      const src = fs.readFileSync(path.join(repoRoot(), 'test', 'fixtures', 'hosts', `${tool}.mjs`), 'utf8');
      const body = src.startsWith('#!') ? src.slice(src.indexOf('\n') + 1) : src;
      const copy = path.join(binDir, tool);
      fs.writeFileSync(copy, `#!${process.execPath}\n${body}`, { mode: 0o755 });
      if (!fs.existsSync(`/usr/bin/${tool}`)) {
        // Nothing to bind over: the overlay's /usr/local/sbin (on root's PATH before /usr/bin).
        fs.mkdirSync(path.join(usrLocalUp, 'sbin'), { recursive: true, mode: 0o755 });
        fs.copyFileSync(copy, path.join(usrLocalUp, 'sbin', tool));
        fs.chmodSync(path.join(usrLocalUp, 'sbin', tool), 0o755);
      }
    }
  }

  private initScript(): string {
    const d = shq(this.dir);
    const binds = ['systemctl', 'journalctl']
      .filter((tool) => fs.existsSync(`/usr/bin/${tool}`))
      .map((tool) => `mount --bind ${INNER_DIR}/bin/${tool} /usr/bin/${tool}`);
    const settle = this.set.standinSettleMs;
    return [
      '#!/bin/bash',
      `# init (pid 1) of simulated host ${this.name}: written by test/harness/hosts.ts, runs in its own`,
      '# network, mount, uts and pid namespaces. Every mount below is private to this mount namespace.',
      'set -euo pipefail',
      `export PATH=${HOST_PATH}`,
      `H=${d}`,
      'mount --make-rprivate /',
      'mount -t overlay etui-etc -o "lowerdir=/etc,upperdir=$H/etc/up,workdir=$H/etc/work" /etc',
      'mount -t overlay etui-usrlocal -o "lowerdir=/usr/local,upperdir=$H/usrlocal/up,workdir=$H/usrlocal/work" /usr/local',
      'mount -t overlay etui-varlib -o "lowerdir=/var/lib,upperdir=$H/varlib/up,workdir=$H/varlib/work" /var/lib',
      'mount -t tmpfs -o mode=0755,size=256m etui-run /run',
      '# never create anything below a /run that is not the tmpfs',
      'mountpoint -q /run',
      `mkdir -m 0755 /run/sshd /run/etcd-tui-standin ${INNER_DIR}`,
      `mount --bind "$H" ${INNER_DIR}`,
      'mount -t tmpfs -o mode=1777,size=256m etui-tmp /tmp',
      'mountpoint -q /tmp',
      'mount -t tmpfs -o mode=0700,size=64m etui-root /root',
      'mountpoint -q /root',
      'for f in bashrc profile; do',
      '  if [ -f /usr/share/base-files/dot.$f ]; then cp /usr/share/base-files/dot.$f /root/.$f',
      '  elif [ -f /etc/skel/.$f ]; then cp /etc/skel/.$f /root/.$f; fi',
      'done',
      ...(settle !== undefined ? [`echo ${Math.max(0, Math.round(settle))} > /run/etcd-tui-standin/settle-ms`] : []),
      ...binds,
      `hostname ${shq(this.name)}`,
      '# boot: the unit files present now are loaded (as systemd does at boot)',
      'systemctl daemon-reload',
      `/usr/sbin/sshd -D -e -f ${INNER_DIR}/ssh/sshd_config &`,
      'sshd_pid=$!',
      "trap 'kill -TERM $sshd_pid 2>/dev/null; exit 0' TERM INT",
      `echo "simulated host ${this.name}: init pid $$, sshd pid $sshd_pid"`,
      '# reap orphans (daemons started by the systemctl stand-in) for as long as the host lives',
      'while :; do wait || true; sleep 1; done',
      '',
    ].join('\n');
  }
}

class SimHostSet implements SimHosts, Resource {
  readonly hosts: Host[] = [];
  readonly dir: string;
  readonly prefix: string;
  readonly bridge: string;
  /** "10.x.y" of the bridge's /24 (set by claimSubnet). */
  subnet = '';
  bridgeAddress = '';
  readonly clientKey: string;
  readonly knownHostsFile: string;
  readonly standinSettleMs: number | undefined;
  readonly execChildren = new Set<ChildProcess>();
  startMs = 0;
  bridgeCreated = false;
  private stopping: Promise<void> | undefined;

  constructor(dir: string, prefix: string, standinSettleMs: number | undefined) {
    this.dir = dir;
    this.prefix = prefix;
    this.bridge = `${prefix}br`;
    this.clientKey = path.join(dir, 'client_ed25519');
    this.knownHostsFile = path.join(dir, 'known_hosts');
    this.standinSettleMs = standinSettleMs;
    registerResource(this);
  }

  get label(): string {
    return `simulated hosts ${this.prefix} (${this.hosts.map((h) => `${h.name}=${h.address}`).join(', ')}) in ${this.dir}`;
  }

  /** Creates the bridge and gives it x.1 of a /24 that no other interface has (checked again once ours is set). */
  async claimSubnet(): Promise<void> {
    const t = tools();
    await must(t.ip, ['link', 'add', this.bridge, 'type', 'bridge']);
    this.bridgeCreated = true;
    for (let attempt = 1; ; attempt++) {
      const subnet = await pickSubnet();
      await must(t.ip, ['addr', 'add', `${subnet}.1/24`, 'dev', this.bridge]);
      // Another run may have picked the same /24 at the same moment.
      const addrs = await must(t.ip, ['-4', '-o', 'addr', 'show']);
      const clash = addrs.split('\n').some((line) => {
        const parts = line.trim().split(/\s+/);
        return parts[1] !== this.bridge && (parts[3] ?? '').startsWith(`${subnet}.`);
      });
      if (!clash) {
        this.subnet = subnet;
        this.bridgeAddress = `${subnet}.1`;
        break;
      }
      await run(t.ip, ['addr', 'del', `${subnet}.1/24`, 'dev', this.bridge]);
      if (attempt >= 5) throw new Error(`startSimHosts: every /24 tried was taken by another interface meanwhile (last ${subnet}.0/24)`);
    }
    await must(t.ip, ['link', 'set', this.bridge, 'up']);
  }

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const t = tools();
    try {
      for (const c of this.execChildren) c.kill('SIGKILL');
      // 1. SIGTERM to every process of every host but the init and unshare (daemons first, as a shutdown would).
      const keep = new Set(this.hosts.flatMap((h) => [h.initPid, h.unsharePid]));
      const victims = this.hosts.flatMap((h) => h.pids()).filter((p) => !keep.has(p));
      const starts = new Map(victims.map((p) => [p, procStartTime(p)]));
      const same = (p: number) => isAlive(p) && procStartTime(p) === starts.get(p);
      for (const p of victims) {
        kill(p, 'SIGCONT');
        kill(p, 'SIGTERM');
      }
      for (let waited = 0; waited < 5_000 && victims.some(same); waited += 50) await pause(50);
      // 2. SIGKILL to unshare (--kill-child takes init, and with it the pid namespace) and init.
      for (const h of this.hosts) {
        kill(h.unsharePid, 'SIGKILL');
        kill(h.initPid, 'SIGKILL');
      }
      await Promise.race([Promise.all(this.hosts.map((h) => h.exited)), pause(5_000)]);
      for (let waited = 0; waited < 5_000 && this.hosts.some((h) => h.pids().length > 0); waited += 50) {
        for (const h of this.hosts) for (const p of h.pids()) kill(p, 'SIGKILL');
        await pause(50);
      }
      // 3. Namespaces and links (deleting a netns destroys its veth pair).
      for (const h of this.hosts) {
        await run(t.ip, ['netns', 'delete', h.netns]);
        await run(t.ip, ['link', 'delete', h.veth]);
      }
      if (this.bridgeCreated) await run(t.ip, ['link', 'delete', this.bridge]);
    } finally {
      for (const h of this.hosts) {
        untrackProcess(h.unsharePid);
        untrackProcess(h.initPid);
      }
      if (!process.env.ETCD_TUI_KEEP_TEST_DIRS) fs.rmSync(this.dir, { recursive: true, force: true });
      unregisterResource(this);
    }
  }

  killSync(): void {
    for (const c of this.execChildren) c.kill('SIGKILL');
    for (const h of this.hosts) {
      kill(h.unsharePid, 'SIGKILL');
      kill(h.initPid, 'SIGKILL');
      for (const p of netnsPidsSync(h.netns)) kill(p, 'SIGKILL');
      ipSync(['netns', 'delete', h.netns]);
      ipSync(['link', 'delete', h.veth]);
      untrackProcess(h.unsharePid);
      untrackProcess(h.initPid);
    }
    if (this.bridgeCreated) ipSync(['link', 'delete', this.bridge]);
    if (!process.env.ETCD_TUI_KEEP_TEST_DIRS) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Starts `count` simulated hosts (h1..hN unless opts.names) in parallel and
 * waits until each one's sshd accepts connections. Throws (after tearing down
 * what was made) when it cannot. Needs root: check simHostsSkipReason() first.
 */
export async function startSimHosts(count: number, opts: SimHostsOptions = {}): Promise<SimHosts> {
  const reason = simHostsSkipReason();
  if (reason) throw new Error(`startSimHosts: ${reason}`);
  if (!Number.isInteger(count) || count < 1 || count > MAX_HOSTS) throw new Error(`startSimHosts: count must be 1..${MAX_HOSTS}, got ${count}`);
  const names = opts.names ?? Array.from({ length: count }, (_, i) => `h${i + 1}`);
  if (names.length !== count) throw new Error(`startSimHosts: ${names.length} names for ${count} hosts`);
  for (const n of names) if (!/^[a-z][a-z0-9-]{0,30}$/.test(n)) throw new Error(`startSimHosts: bad host name ${JSON.stringify(n)}`);
  if (new Set(names).size !== names.length) throw new Error(`startSimHosts: duplicate host names ${names.join(', ')}`);
  const t = tools();
  const started = Date.now();
  const deadline = started + (opts.timeoutMs ?? 30_000);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-hosts-'));
  let set: SimHostSet | undefined;
  try {
    set = new SimHostSet(dir, await pickPrefix(count), opts.standinSettleMs);
    const s = set;
    await s.claimSubnet();
    const { prefix, subnet } = s;
    const plans: HostPlan[] = names.map((name, i) => ({
      name,
      index: i,
      address: `${subnet}.${11 + i}`,
      netns: `${prefix}-${name}`,
      veth: `${prefix}v${i + 1}`,
      dir: path.join(dir, name),
    }));
    for (const p of plans) s.hosts.push(new Host(p, s));

    await must(t['ssh-keygen'], ['-q', '-t', 'ed25519', '-N', '', '-C', 'etcd-tui-test-client', '-f', s.clientKey]);

    await Promise.all(s.hosts.map((h) => h.start(plans, deadline)));
    fs.writeFileSync(s.knownHostsFile, s.hosts.map((h) => h.knownHostsLine()).join('\n') + '\n');
    s.startMs = Date.now() - started;
    return s;
  } catch (err) {
    if (set) await set.stop().catch(() => undefined);
    else fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
