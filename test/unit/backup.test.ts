/** Backup age from sidecars and the audit log, and operator actions as timeline events. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backupReasons, operatorEvents, type AuditLine } from '../../src/health/backup.js';
import { auditBackups, readAuditLines, readSidecars } from '../../src/monitor/backup.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const H = 3_600_000;

test('sidecars with their snapshot next to them count; the newest of this cluster decides; older than 24 h warns with S as the fix', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-backups-'));
  try {
    const write = (name: string, hoursAgo: number, clusterId: string, withFile = true) => {
      if (withFile) fs.writeFileSync(path.join(dir, name), 'db');
      fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify({ time: new Date(NOW - hoursAgo * H).toISOString(), sha256: 'ab', clusterId, revision: 9, memberName: 'm1' }));
    };
    write('old.db', 50, 'c1');
    write('other-cluster.db', 1, 'c2');
    write('deleted.db', 2, 'c1', false);
    fs.writeFileSync(path.join(dir, 'notes.json'), '{"x":1}');
    const evidence = readSidecars(dir);
    assert.deepEqual(evidence.map((e) => path.basename(e.file)).sort(), ['old.db', 'other-cluster.db']);
    const [line] = backupReasons(evidence, { now: NOW, backupDir: dir, clusterId: 'c1' });
    assert.equal(line.level, 'warn');
    assert.match(line.text, /old\.db \(2026-12-01 10:00 UTC, from m1\) is 2 days old \(older than 24 h\): press S to save one/);
    assert.equal(backupReasons(evidence, { now: NOW, backupDir: dir, clusterId: 'c2' })[0].level, 'ok');
    assert.match(backupReasons([], { now: NOW, backupDir: dir })[0].text, /no verified snapshot of this cluster in .*: press S to save one/);
    assert.deepEqual(backupReasons([], { now: NOW }), [], 'no backup dir and no snapshot ever saved: the check is off');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the audit log: successful snapshot saves are backups; every record of this cluster is an operator event', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-audit-'));
  try {
    const file = path.join(dir, 'audit.jsonl');
    const rec = (time: string, command: string, args: Record<string, unknown>, outcome: string, user = 'alice', clusterId = 'c1'): AuditLine => ({ time, user, context: 'prod', command, arguments: args, clusterId, outcome });
    fs.writeFileSync(
      file,
      [
        rec('2026-12-03T08:12:00Z', 'remove', { member: 'm3', id: '1' }, 'succeeded'),
        rec('2026-12-03T09:00:00Z', 'snapshot-save', { file: '/b/s.db', from: 'm1' }, 'succeeded', 'bob'),
        rec('2026-12-03T09:30:00Z', 'snapshot-save', { file: '/b/t.db', from: 'm1' }, 'failed'),
        rec('2026-12-03T10:00:00Z', 'add-learner', { name: 'm4' }, 'succeeded', 'alice', 'c9'),
      ]
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n{"torn',
    );
    const lines = readAuditLines(file);
    assert.equal(lines.length, 4);
    assert.deepEqual(auditBackups(lines).map((b) => [b.file, b.member]), [['/b/s.db', 'm1']]);
    const events = operatorEvents(lines, { clusterId: 'c1', context: 'prod', me: 'alice' });
    assert.deepEqual(events.map((e) => e.text), ['you: remove m3 (succeeded)', 'bob: snapshot save /b/s.db (succeeded)', 'you: snapshot save /b/t.db (failed)']);
    assert.ok(events.every((e) => e.kind === 'operator'));
    assert.deepEqual(readAuditLines(path.join(dir, 'missing.jsonl')), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a context may name its backup directory (relative to the contexts file); it reaches the settings', async () => {
  const { parseContextsFile, contextToYaml } = await import('../../src/cli/contexts.js');
  const file = parseContextsFile('current: prod\ncontexts:\n  - name: prod\n    endpoints: [https://10.0.0.1:2379]\n    backupDir: backups/prod\n', '/etc/etcd-tui/contexts.yaml');
  assert.equal(file.contexts[0].backupDir, '/etc/etcd-tui/backups/prod');
  assert.equal(contextToYaml(file.contexts[0]).backupDir, '/etc/etcd-tui/backups/prod');
  assert.throws(() => parseContextsFile('contexts:\n  - name: prod\n    endpoints: [https://10.0.0.1:2379]\n    backupDir: 5\n', '/x.yaml'), /backupDir must be a directory path/);
});

test('a member added by a flow is named in the timeline while it has not started', async () => {
  const { namesFromAudit, nameUnstarted } = await import('../../src/health/backup.js');
  const line = {
    time: '2026-12-03T08:00:00Z', user: 'a', context: 'prod', command: 'add-learner', outcome: 'succeeded',
    arguments: { name: 'm4', peerURLs: ['https://10.0.0.4:2380'] },
    after: { members: [{ hexId: '8e9e05c52164694d', name: 'm1', peerURLs: ['https://10.0.0.1:2380'] }, { hexId: '7dbe1234', name: '', peerURLs: ['https://10.0.0.4:2380'] }] },
  };
  const names = namesFromAudit([line]);
  assert.deepEqual(names, { '7dbe1234': 'm4' });
  assert.equal(nameUnstarted('(unstarted 7dbe1234) joined as a learner', names), 'm4 (7dbe1234) joined as a learner');
  assert.equal(nameUnstarted('(unstarted abcd) joined', names), '(unstarted abcd) joined');
});
