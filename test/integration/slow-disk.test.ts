/**
 * A member with a slow disk shows the WAL fsync warning. The fault: strace attached to m3's running
 * etcd (every thread) delays each fdatasync/fsync by 60 ms on its way out, as a slow disk would;
 * the harness still owns etcd, and killing strace detaches it. Two scrapes around some writes:
 * m3's WAL fsync p99 is over the 10 ms threshold, m1's is not delayed.
 */
import { after, before, describe, test } from '../harness/skip.js';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { signalTracked, trackProcess, untrackProcess } from '../harness/registry.js';
import { waitFor } from '../harness/wait.js';
import { EtcdGateway } from '../../src/cluster/etcd-gateway.js';
import { MetricsScraper } from '../../src/monitor/metrics.js';
import { metricReasons } from '../../src/health/metrics.js';

describe('a slow disk', { skip: process.getuid?.() !== 0 ? 'needs root to ptrace' : undefined }, () => {
  let cluster: TestCluster;
  let tracer: ChildProcess | undefined;
  before(async () => {
    cluster = await startCluster({ members: 3 });
  });
  after(async () => {
    if (tracer?.pid && tracer.exitCode === null) {
      signalTracked(tracer.pid, 'SIGKILL');
      untrackProcess(tracer.pid);
    }
    await cluster?.stop();
  });

  test('m3 with fsync delayed by 60 ms: "m3: WAL fsync p99 ... (> 10 ms): slow disk"', async () => {
    const gateway = new EtcdGateway({ contextName: 't', endpoints: cluster.endpoints, tls: {}, dialTimeoutMs: 2000, commandTimeoutMs: 5000, refreshMs: 1000, readOnly: false }, { statusMs: 2000, commandMs: 5000, longMs: 60_000 });
    try {
      const { members } = await gateway.memberList();
      const m1 = members.find((m) => m.name === 'm1')!;
      const m3 = members.find((m) => m.name === 'm3')!;
      const scraper = new MetricsScraper(gateway, 5000);
      await scraper.round(members);
      let stderr = '';
      tracer = spawn('strace', ['-f', '-p', String(cluster.member('m3').pid), '-e', 'trace=fdatasync,fsync', '-e', 'inject=fdatasync,fsync:delay_exit=60000', '-o', '/dev/null'], { stdio: ['ignore', 'ignore', 'pipe'] });
      trackProcess({ kind: 'strace', pid: tracer.pid as number });
      tracer.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      await waitFor(() => (/attached/.test(stderr) ? true : tracer?.exitCode !== null ? Promise.reject(new Error(`strace exited: ${stderr}`)) : undefined), { what: 'strace attached to m3', timeoutMs: 10_000, intervalMs: 50 });
      for (let i = 0; i < 15; i++) assert.equal((await cluster.etcdctl(['put', `/slow/${i}`, 'x'])).code, 0);
      const round = await scraper.round(members);
      const slow = metricReasons('m3', round.figures[m3.id]);
      assert.ok(round.figures[m3.id].walFsyncP99Ms! > 50, `m3 WAL fsync p99 ${round.figures[m3.id].walFsyncP99Ms}`);
      assert.match(slow[0]?.text ?? '', /^m3: WAL fsync p99 \d+ ms \(> 10 ms\): slow disk; leader changes follow$/);
      assert.ok((round.figures[m1.id].walFsyncP99Ms ?? 0) < 50, `m1 WAL fsync p99 ${round.figures[m1.id].walFsyncP99Ms}`);
    } finally {
      gateway.close();
    }
  });
});
