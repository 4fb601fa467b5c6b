/**
 * Preflight, the I/O half: read-only facts from each target host over SSH (in parallel across hosts)
 * and from the bastion (the binary to upload, the CA dir's certificates). Nothing is changed
 * anywhere; src/plans/bootstrap.ts turns the facts into checks.
 */
import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { EtcdSettings, HostSpec } from '../domain/hosts.js';
import { certPaths, unitPath } from '../domain/hosts.js';
import { HostError } from '../domain/errors.js';
import type { HostConnection } from '../hosts/gateway.js';
import type { CertInfo, HostFacts, LocalFacts } from '../plans/bootstrap.js';
import { etcdVersionOf } from '../plans/bootstrap.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

function msg(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A PEM certificate as plain facts; with the CA and key when given. */
export function certInfo(pem: string | Buffer, source: string, opts: { caPem?: string | Buffer; keyPem?: string | Buffer } = {}): CertInfo {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (error) {
    return { source, error: `not a PEM certificate (${msg(error)})` };
  }
  const sans = (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .filter(Boolean)
    .map((s) => s.replace(/^IP Address:/, 'IP:'));
  const eku = cert.keyUsage as string[] | undefined;
  const info: CertInfo = {
    source,
    subject: cert.subject.replace(/\n/g, ', '),
    sans,
    notAfter: new Date(cert.validTo).toISOString(),
    ...(eku && eku.length > 0 ? { serverAuth: eku.includes(SERVER_AUTH), clientAuth: eku.includes(CLIENT_AUTH) } : {}),
  };
  if (opts.caPem) {
    try {
      const ca = new X509Certificate(opts.caPem);
      info.signedByCa = cert.checkIssued(ca) && cert.verify(ca.publicKey);
    } catch {
      info.signedByCa = false;
    }
  }
  if (opts.keyPem) {
    try {
      info.keyMatches = cert.checkPrivateKey(createPrivateKey(opts.keyPem));
    } catch (error) {
      info.keyError = `the private key cannot be read (${msg(error)})`;
    }
  }
  return info;
}

function run(file: string, args: string[], timeoutMs = 20_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 4 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? ((error as unknown as { code: number }).code) : 127) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (error ? error.message : '') });
    });
  });
}

/** What the bastion has: the binary source and the CA dir, checked for the given hosts. */
export async function localFacts(settings: EtcdSettings, hosts: HostSpec[], now = Date.now()): Promise<LocalFacts> {
  const facts: LocalFacts = { now };
  const src = settings.binarySource;
  if (src) {
    const tarball = /\.(tar\.gz|tgz)$/.test(src);
    if (!existsSync(src)) facts.binarySource = { path: src, kind: tarball ? 'tarball' : 'binary', ok: false, error: 'no such file' };
    else if (tarball) {
      const list = await run('tar', ['-tzf', src]);
      const member = list.stdout.split('\n').find((l) => /(^|\/)etcd$/.test(l.trim()));
      const version = /etcd-v(\d+\.\d+\.\d+)-/.exec(basename(src))?.[1] ?? /etcd-v(\d+\.\d+\.\d+)-/.exec(member ?? '')?.[1];
      const arch = /-linux-([a-z0-9]+)(\.tar\.gz|\.tgz|\/|$)/.exec(basename(src))?.[1] ?? /-linux-([a-z0-9]+)\//.exec(member ?? '')?.[1];
      facts.binarySource = member
        ? { path: src, kind: 'tarball', ok: true, member: member.trim(), version, ...(arch ? { arch } : {}) }
        : { path: src, kind: 'tarball', ok: false, error: list.code !== 0 ? `not a readable .tar.gz (${list.stderr.trim().split('\n')[0]})` : 'has no etcd binary in it' };
    } else {
      const r = await run(src, ['--version']);
      const version = etcdVersionOf(r.stdout);
      const arch = elfArch(src);
      facts.binarySource = r.code === 0 && version ? { path: src, kind: 'binary', ok: true, version, ...(arch ? { arch } : {}) } : { path: src, kind: 'binary', ok: false, error: `is not an etcd binary that runs here (${(r.stderr || r.stdout).trim().split('\n')[0] || `exit ${r.code}`})` };
    }
  }
  if (settings.caDir && settings.tls) {
    const dir = settings.caDir;
    const read = (p: string) => {
      try {
        return readFileSync(p);
      } catch {
        return undefined;
      }
    };
    const caPem = read(join(dir, 'ca.pem'));
    const ca = caPem ? certInfo(caPem, join(dir, 'ca.pem')) : { source: join(dir, 'ca.pem'), error: `${join(dir, 'ca.pem')} is missing` };
    const perHost: Record<string, CertInfo | undefined> = {};
    for (const h of hosts) {
      const certFile = join(dir, `member-${h.name}.pem`);
      const keyFile = join(dir, `member-${h.name}-key.pem`);
      const pem = read(certFile);
      if (!pem) continue;
      const key = read(keyFile);
      const info = certInfo(pem, certFile, { caPem, keyPem: key });
      if (!key) info.keyError = `${keyFile} is missing`;
      perHost[h.name] = info;
    }
    facts.caDir = { path: dir, ca, hosts: perHost };
  }
  return facts;
}

/** The machine an ELF executable is built for, in Go's names (from e_machine), or undefined. */
export function elfArch(file: string): string | undefined {
  let head: Buffer;
  try {
    const fd = openSync(file, 'r');
    try {
      head = Buffer.alloc(20);
      readSync(fd, head, 0, 20, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (head.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const machine = head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
  const names: Record<number, string> = { 0x3e: 'amd64', 0xb7: 'arm64', 0x28: 'arm', 0x03: '386', 0x15: 'ppc64le', 0x16: 's390x', 0xf3: 'riscv64' };
  return names[machine];
}

/** The listeners of `ss -Htlnp` by port. */
export function parseListeners(ssOutput: string, ports: number[]): Record<number, string> {
  const out: Record<number, string> = {};
  for (const p of ports) out[p] = '';
  for (const line of ssOutput.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4) continue;
    // State Recv-Q Send-Q Local:Port Peer:Port [Process]
    const local = cols.find((c) => /:\d+$/.test(c));
    const port = Number(/:(\d+)$/.exec(local ?? '')?.[1]);
    if (!ports.includes(port) || out[port]) continue;
    const proc = /users:\(\("([^"]+)",pid=(\d+)/.exec(line);
    out[port] = `${local}${proc ? ` by ${proc[1]} (pid ${proc[2]})` : ''}`;
  }
  return out;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** Read-only facts from one host over an open connection. */
export async function hostFacts(conn: HostConnection, host: HostSpec, settings: EtcdSettings, opts: { uploadCerts: boolean; now?: () => number }): Promise<HostFacts> {
  const now = opts.now ?? Date.now;
  const facts: HostFacts = { host: host.name, ssh: { ok: true, fingerprint: conn.fingerprint }, errors: [] };
  const errors = facts.errors as string[];
  const q = async (argv: string[]) => {
    try {
      return await conn.run(argv, { timeoutMs: 20_000 });
    } catch (error) {
      if (error instanceof HostError && error.kind === 'sudo') throw error;
      errors.push(`${argv.join(' ')}: ${msg(error)}`);
      return undefined;
    }
  };
  if (host.ssh.sudo) {
    try {
      const r = await conn.run(['true'], { timeoutMs: 20_000, sudo: true });
      facts.sudo = r.code === 0 ? { ok: true } : { ok: false, error: r.stderr.trim() || `sudo -n true: exit ${r.code}` };
    } catch (error) {
      facts.sudo = { ok: false, error: msg(error) };
      return facts;
    }
  }
  const uname = await q(['uname', '-sm']);
  if (uname?.code === 0) [facts.os, facts.arch] = uname.stdout.trim().split(/\s+/);
  const dir = async (path: string) => {
    const r = await q(['ls', '-A1', '--', path]);
    if (!r) return undefined;
    if (r.code === 0) return { exists: true, entries: r.stdout.split('\n').filter(Boolean) };
    if (/No such file/i.test(r.stderr)) return { exists: false, entries: [] };
    errors.push(`ls ${path}: ${r.stderr.trim() || `exit ${r.code}`}`);
    return undefined;
  };
  facts.dataDir = await dir(host.dataDir);
  if (host.walDir) facts.walDir = await dir(host.walDir);
  const ss = await q(['ss', '-Htlnp']);
  if (ss?.code === 0) facts.ports = parseListeners(ss.stdout, [host.clientPort, host.peerPort]);
  else if (ss) errors.push(`ss -Htlnp: ${ss.stderr.trim() || `exit ${ss.code}`} (is iproute2 installed?)`);
  // df on the data dir, or the nearest parent that exists.
  let probe = host.dataDir;
  while (probe !== '/' && facts.dataDir && !facts.dataDir.exists && probe === host.dataDir) probe = dirOf(probe);
  const df = await q(['df', '-Pk', '--', probe]);
  if (df?.code === 0) {
    const cols = df.stdout.trim().split('\n').pop()?.trim().split(/\s+/) ?? [];
    const avail = Number(cols[3]);
    if (Number.isFinite(avail)) facts.freeDiskBytes = avail * 1024;
  } else if (df) {
    // The parent may be missing too (a fresh host): try /.
    const root = await q(['df', '-Pk', '--', '/']);
    const avail = Number(root?.stdout.trim().split('\n').pop()?.trim().split(/\s+/)[3]);
    if (Number.isFinite(avail)) facts.freeDiskBytes = avail * 1024;
  }
  // The remote clock is read after the login shell has started (0.3-0.8 s with a heavy .bashrc) and
  // half a network round trip after the request left: not in the middle of the call. A command that
  // does nothing, just before, measures that start-up plus the round trip; the clock was read about
  // that long after t0 (within half a network round trip).
  const b0 = now();
  const baseline = await q(['true']);
  const b1 = now();
  const t0 = now();
  const date = await q(['date', '+%s%N']);
  const t1 = now();
  if (date?.code === 0 && /^\d+$/.test(date.stdout.trim())) {
    const startup = baseline?.code === 0 ? b1 - b0 : (t1 - t0) / 2;
    const readAt = Math.min(t1, t0 + startup);
    facts.clockSkewMs = Number(BigInt(date.stdout.trim()) / 1_000_000n) - readAt;
  }
  const bin = await q([host.binaryPath, '--version']);
  if (bin) facts.binary = bin.code === 0 ? { present: true, version: etcdVersionOf(bin.stdout) ?? bin.stdout.trim().split('\n')[0] } : { present: false, ...(bin.code === 127 ? {} : { error: (bin.stderr.trim() || `exit ${bin.code}`).split('\n')[0] }) };
  const active = await q(['systemctl', 'is-active', `${host.unitName}.service`]);
  if (active) facts.serviceState = active.stdout.trim() || 'unknown';
  const paths = certPaths(host);
  if (settings.tls && !opts.uploadCerts) {
    try {
      const pem = await conn.readFile(paths.cert);
      if (pem) {
        const ca = await conn.readFile(paths.ca);
        facts.remoteCert = certInfo(pem, `${host.name}:${paths.cert}`, { caPem: ca });
        facts.remoteCa = ca !== undefined;
        facts.remoteKey = (await q(['test', '-e', paths.key]))?.code === 0;
      }
    } catch (error) {
      errors.push(`read ${paths.cert}: ${msg(error)}`);
    }
  }
  const existing: string[] = [];
  for (const p of [host.envFile, unitPath(host), ...(opts.uploadCerts ? [paths.ca, paths.cert, paths.key] : [])]) {
    if ((await q(['test', '-e', p]))?.code === 0) existing.push(p);
  }
  facts.existingFiles = existing;
  if (errors.length === 0) delete facts.errors;
  return facts;
}
