/**
 * Checks of the TLS files before any connection: a CA file that holds no certificate, a client
 * certificate that is not PEM, a key that cannot be read or that does not belong to the
 * certificate, an expired certificate. Each becomes one sentence (a ConfigError, exit 4) instead of
 * a stack from the TLS layer or a "unable to verify the first certificate" that reads as a server
 * problem.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../domain/errors.js';

/** A TLS file and how the operator named it (e.g. "--cacert", "ETCDCTL_KEY", "contexts.yaml: context \"prod\": key"). */
export interface NamedFile {
  path: string;
  label: string;
}

export interface TlsFileSet {
  cacert?: NamedFile;
  cert?: NamedFile;
  key?: NamedFile;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function readBytes(file: NamedFile): Buffer {
  try {
    return readFileSync(file.path);
  } catch (error) {
    throw new ConfigError(`${file.label}: cannot read ${file.path} (${(error as Error).message})`);
  }
}

/** What a file that is not what it should be looks like, for the message. */
function looksLike(text: string): string {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return 'it holds a private key';
  if (/-----BEGIN CERTIFICATE REQUEST-----/.test(text)) return 'it holds a certificate request (CSR), not the signed certificate';
  if (/-----BEGIN CERTIFICATE-----/.test(text)) return 'its certificate block does not parse';
  if (text.trim() === '') return 'it is empty';
  if (text.includes('\0') || /[^\t\n\r\x20-\x7e]/.test(text.slice(0, 200))) return 'it is binary (DER?): convert it with `openssl x509 -inform der -in FILE -out FILE.pem`';
  return 'no "-----BEGIN CERTIFICATE-----" block in it';
}

/** The PEM certificates in a file (a CA bundle may hold several); a ConfigError when there is none that parses. */
export function readCertificates(file: NamedFile, what: string): X509Certificate[] {
  const text = readBytes(file).toString('latin1');
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  const certificates: X509Certificate[] = [];
  for (const block of blocks) {
    try {
      certificates.push(new X509Certificate(block));
    } catch {
      // reported below when nothing parses
    }
  }
  if (certificates.length === 0) {
    throw new ConfigError(`${file.label}: ${file.path} is not a PEM ${what} (${looksLike(text)})`);
  }
  return certificates;
}

function readKey(file: NamedFile): KeyObject {
  const bytes = readBytes(file);
  const text = bytes.toString('latin1');
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text)) {
    throw new ConfigError(`${file.label}: ${file.path} is an encrypted private key: etcd-tui needs it unencrypted (as etcdctl does): \`openssl pkey -in ${file.path} -out KEY.pem\``);
  }
  try {
    return createPrivateKey(bytes);
  } catch {
    const hint = /-----BEGIN CERTIFICATE-----/.test(text) ? 'it holds a certificate: the key and the certificate may be swapped' : looksLike(text).replace('no "-----BEGIN CERTIFICATE-----" block in it', 'no "-----BEGIN ... PRIVATE KEY-----" block in it');
    throw new ConfigError(`${file.label}: ${file.path} is not a PEM private key (${hint})`);
  }
}

function checkValidity(cert: X509Certificate, file: NamedFile, now: Date): void {
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (now > to) throw new ConfigError(`${file.label}: the certificate in ${file.path} expired on ${to.toISOString()} (renew it)`);
  if (now < from) throw new ConfigError(`${file.label}: the certificate in ${file.path} is not valid before ${from.toISOString()} (check this machine's clock)`);
}

/**
 * Checks every TLS file that is given; throws a ConfigError with one sentence on the first problem.
 * Nothing is sent anywhere.
 */
export function checkTlsFiles(files: TlsFileSet, now: Date = new Date()): void {
  if (files.cacert) {
    const cas = readCertificates(files.cacert, 'CA certificate');
    if (cas.every((c) => now > new Date(c.validTo))) {
      throw new ConfigError(`${files.cacert.label}: every certificate in ${files.cacert.path} has expired (the newest on ${new Date(cas.map((c) => new Date(c.validTo).getTime()).sort((a, b) => b - a)[0]).toISOString()})`);
    }
  }
  if (files.cert) {
    const [leaf] = readCertificates(files.cert, 'certificate');
    checkValidity(leaf, files.cert, now);
    if (files.key) {
      const key = readKey(files.key);
      let matches = false;
      try {
        matches = leaf.checkPrivateKey(key);
      } catch {
        matches = false;
      }
      if (!matches) {
        throw new ConfigError(`${files.key.label}: the key ${files.key.path} does not belong to the certificate ${files.cert.path} (${files.cert.label}): give the key that was made with it`);
      }
    }
  } else if (files.key) {
    readKey(files.key);
  }
}
