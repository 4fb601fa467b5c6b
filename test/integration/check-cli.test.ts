/**
 * `etcd-tui check consistency` on a real cluster: a healthy cluster agrees; then one member's data
 * is made to differ. The fault: bit rot. m3 is stopped cleanly, one value is rewritten in place in
 * its bbolt file (same length, so the file stays a valid database and etcd starts on it without
 * noticing), and m3 is started again. Its HashKV then differs from the others at the same revision.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { runCli, showCli } from '../harness/cli.js';
import { waitFor } from '../harness/wait.js';

const GOOD = 'consistency-probe-AAAAAAAAAAAAAAAAAAAAAAAA';
const ROTTEN = 'consistency-probe-BBBBBBBBBBBBBBBBBBBBBBBB';

describe('etcd-tui check consistency', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster({ members: 3 });
    for (let i = 0; i < 20; i++) {
      const r = await cluster.etcdctl(['put', `/app/key-${i}`, i === 7 ? GOOD : `value-${i}`]);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => {
    await cluster?.stop();
  });

  test('a healthy cluster agrees: one hash, exit 0', async () => {
    const r = await runCli(['check', 'consistency', '--endpoints', cluster.endpoints.join(',')], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, showCli(r));
    assert.match(r.stdout, /ok {3}consistency check: 3 members agree on KV hash \d+ at revision \d+/);
    assert.match(r.stderr, /3\/3 members done/);
    const json = await runCli(['check', 'consistency', '--json', '--endpoints', cluster.endpoints[0]], { timeoutMs: 60_000 });
    const doc = JSON.parse(json.stdout) as { answers: Array<{ member: string; hash: string; ok: boolean }>; differing: string[]; exitCode: number };
    assert.equal(doc.exitCode, 0);
    assert.equal(new Set(doc.answers.map((a) => a.hash)).size, 1);
    assert.deepEqual(doc.answers.map((a) => a.member).sort(), ['m1', 'm2', 'm3']);
  });

  test('a member whose DB differs (a value rewritten in its bbolt file) is named: exit 2, replace it', async () => {
    const m3 = cluster.member('m3');
    await cluster.kill('m3', 'SIGTERM');
    const db = path.join(m3.dataDir, 'member', 'snap', 'db');
    const bytes = fs.readFileSync(db);
    let hits = 0;
    for (let at = bytes.indexOf(GOOD); at >= 0; at = bytes.indexOf(GOOD, at + 1)) {
      bytes.write(ROTTEN, at, 'latin1');
      hits += 1;
    }
    assert.ok(hits > 0, 'the value is in the bbolt file');
    fs.writeFileSync(db, bytes);
    await cluster.restart('m3');
    const local = await cluster.etcdctl(['get', '/app/key-7', '--print-value-only', '--consistency=s', `--endpoints=${m3.clientURL}`]);
    assert.equal(local.stdout.trim(), ROTTEN, 'm3 serves the rotten value');
    const r = await waitFor(async () => {
      const run = await runCli(['check', 'consistency', '--endpoints', cluster.endpoints.join(',')], { timeoutMs: 60_000 });
      return run.code === 2 ? run : undefined;
    }, { what: 'check consistency exit 2', timeoutMs: 30_000, intervalMs: 500 });
    assert.match(r.stdout, /CRIT m3: KV hash \d+ at revision \d+ differs from the other members' \d+: its data diverged; replace this member/);
    assert.match(r.stdout, /m3\s+\d+\s+never\s+\d+ ms\s+DIFFERS/);
    assert.doesNotMatch(r.stdout, /m1: KV hash|m2: KV hash/);
  });

  test('usage: an unknown check is refused with exit 4', async () => {
    const r = await runCli(['check', 'everything', '--endpoints', cluster.endpoints[0]], { timeoutMs: 30_000 });
    assert.equal(r.code, 4, showCli(r));
    assert.match(r.stderr, /check: unknown check "everything"/);
  });
});
