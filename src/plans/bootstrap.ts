/**
 * Bootstrap over SSH, the pure half: preflight verdicts from facts gathered on the hosts
 * (src/run/preflight.ts), and the plans of the two flows.
 *
 * - join: a host of the inventory joins a running cluster as a learner, then is promoted.
 * - cluster: a new cluster from N hosts, `initial-cluster-state new`, one initial cluster, a new token.
 *
 * Every remote step is data (src/domain/plan.ts RemoteAction) with the ssh command an operator would
 * type for it. Plans of both flows undo themselves when a step fails (rollbackOnFailure).
 */
import type { ClusterView } from '../health/view.js';
import type { Plan, PlanResult, PlanStep, UploadSource } from '../domain/plan.js';
import { certPaths, clientURL, initialClusterString, peerURL, type EtcdSettings, type HostSpec, type InitialMember } from '../domain/hosts.js';
import { shellCommand, sudoArgv } from '../hosts/quote.js';
import { checkAdd, hasQuorum, quorumPreview } from './membership.js';
import { quorumOf } from '../health/quorum.js';
import { formatBytes } from '../format/units.js';
import { hexId } from '../format/ids.js';

/** A certificate as preflight read it (node:crypto in the run layer; plain data here). */
export interface CertInfo {
  /** Where it was read (local path, or host:path). */
  source: string;
  /** Parse error: the rest is absent. */
  error?: string;
  subject?: string;
  /** subjectAltName entries as "IP:10.0.0.1", "DNS:etcd-1". */
  sans?: string[];
  /** ISO time. */
  notAfter?: string;
  /** Signed by the CA file that goes with it. */
  signedByCa?: boolean;
  /** Extended key usages present (undefined: the extension is absent, which allows every use). */
  serverAuth?: boolean;
  clientAuth?: boolean;
  /** The private key matches the certificate (undefined: not checked). */
  keyMatches?: boolean;
  keyError?: string;
}

/** What preflight learned about one host; nothing here was changed on the host. */
export interface HostFacts {
  host: string;
  /** The SSH connection: ok with the verified key, or why not. */
  ssh: { ok: true; fingerprint: string } | { ok: false; error: string; kind: string; unknownKey?: { keyType: string; fingerprint: string } };
  os?: string;
  arch?: string;
  /** sudo -n works (only checked when the host uses sudo). */
  sudo?: { ok: boolean; error?: string };
  dataDir?: { exists: boolean; entries: string[] };
  walDir?: { exists: boolean; entries: string[] };
  /** Listening sockets on the client and peer ports: port -> listener ("" when free). */
  ports?: Record<number, string>;
  /** Free bytes on the file system of the data dir (or its nearest existing parent). */
  freeDiskBytes?: number;
  /** Host clock minus bastion clock, corrected for the round trip. */
  clockSkewMs?: number;
  /** The etcd binary at host.binaryPath: its version, or absent. */
  binary?: { present: boolean; version?: string; error?: string };
  /** Certificates already on the host (when the CA dir does not provide them). */
  remoteCert?: CertInfo;
  remoteCa?: boolean;
  remoteKey?: boolean;
  /** systemctl is-active UNIT (active, inactive, failed, unknown). */
  serviceState?: string;
  /** Files that exist and would be replaced (backed up first). */
  existingFiles?: string[];
  /** A command that could not run: what and why. */
  errors?: string[];
}

/** What the bastion holds: the binary to upload and the CA dir. */
export interface LocalFacts {
  /** arch: Go's name (amd64, arm64, ...) from the ELF header or the tarball's name, when known. */
  binarySource?: { path: string; kind: 'binary' | 'tarball'; ok: boolean; version?: string; member?: string; error?: string; arch?: string };
  caDir?: {
    path: string;
    ca?: CertInfo;
    /** Per host name: its member certificate (with key checks). */
    hosts: Record<string, CertInfo | undefined>;
  };
  /** Clock of the bastion when the facts were taken (ms). */
  now: number;
}

export interface PreflightCheck {
  host: string;
  check: string;
  ok: boolean;
  /** What was found. */
  detail: string;
  /** What to do when it failed. */
  fix?: string;
  /** A warning: passes, but the operator should know. */
  warn?: boolean;
}

/** Limits of the checks. */
export interface PreflightRules {
  maxClockSkewMs: number;
  /** Free disk must be at least this (default: the quota). */
  minFreeDiskBytes: number;
}

export function defaultRules(settings: EtcdSettings): PreflightRules {
  return { maxClockSkewMs: 1000, minFreeDiskBytes: settings.quotaBackendBytes };
}

/** What will be uploaded for a host, decided by preflight. */
export interface HostUploads {
  binary?: UploadSource;
  certs?: { ca: string; cert: string; key: string };
}

const DAY = 86_400_000;

/** `uname -m` in Go's names, as etcd releases spell them. */
export function goArch(unameMachine: string | undefined): string | undefined {
  const m = (unameMachine ?? '').trim();
  const map: Record<string, string> = { x86_64: 'amd64', amd64: 'amd64', aarch64: 'arm64', arm64: 'arm64', ppc64le: 'ppc64le', s390x: 's390x', i686: '386', i386: '386', armv7l: 'arm', riscv64: 'riscv64' };
  return map[m];
}

function sanCovers(sans: string[] | undefined, address: string): boolean {
  if (!sans) return false;
  const a = address.replace(/^\[|\]$/g, '').toLowerCase();
  return sans.some((s) => {
    const [kind, ...rest] = s.split(':');
    const v = rest.join(':').trim().toLowerCase();
    if (kind.trim() === 'IP' || kind.trim() === 'IP Address') return v === a;
    if (kind.trim() === 'DNS') return v === a || (v.startsWith('*.') && a.endsWith(v.slice(1)) && !a.slice(0, -v.length + 1).includes('.'));
    return false;
  });
}

/** Problems of a member certificate for a host, as sentences (empty: good). */
export function certProblems(cert: CertInfo, host: HostSpec, settings: EtcdSettings, now: number): string[] {
  if (cert.error) return [`${cert.source}: ${cert.error}`];
  const out: string[] = [];
  const need = [host.etcdAddress];
  if (settings.listenLocalhost) need.push('127.0.0.1');
  const missing = need.filter((a) => !sanCovers(cert.sans, a));
  if (missing.length > 0) out.push(`${cert.source}: its SANs (${(cert.sans ?? []).join(', ') || 'none'}) do not cover ${missing.join(', ')}, which ${host.name} ${missing.length > 1 ? 'listen on' : 'advertises'}`);
  if (cert.notAfter) {
    const left = Date.parse(cert.notAfter) - now;
    if (left <= 0) out.push(`${cert.source}: expired on ${cert.notAfter}`);
    else if (left < settings.minCertValidityDays * DAY) out.push(`${cert.source}: expires on ${cert.notAfter}, in ${Math.floor(left / DAY)} days (less than ${settings.minCertValidityDays})`);
  }
  if (cert.signedByCa === false) out.push(`${cert.source}: not signed by the CA next to it (ca.pem)`);
  if (cert.serverAuth === false || cert.clientAuth === false) out.push(`${cert.source}: needs both serverAuth and clientAuth in its extended key usage (etcd uses it as server, peer client and etcdctl client)`);
  if (cert.keyMatches === false) out.push(`${cert.source}: the private key does not match the certificate`);
  if (cert.keyError) out.push(cert.keyError);
  return out;
}

function versionOf(text: string | undefined): string | undefined {
  return /etcd Version:\s*v?(\d+\.\d+\.\d+)/.exec(text ?? '')?.[1] ?? /^v?(\d+\.\d+\.\d+)$/.exec((text ?? '').trim())?.[1];
}

export { versionOf as etcdVersionOf };

/**
 * The verdict of every check for every host, and what must be uploaded. All checks must pass before
 * anything changes; each failed one says what to fix.
 */
export function evaluatePreflight(hosts: HostSpec[], settings: EtcdSettings, facts: HostFacts[], local: LocalFacts, rules: PreflightRules = defaultRules(settings)): { checks: PreflightCheck[]; ok: boolean; uploads: Record<string, HostUploads> } {
  const checks: PreflightCheck[] = [];
  const uploads: Record<string, HostUploads> = {};
  const add = (c: PreflightCheck) => checks.push(c);
  for (const host of hosts) {
    const f = facts.find((x) => x.host === host.name);
    const up: HostUploads = {};
    uploads[host.name] = up;
    const h = host.name;
    if (!f) {
      add({ host: h, check: 'ssh', ok: false, detail: 'not checked', fix: 'run preflight again' });
      continue;
    }
    if (!f.ssh.ok) {
      const fix = f.ssh.unknownKey
        ? `check the fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_${f.ssh.unknownKey.keyType.replace(/^ssh-|-.*$/g, '')}_key.pub), then trust it: t in the console, --accept-new-host-key headless`
        : undefined;
      add({ host: h, check: 'ssh', ok: false, detail: f.ssh.error, fix });
      continue;
    }
    add({ host: h, check: 'ssh', ok: true, detail: `${host.ssh.user}@${host.ssh.address}:${host.ssh.port}, host key ${f.ssh.fingerprint}` });
    for (const e of f.errors ?? []) add({ host: h, check: 'command', ok: false, detail: e, fix: 'fix the host so the check can run (see the message)' });
    if (f.sudo && !f.sudo.ok) add({ host: h, check: 'sudo', ok: false, detail: f.sudo.error ?? 'sudo -n fails', fix: `allow ${host.ssh.user} passwordless sudo, or log in as root (sudo: false)` });
    if (f.os !== undefined) {
      const linux = f.os === 'Linux';
      add({ host: h, check: 'os', ok: linux, detail: `${f.os} ${f.arch ?? ''}`.trim(), fix: linux ? undefined : 'etcd-tui bootstraps Linux hosts with systemd only' });
    }
    for (const [label, dir, path] of [['data dir', f.dataDir, host.dataDir], ['wal dir', f.walDir, host.walDir]] as const) {
      if (!dir || !path) continue;
      const ok = !dir.exists || dir.entries.length === 0;
      add({
        host: h,
        check: label,
        ok,
        detail: !dir.exists ? `${path} absent (will be created)` : dir.entries.length === 0 ? `${path} empty` : `${path} is not empty (${dir.entries.slice(0, 3).join(', ')}${dir.entries.length > 3 ? ', ...' : ''})`,
        fix: ok ? undefined : `this host has etcd data: if it is left over from an old member, move it aside (mv ${path} ${path}.old) and run again; never start a new member on old data`,
      });
    }
    if (f.ports) {
      for (const port of [host.clientPort, host.peerPort]) {
        const who = f.ports[port] ?? '';
        add({ host: h, check: `port ${port}`, ok: who === '', detail: who === '' ? 'free' : `taken: ${who}`, fix: who === '' ? undefined : `stop what listens on ${port}, or give the host another ${port === host.clientPort ? 'clientPort' : 'peerPort'}` });
      }
    }
    if (f.freeDiskBytes !== undefined) {
      const ok = f.freeDiskBytes >= rules.minFreeDiskBytes;
      add({ host: h, check: 'disk', ok, detail: `${formatBytes(f.freeDiskBytes)} free for ${host.dataDir}`, fix: ok ? undefined : `free at least ${formatBytes(rules.minFreeDiskBytes)} (the quota, ${formatBytes(settings.quotaBackendBytes)}) on the data dir's disk` });
    }
    if (f.clockSkewMs !== undefined) {
      const ok = Math.abs(f.clockSkewMs) <= rules.maxClockSkewMs;
      add({ host: h, check: 'clock', ok, detail: `${f.clockSkewMs >= 0 ? '+' : ''}${Math.round(f.clockSkewMs)} ms against the bastion`, fix: ok ? undefined : `sync the clocks (chrony or systemd-timesyncd); etcd peers more than ${rules.maxClockSkewMs} ms apart confuse leases and logs` });
    }
    if (f.serviceState !== undefined) {
      const running = f.serviceState === 'active' || f.serviceState === 'activating' || f.serviceState === 'reloading';
      add({ host: h, check: 'service', ok: !running, detail: `${host.unitName}.service is ${f.serviceState}`, fix: running ? `etcd already runs on ${h}: this is not a new node (stop it deliberately, or pick another host)` : undefined });
    }
    // The binary: present at the right version, or uploaded from the bastion.
    if (f.binary) {
      const have = f.binary.present ? versionOf(f.binary.version) : undefined;
      const want = settings.version;
      const src = local.binarySource;
      if (f.binary.present && (!want || have === want)) {
        add({ host: h, check: 'etcd binary', ok: true, detail: `${host.binaryPath} is etcd ${have ?? '(version unknown)'}` });
      } else if (src?.ok && src.arch && goArch(f.arch) && src.arch !== goArch(f.arch)) {
        add({ host: h, check: 'etcd binary', ok: false, detail: `${src.path} is built for ${src.arch}, but ${h} is ${f.arch} (${goArch(f.arch)})`, fix: `give the etcd release for linux-${goArch(f.arch)} (etcd.binarySource, --binary)` });
      } else if (src?.ok && (!want || src.version === want)) {
        up.binary = src.kind === 'tarball' ? { kind: 'tarball', path: src.path, member: src.member ?? 'etcd' } : { kind: 'local', path: src.path };
        add({ host: h, check: 'etcd binary', ok: true, detail: `${f.binary.present ? `${host.binaryPath} is etcd ${have ?? '?'}, not ${want}` : `${host.binaryPath} absent`}: will upload etcd ${src.version ?? ''} from ${src.path}`.replace('  ', ' ') });
      } else {
        const why = f.binary.present ? `${host.binaryPath} is etcd ${have ?? '(unknown version)'}${want ? `, not ${want}` : ''}` : `${host.binaryPath} is absent${f.binary.error ? ` (${f.binary.error})` : ''}`;
        const srcWhy = src ? (src.ok ? ` and ${src.path} is etcd ${src.version}, not ${want}` : ` and ${src.path}: ${src.error}`) : '';
        add({ host: h, check: 'etcd binary', ok: false, detail: why + srcWhy, fix: `install etcd ${want ?? ''} at ${host.binaryPath}, or give a local binary or release tarball to upload (etcd.binarySource, --binary)`.replace('  ', ' ') });
      }
    }
    // Certificates: from the CA dir (checked here, uploaded), or already on the host.
    if (settings.tls) {
      const fromCa = local.caDir?.hosts[host.name];
      if (local.caDir && fromCa && local.caDir.ca && !local.caDir.ca.error) {
        const problems = certProblems(fromCa, host, settings, local.now);
        if (problems.length === 0) {
          up.certs = { ca: `${local.caDir.path}/ca.pem`, cert: `${local.caDir.path}/member-${host.name}.pem`, key: `${local.caDir.path}/member-${host.name}-key.pem` };
          add({ host: h, check: 'certificates', ok: true, detail: `will upload from ${local.caDir.path}: SANs ${fromCa.sans?.join(', ')}, valid until ${fromCa.notAfter}` });
        } else add({ host: h, check: 'certificates', ok: false, detail: problems.join('; '), fix: `issue ${host.name} a certificate whose SANs cover ${host.etcdAddress}${settings.listenLocalhost ? ' and 127.0.0.1' : ''}, with serverAuth and clientAuth, valid for more than ${settings.minCertValidityDays} days` });
      } else if (f.remoteCert) {
        const paths = certPaths(host);
        const problems = certProblems(f.remoteCert, host, settings, local.now);
        if (!f.remoteCa) problems.push(`${host.name}:${paths.ca} is missing`);
        if (!f.remoteKey) problems.push(`${host.name}:${paths.key} is missing`);
        add({ host: h, check: 'certificates', ok: problems.length === 0, detail: problems.length === 0 ? `on the host: SANs ${f.remoteCert.sans?.join(', ')}, valid until ${f.remoteCert.notAfter}` : problems.join('; '), fix: problems.length === 0 ? undefined : `fix the files in ${host.certDir} on ${host.name}, or give a CA dir with member-${host.name}.pem to upload (etcd.caDir, --ca-dir)` });
      } else {
        const why = local.caDir ? (local.caDir.ca?.error ? local.caDir.ca.error : `${local.caDir.path} has no member-${host.name}.pem and member-${host.name}-key.pem`) : 'no CA dir given';
        add({ host: h, check: 'certificates', ok: false, detail: `${certPaths(host).cert} is not on the host and ${why}`, fix: `give a CA dir with ca.pem, member-${host.name}.pem and member-${host.name}-key.pem (etcd.caDir, --ca-dir), or put them in ${host.certDir} on the host` });
      }
    }
    if (f.existingFiles && f.existingFiles.length > 0) {
      add({ host: h, check: 'files', ok: true, warn: true, detail: `will replace ${f.existingFiles.join(', ')} (each copied aside first, restored on rollback)` });
    }
  }
  return { checks, ok: checks.every((c) => c.ok), uploads };
}

/** A running member's raft timing as its env file says it (read over SSH when it is a host of the inventory). */
export interface MemberTiming {
  host: string;
  envFile: string;
  /** The file's text, or why it could not be read. */
  text?: string;
  error?: string;
}

/**
 * Heartbeat and election timeout must be the same on every member (ETCD-OPS): the joining node gets
 * the inventory's, so they are compared with what the running members' env files say. A member whose
 * file cannot be read is a warning (checked by hand), a different value is a failure.
 */
export function timingChecks(settings: EtcdSettings, members: MemberTiming[]): PreflightCheck[] {
  const checks: PreflightCheck[] = [];
  for (const m of members) {
    if (m.text === undefined) {
      checks.push({ host: m.host, check: 'raft timing', ok: true, warn: true, detail: `not compared: ${m.error ?? `${m.envFile} not found`} (check by hand that it runs with heartbeat ${settings.heartbeatIntervalMs} ms, election ${settings.electionTimeoutMs} ms)` });
      continue;
    }
    const read = (k: string) => new RegExp(`^${k}=\\s*"?(\\d+)"?\\s*$`, 'm').exec(m.text ?? '')?.[1];
    // etcd's defaults when the file does not set them.
    const hb = Number(read('ETCD_HEARTBEAT_INTERVAL') ?? 100);
    const el = Number(read('ETCD_ELECTION_TIMEOUT') ?? 1000);
    const same = hb === settings.heartbeatIntervalMs && el === settings.electionTimeoutMs;
    checks.push({
      host: m.host,
      check: 'raft timing',
      ok: same,
      detail: `${m.envFile}: heartbeat ${hb} ms, election ${el} ms${same ? ', as the inventory' : `; the inventory says ${settings.heartbeatIntervalMs} / ${settings.electionTimeoutMs}`}`,
      fix: same ? undefined : `set etcd.heartbeatInterval: ${hb} and etcd.electionTimeout: ${el} in the context (every member must use the same values)`,
    });
  }
  return checks;
}

/** Preflight as lines for the preview (and headless output). */
export function preflightLines(checks: PreflightCheck[]): string[] {
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${c.ok ? (c.warn ? '!' : '✓') : '✗'} ${c.host}: ${c.check}: ${c.detail}`);
    if (!c.ok && c.fix) lines.push(`    fix: ${c.fix}`);
  }
  return lines;
}

/** The ssh command line an operator would type for an argv on a host (for the plan's runbook). */
export function sshLine(host: HostSpec, argv: string[]): string {
  const t = host.ssh;
  const cmd = t.sudo ? sudoArgv(argv) : argv;
  return `ssh ${t.port !== 22 ? `-p ${t.port} ` : ''}${t.user}@${t.address} ${shellCommand(cmd)}`;
}

function scpLine(host: HostSpec, local: string, remote: string): string {
  const t = host.ssh;
  return `scp ${t.port !== 22 ? `-P ${t.port} ` : ''}${local} ${t.user}@${t.address}:${remote}`;
}

/** Rendered files for a host: env file and unit, as the renderer made them. */
export interface RenderedFile {
  kind: string;
  remotePath: string;
  mode: number;
  content: string;
  template: string;
  overridden: boolean;
}

function step(id: string, title: string, command: string, action: PlanStep['action'], preconditions: string[] = []): PlanStep {
  return { id, title, command, action, preconditions };
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** The steps that put one host's files in place (directories, binary, certificates, env file, unit). */
function hostFileSteps(host: HostSpec, uploads: HostUploads, files: RenderedFile[], settings: EtcdSettings): PlanStep[] {
  const steps: PlanStep[] = [];
  const n = host.name;
  const dirs = new Map<string, { mode: number; dataDir?: boolean }>();
  const envFile = files.find((f) => f.kind === 'env');
  const unit = files.find((f) => f.kind === 'unit');
  for (const f of files) dirs.set(dirOf(f.remotePath), { mode: 0o755 });
  if (uploads.binary) dirs.set(dirOf(host.binaryPath), { mode: 0o755 });
  if (settings.tls) dirs.set(host.certDir, { mode: 0o700 });
  dirs.set(host.dataDir, { mode: 0o700, dataDir: true });
  if (host.walDir) dirs.set(host.walDir, { mode: 0o700, dataDir: true });
  for (const [path, d] of dirs) {
    const mode = d.mode.toString(8).padStart(4, '0');
    // A data dir that exists already (empty, checked in preflight) is set to the same mode.
    const title = d.dataDir ? `${n}: create ${path} (etcd data, empty, mode ${mode}; an existing one is set to ${mode})` : `${n}: create ${path}`;
    const command = d.dataDir ? `${sshLine(host, ['mkdir', '-p', '-m', mode, '--', path])} && ${sshLine(host, ['chmod', mode, '--', path])}` : sshLine(host, ['mkdir', '-p', '-m', mode, '--', path]);
    steps.push(step(`mkdir-${n}-${path}`, title, command, { kind: 'remote-mkdir', host: n, path, mode: d.mode, ...(d.dataDir ? { dataDir: true } : {}) }));
  }
  if (uploads.binary) {
    const src = uploads.binary;
    const local = src.kind === 'tarball' ? `${src.path}#${src.member}` : src.kind === 'local' ? src.path : '(text)';
    steps.push(step(`binary-${n}`, `${n}: upload the etcd binary to ${host.binaryPath}`, scpLine(host, local, host.binaryPath), { kind: 'remote-upload', host: n, source: src, remotePath: host.binaryPath, mode: 0o755, what: 'etcd binary' }));
  }
  if (uploads.certs) {
    const p = certPaths(host);
    for (const [what, from, to, mode] of [['CA certificate', uploads.certs.ca, p.ca, 0o644], ['member certificate', uploads.certs.cert, p.cert, 0o644], ['member key', uploads.certs.key, p.key, 0o600]] as const) {
      steps.push(step(`cert-${n}-${to}`, `${n}: upload the ${what} to ${to}`, scpLine(host, from, to), { kind: 'remote-upload', host: n, source: { kind: 'local', path: from }, remotePath: to, mode, what }));
    }
  }
  for (const f of [envFile, unit]) {
    if (!f) continue;
    const what = f.kind === 'env' ? 'env file' : 'systemd unit';
    steps.push(
      step(`${f.kind}-${n}`, `${n}: write the ${what} ${f.remotePath}${f.overridden ? ` (template ${f.template})` : ''}`, scpLine(host, `${n}-${f.remotePath.split('/').pop()}`, f.remotePath), {
        kind: 'remote-upload',
        host: n,
        source: { kind: 'text', text: f.content, template: f.template },
        remotePath: f.remotePath,
        mode: f.mode,
        what,
        ...(f.kind === 'unit' ? { unit: true } : {}),
      }),
    );
  }
  return steps;
}

function systemctlStep(host: HostSpec, verb: 'daemon-reload' | 'enable' | 'start' | 'stop', timeoutMs: number, noBlock = false): PlanStep {
  const unit = verb === 'daemon-reload' ? undefined : `${host.unitName}.service`;
  const argv = ['systemctl', verb, ...(noBlock ? ['--no-block'] : []), ...(unit ? [unit] : [])];
  const titles = { 'daemon-reload': 'reload systemd (daemon-reload)', enable: `enable ${unit}`, start: `start ${unit}`, stop: `stop ${unit}` };
  return step(`${verb}-${host.name}`, `${host.name}: ${titles[verb]}`, sshLine(host, argv), { kind: 'remote-systemctl', host: host.name, verb, ...(unit ? { unit: host.unitName } : {}), ...(noBlock ? { noBlock } : {}), timeoutMs });
}

export interface BootstrapTimeouts {
  /** systemctl start of a joining member (its unit's TimeoutStartSec is 5 min). */
  startMs: number;
  /** A new cluster to elect a leader; a learner to start; a learner to catch up and be promoted. */
  waitMs: number;
}

export const DEFAULT_BOOTSTRAP_TIMEOUTS: BootstrapTimeouts = { startMs: 330_000, waitMs: 300_000 };

export interface JoinInput {
  host: HostSpec;
  settings: EtcdSettings;
  /** The preflight verdict for the host (must be ok). */
  preflight: { checks: PreflightCheck[]; ok: boolean; uploads: Record<string, HostUploads> };
  files: RenderedFile[];
  timeouts?: BootstrapTimeouts;
}

/**
 * A member that was added but never started (no name yet), e.g. the learner of a join that was cut
 * off: no new member's files can list it, so a join is refused with its ID, its peer URL and the way out.
 */
export function leftoverMemberRefusal(view: ClusterView): string | undefined {
  const left = view.members.filter((m) => m.name === '');
  if (left.length === 0) return undefined;
  const which = left.map((m) => `${m.isLearner ? 'learner' : 'member'} ${hexId(m.id)} (peer URL ${m.peerURLs.join(', ') || 'none'})`).join(', ');
  return `the cluster has ${left.length === 1 ? 'a member' : 'members'} that never started: ${which}, most likely left by a join that was cut off; undo that run (etcd-tui runs, then etcd-tui undo RUN) or remove it (etcd-tui member remove ${hexId(left[0].id)}), then join again`;
}

/** ETCD_INITIAL_CLUSTER of a joining host: every current member by name, then the new one. */
export function joinInitialCluster(view: ClusterView, host: HostSpec, settings: EtcdSettings): InitialMember[] {
  const out: InitialMember[] = [];
  for (const m of view.members) for (const u of m.peerURLs) out.push({ name: m.name, peerURL: u });
  out.push({ name: host.name, peerURL: peerURL(host, settings) });
  return out;
}

/** Join one host as a learner, start it over SSH, wait for it, promote it, verify. */
export function planJoin(view: ClusterView, input: JoinInput): PlanResult {
  const { host, settings } = input;
  const t = input.timeouts ?? DEFAULT_BOOTSTRAP_TIMEOUTS;
  const quorum = hasQuorum(view);
  if (!quorum.ok) return quorum;
  const purl = peerURL(host, settings);
  const already = view.members.find((m) => m.name === host.name || m.peerURLs.includes(purl));
  if (already) return { ok: false, refusal: `${host.name} (${purl}) is already a member of this cluster${already.isLearner ? ' (a learner: promote it, or remove it first)' : ''}; nothing to join` };
  const checked = checkAdd(view, host.name, purl);
  if (!checked.ok) return checked;
  if (!input.preflight.ok) {
    const failed = input.preflight.checks.filter((c) => !c.ok).map((c) => `${c.host}: ${c.check}: ${c.detail}${c.fix ? ` (fix: ${c.fix})` : ''}`);
    return { ok: false, refusal: `preflight failed, nothing was changed:\n${failed.join('\n')}` };
  }
  const uploads = input.preflight.uploads[host.name] ?? {};
  const label = host.name;
  const steps: PlanStep[] = [
    step('add', `Add ${label} (${purl}) as a learner`, `etcdctl member add ${label} --peer-urls=${purl} --learner`, { kind: 'member-add', name: label, peerURLs: [purl], isLearner: true }, ['quorum present', 'no other learner', 'preflight passed']),
    ...hostFileSteps(host, uploads, input.files, settings),
    systemctlStep(host, 'daemon-reload', 60_000),
    systemctlStep(host, 'enable', 60_000),
    systemctlStep(host, 'start', t.startMs),
    step('started', `Wait for ${label} to answer at ${clientURL(host, settings)}`, `etcdctl --endpoints=${clientURL(host, settings)} endpoint status`, { kind: 'wait-started', name: label, peerURLs: [purl], timeoutMs: t.waitMs }),
    step('catch-up', `Wait until ${label} has caught up with the leader`, "etcdctl endpoint status --cluster -w table   # the learner's RAFT APPLIED INDEX against the leader's RAFT INDEX", { kind: 'wait-caught-up', name: label, peerURLs: [purl], ratio: 0.9, timeoutMs: t.waitMs }),
    step('promote', `Promote ${label} to a voting member`, `etcdctl member promote <id of ${label}>`, { kind: 'member-promote', name: label, peerURLs: [purl], waitMs: t.waitMs }),
    step('verify', 'Verify: the cluster is healthy with the new voter', 'etcdctl endpoint health --cluster && etcdctl endpoint status --cluster -w table', { kind: 'verify-health', timeoutMs: 60_000, ...(view.members.filter((m) => !m.isLearner).length + 1 < 3 ? { allowSmallCluster: true } : {}) }),
  ];
  const voters = view.members.filter((m) => !m.isLearner).length;
  const plan: Plan = {
    flow: 'bootstrap-join',
    title: `Join ${label} (${host.ssh.address}) to the cluster`,
    preview: [
      ...quorumPreview(view),
      `after: ${voters + 1} voters, quorum ${quorumOf(voters + 1)}${(voters + 1) % 2 === 0 ? ` (an even count tolerates no more failures than ${voters})` : ''}`,
      `${label} joins as a learner (it does not vote while it catches up), then is promoted`,
      'preflight:',
      ...preflightLines(input.preflight.checks).map((l) => `  ${l}`),
      ...renderedPreview(input.files, envPreview(label, input.files)),
      'if a step fails: the service is stopped and disabled, the learner removed, the data dir moved aside, and the files that were there restored',
    ],
    warnings: (voters + 1) % 2 === 0 ? [`${voters + 1} voters is an even number: it needs a larger quorum without tolerating more failures`] : [],
    steps,
    confirmPhrase: label,
    args: { host: label, address: host.ssh.address, peerURL: purl },
    rollbackOnFailure: true,
  };
  return { ok: true, plan };
}

/** Which template made each file, and the settings lines of one env file (comments left out). */
function renderedPreview(files: Array<RenderedFile & { host?: string }>, envOf?: { host: string; file: RenderedFile }): string[] {
  const out: string[] = [];
  for (const f of files) out.push(`${f.host ? `${f.host}: ` : ''}${f.remotePath} from ${f.template}${f.overridden ? ' (override dir)' : ''}`);
  const lines = out.length > 0 ? ['files rendered:', ...out.map((l) => `  ${l}`)] : [];
  if (envOf) {
    lines.push(`${envOf.file.remotePath} on ${envOf.host} (comments left out):`);
    for (const l of envOf.file.content.split('\n')) if (l.trim() !== '' && !l.startsWith('#')) lines.push(`  ${l}`);
  }
  return lines;
}

function envPreview(host: string, files: RenderedFile[]): { host: string; file: RenderedFile } | undefined {
  const file = files.find((f) => f.kind === 'env');
  return file ? { host, file } : undefined;
}

export interface NewClusterInput {
  hosts: HostSpec[];
  settings: EtcdSettings;
  token: string;
  preflight: { checks: PreflightCheck[]; ok: boolean; uploads: Record<string, HostUploads> };
  /** Rendered files per host name. */
  files: Record<string, RenderedFile[]>;
  timeouts?: BootstrapTimeouts;
  /** The context to save on success. */
  context: string;
}

/** The initial cluster of a new cluster: every host in inventory order. */
export function newInitialCluster(hosts: HostSpec[], settings: EtcdSettings): InitialMember[] {
  return hosts.map((h) => ({ name: h.name, peerURL: peerURL(h, settings) }));
}

/** A new cluster on the hosts: files on every host, then start them all, then verify. */
export function planNewCluster(input: NewClusterInput): PlanResult {
  const { hosts, settings } = input;
  const t = input.timeouts ?? DEFAULT_BOOTSTRAP_TIMEOUTS;
  if (hosts.length === 0) return { ok: false, refusal: 'give the hosts of the new cluster (names from the context\'s hosts list)' };
  const names = new Set<string>();
  for (const h of hosts) {
    if (names.has(h.name)) return { ok: false, refusal: `${h.name} is listed twice` };
    names.add(h.name);
  }
  if (!input.token || /\s/.test(input.token)) return { ok: false, refusal: 'the cluster token must be a word without spaces' };
  if (!input.preflight.ok) {
    const failed = input.preflight.checks.filter((c) => !c.ok).map((c) => `${c.host}: ${c.check}: ${c.detail}${c.fix ? ` (fix: ${c.fix})` : ''}`);
    return { ok: false, refusal: `preflight failed, nothing was changed:\n${failed.join('\n')}` };
  }
  const steps: PlanStep[] = [];
  for (const h of hosts) {
    steps.push(...hostFileSteps(h, input.preflight.uploads[h.name] ?? {}, input.files[h.name] ?? [], settings));
    steps.push(systemctlStep(h, 'daemon-reload', 60_000), systemctlStep(h, 'enable', 60_000));
  }
  // A member of a new cluster signals ready only once a quorum has started: start them all without
  // waiting on each, then wait for the cluster.
  for (const h of hosts) steps.push(systemctlStep(h, 'start', 60_000, true));
  steps.push(
    step('formed', `Wait for one cluster: ${hosts.length} members, one leader, one cluster ID`, `etcdctl --endpoints=${hosts.map((h) => clientURL(h, settings)).join(',')} endpoint status -w table`, { kind: 'wait-cluster-formed', hosts: hosts.map((h) => h.name), members: hosts.length, timeoutMs: t.waitMs }),
    step('verify', 'Verify: the cluster is healthy', 'etcdctl endpoint health --cluster', { kind: 'verify-health', timeoutMs: 60_000 }),
  );
  const q = quorumOf(hosts.length);
  const plan: Plan = {
    flow: 'bootstrap-cluster',
    title: `New cluster on ${hosts.map((h) => h.name).join(', ')}`,
    preview: [
      `a new cluster: ${hosts.length} voters, quorum ${q}, tolerates ${hosts.length - q} failure(s)`,
      `initial cluster: ${initialClusterString(newInitialCluster(hosts, settings))}`,
      `token ${input.token} (new), initial-cluster-state new on every host`,
      'preflight:',
      ...preflightLines(input.preflight.checks).map((l) => `  ${l}`),
      ...renderedPreview(
        hosts.flatMap((h) => (input.files[h.name] ?? []).map((f) => ({ ...f, host: h.name }))),
        envPreview(hosts[0].name, input.files[hosts[0].name] ?? []),
      ),
      ...(hosts.length > 1 ? [`(the other hosts' env files differ in ETCD_NAME, the addresses and the certificate names)`] : []),
      `on success the context "${input.context}" is saved with these endpoints and made current`,
      'if a step fails: every service is stopped and disabled, the data dirs moved aside, and the files that were there restored',
    ],
    warnings: hosts.length % 2 === 0 ? [`${hosts.length} members is an even number: it tolerates no more failures than ${hosts.length - 1}`] : hosts.length === 1 ? ['one member tolerates no failure'] : [],
    steps,
    confirmPhrase: input.context,
    args: { hosts: hosts.map((h) => h.name), token: input.token, context: input.context },
    rollbackOnFailure: true,
  };
  return { ok: true, plan };
}
