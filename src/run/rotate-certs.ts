/**
 * Certificate rotation, prepared: the CA dir's new member certificates read and checked (as the
 * bootstrap preflight does), each host's CA file compared with the CA dir's (another CA: the
 * three-phase CA change, src/run/ca-rotation.ts), the serial each member presents now read from the
 * TLS handshake, then the rolling plan. Read-only.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterView } from '../health/view.js';
import type { PlanResult } from '../domain/plan.js';
import type { TlsFiles } from '../domain/config.js';
import { certPaths, clientURL, type Inventory } from '../domain/hosts.js';
import { errorMessage } from '../domain/errors.js';
import type { HostPool } from '../hosts/pool.js';
import { readPresentedCertificate } from '../cluster/certs.js';
import { planRolling, type HostFilesChange, type RollingInput } from '../plans/rolling.js';
import { rotationNotes, rotationProblems, sameSerial, type HostCertFacts } from '../plans/rotate-certs.js';
import { localFacts } from './preflight.js';
import { prepareCaChange } from './ca-rotation.js';
import { planCaRotation, type CaPhase, type CaRotationInput } from '../plans/ca-rotation.js';
import { DEFAULT_ROLLING_TIMEOUTS } from './rolling.js';

export interface RotateCertsOptions {
  /** The CA dir (default: the context's etcd.caDir). */
  caDir?: string;
  /** Only these hosts (default: every host that is a member). */
  only: string[];
  /** The bastion's TLS files, for the handshakes. */
  tls: TlsFiles;
  gapThreshold: number;
  backMs?: number;
  now?: () => number;
  onHost?(name: string, state: string): void;
  /** A CA change: only this phase (default: every phase still to do). */
  phase?: CaPhase | 'all';
  /** The contexts file the context came from (a CA change points it at the new files at the end). */
  contexts?: { path: string; context: string };
}

function fingerprint(pem: Buffer | string): string | undefined {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return undefined;
  }
}

/** The plan of a certificate rotation (or why not). */
export async function prepareRotateCerts(view: ClusterView, inventory: Inventory, pool: HostPool, opts: RotateCertsOptions): Promise<PlanResult> {
  const r = await prepareRotateCertsInput(view, inventory, pool, opts);
  return 'refusal' in r ? { ok: false, refusal: r.refusal } : 'ca' in r ? planCaRotation(view, r.ca) : planRolling(view, r.input);
}

/** The rolling engine's input for this change (the console plans again from it on a fresh view), or why not. */
export async function prepareRotateCertsInput(view: ClusterView, inventory: Inventory, pool: HostPool, opts: RotateCertsOptions): Promise<{ input: RollingInput } | { ca: CaRotationInput } | { refusal: string }> {
  if (view.members.length === 0) return { refusal: `no member list: the cluster is not reachable${view.membershipError ? ` (${view.membershipError.error})` : ''}` };
  const now = opts.now ?? Date.now;
  const settings = inventory.settings;
  if (!settings.tls) return { refusal: 'this context runs etcd over plain http (etcd.tls: false): there are no certificates to rotate' };
  const caDir = opts.caDir ?? settings.caDir;
  if (!caDir) return { refusal: 'give the CA dir with the new certificates: --ca-dir DIR (ca.pem, member-NAME.pem, member-NAME-key.pem), or set etcd.caDir in the context' };
  const all = inventory.hosts.map((h) => h.name);
  const unknown = opts.only.filter((h) => !all.includes(h));
  if (unknown.length > 0) return { refusal: `${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not a host of this context (hosts: ${all.join(', ')})` };
  const members = new Set(view.members.map((m) => m.name));
  const hosts = inventory.hosts.filter((h) => (opts.only.length > 0 ? opts.only.includes(h.name) : members.has(h.name)));
  if (hosts.length === 0) return { refusal: `no host of this context is a member of the cluster (members: ${[...members].join(', ')}; hosts: ${all.join(', ')})` };
  const local = await localFacts({ ...settings, caDir }, hosts, now());
  const ca = local.caDir?.ca;
  if (!ca || ca.error) return { refusal: `${join(caDir, 'ca.pem')}: ${ca?.error ?? 'cannot be read'}` };
  const localCa = fingerprint(readFileSync(join(caDir, 'ca.pem')));
  if (!localCa) return { refusal: `${join(caDir, 'ca.pem')} is not a PEM certificate` };
  const facts: HostCertFacts[] = await Promise.all(
    hosts.map(async (host): Promise<HostCertFacts> => {
      const info = local.caDir?.hosts[host.name];
      const file = join(caDir, `member-${host.name}.pem`);
      const keyFile = join(caDir, `member-${host.name}-key.pem`);
      let serial: string | undefined;
      try {
        serial = info && !info.error ? new X509Certificate(readFileSync(file)).serialNumber : undefined;
      } catch {
        serial = undefined;
      }
      const next = info ? { ...info, ...(serial ? { serial } : {}), file, keyFile } : undefined;
      opts.onHost?.(host.name, 'connecting');
      try {
        const conn = await pool.connection(host.name);
        const caPem = await conn.readFile(certPaths(host).ca, { maxBytes: 1 << 20 });
        if (!caPem) return { host, next, error: `${certPaths(host).ca} is not on the host (bootstrap the host first)` };
        const presented = await readPresentedCertificate(clientURL(host, settings), opts.tls, 5000).catch(() => undefined);
        return { host, next, hostCaFingerprint: fingerprint(caPem) ?? 'unreadable', ...(presented ? { presentedSerial: presented.cert.serial } : {}) };
      } catch (error) {
        return { host, next, error: errorMessage(error) };
      }
    }),
  );
  // Another CA on any host (or a bundle from a CA change under way): the three-phase CA change.
  const caChange = facts.some((f) => f.hostCaFingerprint !== undefined && f.hostCaFingerprint !== localCa);
  const problems = rotationProblems(facts, settings, caDir, localCa, now(), { caChange });
  if (problems.length > 0) return { refusal: `the new certificates do not pass the checks, nothing was changed: ${problems.join('; ')}` };
  const timeouts: RollingInput['timeouts'] = { ...DEFAULT_ROLLING_TIMEOUTS, ...(opts.backMs ? { backMs: opts.backMs } : {}) };
  if (caChange) {
    return prepareCaChange(inventory, pool, facts, { caDir, only: opts.only, tls: opts.tls, gapThreshold: opts.gapThreshold, timeouts, now, ...(opts.phase ? { phase: opts.phase } : {}), ...(opts.contexts ? { contexts: opts.contexts } : {}) });
  }
  if (opts.phase && opts.phase !== 'all') return { refusal: `--phase is for a CA change: ${join(caDir, 'ca.pem')} is the CA the members trust now` };
  const todo = facts.filter((f) => !sameSerial(f.presentedSerial, f.next?.serial));
  const same = facts.filter((f) => !todo.includes(f)).map((f) => f.host.name);
  if (todo.length === 0) return { refusal: `nothing to rotate: ${same.join(', ')} already present the certificates in ${caDir} (issue new ones first)` };
  const perHost: Record<string, HostFilesChange> = {};
  for (const f of todo) {
    const h = f.host;
    const p = certPaths(h);
    const next = f.next as NonNullable<HostCertFacts['next']>;
    perHost[h.name] = {
      changeTitle: `Put ${h.name}'s new certificate and key in place (the old ones kept as backups)`,
      changeCommand: `scp ${next.file} ${next.keyFile} ${h.ssh.user}@${h.ssh.address}:${h.certDir}/`,
      files: [
        { source: { kind: 'local', path: next.file }, remotePath: p.cert, mode: 0o644, what: 'member certificate' },
        { source: { kind: 'local', path: next.keyFile }, remotePath: p.key, mode: 0o600, what: 'member key' },
      ],
      verifyTitle: `Check that ${h.name} presents the new certificate (serial ${next.serial})`,
      verifyCommand: `openssl s_client -connect ${h.etcdAddress}:${h.clientPort} </dev/null | openssl x509 -noout -serial`,
      verify: { kind: 'verify-member-cert', host: h.name, name: h.name, serial: next.serial ?? '', tls: opts.tls, timeoutMs: 60_000 },
    };
  }
  const notes = [...rotationNotes(todo, caDir), ...(same.length > 0 ? [`${same.join(', ')}: already present the new certificate, left alone`] : [])];
  return {
    input: {
      hosts: inventory.hosts,
      change: { kind: 'certs', title: `Certificate rotation from ${caDir}`, notes, perHost },
      only: todo.map((f) => f.host.name),
      gapThreshold: opts.gapThreshold,
      timeouts,
    },
  };
}
