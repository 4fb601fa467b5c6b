/**
 * Certificate checks: days left, SAN coverage of the URLs a member advertises, the health lines
 * (30 days: degraded, 7 days or expired: critical, an uncovered URL: degraded) and the exit code of
 * `etcd-tui certs`. Pure: the certificates come in as plain facts read elsewhere.
 */
import type { VerdictReason } from '../domain/types.js';

/** What one X.509 certificate says, as plain data. */
export interface CertificateFacts {
  subject: string;
  issuer: string;
  serial: string;
  /** ms since the epoch. */
  notBefore: number;
  notAfter: number;
  /** Subject alternative names as "DNS:name" or "IP:address" (IPv6 in Node's expanded form). */
  sans: string[];
  /** "EC P-256", "RSA 2048", "ED25519". */
  keyType: string;
  isCA: boolean;
  fingerprint256: string;
}

/** Where a certificate was read and what it must cover. */
export interface CertificateSource {
  /** member: the TLS handshake; ca / client: the bastion's files; host-file: a file on a host of the context, read over SSH. */
  kind: 'member' | 'ca' | 'client' | 'host-file';
  /** The member's name (or hex ID) for member certificates and host files. */
  member?: string;
  /** The URL it presented on, or the file it was read from. */
  where: string;
  /** host-file only: the inventory host it was read on. */
  host?: string;
  /** host-file only: what the file is to etcd ("peer certificate", "peer and server certificate", "trusted CA", "env file"). */
  use?: string;
  /** URLs whose host must be in the SANs (the member's advertised client URLs). */
  mustCover: string[];
}

export type CertificateCheck =
  | { source: CertificateSource; ok: true; cert: CertificateFacts; /** Chain verification against the CA (handshakes only). */ trusted?: boolean; trustError?: string }
  | { source: CertificateSource; ok: false; error: string };

export interface CertReport {
  at: number;
  checks: CertificateCheck[];
}

export interface CertThresholds {
  warnDays: number;
  critDays: number;
}

export const CERT_THRESHOLDS: CertThresholds = { warnDays: 30, critDays: 7 };

const DAY_MS = 86_400_000;

/** Whole days left until notAfter (negative once expired). */
export function daysLeft(notAfter: number, now: number): number {
  return Math.floor((notAfter - now) / DAY_MS);
}

/** The fix named in each expiry line; a rotation flow will replace this text when it exists. */
export const ROTATE_FIX = 'renew it with the same SANs, install it and restart the member one at a time (rolling)';

/** The host part of a URL: "10.0.0.1", "etcd-1.example", "::1" (brackets dropped). */
export function urlHost(url: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(\[[^\]]+\]|[^/:]+)/i.exec(url);
  const host = m ? m[1] : url;
  return host.replace(/^\[|\]$/g, '').toLowerCase();
}

function expandIPv6(ip: string): string | undefined {
  if (!ip.includes(':')) return undefined;
  const [head, tail] = ip.split('::');
  const parts = (s: string | undefined) => (s ? s.split(':') : []);
  const h = parts(head);
  const t = ip.includes('::') ? parts(tail) : [];
  const fill = ip.includes('::') ? 8 - h.length - t.length : 0;
  const all = [...h, ...Array(Math.max(0, fill)).fill('0'), ...t];
  if (all.length !== 8 || all.some((p) => !/^[0-9a-f]{1,4}$/i.test(p))) return undefined;
  return all.map((p) => parseInt(p, 16).toString(16)).join(':');
}

function isIPv4(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

/** Whether a SAN list covers a host: an exact IP, an exact DNS name, or a one-label wildcard. */
export function sanCovers(sans: readonly string[], host: string): boolean {
  const h = host.toLowerCase();
  const v6 = expandIPv6(h);
  for (const san of sans) {
    const colon = san.indexOf(':');
    const type = san.slice(0, colon).toUpperCase();
    const value = san.slice(colon + 1).toLowerCase();
    if (type === 'IP') {
      if (isIPv4(h) && value === h) return true;
      if (v6 && expandIPv6(value) === v6) return true;
    } else if (type === 'DNS' && !isIPv4(h) && !v6) {
      if (value === h) return true;
      if (value.startsWith('*.') && h.includes('.') && h.slice(h.indexOf('.') + 1) === value.slice(2)) return true;
    }
  }
  return false;
}

/** The URLs of `urls` whose host the certificate does not cover. */
export function uncoveredURLs(cert: CertificateFacts, urls: readonly string[]): string[] {
  return urls.filter((u) => !sanCovers(cert.sans, urlHost(u)));
}

function label(source: CertificateSource): string {
  if (source.kind === 'member') return `${source.member ?? '?'}: server certificate at ${source.where}`;
  if (source.kind === 'host-file') return `${source.member ?? source.host ?? '?'}: ${source.use ?? 'file'} ${source.where} (host ${source.host ?? '?'})`;
  if (source.kind === 'ca') return `CA ${source.where}`;
  return `client certificate ${source.where}`;
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export type CertLevel = 'ok' | 'warn' | 'crit' | 'error';

/** The level of one check: expiry, coverage, trust, or that it could not be read. */
export function checkLevel(check: CertificateCheck, now: number, t: CertThresholds = CERT_THRESHOLDS): CertLevel {
  if (!check.ok) return 'error';
  const left = daysLeft(check.cert.notAfter, now);
  if (check.cert.notAfter <= now || left < t.critDays) return 'crit';
  if (check.cert.notBefore > now) return 'crit';
  if (left < t.warnDays) return 'warn';
  if (uncoveredURLs(check.cert, check.source.mustCover).length > 0) return 'warn';
  if (check.trusted === false) return 'warn';
  return 'ok';
}

/** The health lines: one per problem, each naming the member, the URL or file, the date and the fix. */
export function certReasons(report: CertReport, now: number, t: CertThresholds = CERT_THRESHOLDS): VerdictReason[] {
  const reasons: VerdictReason[] = [];
  let fine = 0;
  for (const check of report.checks) {
    const what = label(check.source);
    if (!check.ok) {
      reasons.push({ level: 'info', text: `${what}: not read (${check.error})` });
      continue;
    }
    const c = check.cert;
    const left = daysLeft(c.notAfter, now);
    let problem = false;
    if (c.notAfter <= now) {
      reasons.push({ level: 'crit', text: `${what} EXPIRED on ${isoDate(c.notAfter)}: ${ROTATE_FIX}` });
      problem = true;
    } else if (left < t.critDays) {
      reasons.push({ level: 'crit', text: `${what} expires in ${left} day${left === 1 ? '' : 's'} (${isoDate(c.notAfter)}, under ${t.critDays} days): ${ROTATE_FIX}` });
      problem = true;
    } else if (left < t.warnDays) {
      reasons.push({ level: 'warn', text: `${what} expires in ${left} days (${isoDate(c.notAfter)}, under ${t.warnDays} days): ${ROTATE_FIX}` });
      problem = true;
    }
    if (c.notBefore > now) {
      reasons.push({ level: 'crit', text: `${what} is not valid before ${new Date(c.notBefore).toISOString()} (clock skew?)` });
      problem = true;
    }
    const uncovered = uncoveredURLs(c, check.source.mustCover);
    if (uncovered.length > 0) {
      reasons.push({
        level: 'warn',
        text: `${what}: SANs (${c.sans.join(', ') || 'none'}) do not cover ${uncovered.join(', ')}: clients verifying the host name will fail; reissue it with ${uncovered.map((u) => sanFor(urlHost(u))).join(', ')}`,
      });
      problem = true;
    }
    if (check.trusted === false) {
      reasons.push({ level: 'warn', text: `${what} is not trusted by the configured CA (${check.trustError ?? 'verification failed'})` });
      problem = true;
    }
    if (!problem) fine += 1;
  }
  if (fine > 0 && reasons.every((r) => r.level === 'info' || r.level === 'ok')) {
    reasons.push({ level: 'ok', text: `${fine} certificate${fine === 1 ? '' : 's'} valid for more than ${t.warnDays} days` });
  }
  return reasons;
}

function sanFor(host: string): string {
  return isIPv4(host) || host.includes(':') ? `IP:${host}` : `DNS:${host}`;
}

/** `etcd-tui certs` exit codes. */
export const CERTS_EXIT = { fine: 0, expiresSoon: 1, critical: 2, nothingAnswered: 3, usage: 4 } as const;

/** 0 fine, 1 something expires within 30 days, 2 within 7 days, expired or uncovered, 3 no member answered. */
export function certsExitCode(report: CertReport, now: number, t: CertThresholds = CERT_THRESHOLDS): number {
  const members = report.checks.filter((c) => c.source.kind === 'member');
  if (members.length > 0 && members.every((c) => !c.ok)) return CERTS_EXIT.nothingAnswered;
  if (members.length === 0 && report.checks.every((c) => !c.ok)) return CERTS_EXIT.nothingAnswered;
  let code: number = CERTS_EXIT.fine;
  for (const check of report.checks) {
    if (!check.ok) continue;
    const level = checkLevel(check, now, t);
    const uncovered = uncoveredURLs(check.cert, check.source.mustCover).length > 0;
    if (level === 'crit' || uncovered) return CERTS_EXIT.critical;
    if (level === 'warn') code = CERTS_EXIT.expiresSoon;
  }
  return code;
}
