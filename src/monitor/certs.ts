/**
 * Collects the certificate report: each member's presented server certificate (one handshake per
 * member, in parallel, bounded), the CA bundle and the bastion's client certificate, and, for the
 * hosts of the context, the certificate files their env files name (read over SSH, read-only). Used
 * once by `etcd-tui certs` and every few minutes by the console's InspectMonitor (not every refresh).
 */
import type { ConnectionSettings } from '../domain/config.js';
import type { Member } from '../domain/types.js';
import { clientURL, peerURL, type HostSpec, type Inventory } from '../domain/hosts.js';
import { errorMessage, HostError } from '../domain/errors.js';
import { memberLabel } from '../format/ids.js';
import type { CertificateCheck, CertificateFacts, CertificateSource, CertReport } from '../health/certs.js';
import { parsePemCertificates, readCertificateFile, readPresentedCertificate } from '../cluster/certs.js';
import { parseEnvFile } from '../cli/envfile.js';

/** Read-only access to files on the context's hosts: SSH in the product (sshHostFiles), a fake in tests. */
export interface HostFileReader {
  hosts: HostSpec[];
  /** The inventory's etcd.tls: the scheme of the URLs a host not (yet) in the member list would advertise. */
  tls: boolean;
  /** A file's content, undefined when it does not exist; throws one line when the host cannot be read. */
  readFile(host: string, path: string): Promise<Buffer | undefined>;
  /** Close the connections (after each round: nothing stays open between rounds). */
  close(): Promise<void>;
  /** Stop for good (the console leaves): connects in flight are aborted, so nothing holds the process. */
  stop?(): void;
}

/** Certificate files are small; a bigger file is not a certificate. */
const MAX_CERT_FILE_BYTES = 1_000_000;
/** Time for one host (connect, env file, up to four certificate files) beyond its SSH connect timeout. */
const HOST_READ_EXTRA_MS = 10_000;

/** The env file's certificate settings, grouped by file: one file can be the peer and the server certificate. */
export function certificateFilesOf(env: Record<string, string>): Array<{ path: string; ca: boolean; roles: string[] }> {
  const files: Array<{ path: string; ca: boolean; roles: string[] }> = [];
  const add = (key: string, ca: boolean, role: string) => {
    const path = env[key]?.trim();
    if (!path) return;
    const known = files.find((f) => f.path === path && f.ca === ca);
    if (known) known.roles.push(role);
    else files.push({ path, ca, roles: [role] });
  };
  add('ETCD_PEER_CERT_FILE', false, 'peer');
  add('ETCD_CERT_FILE', false, 'server');
  add('ETCD_TRUSTED_CA_FILE', true, 'client');
  add('ETCD_PEER_TRUSTED_CA_FILE', true, 'peer');
  return files;
}

function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${Math.round(ms / 1000)} s`)), ms);
    timer.unref?.();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The certificate files of one host: one check per certificate, or one line saying why nothing was read. */
async function readOneHost(reader: HostFileReader, host: HostSpec, member: Member | undefined): Promise<CertificateCheck[]> {
  const label = member ? memberLabel(member) : host.name;
  const https = (urls: string[]) => urls.filter((u) => u.startsWith('https://'));
  const peers = https(member?.peerURLs.length ? member.peerURLs : [peerURL(host, { tls: reader.tls })]);
  const clients = https(member?.clientURLs.length ? member.clientURLs : [clientURL(host, { tls: reader.tls })]);
  const envSource: CertificateSource = { kind: 'host-file', member: label, host: host.name, where: host.envFile, use: 'env file', mustCover: [] };
  const envText = await reader.readFile(host.name, host.envFile);
  if (envText === undefined) return [{ source: envSource, ok: false, error: 'not found on the host' }];
  const env = parseEnvFile(envText.toString('utf8'), `${host.envFile} on ${host.name}`);
  const files = certificateFilesOf(env);
  if (files.length === 0) return [{ source: envSource, ok: false, error: 'names no certificate file (ETCD_PEER_CERT_FILE, ETCD_CERT_FILE): plain http?' }];
  const checks: CertificateCheck[] = [];
  for (const f of files) {
    const use = f.ca ? `${f.roles.join(' and ')} trusted CA` : `${f.roles.join(' and ')} certificate`;
    const mustCover = f.ca ? [] : [...(f.roles.includes('peer') ? peers : []), ...(f.roles.includes('server') ? clients : [])];
    const source: CertificateSource = { kind: 'host-file', member: label, host: host.name, where: f.path, use, mustCover };
    try {
      const content = await reader.readFile(host.name, f.path);
      if (content === undefined) {
        checks.push({ source, ok: false, error: 'not found on the host' });
        continue;
      }
      const certs: CertificateFacts[] = parsePemCertificates(content.toString('utf8'), `${f.path} on ${host.name}`);
      // A CA file may be a bundle: every certificate in it; a leaf file: its first (the leaf).
      for (const cert of f.ca ? certs : certs.slice(0, 1)) checks.push({ source, ok: true, cert });
    } catch (error) {
      checks.push({ source, ok: false, error: errorMessage(error) });
    }
  }
  return checks;
}

/**
 * The certificate files named in each host's env file (ETCD_PEER_CERT_FILE, ETCD_CERT_FILE,
 * ETCD_TRUSTED_CA_FILE, ETCD_PEER_TRUSTED_CA_FILE), read over SSH, all hosts in parallel, each
 * bounded. A host that does not answer is one check that says so, never a failure of the round.
 * The reader's connections are closed at the end.
 */
export async function readHostCertificates(reader: HostFileReader, members: Member[] | undefined): Promise<CertificateCheck[]> {
  try {
    const perHost = await Promise.all(
      reader.hosts.map(async (host) => {
        const member = members?.find((m) => m.name === host.name);
        const label = member ? memberLabel(member) : host.name;
        const bound = host.ssh.connectTimeoutMs + HOST_READ_EXTRA_MS;
        try {
          return await bounded(readOneHost(reader, host, member), bound, `${host.name} (${host.ssh.address})`);
        } catch (error) {
          const source: CertificateSource = { kind: 'host-file', member: label, host: host.name, where: host.envFile, use: 'env file', mustCover: [] };
          // Reading certificates never trusts a host key: say how to trust it instead.
          const text =
            error instanceof HostError && error.kind === 'host-key-unknown'
              ? `the host key of ${host.ssh.address} is not in ${host.ssh.knownHosts} (not trusted by a read): check its fingerprint and trust it (a bootstrap flow's t, or --accept-new-host-key on a bootstrap command)`
              : errorMessage(error);
          return [{ source, ok: false as const, error: text }];
        }
      }),
    );
    return perHost.flat();
  } finally {
    await reader.close().catch(() => undefined);
  }
}

/**
 * The product's reader: one SSH connection per host (known_hosts pins the keys; an unknown key is
 * refused, never trusted here), read-only (the connection's readFile). The SSH layer is loaded only
 * when a context has hosts.
 */
export async function sshHostFiles(inventory: Inventory): Promise<HostFileReader> {
  const [{ SshGateway }, { HostPool }] = await Promise.all([import('../hosts/ssh-gateway.js'), import('../hosts/pool.js')]);
  const stopped = new AbortController();
  const pool = new HostPool(new SshGateway(), inventory.hosts, { unknownHost: 'refuse', signal: stopped.signal });
  return {
    hosts: inventory.hosts,
    tls: inventory.settings.tls,
    readFile: async (host, path) => (await pool.connection(host)).readFile(path, { maxBytes: MAX_CERT_FILE_BYTES }),
    close: () => pool.closeAll(),
    stop: () => {
      stopped.abort();
      void pool.closeAll();
    },
  };
}

/** Read every certificate: members (by their advertised client URLs; the seeds when no list is known), CA, client. */
export async function collectCertificates(settings: ConnectionSettings, members: Member[] | undefined, timeoutMs: number, now: () => number = Date.now, hostFiles?: HostFileReader): Promise<CertReport> {
  // The hosts' files over SSH at the same time as the handshakes (an unreachable host waits for its connect timeout).
  const hostChecks = hostFiles ? readHostCertificates(hostFiles, members) : Promise.resolve([]);
  const targets = members && members.length
    ? members.filter((m) => m.clientURLs.length > 0).map((m) => ({ member: memberLabel(m), urls: m.clientURLs }))
    : settings.endpoints.map((url) => ({ member: url, urls: [url] }));
  const memberChecks = await Promise.all(
    targets.map(async (t): Promise<CertificateCheck> => {
      const url = t.urls.find((u) => u.startsWith('https://'));
      const source = { kind: 'member' as const, member: t.member, where: url ?? t.urls[0], mustCover: t.urls.filter((u) => u.startsWith('https://')) };
      if (!url) return { source, ok: false, error: 'plain http: no certificate' };
      try {
        const presented = await readPresentedCertificate(url, settings.tls, timeoutMs);
        return { source, ok: true, cert: presented.cert, trusted: presented.trusted, trustError: presented.trustError };
      } catch (error) {
        return { source, ok: false, error: (error as Error).message };
      }
    }),
  );
  const fileChecks: CertificateCheck[] = [];
  const files: Array<['ca' | 'client', string | undefined]> = [
    ['ca', settings.tls.cacert],
    ['client', settings.tls.cert],
  ];
  for (const [kind, path] of files) {
    if (!path) continue;
    const source = { kind, where: path, mustCover: [] };
    try {
      // A bundle: every certificate in it (the first of a client file is the leaf that matters).
      const certs = readCertificateFile(path);
      for (const cert of kind === 'ca' ? certs : certs.slice(0, 1)) fileChecks.push({ source, ok: true, cert });
    } catch (error) {
      fileChecks.push({ source, ok: false, error: (error as Error).message });
    }
  }
  return { at: now(), checks: [...memberChecks, ...fileChecks, ...(await hostChecks)] };
}
