/**
 * Reads the evidence of backups and operator actions: snapshot sidecars (FILE.json next to FILE,
 * written only after the snapshot was verified) in the context's backup directory, and the audit
 * log's JSON lines (only its last few MiB: an old log can be large).
 */
import { existsSync, openSync, readSync, closeSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditLine, BackupEvidence } from '../health/backup.js';
import { parseAuditLine } from './audit-tail.js';

const AUDIT_TAIL_BYTES = 4 << 20;

/** Sidecars whose snapshot file is still there. Unreadable or foreign JSON files are skipped. */
export function readSidecars(dir: string): BackupEvidence[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: BackupEvidence[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const snapshot = join(dir, name.slice(0, -'.json'.length));
    if (!existsSync(snapshot)) continue;
    try {
      const doc = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { time?: string; sha256?: string; clusterId?: string; revision?: number; memberName?: string };
      const at = Date.parse(doc.time ?? '');
      if (!doc.sha256 || !Number.isFinite(at)) continue;
      out.push({ source: 'sidecar', at, file: snapshot, clusterId: doc.clusterId, revision: doc.revision, member: doc.memberName });
    } catch {
      // not a sidecar
    }
  }
  return out;
}

/** The audit log's records (the last AUDIT_TAIL_BYTES of it); none when it does not exist. */
export function readAuditLines(path: string): AuditLine[] {
  let text: string;
  try {
    const size = statSync(path).size;
    const start = Math.max(0, size - AUDIT_TAIL_BYTES);
    const fd = openSync(path, 'r');
    try {
      const buffer = Buffer.alloc(size - start);
      readSync(fd, buffer, 0, buffer.length, start);
      text = buffer.toString('utf8');
    } finally {
      closeSync(fd);
    }
    if (start > 0) text = text.slice(text.indexOf('\n') + 1);
  } catch {
    return [];
  }
  const out: AuditLine[] = [];
  for (const line of text.split('\n')) {
    const record = parseAuditLine(line);
    if (record) out.push(record);
  }
  return out;
}

/** Successful snapshot-save runs of the audit log as backup evidence. */
export function auditBackups(lines: AuditLine[]): BackupEvidence[] {
  return lines
    .filter((l) => l.command === 'snapshot-save' && l.outcome === 'succeeded' && typeof l.arguments.file === 'string')
    .map((l) => ({ source: 'audit' as const, at: Date.parse(l.time), file: String(l.arguments.file), clusterId: l.clusterId, member: typeof l.arguments.from === 'string' ? l.arguments.from : undefined }))
    .filter((e) => Number.isFinite(e.at));
}

/** Size and mtime of a file, to re-read it only when it changed. */
export function fileStamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return 'none';
  }
}
