// Test PKI made with the openssl CLI: a CA, a server/peer certificate for
// 127.0.0.1 and localhost, a client certificate (CN=root), and an unrelated
// second CA with its own client certificate (for "wrong CA" tests).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface CertPaths {
  dir: string;
  caCert: string;
  caKey: string;
  /** serverAuth + clientAuth (also used by peers), SANs IP:127.0.0.1, DNS:localhost. */
  serverCert: string;
  serverKey: string;
  /** clientAuth, CN=root, signed by the CA. */
  clientCert: string;
  clientKey: string;
  /** An unrelated CA. */
  otherCaCert: string;
  otherCaKey: string;
  /** clientAuth, CN=root, signed by the unrelated CA. */
  otherClientCert: string;
  otherClientKey: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr?.toString().trim() || e.message}`);
  }
}

export type KeyType = 'ec' | 'rsa';

/** openssl req -newkey arguments for a key type (EC P-256 is much faster to make than RSA 2048). */
function newKeyArgs(keyType: KeyType): string[] {
  return keyType === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'] : ['-newkey', 'rsa:2048'];
}

function leafKeyUsage(keyType: KeyType): string {
  return keyType === 'ec' ? 'keyUsage=critical,digitalSignature' : 'keyUsage=critical,digitalSignature,keyEncipherment';
}

function makeCa(dir: string, name: string, cn: string, keyType: KeyType): { cert: string; key: string } {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.crt`);
  openssl(
    [
      'req', '-x509', ...newKeyArgs(keyType), '-nodes', '-sha256', '-days', '3650',
      '-keyout', key, '-out', cert, '-subj', `/CN=${cn}`,
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-addext', 'subjectKeyIdentifier=hash',
    ],
    dir,
  );
  return { cert, key };
}

function makeLeaf(
  dir: string,
  name: string,
  cn: string,
  ca: { cert: string; key: string },
  extensions: string[],
  keyType: KeyType,
  days = 365,
): { cert: string; key: string } {
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const cert = path.join(dir, `${name}.crt`);
  const ext = path.join(dir, `${name}.ext`);
  fs.writeFileSync(ext, extensions.join('\n') + '\n');
  openssl(['req', ...newKeyArgs(keyType), '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`], dir);
  openssl(
    [
      'x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', String(Date.now() * 1000 + Math.floor(Math.random() * 1000)),
      '-sha256', '-days', String(days), '-out', cert, '-extfile', ext,
    ],
    dir,
  );
  fs.rmSync(csr, { force: true });
  return { cert, key };
}

/**
 * Makes the certificates in `dir` (created if needed; a fresh temp dir when
 * omitted). Keys are unencrypted PKCS#8 PEM, mode 0600: EC P-256 by default,
 * RSA 2048 with keyType 'rsa'.
 */
export function makeCerts(dir?: string, keyType: KeyType = 'ec'): CertPaths {
  const target = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-certs-'));
  fs.mkdirSync(target, { recursive: true, mode: 0o700 });
  const ku = leafKeyUsage(keyType);
  const ca = makeCa(target, 'ca', 'etcd-tui test CA', keyType);
  const server = makeLeaf(target, 'server', 'etcd-tui test server', ca, [
    'basicConstraints=critical,CA:FALSE',
    ku,
    'extendedKeyUsage=serverAuth,clientAuth',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], keyType);
  const client = makeLeaf(target, 'client', 'root', ca, [
    'basicConstraints=critical,CA:FALSE',
    ku,
    'extendedKeyUsage=clientAuth',
  ], keyType);
  const other = makeCa(target, 'other-ca', 'etcd-tui unrelated CA', keyType);
  const otherClient = makeLeaf(target, 'other-client', 'root', other, [
    'basicConstraints=critical,CA:FALSE',
    ku,
    'extendedKeyUsage=clientAuth',
  ], keyType);
  for (const f of fs.readdirSync(target)) {
    if (f.endsWith('.key')) fs.chmodSync(path.join(target, f), 0o600);
    if (f.endsWith('.ext') || f.endsWith('.srl')) fs.rmSync(path.join(target, f), { force: true });
  }
  return {
    dir: target,
    caCert: ca.cert,
    caKey: ca.key,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    otherCaCert: other.cert,
    otherCaKey: other.key,
    otherClientCert: otherClient.cert,
    otherClientKey: otherClient.key,
  };
}

/** A CA dir as `etcd-tui bootstrap` reads it: ca.pem, member-NAME.pem / -key.pem per node, admin.pem. */
export interface ClusterPki {
  dir: string;
  ca: string;
  caKey: string;
  admin: string;
  adminKey: string;
}

/**
 * Makes a cluster PKI in `dir`: a CA, one member certificate per node (serverAuth + clientAuth, SANs
 * IP:<ip> and IP:127.0.0.1, or the SANs given), and an admin client certificate. The CA key stays in
 * `dir` (ca-key.pem) so that more nodes can be signed later with addNode.
 */
export function makeClusterPki(dir: string, nodes: Array<{ name: string; ip: string; sans?: string[]; days?: number }>): ClusterPki {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = makeCa(dir, 'ca', 'etcd-tui bootstrap test CA', 'ec');
  fs.renameSync(ca.cert, path.join(dir, 'ca.pem'));
  fs.renameSync(ca.key, path.join(dir, 'ca-key.pem'));
  const pki: ClusterPki = { dir, ca: path.join(dir, 'ca.pem'), caKey: path.join(dir, 'ca-key.pem'), admin: path.join(dir, 'admin.pem'), adminKey: path.join(dir, 'admin-key.pem') };
  const admin = makeLeaf(dir, 'admin', 'root', { cert: pki.ca, key: pki.caKey }, ['basicConstraints=critical,CA:FALSE', leafKeyUsage('ec'), 'extendedKeyUsage=clientAuth'], 'ec', 365);
  fs.renameSync(admin.cert, pki.admin);
  fs.renameSync(admin.key, pki.adminKey);
  for (const n of nodes) addNode(pki, n.name, n.sans ?? [`IP:${n.ip}`, 'IP:127.0.0.1'], n.days);
  for (const f of fs.readdirSync(dir)) {
    if (f.endsWith('-key.pem')) fs.chmodSync(path.join(dir, f), 0o600);
    if (f.endsWith('.ext') || f.endsWith('.srl')) fs.rmSync(path.join(dir, f), { force: true });
  }
  return pki;
}

/** Signs member-NAME.pem / member-NAME-key.pem in the PKI's dir with these SANs ("IP:10.0.0.1"), valid `days` (default 365). */
export function addNode(pki: ClusterPki, name: string, sans: string[], days = 365): void {
  const leaf = makeLeaf(pki.dir, `member-${name}`, name, { cert: pki.ca, key: pki.caKey }, ['basicConstraints=critical,CA:FALSE', leafKeyUsage('ec'), 'extendedKeyUsage=serverAuth,clientAuth', `subjectAltName=${sans.join(',')}`], 'ec', days);
  fs.renameSync(leaf.cert, path.join(pki.dir, `member-${name}.pem`));
  fs.renameSync(leaf.key, path.join(pki.dir, `member-${name}-key.pem`));
  fs.chmodSync(path.join(pki.dir, `member-${name}-key.pem`), 0o600);
  fs.rmSync(path.join(pki.dir, `member-${name}.ext`), { force: true });
}

/**
 * Signs a server + peer certificate (serverAuth and clientAuth) with the CA of `paths`, valid for
 * `days` from now, with these SANs ("IP:127.0.0.1", "DNS:localhost"); for certificates that expire
 * soon or miss a SAN. Written as NAME.crt / NAME.key in the same dir.
 */
export function signServerCert(paths: CertPaths, name: string, days: number, sans: string[], keyType: KeyType = 'ec'): { cert: string; key: string } {
  const leaf = makeLeaf(
    paths.dir,
    name,
    `etcd-tui test ${name}`,
    { cert: paths.caCert, key: paths.caKey },
    ['basicConstraints=critical,CA:FALSE', leafKeyUsage(keyType), 'extendedKeyUsage=serverAuth,clientAuth', `subjectAltName=${sans.join(',')}`],
    keyType,
    days,
  );
  fs.chmodSync(leaf.key, 0o600);
  fs.rmSync(path.join(paths.dir, `${name}.ext`), { force: true });
  return leaf;
}
