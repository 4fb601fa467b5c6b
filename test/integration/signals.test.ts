/**
 * A headless flow stopped by what automation sends: SIGTERM (timeout, systemd, CI) and SIGHUP (a closed
 * terminal) take the same abort path as Ctrl-C: the "aborting" line, the wait ends at once, the audit
 * record says aborted, exit 7. Before the first step (still looking at the cluster), a signal ends the
 * command with one line saying no step ran, exit 7, no audit record. Real etcd 3.4 cluster; the built binary.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { runCli, showCli as show, startCli } from '../harness/cli.js';
import { signalTracked } from '../harness/registry.js';
import { StopWaiting, waitFor } from '../harness/wait.js';

describe('a headless flow aborted by SIGTERM or SIGHUP (etcd 3.4)', () => {
  let cluster: TestCluster;
  let dir: string;
  let common: string[];
  let learnerId: string;

  before(async () => {
    cluster = await startCluster({ members: 3, version: '3.4' });
    dir = mkdtempSync(join(tmpdir(), 'etcd-tui-signals-'));
    common = ['--endpoints', cluster.endpoints.join(','), '--audit-log', join(dir, 'audit.jsonl')];
    // A learner that is never started: promote waits for it until the signal comes.
    const m4 = await cluster.planMember('m4');
    const add = await runCli(['member', 'add-learner', '--name', 'm4', '--peer-urls', m4.peerURL, '--yes', ...common], { timeoutMs: 60_000 });
    assert.equal(add.code, 0, show(add));
    learnerId = /ok: member ([0-9a-f]+) added as a learner/.exec(add.stdout)?.[1] ?? '';
    assert.ok(learnerId, show(add));
  });
  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    test(`${signal} during a wait: "aborting", ABORTED, audit outcome aborted, exit 7`, async () => {
      const running = startCli(['member', 'promote', learnerId, '--yes', '--wait', '5m', ...common], { timeoutMs: 90_000 });
      try {
        await waitFor(
          () => {
            if (/^\[1\/3\] waiting for .* to start/m.test(running.stdout())) return true;
            if (running.exited()) throw new StopWaiting('promote exited before it waited for the learner');
            return undefined;
          },
          { timeoutMs: 30_000, what: 'promote to wait for the unstarted learner' },
        ).catch((error: unknown) => {
          throw new Error(`${(error as Error).message}\n${running.stdout()}`);
        });
        const t0 = Date.now();
        assert.ok(signalTracked(running.pid, signal), `could not send ${signal} to ${running.pid}`);
        const r = await running.done;
        assert.equal(r.code, 7, show(r));
        assert.ok(Date.now() - t0 < 20_000, `the abort took ${Date.now() - t0} ms`);
        assert.match(r.stdout, /^aborting after the current wait \.\.\.$/m);
        assert.match(r.stdout, /^\[1\/3\] FAILED: aborted$/m);
        assert.match(r.stdout, /^ABORTED in .*: aborted during step 1: /m);
        const records = readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { command: string; outcome: string });
        assert.deepEqual({ command: records.at(-1)?.command, outcome: records.at(-1)?.outcome }, { command: 'promote', outcome: 'aborted' });
      } finally {
        running.kill();
        await running.done;
      }
      // Nothing was changed: the learner is still a learner.
      const list = await cluster.etcdctlJson<{ members: Array<{ ID: number; isLearner?: boolean }> }>(['member', 'list']);
      assert.equal(list.members.length, 4);
      assert.equal(list.members.filter((m) => m.isLearner).length, 1);
    });
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} before the first step (the endpoint takes the connection and never answers): one line, no step ran, exit 7`, async () => {
      // A black hole: it accepts and says nothing, so the command is still looking at the cluster.
      const sockets = new Set<Socket>();
      const server = createServer((s) => sockets.add(s));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as AddressInfo).port;
      const audit = join(dir, `before-run-${signal}.jsonl`);
      const running = startCli(['member', 'remove', 'm3', '--yes', '--endpoints', `http://127.0.0.1:${port}`, '--audit-log', audit], { timeoutMs: 60_000 });
      try {
        await waitFor(
          () => {
            if (sockets.size > 0) return true;
            if (running.exited()) throw new StopWaiting('the command exited before it connected');
            return undefined;
          },
          { timeoutMs: 20_000, what: 'the command to connect to the endpoint' },
        );
        assert.ok(signalTracked(running.pid, signal), `could not send ${signal} to ${running.pid}`);
        const r = await running.done;
        assert.equal(r.code, 7, show(r));
        assert.match(r.stderr, new RegExp(`^etcd-tui: interrupted \\(${signal}\\) before the first step: no step ran, nothing was changed$`, 'm'), show(r));
        assert.doesNotMatch(r.stdout + r.stderr, /\[1\/|\n\s+at |unexpected error/, show(r));
        assert.ok(!existsSync(audit), 'an audit record was written');
      } finally {
        running.kill();
        await running.done;
        for (const s of sockets) s.destroy();
        server.close();
      }
    });
  }
});
