// Real etcd clusters on loopback for integration tests.
//
// Every member is the etcd binary itself, started with child_process.spawn
// (no shell), so member.pid is the real etcd pid. Output goes to
// <cluster dir>/<name>.log. Every pid is tracked in the registry and killed on
// stop(), on stopAll(), and on process exit/SIGINT/SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { etcdBinaries, etcdSkipReason, type EtcdBinaries, type EtcdVersion } from './binaries.js';
import { makeCerts, type CertPaths } from './certs.js';
import { hexToId, parseJsonExact } from './json.js';
import { freePorts, LOOPBACK } from './ports.js';
import {
  isAlive,
  procState,
  registerResource,
  signalPid,
  trackProcess,
  unregisterResource,
  untrackProcess,
  type Resource,
} from './registry.js';
import { StopWaiting, waitFor } from './wait.js';

export type { EtcdVersion } from './binaries.js';
export type { CertPaths } from './certs.js';

export interface ClusterOptions {
  /** Number of members (default 3). */
  members?: number;
  /** etcd version family (default '3.4'). */
  version?: EtcdVersion;
  /** mTLS on client and peer URLs, client-cert-auth on both. */
  tls?: boolean;
  /** --quota-backend-bytes. */
  quotaBytes?: number;
  /** Member name prefix (default 'm': members m1, m2, ...). */
  namePrefix?: string;
  /** Bound for the whole start, until every member answers and a leader exists (default 30 000 ms). */
  startTimeoutMs?: number;
  /** Extra etcd flags for every member. */
  extraArgs?: string[];
}

export type MemberState = 'running' | 'paused' | 'stopped';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface TestMember {
  readonly name: string;
  readonly clientURL: string;
  readonly peerURL: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** pid of the current (or last) etcd process of this member. */
  pid: number;
  proc: ChildProcess;
  state: MemberState;
  /** Added with addMember({ learner: true }) and not promoted through promote(). */
  isLearner: boolean;
  /** How the last process exited (set once it has). */
  exit?: ExitInfo;
}

export interface PlannedMember {
  name: string;
  clientURL: string;
  peerURL: string;
  /** Where etcd listens for peers when that differs from the advertised peerURL (a proxy in front). */
  listenPeerURL?: string;
}

export interface EtcdctlResult {
  stdout: string;
  stderr: string;
  /** Exit code; -1 when killed (timeout or signal). */
  code: number;
}

export interface EtcdctlOptions {
  /** Kill etcdctl after this long (default 30 000 ms); the result then has code -1. */
  timeoutMs?: number;
  /** Extra environment (ETCDCTL_API=3 is always set). */
  env?: Record<string, string>;
  /** Written to etcdctl's stdin. */
  input?: string;
  /** Don't add the cluster's TLS flags. */
  noTls?: boolean;
}

/** One element of `etcdctl endpoint status -w json` (IDs as exact decimal strings). */
export interface EndpointStatusJson {
  Endpoint: string;
  Status: {
    header: { cluster_id: string; member_id: string; revision?: number; raft_term?: number };
    version: string;
    dbSize?: number;
    leader: string;
    raftIndex?: number;
    raftTerm?: number;
    raftAppliedIndex?: number;
    dbSizeInUse?: number;
    isLearner?: boolean;
    errors?: string[];
  };
}

/** `etcdctl member list -w json` (IDs as exact decimal strings). */
export interface MemberListJson {
  header: { cluster_id: string; member_id: string; raft_term?: number };
  members: { ID: string; name?: string; peerURLs?: string[]; clientURLs?: string[]; isLearner?: boolean }[];
}

interface MemberRecord extends TestMember {
  initialCluster: string;
  listenPeerURL?: string;
  exited: Promise<ExitInfo>;
}

const LOG_TAIL_LINES = 25;

function tail(file: string, lines = LOG_TAIL_LINES): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text
      .split('\n')
      .filter((l) => l.length > 0)
      .slice(-lines)
      .map((l) => (l.length > 400 ? `${l.slice(0, 400)}…` : l))
      .join('\n');
  } catch (err) {
    return `(no log: ${err instanceof Error ? err.message : String(err)})`;
  }
}

function describeExit(e: ExitInfo | undefined): string {
  if (!e) return 'running';
  return e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
}

function cleanEnv(prefixes: string[], extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || prefixes.some((p) => k.startsWith(p))) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

/** Runs an etcdctl binary (argv, no shell) and collects its output. Never throws for a non-zero exit. */
export function runEtcdctl(etcdctl: string, args: string[], opts: EtcdctlOptions = {}): Promise<EtcdctlResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(etcdctl, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: cleanEnv(['ETCDCTL_'], { ETCDCTL_API: '3', ...(opts.env ?? {}) }),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${etcdctl}: ${e.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      let stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) stderr += `\n(etcd-tui harness: etcdctl killed after ${timeoutMs}ms)`;
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr, code: code ?? -1 });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

function hasFlag(args: string[], flag: string): boolean {
  return args.some((a) => a === flag || a.startsWith(`${flag}=`));
}

export class TestCluster implements Resource {
  readonly binaries: EtcdBinaries;
  readonly version: EtcdVersion;
  /** The cluster's temp dir (data dirs, logs, certs). */
  readonly dir: string;
  readonly token: string;
  readonly members: TestMember[] = [];
  tls?: CertPaths;
  private readonly records = new Map<string, MemberRecord>();
  private readonly opts: ClusterOptions;
  private stopping: Promise<void> | undefined;

  constructor(binaries: EtcdBinaries, dir: string, opts: ClusterOptions) {
    this.binaries = binaries;
    this.version = binaries.family;
    this.dir = dir;
    this.opts = opts;
    this.token = `etcd-tui-test-${process.pid}-${crypto.randomBytes(6).toString('hex')}`;
    registerResource(this);
  }

  get label(): string {
    return `etcd ${this.binaries.version} cluster in ${this.dir}`;
  }

  get scheme(): 'http' | 'https' {
    return this.opts.tls ? 'https' : 'http';
  }

  /** Client URLs of all members (including stopped ones). */
  get endpoints(): string[] {
    return this.members.map((m) => m.clientURL);
  }

  /**
   * Client URLs of the members whose process is running (not paused, not
   * stopped) and that are not learners (a learner refuses most RPCs with
   * "rpc not supported for learner"). These are etcdctl()'s default endpoints.
   */
  liveEndpoints(): string[] {
    return this.members.filter((m) => m.state === 'running' && !m.isLearner).map((m) => m.clientURL);
  }

  member(name: string): TestMember {
    const m = this.records.get(name);
    if (!m) throw new Error(`no member named ${name} (members: ${[...this.records.keys()].join(', ')})`);
    return m;
  }

  private record(name: string): MemberRecord {
    this.member(name);
    return this.records.get(name) as MemberRecord;
  }

  /** etcdctl TLS flags for this cluster's client certificate (empty without TLS). */
  tlsFlags(): string[] {
    if (!this.tls) return [];
    return [`--cacert=${this.tls.caCert}`, `--cert=${this.tls.clientCert}`, `--key=${this.tls.clientKey}`];
  }

  /**
   * Runs this cluster's etcdctl. Adds --endpoints (the running members) unless
   * args give --endpoints, and the client TLS flags unless args give any of
   * --cacert/--cert/--key or opts.noTls.
   */
  etcdctl(args: string[], opts: EtcdctlOptions = {}): Promise<EtcdctlResult> {
    const argv: string[] = [];
    if (!hasFlag(args, '--endpoints')) {
      const live = this.liveEndpoints();
      argv.push(`--endpoints=${(live.length > 0 ? live : this.endpoints).join(',')}`);
    }
    if (this.tls && !opts.noTls && !['--cacert', '--cert', '--key'].some((f) => hasFlag(args, f))) {
      argv.push(...this.tlsFlags());
    }
    argv.push(...args);
    return runEtcdctl(this.binaries.etcdctl, argv, opts);
  }

  /** etcdctl with `-w json` appended; throws on a non-zero exit; uint64 IDs come back as exact decimal strings. */
  async etcdctlJson<T = unknown>(args: string[], opts: EtcdctlOptions = {}): Promise<T> {
    const full = hasFlag(args, '-w') || hasFlag(args, '--write-out') ? args : [...args, '-w', 'json'];
    const r = await this.etcdctl(full, opts);
    if (r.code !== 0) throw new Error(`etcdctl ${full.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`);
    try {
      return parseJsonExact<T>(r.stdout);
    } catch (err) {
      throw new Error(`etcdctl ${full.join(' ')}: output is not JSON (${err instanceof Error ? err.message : String(err)}): ${r.stdout.slice(0, 500)}`);
    }
  }

  /** `endpoint status` of one member (bounded: dial 1 s, command 2 s). */
  async endpointStatus(name: string): Promise<EndpointStatusJson> {
    const m = this.member(name);
    const list = await this.etcdctlJson<EndpointStatusJson[]>(
      ['endpoint', 'status', `--endpoints=${m.clientURL}`, '--dial-timeout=1s', '--command-timeout=2s'],
      { timeoutMs: 6_000 },
    );
    if (list.length !== 1) throw new Error(`endpoint status of ${name}: expected 1 entry, got ${list.length}`);
    return list[0];
  }

  /** Member name -> decimal member ID, from `member list`. */
  async memberIds(): Promise<Map<string, string>> {
    const list = await this.etcdctlJson<MemberListJson>(['member', 'list']);
    const ids = new Map<string, string>();
    for (const m of list.members) {
      const byPeer = this.members.find((x) => m.peerURLs?.includes(x.peerURL));
      const name = m.name || byPeer?.name;
      if (name) ids.set(name, m.ID);
    }
    return ids;
  }

  /** Name of the leader, as reported by the reachable (running) members. */
  async leaderName(): Promise<string> {
    const live = this.members.filter((m) => m.state === 'running');
    if (live.length === 0) throw new Error('leaderName: no running member');
    const results = await Promise.all(
      live.map(async (m) => {
        try {
          return { m, status: await this.endpointStatus(m.name) };
        } catch (err) {
          return { m, error: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    const idToName = new Map<string, string>();
    const votes = new Map<string, number>();
    const errors: string[] = [];
    for (const r of results) {
      if (!r.status) {
        errors.push(`${r.m.name}: ${r.error}`);
        continue;
      }
      idToName.set(r.status.Status.header.member_id, r.m.name);
      const leader = r.status.Status.leader;
      if (leader && leader !== '0') votes.set(leader, (votes.get(leader) ?? 0) + 1);
    }
    if (votes.size === 0) throw new Error(`leaderName: no reachable member reports a leader${errors.length ? ` (${errors.join('; ')})` : ''}`);
    const leaderId = [...votes.entries()].sort((a, b) => b[1] - a[1])[0][0];
    const known = idToName.get(leaderId);
    if (known) return known;
    for (const [name, id] of await this.memberIds()) if (id === leaderId) return name;
    throw new Error(`leaderName: leader ID ${leaderId} is not a known member`);
  }

  /** leaderName(), or undefined when it fails or takes longer than `ms`. */
  private async leaderNameWithin(ms: number): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.leaderName().catch(() => undefined),
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), ms);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `signal` (default SIGKILL) to the member's etcd and waits for it to exit. */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 10_000): Promise<ExitInfo> {
    const m = this.record(name);
    if (m.state === 'stopped') return m.exit ?? (await m.exited);
    signalPid(m.pid, signal);
    if (m.state === 'paused' && signal !== 'SIGKILL') signalPid(m.pid, 'SIGCONT');
    return this.waitExit(name, timeoutMs);
  }

  /** Waits (bounded) for the member's current process to exit, e.g. after `member remove`. */
  async waitExit(name: string, timeoutMs = 10_000): Promise<ExitInfo> {
    const m = this.record(name);
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`etcd member ${name} (pid ${m.pid}) did not exit within ${timeoutMs}ms; log tail:\n${tail(m.logFile)}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([m.exited, bound]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGSTOP: the member stops answering but keeps its sockets. Resolves once the process is stopped. */
  async pause(name: string): Promise<void> {
    const m = this.record(name);
    if (m.state !== 'running') throw new Error(`pause ${name}: member is ${m.state}`);
    signalPid(m.pid, 'SIGSTOP');
    m.state = 'paused';
    await waitFor(() => procState(m.pid) === 'T' || m.exit !== undefined, { timeoutMs: 5_000, intervalMs: 10, what: `etcd ${name} (pid ${m.pid}) to stop after SIGSTOP` });
  }

  /** SIGCONT after pause(). Resolves once the process runs again. */
  async resume(name: string): Promise<void> {
    const m = this.record(name);
    if (m.state !== 'paused') throw new Error(`resume ${name}: member is ${m.state}`);
    signalPid(m.pid, 'SIGCONT');
    m.state = 'running';
    await waitFor(() => procState(m.pid) !== 'T', { timeoutMs: 5_000, intervalMs: 10, what: `etcd ${name} (pid ${m.pid}) to continue after SIGCONT` });
  }

  /**
   * Starts a stopped member again with its data dir and
   * --initial-cluster-state existing; waits until it answers endpoint status
   * with a leader (which needs a quorum: restart several members in parallel).
   */
  async restart(name: string, opts: { timeoutMs?: number } = {}): Promise<TestMember> {
    const m = this.record(name);
    if (m.state !== 'stopped') throw new Error(`restart ${name}: member is ${m.state}; kill it first`);
    await this.spawnMember(m, 'existing');
    await this.waitReady([m], opts.timeoutMs ?? 20_000);
    return m;
  }

  /** Allocates ports for a member to be added later (name defaults to the next <prefix>N). */
  async planMember(name?: string): Promise<PlannedMember> {
    const prefix = this.opts.namePrefix ?? 'm';
    let chosen = name;
    for (let i = this.members.length + 1; !chosen; i++) if (!this.records.has(`${prefix}${i}`)) chosen = `${prefix}${i}`;
    if (this.records.has(chosen)) throw new Error(`planMember: a member named ${chosen} exists`);
    const [clientPort, peerPort] = await freePorts(2);
    return {
      name: chosen,
      clientURL: `${this.scheme}://${LOOPBACK}:${clientPort}`,
      peerURL: `${this.scheme}://${LOOPBACK}:${peerPort}`,
    };
  }

  /**
   * Starts an etcd process for a member that the cluster already knows of
   * (after `etcdctl member add`), with the given --initial-cluster and
   * --initial-cluster-state (default existing). Pass the PlannedMember whose
   * peer URL was given to `member add`. Waits until it answers with a leader
   * unless wait is false.
   */
  async addProcess(
    member: string | PlannedMember,
    opts: { initialCluster: string; state?: 'existing' | 'new'; wait?: boolean; timeoutMs?: number; learner?: boolean },
  ): Promise<TestMember> {
    const plan = typeof member === 'string' ? await this.planMember(member) : member;
    if (this.records.has(plan.name)) throw new Error(`addProcess: a member named ${plan.name} exists`);
    const m = this.newRecord(plan, opts.initialCluster);
    m.isLearner = opts.learner ?? false;
    await this.spawnMember(m, opts.state ?? 'existing');
    if (opts.wait ?? true) await this.waitReady([m], opts.timeoutMs ?? 30_000);
    return m;
  }

  /**
   * `etcdctl member add` (optionally --learner) followed by addProcess.
   * Returns the member and its decimal ID.
   */
  async addMember(opts: { name?: string; learner?: boolean; timeoutMs?: number } = {}): Promise<{ member: TestMember; id: string }> {
    const plan = await this.planMember(opts.name);
    const args = ['member', 'add', plan.name, `--peer-urls=${plan.peerURL}`];
    if (opts.learner) args.push('--learner');
    const r = await this.reconfigure(args, `member ${plan.name} to be added`);
    const idHex = /Member\s+([0-9a-f]+)\s+added/.exec(r.stdout)?.[1];
    const initial = /ETCD_INITIAL_CLUSTER="([^"]*)"/.exec(r.stdout)?.[1];
    if (!idHex || !initial) throw new Error(`unexpected output of etcdctl member add: ${r.stdout}`);
    const member = await this.addProcess(plan, {
      initialCluster: initial,
      state: 'existing',
      timeoutMs: opts.timeoutMs,
      learner: opts.learner,
    });
    return { member, id: hexToId(idHex) };
  }

  /**
   * Runs a membership change with etcdctl, retried while etcd refuses it with
   * "unhealthy cluster" (its strict reconfiguration check wants every member
   * connected for a few seconds, e.g. after a restart). Throws on other errors.
   */
  private async reconfigure(args: string[], what: string, timeoutMs = 20_000): Promise<EtcdctlResult> {
    return waitFor(
      async () => {
        const r = await this.etcdctl(args);
        if (r.code === 0) return r;
        if (/unhealthy cluster/i.test(r.stderr)) throw new Error(`etcdctl ${args.join(' ')}: ${lastLine(r.stderr)}`);
        throw new StopWaiting(`etcdctl ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`);
      },
      { timeoutMs, intervalMs: 250, what },
    );
  }

  /**
   * `etcdctl member promote` for a learner added with addMember; retried until
   * etcd accepts it (a learner must first catch up with the leader).
   */
  async promote(name: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    const m = this.record(name);
    const id = (await this.memberIds()).get(name);
    if (!id) throw new Error(`promote ${name}: not in member list`);
    await waitFor(
      async () => {
        const r = await this.etcdctl(['member', 'promote', BigInt(id).toString(16)]);
        if (r.code === 0) return true;
        if (/not in sync|can only promote a learner member which is in sync/i.test(r.stderr)) return undefined;
        throw new StopWaiting(`etcdctl member promote ${name} failed (exit ${r.code}): ${r.stderr.trim()}`);
      },
      { timeoutMs: opts.timeoutMs ?? 20_000, intervalMs: 200, what: `learner ${name} to be promoted` },
    );
    m.isLearner = false;
  }

  /**
   * `etcdctl member remove` for a member, then waits for its process to exit
   * (a removed member's etcd stops by itself; SIGKILL if it has not after the bound).
   */
  async removeMember(name: string, opts: { timeoutMs?: number } = {}): Promise<ExitInfo> {
    const m = this.record(name);
    const id = (await this.memberIds()).get(name);
    if (!id) throw new Error(`removeMember ${name}: not in member list`);
    const endpoints = this.liveEndpoints().filter((e) => e !== m.clientURL);
    await this.reconfigure(
      ['member', 'remove', BigInt(id).toString(16), ...(endpoints.length > 0 ? [`--endpoints=${endpoints.join(',')}`] : [])],
      `member ${name} to be removed`,
      opts.timeoutMs,
    );
    if (m.state === 'stopped') return m.exit ?? (await m.exited);
    try {
      return await this.waitExit(name, opts.timeoutMs ?? 15_000);
    } catch {
      return this.kill(name, 'SIGKILL');
    }
  }

  /** Stops every member (SIGCONT, SIGTERM, SIGKILL after a bound) and removes the temp dir. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    try {
      const live = [...this.records.values()].filter((m) => m.state !== 'stopped');
      for (const m of live) {
        signalPid(m.pid, 'SIGCONT');
        if (m.state === 'paused') m.state = 'running';
      }
      // Followers first, together, then the leader: a leader that gets SIGTERM
      // while its peers are up or going away spends seconds trying to hand
      // over leadership. Without a known leader, all at once.
      const leader = live.length > 1 ? await this.leaderNameWithin(2_000) : undefined;
      await Promise.all(live.filter((m) => m.name !== leader).map((m) => this.stopRecord(m)));
      await Promise.all(live.filter((m) => m.name === leader).map((m) => this.stopRecord(m)));
    } finally {
      if (!process.env.ETCD_TUI_KEEP_TEST_DIRS) fs.rmSync(this.dir, { recursive: true, force: true });
      unregisterResource(this);
    }
  }

  private async stopRecord(m: MemberRecord): Promise<void> {
    if (m.state === 'stopped') return;
    signalPid(m.pid, 'SIGCONT');
    signalPid(m.pid, 'SIGTERM');
    try {
      await this.waitExit(m.name, 3_000);
    } catch {
      signalPid(m.pid, 'SIGKILL');
      await this.waitExit(m.name, 5_000);
    }
  }

  killSync(): void {
    for (const m of this.records.values()) {
      if (m.state !== 'stopped' && isAlive(m.pid)) {
        signalPid(m.pid, 'SIGCONT');
        signalPid(m.pid, 'SIGKILL');
      }
      untrackProcess(m.pid);
    }
    if (!process.env.ETCD_TUI_KEEP_TEST_DIRS) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  // ---- internals ----

  private newRecord(plan: PlannedMember, initialCluster: string): MemberRecord {
    const m = {
      name: plan.name,
      clientURL: plan.clientURL,
      peerURL: plan.peerURL,
      listenPeerURL: plan.listenPeerURL,
      dataDir: path.join(this.dir, `${plan.name}.etcd`),
      logFile: path.join(this.dir, `${plan.name}.log`),
      pid: 0,
      state: 'stopped',
      isLearner: false,
      initialCluster,
      exited: Promise.resolve({ code: null, signal: null }),
    } as unknown as MemberRecord;
    this.records.set(plan.name, m);
    this.members.push(m);
    return m;
  }

  private memberArgs(m: MemberRecord, state: 'new' | 'existing'): string[] {
    const args = [
      '--name', m.name,
      '--data-dir', m.dataDir,
      '--listen-client-urls', m.clientURL,
      '--advertise-client-urls', m.clientURL,
      '--listen-peer-urls', m.listenPeerURL ?? m.peerURL,
      '--initial-advertise-peer-urls', m.peerURL,
      '--initial-cluster', m.initialCluster,
      '--initial-cluster-state', state,
      '--initial-cluster-token', this.token,
      '--heartbeat-interval', '100',
      '--election-timeout', '1000',
      '--logger', 'zap',
      '--log-outputs', 'stderr',
    ];
    if (this.opts.quotaBytes !== undefined) args.push('--quota-backend-bytes', String(this.opts.quotaBytes));
    if (this.tls) {
      const t = this.tls;
      args.push(
        '--cert-file', t.serverCert,
        '--key-file', t.serverKey,
        '--trusted-ca-file', t.caCert,
        '--client-cert-auth',
        '--peer-cert-file', t.serverCert,
        '--peer-key-file', t.serverKey,
        '--peer-trusted-ca-file', t.caCert,
        '--peer-client-cert-auth',
      );
    }
    args.push(...(this.opts.extraArgs ?? []));
    return args;
  }

  private async spawnMember(m: MemberRecord, state: 'new' | 'existing'): Promise<void> {
    const args = this.memberArgs(m, state);
    fs.appendFileSync(
      m.logFile,
      `=== etcd-tui harness ${new Date().toISOString()}: ${this.binaries.etcd} ${args.join(' ')}\n`,
    );
    const fd = fs.openSync(m.logFile, 'a');
    let proc: ChildProcess;
    try {
      proc = spawn(this.binaries.etcd, args, {
        stdio: ['ignore', fd, fd],
        env: cleanEnv(['ETCD_', 'ETCDCTL_']),
        cwd: this.dir,
      });
    } finally {
      fs.closeSync(fd);
    }
    m.exited = new Promise<ExitInfo>((resolve) => {
      proc.once('exit', (code, signal) => {
        m.state = 'stopped';
        m.exit = { code, signal };
        untrackProcess(proc.pid ?? -1);
        resolve(m.exit);
      });
    });
    await new Promise<void>((resolve, reject) => {
      proc.once('spawn', resolve);
      proc.once('error', (err) => reject(new Error(`cannot start ${this.binaries.etcd}: ${err.message}`)));
    });
    proc.on('error', () => undefined);
    proc.unref();
    m.proc = proc;
    m.pid = proc.pid as number;
    m.state = 'running';
    m.exit = undefined;
    trackProcess({ kind: 'etcd', pid: m.pid, dir: this.dir });
  }

  /**
   * Waits until each of `ms` answers `endpoint status` and they all report the
   * same, non-zero leader. Fails at once if one of the processes exits, and
   * adds the members' log tails to the error.
   */
  private async waitReady(ms: MemberRecord[], timeoutMs: number): Promise<void> {
    const names = ms.map((m) => m.name).join(', ');
    try {
      await waitFor(
        async () => {
          for (const m of ms) {
            if (m.state === 'stopped') throw new StopWaiting(`etcd member ${m.name} exited (${describeExit(m.exit)}) while starting`);
          }
          const r = await this.etcdctl(
            ['endpoint', 'status', '-w', 'json', `--endpoints=${ms.map((m) => m.clientURL).join(',')}`, '--dial-timeout=1s', '--command-timeout=1s'],
            { timeoutMs: 5_000 },
          );
          if (r.code !== 0) throw new Error(`etcdctl endpoint status: exit ${r.code}: ${lastLine(r.stderr)}`);
          const statuses = parseJsonExact<EndpointStatusJson[]>(r.stdout);
          if (statuses.length !== ms.length) throw new Error(`endpoint status: ${statuses.length} of ${ms.length} members answered`);
          const leaders = new Set(statuses.map((s) => s.Status.leader));
          if (leaders.has('0') || leaders.size !== 1) throw new Error(`no agreed leader yet (leaders: ${[...leaders].join(', ')})`);
          const errs = statuses.flatMap((s) => s.Status.errors ?? []);
          if (errs.length > 0) throw new Error(`status errors: ${errs.join('; ')}`);
          return true;
        },
        { timeoutMs, intervalMs: 100, what: `etcd ${this.binaries.version} member(s) ${names} to answer endpoint status with a leader` },
      );
    } catch (err) {
      const logs = ms.map((m) => `--- ${m.name} (pid ${m.pid}, ${describeExit(m.exit)}) ${m.logFile} ---\n${tail(m.logFile)}`).join('\n');
      const message = `${err instanceof Error ? err.message : String(err)}\n${logs}`;
      throw new Error(message, { cause: err });
    }
  }

  /** Starts `count` members with --initial-cluster-state new and waits for a leader. */
  async bootstrapMembers(count: number, timeoutMs: number): Promise<void> {
    const prefix = this.opts.namePrefix ?? 'm';
    const ports = await freePorts(count * 2);
    const plans: PlannedMember[] = [];
    for (let i = 0; i < count; i++) {
      plans.push({
        name: `${prefix}${i + 1}`,
        clientURL: `${this.scheme}://${LOOPBACK}:${ports[2 * i]}`,
        peerURL: `${this.scheme}://${LOOPBACK}:${ports[2 * i + 1]}`,
      });
    }
    const initialCluster = plans.map((p) => `${p.name}=${p.peerURL}`).join(',');
    const records = plans.map((p) => this.newRecord(p, initialCluster));
    for (const m of records) await this.spawnMember(m, 'new');
    await this.waitReady(records, timeoutMs);
  }

  /** True when a member log says a port was taken. */
  addressInUse(): boolean {
    return [...this.records.values()].some((m) => /address already in use/.test(tail(m.logFile, 200)));
  }

  /** Kills and forgets all members (before a retry with other ports). */
  async resetMembers(): Promise<void> {
    await Promise.all(
      [...this.records.values()].map(async (m) => {
        if (m.state !== 'stopped') {
          signalPid(m.pid, 'SIGCONT');
          signalPid(m.pid, 'SIGKILL');
          await this.waitExit(m.name, 5_000);
        }
        fs.rmSync(m.dataDir, { recursive: true, force: true });
        fs.rmSync(m.logFile, { force: true });
      }),
    );
    this.records.clear();
    this.members.length = 0;
  }
}

/**
 * Starts a fresh cluster (default: 3 members of etcd 3.4, no TLS) and waits
 * until every member answers and they agree on a leader. Throws (with the
 * member log tails) when it cannot. Retries with other ports when a port was
 * taken in the meantime.
 */
export async function startCluster(opts: ClusterOptions = {}): Promise<TestCluster> {
  const version = opts.version ?? '3.4';
  const binaries = etcdBinaries(version);
  if (!binaries) throw new Error(`startCluster: ${etcdSkipReason(version)}`);
  const count = opts.members ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new Error(`startCluster: members must be >= 1, got ${count}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `etcd-tui-cluster-${version}-`));
  const cluster = new TestCluster(binaries, dir, opts);
  try {
    if (opts.tls) cluster.tls = makeCerts(path.join(dir, 'certs'));
    for (let attempt = 1; ; attempt++) {
      try {
        await cluster.bootstrapMembers(count, opts.startTimeoutMs ?? 30_000);
        return cluster;
      } catch (err) {
        if (attempt < 3 && cluster.addressInUse()) {
          await cluster.resetMembers();
          continue;
        }
        throw err;
      }
    }
  } catch (err) {
    await cluster.stop().catch(() => undefined);
    throw err;
  }
}
