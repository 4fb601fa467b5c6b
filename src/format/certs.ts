/** Rows of the certificate table (console pane and `etcd-tui certs`). Pure. */
import { checkLevel, daysLeft, uncoveredURLs, type CertReport, type CertificateCheck } from '../health/certs.js';

export interface CertRow {
  what: string;
  where: string;
  subject: string;
  sans: string;
  notAfter: string;
  days: string;
  key: string;
  state: 'ok' | 'warn' | 'crit' | 'error';
  note: string;
}

function cn(dn: string): string {
  const m = /CN=([^,]+)/.exec(dn);
  return m ? m[1] : dn;
}

export function certRow(check: CertificateCheck, now: number): CertRow {
  const what = check.source.kind === 'member' ? (check.source.member ?? '?') : check.source.kind === 'ca' ? 'CA' : 'client';
  const level = checkLevel(check, now);
  if (!check.ok) return { what, where: check.source.where, subject: '-', sans: '-', notAfter: '-', days: '-', key: '-', state: 'error', note: check.error };
  const c = check.cert;
  const uncovered = uncoveredURLs(c, check.source.mustCover);
  const left = daysLeft(c.notAfter, now);
  const notes = [
    c.notAfter <= now ? 'expired' : '',
    uncovered.length ? `SANs miss ${uncovered.join(', ')}` : '',
    check.trusted === false ? `untrusted: ${check.trustError ?? '?'}` : '',
  ].filter(Boolean);
  return {
    what,
    where: check.source.where,
    subject: cn(c.subject),
    sans: c.sans.join(',') || '-',
    notAfter: new Date(c.notAfter).toISOString().slice(0, 16).replace('T', ' '),
    days: String(left),
    key: c.keyType,
    state: level,
    note: notes.join('; ') || (level === 'ok' ? 'ok' : `expires in ${left} days`),
  };
}

export function certRows(report: CertReport, now: number): CertRow[] {
  return report.checks.map((c) => certRow(c, now));
}
