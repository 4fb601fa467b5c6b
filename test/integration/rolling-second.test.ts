/**
 * A rolling upgrade that fails on the SECOND member (issue 11 tests, second bullet), on simulated
 * hosts with real etcd, the built binary headless: the first member is upgraded to 3.5.16 and done;
 * during --pause-between (the run waits between members) the binary on the bastion is cut short, so
 * the second member gets a binary that cannot start: it is rolled back (the old binary back,
 * restarted, verified), the run stops with the state said (exit 6), the cluster stays healthy, the
 * third member is untouched (no backup file, still its old binary), the first stays on 3.5.16.
 */
import { after, before, describe, test } from '../harness/skip.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simHostsSkipReason, type SimHosts } from '../harness/hosts.js';
import { bootstrappedSimCluster, type SimCluster } from '../harness/sim-cluster.js';
import { type ClusterPki } from '../harness/certs.js';
import { showCli, startCli } from '../harness/cli.js';
import { etcdBinaries, etcdSkipReason } from '../harness/binaries.js';
import { parseJsonExact } from '../harness/json.js';
import { waitFor } from '../harness/wait.js';

const bin35 = etcdBinaries('3.5');
const skip = simHostsSkipReason() ?? (bin35 ? undefined : etcdSkipReason('3.5'));

interface StatusJson {
  Endpoint: string;
  Status: { version: string };
}

describe('rolling upgrade failing on the second member (simulated hosts, etcd 3.4.23 -> 3.5.16)', { skip: skip ? `skipped: ${skip}` : false }, () => {
  let cluster: SimCluster | undefined;
  let sim: SimHosts;
  let pki: ClusterPki;
  let dir: string;
  let config: string;
  let audit: string;
  const names = ['s1', 's2', 's3'];

  const cliArgs = (args: string[]) => ['--config', config, '--audit-log', audit, ...args];
  const endpoints = () => sim.hosts.map((h) => `https://${h.address}:2379`);
  const etcdctl = (args: string[]) =>
    execFileSync('etcdctl', [`--endpoints=${endpoints().join(',')}`, `--cacert=${pki.ca}`, `--cert=${pki.admin}`, `--key=${pki.adminKey}`, '--command-timeout=5s', ...args], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000 });
  const versions = () => Object.fromEntries(parseJsonExact<StatusJson[]>(etcdctl(['endpoint', 'status', '-w', 'json'])).map((s) => [names[endpoints().indexOf(s.Endpoint)], s.Status.version]));

  before(async () => {
    cluster = await bootstrappedSimCluster({ names, context: 'rolling2', dirPrefix: 'etcd-tui-rolling2-' });
    ({ sim, pki, dir, config, audit } = cluster);
  });

  after(async () => {
    await cluster?.stop();
  });

  test('the second member cannot start the new binary: rolled back, the run stops with its state, the third untouched', async () => {
    const newDir = join(dir, 'new');
    mkdirSync(newDir);
    const binary = join(newDir, 'etcd');
    copyFileSync(bin35!.etcd, binary);
    const run = startCli(cliArgs(['upgrade', '--binary', binary, '--pause-between', '20s', '--wait', '30s', '--yes']), { timeoutMs: 480_000, cwd: dir });
    let first = '';
    try {
      // The first member done, the run waits before the next one: cut the binary short now.
      first = await waitFor(() => (run.exited() ? 'exited' : /^ {2}waiting [\d.]+s before (s\d) /m.exec(run.stdout()) && /ok: (s\d) done/.exec(run.stdout())?.[1]), { what: 'the wait after the first member', timeoutMs: 300_000, intervalMs: 100 }).catch((error: unknown) => {
        throw new Error(`${String(error)}\n--- stdout so far ---\n${run.stdout()}`);
      });
      assert.notEqual(first, 'exited', showCli({ code: -1, stdout: run.stdout(), stderr: '', ms: 0 }));
      writeFileSync(binary, readFileSync(bin35!.etcd).subarray(0, 1 << 20), { mode: 0o755 });
    } finally {
      if (!first) run.kill();
    }
    const r = await run.done;
    assert.equal(r.code, 6, showCli(r));
    const second = /^ {2}waiting [\d.]+s before (s\d) /m.exec(r.stdout)?.[1] ?? '';
    const third = names.find((n) => n !== first && n !== second) as string;
    const dones = [...r.stdout.matchAll(/ok: (s\d) done/g)].map((m) => m[1]);
    assert.deepEqual(dones, [first], 'only the first member is done');
    const swapped = [...r.stdout.matchAll(/Put etcd 3\.5\.16 in place on (s\d) \(the old binary kept as a backup\) \.\.\.$/gm)].map((m) => m[1]);
    assert.deepEqual(swapped, [first, second], showCli(r));
    assert.match(r.stdout, new RegExp(`rollback: ${second}: /usr/local/bin/etcd is the old binary again`));
    const state = /^STATE: (.*)$/m.exec(r.stdout)?.[1] ?? '';
    assert.match(state, new RegExp(`${first} 3\\.5\\.16`), state);
    assert.match(state, new RegExp(`${second} 3\\.4\\.23`), state);
    assert.match(state, new RegExp(`${third} 3\\.4\\.23`), state);
    assert.match(state, /the member in flight was rolled back/);
    // The cluster is healthy (mixed versions, as the run left it): every member answers, one leader.
    assert.deepEqual(versions(), { [first]: '3.5.16', [second]: '3.4.23', [third]: '3.4.23' });
    const health = etcdctl(['endpoint', 'health', '-w', 'json']);
    assert.equal(parseJsonExact<Array<{ health: boolean }>>(health).filter((h) => h.health).length, 3, health);
    // The third member was never touched: no backup of its binary next to it.
    const host3 = sim.hosts.find((h) => h.name === third)!;
    const ls = await host3.exec(['ls', '/usr/local/bin']);
    assert.doesNotMatch(ls.stdout, /etcd-tui-backup/, ls.stdout);
    const host2 = sim.hosts.find((h) => h.name === second)!;
    assert.match((await host2.exec(['/usr/local/bin/etcd', '--version'])).stdout, /etcd Version: 3\.4\.23/);
    // The audit record says failed, with the rollback.
    const rec = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { command: string; outcome: string; rollback?: { done: string[] } }).at(-1);
    assert.equal(rec?.command, 'upgrade');
    assert.equal(rec?.outcome, 'failed');
    assert.ok((rec?.rollback?.done.length ?? 0) > 0);
  });
});
