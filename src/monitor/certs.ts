/**
 * Collects the certificate report: each member's presented server certificate (one handshake per
 * member, in parallel, bounded), the CA bundle and the bastion's client certificate. Used once by
 * `etcd-tui certs` and every few minutes by the console's CertWatcher (not every refresh).
 */
import type { ConnectionSettings } from '../domain/config.js';
import type { Member } from '../domain/types.js';
import { memberLabel } from '../format/ids.js';
import type { CertificateCheck, CertReport } from '../health/certs.js';
import { readCertificateFile, readPresentedCertificate } from '../cluster/certs.js';

/** Read every certificate: members (by their advertised client URLs; the seeds when no list is known), CA, client. */
export async function collectCertificates(settings: ConnectionSettings, members: Member[] | undefined, timeoutMs: number, now: () => number = Date.now): Promise<CertReport> {
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
  return { at: now(), checks: [...memberChecks, ...fileChecks] };
}
