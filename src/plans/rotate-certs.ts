/**
 * Certificate rotation on the rolling engine, its pure part: the new member certificate of each host
 * checked as the bootstrap preflight checks it (SANs, usages, chain to the CA dir's ca.pem, expiry,
 * the key), and the preview lines. A CA change is planned by src/plans/ca-rotation.ts.
 * Reading the files and the handshakes is the run layer's (src/run/rotate-certs.ts).
 */
import type { EtcdSettings, HostSpec } from '../domain/hosts.js';
import { certProblems, type CertInfo } from './bootstrap.js';

/** One host's facts for a rotation. */
export interface HostCertFacts {
  host: HostSpec;
  /** The new certificate from the CA dir (undefined: the CA dir has none for this host). */
  next?: CertInfo & { serial?: string; file: string; keyFile: string };
  /** The serial the member presents now (TLS handshake), when it answered. */
  presentedSerial?: string;
  /** The SHA-256 fingerprint of the CA file on the host (undefined: not readable). */
  hostCaFingerprint?: string;
  error?: string;
}

/** Why the run cannot go on, as sentences (empty: every host is fine). */
export function rotationProblems(facts: HostCertFacts[], settings: EtcdSettings, caDir: string, localCaFingerprint: string, now: number, opts: { caChange?: boolean } = {}): string[] {
  const out: string[] = [];
  for (const f of facts) {
    const name = f.host.name;
    if (f.error) {
      out.push(`${name}: ${f.error}`);
      continue;
    }
    if (!f.next) {
      out.push(`${name}: ${caDir} has no member-${name}.pem and member-${name}-key.pem`);
      continue;
    }
    for (const p of certProblems(f.next, f.host, settings, now)) out.push(`${name}: ${p}`);
    if (f.next.signedByCa === undefined) out.push(`${name}: ${f.next.source}: not checked against ${caDir}/ca.pem`);
    if (!opts.caChange && f.hostCaFingerprint !== undefined && f.hostCaFingerprint !== localCaFingerprint) {
      out.push(
        `${name}: ${caDir}/ca.pem is not the CA the members trust now: a CA change is a three-phase rotation (a bundle with both CAs on every member, then new leaf certificates, then the old CA dropped) that etcd-tui does not do yet; issue the new member certificates from the current CA`,
      );
    }
  }
  return out;
}

/** Serials compare as hex, upper case, without colons or leading zeros. */
export function sameSerial(a: string | undefined, b: string | undefined): boolean {
  const n = (s: string) => s.replace(/[^0-9a-f]/gi, '').toUpperCase().replace(/^0+(?=.)/, '');
  return a !== undefined && b !== undefined && n(a) === n(b);
}

/** Preview lines: per host the serial now and the new one, the notes. */
export function rotationNotes(facts: HostCertFacts[], caDir: string): string[] {
  const lines = facts.map((f) => `${f.host.name}: serial ${f.presentedSerial ?? '(not read)'} -> ${f.next?.serial ?? '?'}, valid until ${f.next?.notAfter ?? '?'}, SANs ${(f.next?.sans ?? []).join(', ')}`);
  return [
    ...lines,
    `from ${caDir}: each member's certificate and key uploaded with backups (the CA file stays: same CA), the member restarted, then the serial it presents on its client URL must be the new one`,
    "the bastion's client certificate and the context are not changed (same CA)",
  ];
}
