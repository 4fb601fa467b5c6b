/**
 * The rolling engine's file changes over SSH against simulated hosts (real etcd 3.4.23, mTLS, own sshd
 * and systemctl stand-in per host), the built binary headless:
 *   1. config set quota-backend-bytes: the diff per host in the preview (dry run changes nothing);
 *      then every env file has the new line and every member shows the new quota in its /metrics;
 *      an unknown KEY is refused with the list of known ones;
 *      a member that cannot start on its new file is rolled back (old file back, restarted), the others
 *      untouched; a run killed (SIGKILL) after a member's new env file is in place: `etcd-tui undo RUN` replays the
 *      journal's undo steps (the old file back, the member restarted);
 *   2. rotate-certs: a CA dir with a bad certificate (wrong SANs) is refused in preflight, nothing
 *      changes; a CA dir from another CA is planned as the three-phase CA change (dry run: nothing
 *      changes; the run itself: test/integration/ca-rotation.test.ts); new certificates from the same CA:
 *      the serial each member presents changes to the new certificate's, the cluster healthy.
 */
import { after, before, describe, test } from '../harness/skip.js';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import { join } from 'node:path';
import YAML from 'yaml';
import { simHostsSkipReason, type SimHosts } from '../harness/hosts.js';
import { bootstrappedSimCluster, type SimCluster } from '../harness/sim-cluster.js';
import { addNode, makeClusterPki, type ClusterPki } from '../harness/certs.js';
import { runCli, showCli, startCli } from '../harness/cli.js';
import { waitFor } from '../harness/wait.js';
import { repoRoot } from '../harness/binaries.js';

const skip = simHostsSkipReason();

describe('config change and certificate rotation over SSH (simulated hosts, etcd 3.4.23)', { skip: skip ? `skipped: ${skip}` : false }, () => {
  let cluster: SimCluster | undefined;
  let sim: SimHosts;
  let pki: ClusterPki;
  let dir: string;
  let config: string;
  let audit: string;
  const names = ['c1', 'c2', 'c3'];

  const cli = (args: string[], timeoutMs = 420_000) => runCli(['--config', config, '--audit-log', audit, ...args], { timeoutMs, cwd: dir });
  const urlOf = (i: number) => `https://${sim.hosts[i].address}:2379`;

  /** The serial the member presents in the TLS handshake (upper-case hex). */
  const presentedSerial = (i: number) =>
    new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: sim.hosts[i].address, port: 2379, ca: readFileSync(pki.ca), cert: readFileSync(pki.admin), key: readFileSync(pki.adminKey), rejectUnauthorized: false }, () => {
        const serial = socket.getPeerX509Certificate()?.serialNumber ?? '';
        socket.destroy();
        resolve(serial.toUpperCase());
      });
      socket.setTimeout(10_000, () => socket.destroy(new Error('handshake timeout')));
      socket.on('error', reject);
    });

  /** The member's /metrics text. */
  const metrics = (i: number) =>
    new Promise<string>((resolve, reject) => {
      const req = https.get(`${urlOf(i)}/metrics`, { ca: readFileSync(pki.ca), cert: readFileSync(pki.admin), key: readFileSync(pki.adminKey), timeout: 10_000 }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(body));
      });
      req.on('timeout', () => req.destroy(new Error('metrics timeout')));
      req.on('error', reject);
    });

  /** A copy of the cluster's CA (same CA) with new member certificates, optionally other SANs for one host. */
  const reissue = (name: string, badSans?: { host: string; sans: string[] }): string => {
    const d = join(dir, name);
    mkdirSync(d, { mode: 0o700 });
    copyFileSync(pki.ca, join(d, 'ca.pem'));
    copyFileSync(pki.caKey, join(d, 'ca-key.pem'));
    const copy: ClusterPki = { ...pki, dir: d, ca: join(d, 'ca.pem'), caKey: join(d, 'ca-key.pem') };
    sim.hosts.forEach((h) => addNode(copy, h.name, badSans?.host === h.name ? badSans.sans : [`IP:${h.address}`, 'IP:127.0.0.1']));
    return d;
  };

  before(async () => {
    cluster = await bootstrappedSimCluster({ names, context: 'change', dirPrefix: 'etcd-tui-rolling-change-' });
    ({ sim, pki, dir, config, audit } = cluster);
  });

  after(async () => {
    await cluster?.stop();
  });

  test('config set: an unknown KEY is refused with the known ones; the dry run shows the diff per host and changes nothing', async () => {
    const bad = await cli(['config', 'set', 'quota-bytes=1GB', '--dry-run']);
    assert.equal(bad.code, 4, showCli(bad));
    assert.match(bad.stderr + bad.stdout, /unknown setting "quota-bytes"; known: quota-backend-bytes, .*log-level/);
    const dry = await cli(['config', 'set', 'quota-backend-bytes=512MiB', '--dry-run']);
    assert.equal(dry.code, 0, showCli(dry));
    for (const n of names) assert.match(dry.stdout, new RegExp(`${n}: ETCD_QUOTA_BACKEND_BYTES=268435456 -> ETCD_QUOTA_BACKEND_BYTES=536870912`), showCli(dry));
    assert.match(dry.stdout, /verified on each member: quota-backend-bytes in its \/metrics/);
    // An audit log that cannot be written (a directory) is refused before anything changes (exit 5).
    const unwritable = await runCli(['--config', config, '--audit-log', dir, 'config', 'set', 'quota-backend-bytes=512MiB', '--yes'], { timeoutMs: 120_000, cwd: dir });
    assert.equal(unwritable.code, 5, showCli(unwritable));
    assert.match(unwritable.stderr + unwritable.stdout, /refused: .*audit/, showCli(unwritable));
    for (const h of sim.hosts) assert.match((await h.readFile('/etc/etcd/etcd.env')) ?? '', /^ETCD_QUOTA_BACKEND_BYTES=268435456$/m);
  });

  test('config set quota-backend-bytes on all hosts: every env file has it and every member shows it', async () => {
    const r = await cli(['config', 'set', 'quota-backend-bytes=512MiB', '--yes']);
    assert.equal(r.code, 0, showCli(r));
    const dones = [...r.stdout.matchAll(/ok: (c\d) done/g)].map((m) => m[1]);
    assert.deepEqual([...dones].sort(), names, showCli(r));
    for (const [i, h] of sim.hosts.entries()) {
      const env = (await h.readFile('/etc/etcd/etcd.env')) ?? '';
      assert.match(env, /^ETCD_QUOTA_BACKEND_BYTES=536870912$/m, `${h.name}'s env file`);
      assert.match(env, /^ETCD_INITIAL_CLUSTER_STATE=new$/m, 'the rest of the file rendered as bootstrap did');
      const m = /^etcd_server_quota_backend_bytes (\S+)$/m.exec(await metrics(i));
      assert.equal(Number(m?.[1]), 536870912, `${h.name} runs with the new quota`);
    }
    // Every member took it: the context's etcd settings say so now; the old contexts file is kept beside it.
    const backup = /the old file kept as (\S+)\)/.exec(r.stdout)?.[1];
    if (!backup?.startsWith(`${config}.etcd-tui-backup-`)) assert.fail(showCli(r));
    assert.equal((YAML.parse(readFileSync(config, 'utf8')) as { contexts: Array<{ etcd: { quota: unknown } }> }).contexts[0].etcd.quota, 536870912);
    assert.equal((YAML.parse(readFileSync(backup, 'utf8')) as { contexts: Array<{ etcd: { quota: unknown } }> }).contexts[0].etcd.quota, '256MiB');
    const again = await cli(['config', 'set', 'quota-backend-bytes=512MiB', '--dry-run']);
    assert.equal(again.code, 5, showCli(again));
    assert.match(again.stdout, /nothing to change/);
  });

  test('config set: a member that does not come back on its new file is rolled back (old file, restarted); the run stops, the others untouched', async () => {
    // A template override that renders a value etcd refuses at start: the first member cannot come back.
    const tpl = join(dir, 'templates-bad');
    mkdirSync(tpl);
    writeFileSync(join(tpl, 'etcd.env.hbs'), `${readFileSync(join(repoRoot(), 'templates', 'etcd.env.hbs'), 'utf8')}\nETCD_MAX_TXN_OPS=notanumber\n`);
    const original = await Promise.all(sim.hosts.map((h) => h.readFile('/etc/etcd/etcd.env')));
    // The contexts file as bootstrap saved it (endpoints, TLS files), with the override dir added.
    const saved = readFileSync(config, 'utf8');
    const file = YAML.parse(saved) as { contexts: Array<{ etcd: Record<string, unknown> }> };
    file.contexts[0].etcd.templatesDir = tpl;
    writeFileSync(config, YAML.stringify(file));
    let r;
    try {
      r = await cli(['config', 'set', 'snapshot-count=20000', '--wait', '20s', '--yes']);
    } finally {
      writeFileSync(config, saved);
    }
    assert.equal(r.code, 6, showCli(r));
    const first = /\[\d+\/\d+\] Put the new \/etc\/etcd\/etcd\.env on (c\d)/.exec(r.stdout)?.[1];
    assert.ok(first, showCli(r));
    assert.match(r.stdout, new RegExp(`rollback: ${first}: restored /etc/etcd/etcd\\.env from`));
    assert.match(r.stdout, new RegExp(`rollback: ${first}: restarted etcd\\.service; ${first} answers again on 3\\.4\\.23`));
    assert.match(r.stdout, /STATE: .*; the member in flight was rolled back/);
    assert.doesNotMatch(r.stdout, /ok: c\d done/, 'no member was done: the run stopped at the first');
    assert.deepEqual(await Promise.all(sim.hosts.map((h) => h.readFile('/etc/etcd/etcd.env'))), original, 'every env file is as before');
    await waitFor(async () => (await cli(['status'])).code === 0, { timeoutMs: 60_000, intervalMs: 500, what: 'the cluster healthy again' });
  });

  test('config set killed after the first new env file: etcd-tui undo RUN puts the old file back and restarts the member', async () => {
    const original = await Promise.all(sim.hosts.map((h) => h.readFile('/etc/etcd/etcd.env')));
    const run = startCli(['--config', config, '--audit-log', audit, 'config', 'set', 'log-level=debug', '--yes'], { timeoutMs: 240_000, cwd: dir });
    let changed = -1;
    try {
      await waitFor(
        async () => {
          if (run.exited()) throw new Error(`the run ended before a file changed: ${run.stdout()}`);
          const files = await Promise.all(sim.hosts.map((h) => h.readFile('/etc/etcd/etcd.env')));
          changed = files.findIndex((f) => /^ETCD_LOG_LEVEL=debug$/m.test(f ?? ''));
          return changed >= 0;
        },
        { timeoutMs: 120_000, intervalMs: 50, what: 'the first new env file in place' },
      );
      run.kill();
    } finally {
      run.kill();
    }
    const killed = await run.done;
    const id = /^run (\S+): journal in /m.exec(killed.stdout)?.[1];
    assert.ok(id, showCli(killed));
    assert.doesNotMatch(killed.stdout, /ok: c\d done/, 'killed before any member was done');
    assert.match(killed.stdout, /c1: \(absent\) -> ETCD_LOG_LEVEL=debug/);
    assert.doesNotMatch(killed.stdout, /ETCD_QUOTA_BACKEND_BYTES=536870912 ->/, 'the earlier quota change is kept (the contexts file still says 256MiB)');
    const undo = await cli(['undo', id, '--yes']);
    assert.equal(undo.code, 0, showCli(undo));
    const h = sim.hosts[changed];
    assert.match(undo.stdout, new RegExp(`${h.name}: restored /etc/etcd/etcd\\.env from`));
    assert.match(undo.stdout, new RegExp(`${h.name}: restarted etcd\\.service`));
    assert.equal(await h.readFile('/etc/etcd/etcd.env'), original[changed], 'the old env file is back');
    const st = await cli(['status']);
    assert.equal(st.code, 0, showCli(st));
  });

  test('rotate-certs: a bad new certificate (wrong SANs) is refused in preflight; another CA is planned as a CA change (dry run); nothing changes', async () => {
    const before = await Promise.all(names.map((_, i) => presentedSerial(i)));
    const bad = reissue('pki-bad', { host: 'c2', sans: ['IP:10.9.9.9'] });
    const r = await cli(['rotate-certs', '--ca-dir', bad, '--yes']);
    assert.equal(r.code, 5, showCli(r));
    assert.match(r.stdout, /REFUSED: the new certificates do not pass the checks.*c2: .*do not cover/);
    const other = makeClusterPki(join(dir, 'pki-other'), sim.hosts.map((h) => ({ name: h.name, ip: h.address })));
    const contexts = readFileSync(config, 'utf8');
    const r2 = await cli(['rotate-certs', '--ca-dir', other.dir, '--dry-run']);
    assert.equal(r2.code, 0, showCli(r2));
    assert.match(r2.stdout, /CA change from .*pki-other: phase 1, 2, 3 of 3/);
    assert.match(r2.stdout, /phase 1 \(trusted CA files become a bundle of the old and the new CA\): c1: \/etc\/etcd\/pki\/ca\.pem/);
    assert.equal(readFileSync(config, 'utf8'), contexts, 'the contexts file is as before');
    const one = await cli(['rotate-certs', '--ca-dir', other.dir, '--phase', '2', '--dry-run']);
    assert.equal(one.code, 5, showCli(one));
    assert.match(one.stdout, /phase 2 needs phase 1 done on every member first/);
    assert.deepEqual(await Promise.all(names.map((_, i) => presentedSerial(i))), before, 'no member changed its certificate');
  });

  test('rotate-certs on 3 hosts: the serial each member presents changes to the new certificate', async () => {
    const before = await Promise.all(names.map((_, i) => presentedSerial(i)));
    const fresh = reissue('pki-new');
    const expected = names.map((n) => new X509Certificate(readFileSync(join(fresh, `member-${n}.pem`))).serialNumber.toUpperCase());
    const r = await cli(['rotate-certs', '--ca-dir', fresh, '--yes']);
    assert.equal(r.code, 0, showCli(r));
    assert.match(r.stdout, /presents the new certificate/);
    const after = await Promise.all(names.map((_, i) => presentedSerial(i)));
    names.forEach((n, i) => {
      assert.notEqual(after[i], before[i], `${n} presents another certificate`);
      assert.equal(after[i], expected[i], `${n} presents the new certificate`);
    });
    const st = await cli(['status']);
    assert.equal(st.code, 0, showCli(st));
  });
});
