/**
 * Reads certificates: the one a member presents on its client URL (from the TLS handshake, with the
 * client's own certificate offered, so members with client-cert-auth answer too) and PEM files (the
 * CA bundle, the bastion's client certificate). Parsed with node:crypto's X509Certificate: no
 * openssl needed on the bastion.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import tls from 'node:tls';
import type { TlsFiles } from '../domain/config.js';
import type { CertificateFacts } from '../health/certs.js';

/** The plain facts of a parsed certificate. */
export function certificateFacts(x: X509Certificate): CertificateFacts {
  const details = x.publicKey.asymmetricKeyDetails;
  const type = (x.publicKey.asymmetricKeyType ?? 'unknown').toUpperCase();
  const keyType =
    type === 'EC' ? `EC ${curveName(details?.namedCurve)}` : type === 'RSA' || type === 'RSA-PSS' ? `${type} ${details?.modulusLength ?? '?'}` : type;
  return {
    subject: x.subject.replace(/\n/g, ', '),
    issuer: x.issuer.replace(/\n/g, ', '),
    serial: x.serialNumber,
    notBefore: Date.parse(x.validFrom),
    notAfter: Date.parse(x.validTo),
    sans: parseSubjectAltName(x.subjectAltName),
    keyType,
    isCA: x.ca,
    fingerprint256: x.fingerprint256,
  };
}

function curveName(curve: string | undefined): string {
  const names: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
  return curve ? (names[curve] ?? curve) : '?';
}

/** Node's "DNS:a, IP Address:1.2.3.4" as ["DNS:a", "IP:1.2.3.4"]. */
export function parseSubjectAltName(text: string | undefined): string[] {
  if (!text) return [];
  return text
    .split(/,\s*/)
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => part.replace(/^IP Address:/i, 'IP:'));
}

/** Every certificate in a PEM file (a CA bundle may hold several). Throws with the file named. */
export function readCertificateFile(path: string): CertificateFacts[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parsePemCertificates(text, path);
}

/**
 * Every certificate in PEM text (a file read here or over SSH); `where` names it in errors. Throws
 * one line when there is no certificate or a block does not parse.
 */
export function parsePemCertificates(text: string, where: string): CertificateFacts[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`${where} holds no PEM certificate`);
  return blocks.map((b, i) => {
    try {
      return certificateFacts(new X509Certificate(b));
    } catch (error) {
      throw new Error(`${where}: certificate ${i + 1} does not parse (${(error as Error).message.split('\n')[0]})`);
    }
  });
}

export interface PresentedCertificate {
  cert: CertificateFacts;
  /** Whether the chain verified against the configured CA (or the system roots without one). */
  trusted: boolean;
  trustError?: string;
}

/**
 * Connect to an https:// URL, read the certificate the server presents, and hang up. The chain is
 * not required to verify (an expired or foreign certificate is exactly what we want to see); the
 * verification result is reported instead.
 */
export function readPresentedCertificate(url: string, files: TlsFiles, timeoutMs: number): Promise<PresentedCertificate> {
  const m = /^https:\/\/(\[[^\]]+\]|[^/:]+):(\d+)/i.exec(url);
  if (!m) return Promise.reject(new Error(`${url} is not an https:// URL: no certificate to read`));
  const host = m[1].replace(/^\[|\]$/g, '');
  const port = Number(m[2]);
  const read = (path: string | undefined) => (path ? readFileSync(path) : undefined);
  let ca: Buffer | undefined;
  let cert: Buffer | undefined;
  let key: Buffer | undefined;
  try {
    ca = read(files.cacert);
    cert = read(files.cert);
    key = read(files.key);
  } catch (error) {
    return Promise.reject(new Error(`cannot read the TLS files: ${(error as Error).message}`));
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    const socket = tls.connect({
      host,
      port,
      // A servername that is an IP address makes Node print DEP0123; SNI is for names only.
      servername: isIP(host) ? undefined : host,
      ca,
      cert: cert && key ? cert : undefined,
      key: cert && key ? key : undefined,
      rejectUnauthorized: false,
    });
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      fn();
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`no TLS handshake with ${url} within ${timeoutMs} ms`))), timeoutMs);
    socket.once('secureConnect', () => {
      const peer = socket.getPeerX509Certificate();
      if (!peer) return finish(() => reject(new Error(`${url} presented no certificate`)));
      const authError = socket.authorizationError;
      finish(() => resolve({ cert: certificateFacts(peer), trusted: socket.authorized, trustError: authError ? String(authError) : undefined }));
    });
    socket.once('error', (error: NodeJS.ErrnoException) => finish(() => reject(new Error(`${url}: ${error.code === 'ECONNREFUSED' ? 'connection refused' : error.message}`))));
  });
}
