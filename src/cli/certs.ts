/**
 * `etcd-tui certs [--json] [--no-ssh]`: every member's presented server certificate, the CA and the
 * client certificate, and (when the context has hosts) the peer, server and CA files their env files
 * name, read over SSH; with days left and SAN coverage. Exit codes: 0 fine, 1 something expires
 * within 30 days, 2 within 7 days, expired or a SAN gap, 3 nothing answered, 4 usage (raised by the
 * parser). A host that does not answer is a line, not a failure.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import type { CliFlags } from './args.js';
import { defaultContextsPath } from './contexts.js';
import { loadInventory } from './bootstrap-context.js';
import type { ConnectionSettings } from '../domain/config.js';
import type { Member } from '../domain/types.js';
import type { ClusterGateway } from '../cluster/gateway.js';
import { EtcdGateway } from '../cluster/etcd-gateway.js';
import { deadlinesFor } from './deadlines.js';
import { collectCertificates, sshHostFiles, type HostFileReader } from '../monitor/certs.js';
import { certReasons, certsExitCode, daysLeft, uncoveredURLs, type CertReport } from '../health/certs.js';
import { certRows } from '../format/certs.js';
import { textTable } from '../format/text-table.js';

export interface CertsOptions {
  json?: boolean;
  /** The hosts' files (undefined: none, e.g. --no-ssh); called once, after the member list. */
  hostFiles?: () => Promise<HostFileReader | undefined>;
}

/**
 * The hosts of the settings' context, read over SSH; undefined when the settings do not come from a
 * context (flags only), or the context has no hosts.
 */
export async function contextHostFiles(flags: CliFlags, env: NodeJS.ProcessEnv, settings: ConnectionSettings): Promise<HostFileReader | undefined> {
  if (settings.contextName === '(flags)') return undefined;
  const path = flags.config ?? defaultContextsPath(env, homedir());
  if (!existsSync(path)) return undefined;
  let inventory;
  try {
    inventory = loadInventory({ ...flags, context: settings.contextName }, env).inventory;
  } catch {
    // No hosts in this context (or none readable): the handshakes and local files only.
    return undefined;
  }
  return inventory.hosts.length > 0 ? sshHostFiles(inventory) : undefined;
}

export interface CommandIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** The JSON document of `certs --json`. */
export function certsJson(report: CertReport, now: number): object {
  return {
    at: new Date(report.at).toISOString(),
    certificates: report.checks.map((c) => ({
      kind: c.source.kind,
      member: c.source.member ?? null,
      where: c.source.where,
      ...(c.source.kind === 'host-file' ? { host: c.source.host ?? null, use: c.source.use ?? null } : {}),
      ...(c.ok
        ? {
            subject: c.cert.subject,
            issuer: c.cert.issuer,
            serial: c.cert.serial,
            sans: c.cert.sans,
            notBefore: new Date(c.cert.notBefore).toISOString(),
            notAfter: new Date(c.cert.notAfter).toISOString(),
            daysLeft: daysLeft(c.cert.notAfter, now),
            keyType: c.cert.keyType,
            isCA: c.cert.isCA,
            fingerprint256: c.cert.fingerprint256,
            mustCover: c.source.mustCover,
            uncovered: uncoveredURLs(c.cert, c.source.mustCover),
            trusted: c.trusted ?? null,
            trustError: c.trustError ?? null,
            error: null,
          }
        : { error: c.error }),
    })),
    reasons: certReasons(report, now),
    exitCode: certsExitCode(report, now),
  };
}

export function certsText(report: CertReport, now: number): string {
  const rows = certRows(report, now);
  const mark = { ok: 'ok  ', warn: 'WARN', crit: 'CRIT', info: 'info', unknown: '?   ' } as const;
  return [
    textTable(
      ['WHAT', 'URL OR FILE', 'SUBJECT CN', 'SANS', 'NOT AFTER (UTC)', 'DAYS', 'KEY', 'STATE'],
      rows.map((r) => [r.what, r.where, r.subject, r.sans, r.notAfter, r.days, r.key, r.state === 'error' ? `not read: ${r.note}` : r.note]),
    ),
    '',
    ...certReasons(report, now).map((r) => `${mark[r.level]} ${r.text}`),
  ].join('\n');
}

/** Run `etcd-tui certs`; the member list (for names and advertised URLs) comes through the gateway when it answers. */
export async function runCertsCommand(settings: ConnectionSettings, options: CertsOptions, io: CommandIO, gateway?: ClusterGateway): Promise<number> {
  const own = gateway ?? new EtcdGateway(settings, deadlinesFor(settings));
  try {
    let members: Member[] | undefined;
    try {
      members = (await own.memberList()).members;
    } catch (error) {
      // A certificate problem can be why the list fails: read what the seed endpoints present instead.
      io.stderr.write(`etcd-tui: member list failed (${(error as Error).message}); reading the certificates of the given endpoints\n`);
    }
    const hostFiles = options.hostFiles ? await options.hostFiles() : undefined;
    const report = await collectCertificates(settings, members, Math.max(settings.dialTimeoutMs, 1000), Date.now, hostFiles);
    const now = Date.now();
    io.stdout.write((options.json ? JSON.stringify(certsJson(report, now), null, 2) : certsText(report, now)) + '\n');
    return certsExitCode(report, now);
  } finally {
    if (!gateway) own.close();
  }
}
