/**
 * The audit log followed by the console (src/monitor/audit-tail.ts), on a real file: read once, then
 * only what is appended; a torn last line waits; truncated, rewritten or rotated logs are read afresh;
 * only the newest window is kept. Then the inspect monitor on it: appends reach the timeline and the
 * backup age, a truncation empties them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuditTail, parseAuditLine } from '../../src/monitor/audit-tail.js';
import { createAppStore } from '../../src/store/store.js';
import { pollOnce } from '../../src/monitor/poller.js';
import { InspectMonitor } from '../../src/monitor/inspect.js';
import { FakeGateway } from '../fakes/fake-gateway.js';
import { waitFor } from '../harness/wait.js';

let n = 0;
/** One audit line (JSON) with a distinct time; `pad` makes it longer. */
function rec(command: string, args: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): string {
  n++;
  return JSON.stringify({ time: new Date(Date.UTC(2026, 11, 3, 10, 0, n)).toISOString(), user: 'alice', context: 'test', command, arguments: args, outcome: 'succeeded', ...extra });
}

function withDir(body: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-tui-audit-tail-'));
    try {
      await body(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

const commands = (t: AuditTail) => t.lines.map((l) => l.command);

test('a record line parses; a torn, foreign or blank line does not', () => {
  assert.deepEqual(parseAuditLine(JSON.stringify({ time: 't', command: 'remove' })), { time: 't', command: 'remove', arguments: {} });
  assert.equal(parseAuditLine('{"time":"t","comm'), undefined);
  assert.equal(parseAuditLine('{"x":1}'), undefined);
  assert.equal(parseAuditLine('  '), undefined);
});

test(
  'read once, then only the appended tail; a torn last line waits for its end',
  withDir(async (dir) => {
    const file = path.join(dir, 'audit.jsonl');
    const tail = new AuditTail(file);
    assert.equal(tail.ready, false);
    assert.equal(await tail.refresh(), true, 'the first look reports, even with no log');
    assert.deepEqual([tail.ready, tail.lines], [true, []]);
    assert.equal(await tail.refresh(), false, 'still no log: nothing changed');

    fs.writeFileSync(file, [rec('remove'), rec('snapshot-save', { file: '/b/1.db' })].join('\n') + '\n');
    assert.equal(await tail.refresh(), true);
    assert.deepEqual(commands(tail), ['remove', 'snapshot-save']);
    assert.equal(await tail.refresh(), false, 'unchanged log: nothing read');

    // An append and a line the writer has not finished yet.
    const torn = rec('add-learner', { name: 'm4' });
    fs.appendFileSync(file, rec('compact') + '\n' + torn.slice(0, 20));
    assert.equal(await tail.refresh(), true);
    assert.deepEqual(commands(tail), ['remove', 'snapshot-save', 'compact']);
    fs.appendFileSync(file, torn.slice(20) + '\n');
    assert.equal(await tail.refresh(), true);
    assert.deepEqual(commands(tail), ['remove', 'snapshot-save', 'compact', 'add-learner']);

    // Only the tail is read: a change early in the file (same length, far from the end) goes unseen.
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from('XXXXXX'), 0, 6, 30);
    fs.closeSync(fd);
    fs.appendFileSync(file, rec('defrag') + '\n');
    assert.equal(await tail.refresh(), true);
    assert.deepEqual(commands(tail), ['remove', 'snapshot-save', 'compact', 'add-learner', 'defrag']);
    assert.equal(tail.fullReads, 1, 'one full read in all');

    // Two looks at once share one read.
    fs.appendFileSync(file, rec('move-leader') + '\n');
    const [a, b] = await Promise.all([tail.refresh(), tail.refresh()]);
    assert.deepEqual([a, b], [true, true]);
    assert.equal(commands(tail).filter((c) => c === 'move-leader').length, 1);
  }),
);

test(
  'a truncated, rewritten, rotated or removed log is read afresh',
  withDir(async (dir) => {
    const file = path.join(dir, 'audit.jsonl');
    fs.writeFileSync(file, [rec('remove'), rec('compact'), rec('defrag')].join('\n') + '\n');
    const tail = new AuditTail(file);
    await tail.refresh();
    assert.deepEqual(commands(tail), ['remove', 'compact', 'defrag']);

    // Truncated (same file, shorter): what is there now.
    fs.truncateSync(file, 0);
    fs.appendFileSync(file, rec('promote') + '\n');
    assert.equal(await tail.refresh(), true);
    assert.deepEqual(commands(tail), ['promote']);
    assert.equal(tail.fullReads, 2);

    // Rewritten in place, longer than before (same inode, the bytes before the offset differ).
    fs.writeFileSync(file, [rec('replace', { name: 'm5' }), rec('snapshot-save', { file: '/b/2.db' }), rec('upgrade')].join('\n') + '\n');
    assert.equal(await tail.refresh(), true);
    assert.deepEqual(commands(tail), ['replace', 'snapshot-save', 'upgrade']);
    assert.equal(tail.fullReads, 3);

    // Rotated: the old log renamed, a new one (larger than the old) at the path.
    fs.renameSync(file, `${file}.1`);
    fs.writeFileSync(file, [rec('restart-all', { pad: 'x'.repeat(400) }), rec('rotate-certs')].join('\n') + '\n');
    assert.equal(await tail.refresh(), true);
    assert.deepEqual(commands(tail), ['restart-all', 'rotate-certs']);
    assert.equal(tail.fullReads, 4);
    fs.appendFileSync(`${file}.1`, rec('ignored') + '\n');
    assert.equal(await tail.refresh(), false, 'the rotated file is not followed');

    // Removed: no records.
    fs.rmSync(file);
    assert.equal(await tail.refresh(), true);
    assert.deepEqual(tail.lines, []);
    assert.equal(await tail.refresh(), false);
  }),
);

test(
  'only the newest window is kept: a large log is read from its end, appends push the oldest out',
  withDir(async (dir) => {
    const file = path.join(dir, 'audit.jsonl');
    const lines = Array.from({ length: 20 }, (_, i) => rec(`c${i}`));
    const size = Buffer.byteLength(lines[0]) + 1;
    fs.writeFileSync(file, lines.join('\n') + '\n');
    // A window of five and a half lines: the first line in it is cut and dropped.
    const tail = new AuditTail(file, Math.floor(size * 5.5));
    await tail.refresh();
    assert.deepEqual(commands(tail), ['c15', 'c16', 'c17', 'c18', 'c19']);
    fs.appendFileSync(file, [rec('d1'), rec('d2')].join('\n') + '\n');
    await tail.refresh();
    assert.deepEqual(commands(tail), ['c17', 'c18', 'c19', 'd1', 'd2']);
    assert.equal(tail.fullReads, 1);
  }),
);

test(
  'the inspect monitor follows the log: an append reaches the timeline and the backup age; a truncation empties them',
  withDir(async (dir) => {
    const file = path.join(dir, 'audit.jsonl');
    const gateway = new FakeGateway();
    const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 3_600_000).toISOString();
    const line = (hoursAgo: number, command: string, args: Record<string, unknown>) => JSON.stringify({ time: at(hoursAgo), user: 'alice', context: 'test', command, arguments: args, clusterId: gateway.clusterId, outcome: 'succeeded' });
    fs.writeFileSync(file, line(30, 'snapshot-save', { file: '/b/old.db', from: 'm1' }) + '\n');
    const connection = { contextName: 'test', endpoints: ['http://127.0.0.1:2389'], readOnly: false, refreshMs: 1000, secure: false };
    const settings = { contextName: 'test', endpoints: connection.endpoints, tls: {}, dialTimeoutMs: 1000, commandTimeoutMs: 1000, refreshMs: 1000, readOnly: false };
    const store = createAppStore({ connection });
    store.getState().applyBatch(await pollOnce(gateway));
    const monitor = new InspectMonitor(store, settings, gateway, Date.now, file);
    const backupText = () => store.getState().inspect.checks.backup?.map((r) => r.text).join('\n') ?? '';
    try {
      monitor.start();
      await waitFor(() => store.getState().inspect.newestBackup?.file === '/b/old.db', { what: 'the old snapshot as newest backup', timeoutMs: 5000 });
      assert.match(backupText(), /\/b\/old\.db .* is 30 h old/);
      fs.appendFileSync(file, line(0.1, 'snapshot-save', { file: '/b/new.db', from: 'm2' }) + '\n');
      await waitFor(() => store.getState().inspect.newestBackup?.file === '/b/new.db', { what: 'the appended snapshot', timeoutMs: 5000 });
      assert.equal(backupText(), '', 'a fresh snapshot: no backup problem');
      assert.equal(store.getState().inspect.operatorEvents.length, 2);
      fs.truncateSync(file, 0);
      await waitFor(() => store.getState().inspect.operatorEvents.length === 0, { what: 'the timeline emptied', timeoutMs: 5000 });
      assert.equal(store.getState().inspect.newestBackup, undefined);
    } finally {
      monitor.stop();
    }
  }),
);
