/**
 * The CA change in the console, end to end: the built etcd-tui in tmux (80x24) on a TLS cluster of
 * three simulated hosts (real etcd 3.4.23, mTLS, bootstrapped over SSH: test/harness/sim-cluster.ts).
 * `:rotate-certs --ca-dir NEW` with a new CA: the preview shows the three phases, the context's name
 * typed to confirm, the board runs every phase; the console stays connected through the switch of its
 * own TLS files (the dashboard shows 3 members up and healthy; the verdict HEALTHY, or DEGRADED only by
 * the count of leader changes the phases' moves made), each member presents a certificate of
 * the new CA, and the contexts file points at the new CA and client certificate (the old file kept).
 */
import { after, before, describe, test } from '../harness/skip.js';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import tls from 'node:tls';
import { join } from 'node:path';
import YAML from 'yaml';
import { simHostsSkipReason } from '../harness/hosts.js';
import { makeClusterPki, type ClusterPki } from '../harness/certs.js';
import { BIN } from '../harness/cli.js';
import { startTmux, type TmuxSession } from '../harness/tmux.js';
import { bootstrappedSimCluster, type SimCluster } from '../harness/sim-cluster.js';

const skip = simHostsSkipReason();

describe('the CA change in the console (simulated hosts, etcd 3.4.23, mTLS)', { skip: skip ? `skipped: ${skip}` : false }, () => {
  let cluster: SimCluster | undefined;
  let tui: TmuxSession | undefined;
  const names = ['c1', 'c2', 'c3'];

  before(async () => {
    cluster = await bootstrappedSimCluster({ names, context: 'caconsole', dirPrefix: 'etcd-tui-ca-e2e-' });
  });

  after(async () => {
    await tui?.stop();
    await cluster?.stop();
  });

  /** The certificate a member presents on its client URL (not verified: whatever it is). */
  const presented = (address: string) =>
    new Promise<X509Certificate>((resolve, reject) => {
      const socket = tls.connect({ host: address, port: 2379, rejectUnauthorized: false }, () => {
        const c = socket.getPeerX509Certificate();
        socket.destroy();
        if (c) resolve(c);
        else reject(new Error('no certificate'));
      });
      socket.setTimeout(10_000, () => socket.destroy(new Error('handshake timeout')));
      socket.on('error', reject);
    });

  const row = (screen: string, name: string) => screen.split('\n').find((l) => new RegExp(`^[ >] ${name} +`).test(l)) ?? '';

  test(':rotate-certs --ca-dir NEW: three phases previewed, run on the board, the console stays connected, the context points at the new files', async () => {
    const c = cluster!;
    const ca2: ClusterPki = makeClusterPki(join(c.dir, 'pki-ca2'), c.sim.hosts.map((h) => ({ name: h.name, ip: h.address })));
    const ca2Cert = new X509Certificate(readFileSync(ca2.ca));
    tui = startTmux({ cmd: [process.execPath, BIN, ...c.cliArgs(['--refresh', '1s'])], env: { XDG_CONFIG_HOME: '/nonexistent', ETCDCTL_ENDPOINTS: undefined, CI: 'false' }, cwd: c.dir, cols: 80, rows: 24 });
    await tui.waitForText(/HEALTHY/, 30_000);
    tui.send(':');
    tui.type(`rotate-certs --ca-dir ${ca2.dir}`);
    tui.send('Enter');
    // The preflight reads every host's CA files and presented serial; the plan is the three phases.
    let screen = await tui.waitForText(/enter: go on to confirm|REFUSED/, 90_000);
    assert.doesNotMatch(screen, /REFUSED/, screen);
    assert.match(screen.replace(/\s+/g, ''), /phase1,2,3of3/, screen);
    // The phases' lines, scrolled into view (the title above says which phases run: 1, 2, 3 of 3).
    tui.send('PageDown');
    screen = await tui.waitForText(/phase 1 \(trusted CA files become a bundle[\s\S]*phase 2 \(new leaf certificates/, 10_000);
    assert.match(screen, /enter: go on to confirm/, screen);
    tui.send('Enter');
    await tui.waitForText(/Type the context's name \(caconsole\)/, 10_000);
    tui.type('caconsole');
    tui.send('Enter');
    await tui.waitForText(/ROLLING/, 60_000);
    screen = await tui.waitForText(/SUCCEEDED|FAILED|ABORTED|REFUSED/, 330_000);
    assert.match(screen, /SUCCEEDED/, screen);
    tui.send('Escape');
    await tui.waitForNoText('[done]', 10_000);
    // Still connected, on the new files: every member up and healthy. The verdict is HEALTHY, or DEGRADED
    // only by the leadership moves the three phases made (the leader-change count of the last 15 min).
    screen = await tui.waitForText(/MEMBERS \(3\)[\s\S]*3 voters, 3 healthy/, 30_000);
    assert.match(screen, /● (HEALTHY|DEGRADED {2}\d+ leader changes in the last 15 min)\s/, screen);
    assert.match(screen, /all 3 members reachable|HEALTHY/, screen);
    for (const n of names) assert.match(row(screen, n), / up /, screen);
    // Every member presents a certificate of the new CA.
    for (const h of c.sim.hosts) assert.ok((await presented(h.address)).verify(ca2Cert.publicKey), `${h.name} presents a certificate of the new CA`);
    // The contexts file points at the new CA and client certificate; the old one is kept.
    const ctx = (YAML.parse(readFileSync(c.config, 'utf8')) as { contexts: Array<{ name: string; cacert?: string; cert?: string; key?: string }> }).contexts.find((x) => x.name === 'caconsole');
    assert.deepEqual([ctx?.cacert, ctx?.cert, ctx?.key], [ca2.ca, ca2.admin, ca2.adminKey]);
    assert.equal(readdirSync(c.dir).filter((f) => f.startsWith('contexts.yaml.etcd-tui-backup-')).length, 1);
    tui.send('q');
    assert.equal(await tui.waitForExit(20_000), 0);
  });
});
