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

/** "peer and server certificate" -> "peer", "client and peer trusted CA" -> "CA", "env file" -> "env". */
function hostFileShort(use: string | undefined): string {
  if (!use) return 'file';
  if (use.endsWith('trusted CA')) return 'CA';
  if (use === 'env file') return 'env';
  return use.startsWith('peer') ? 'peer' : 'server';
}

export function certRow(check: CertificateCheck, now: number): CertRow {
  const src = check.source;
  const what =
    src.kind === 'member' ? (src.member ?? '?') : src.kind === 'host-file' ? `${src.member ?? src.host ?? '?'} ${hostFileShort(src.use)}` : src.kind === 'ca' ? 'CA' : 'client';
  // A host file's host is its member's (hosts are matched to members by name): the path alone fits the pane.
  const where = src.where;
  const level = checkLevel(check, now);
  if (!check.ok) return { what, where, subject: '-', sans: '-', notAfter: '-', days: '-', key: '-', state: 'error', note: check.error };
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
    where,
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

/** One certificate of a member, as the detail's certificates tab shows it. */
export interface CertBlock {
  title: string;
  state: CertRow['state'];
  /** [label, value, tone]: the tone colours the value. */
  lines: Array<[string, string, CertRow['state']?]>;
}

function shortDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/**
 * The certificates of one member (by its label or a client URL): the one it presents in the TLS
 * handshake, then the files its host's env file names (peer, server, CA), each with subject, SANs,
 * issuer, serial, not-after, days left, key type and coverage. Pure.
 */
export function memberCertBlocks(report: CertReport, member: { label: string; urls: readonly string[] }, now: number): CertBlock[] {
  const mine = report.checks.filter(
    (c) => (c.source.kind === 'member' && (c.source.member === member.label || member.urls.includes(c.source.where))) || (c.source.kind === 'host-file' && c.source.member === member.label),
  );
  return mine.map((check): CertBlock => {
    const src = check.source;
    const title = src.kind === 'member' ? `presented on ${src.where} (TLS handshake)` : `${src.use ?? 'file'} ${src.where} on ${src.host ?? '?'}`;
    const state = checkLevel(check, now);
    if (!check.ok) return { title, state: 'error', lines: [['not read', check.error, 'error']] };
    const c = check.cert;
    const left = daysLeft(c.notAfter, now);
    const expiry: [string, string, CertRow['state']] = ['not after', `${shortDate(c.notAfter)} UTC, ${c.notAfter <= now ? 'EXPIRED' : `${left} day${left === 1 ? '' : 's'} left`}`, state === 'ok' ? 'ok' : state];
    if (c.isCA) return { title, state, lines: [['CA', `${cn(c.subject)}, ${c.keyType}`], expiry] };
    const uncovered = uncoveredURLs(c, src.mustCover);
    const coverage: [string, string, CertRow['state']?] =
      src.mustCover.length === 0
        ? ['covers', '(no https URL to check)']
        : uncovered.length > 0
          ? ['covers', `NOT ${uncovered.join(', ')}`, 'warn']
          : ['covers', src.mustCover.join(', '), 'ok'];
    return {
      title,
      state,
      lines: [
        ['subject', `${cn(c.subject)}   key ${c.keyType}`],
        ['issuer', `${cn(c.issuer)}   serial ${c.serial}`],
        ['SANs', c.sans.join(', ') || 'none'],
        expiry,
        coverage,
        ...(check.trusted === false ? [['trust', `not trusted by the configured CA (${check.trustError ?? '?'})`, 'warn'] as [string, string, CertRow['state']?]] : []),
      ],
    };
  });
}
