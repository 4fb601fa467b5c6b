/**
 * The restore rehearsal on the sandbox (src/sandbox/hosts.ts): the sandbox's members as hosts through
 * the local host gateway, `systemctl ... etcd.service` mapped onto the sandbox's own process control,
 * and the same flow module, plan and executor steps as over SSH. Real etcd, on 3.4 (etcdctl snapshot
 * restore) and 3.5 (etcdutl next to the binary).
 *
 *   1. restoring two of three members while the third runs is refused (two clusters), nothing changes;
 *   2. keys written, a snapshot saved, more keys written, the restore run: one leader, a new cluster
 *      ID, the snapshot's keys back and the later ones gone, every old data dir kept aside, the
 *      members running from their new env files (state new, the new token);
 *   3. the sandbox refuses flows it does not rehearse (they need real hosts).
 */
import { after, before, describe, test } from '../harness/skip.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdBinaries, etcdSkipReason, type EtcdVersion } from '../harness/binaries.js';
import { parseJsonExact } from '../harness/json.js';
import { waitFor } from '../harness/wait.js';
import { Sandbox } from '../../src/sandbox/sandbox.js';
import { waitForSandbox } from '../../src/sandbox/ready.js';
import { sandboxHostPort } from '../../src/sandbox/hosts.js';
import { EtcdGateway } from '../../src/cluster/etcd-gateway.js';
import { deadlinesFor } from '../../src/cli/deadlines.js';
import { collectStatus } from '../../src/monitor/observe.js';
import { DEFAULT_HEALTH_OPTIONS } from '../../src/domain/types.js';
import type { ConnectionSettings } from '../../src/domain/config.js';
import { flowByCommand } from '../../src/flows/modules/index.js';
import { executeFlow } from '../../src/run/flow.js';
import { AuditLog } from '../../src/run/audit.js';
import type { Plan, RunEvent } from '../../src/domain/plan.js';

interface StatusJson {
  Status: { header: { cluster_id: string | number }; leader: string | number };
}

for (const version of ['3.4', '3.5'] as EtcdVersion[]) {
  const bins = etcdBinaries(version);
  const skip = bins ? undefined : etcdSkipReason(version);

  describe(`the restore rehearsal on the sandbox, etcd ${version}`, { skip: skip ? `skipped: ${skip}` : false }, () => {
    let box: Sandbox;
    let dir: string;
    let gateway: EtcdGateway;
    let settings: ConnectionSettings;

    const etcdctl = (args: string[]) =>
      execFileSync(bins!.etcdctl, [`--endpoints=${box.endpoints.join(',')}`, '--command-timeout=10s', ...args], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000 });
    const statuses = () => parseJsonExact<StatusJson[]>(etcdctl(['endpoint', 'status', '-w', 'json'])).map((s) => ({ cluster: BigInt(s.Status.header.cluster_id).toString(16), leader: String(s.Status.leader) }));
    const keys = (prefix: string) => etcdctl(['get', prefix, '--prefix', '--keys-only']).split('\n').filter(Boolean).sort();
    const observe = () => collectStatus(gateway, DEFAULT_HEALTH_OPTIONS, Date.now, { alarms: false });
    const def = flowByCommand(['snapshot', 'restore'])!;
    const prepare = async (file: string, hosts: string[]) => {
      const view = await observe();
      const port = sandboxHostPort(box);
      const prepared = await port.prepare({ flow: 'snapshot-restore' }, (session) => def.prepare!(view, { file, hosts, skipHashCheck: false }, session), () => undefined);
      return { view, port, prepared };
    };

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), `etcd-tui-sandbox-restore${version.replace('.', '')}-`));
      box = await Sandbox.start(3, bins!.etcd);
      settings = { contextName: 'sandbox', endpoints: box.endpoints, tls: {}, dialTimeoutMs: 3000, commandTimeoutMs: 5000, refreshMs: 1000, readOnly: false };
      await waitForSandbox(box, settings, 60_000);
      gateway = new EtcdGateway(settings, deadlinesFor(settings));
    });

    after(async () => {
      gateway?.close();
      await box?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('a restore onto every member: a new cluster with the snapshot keys, the old data kept aside', async () => {
      for (let i = 0; i < 10; i++) etcdctl(['put', `/before/k${i}`, `v${i}`]);
      const snap = join(dir, 'snap.db');
      execFileSync(bins!.etcdctl, [`--endpoints=${box.endpoints[0]}`, 'snapshot', 'save', snap], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000, stdio: 'pipe' });
      for (let i = 0; i < 5; i++) etcdctl(['put', `/after/k${i}`, `v${i}`]);
      const old = statuses();
      assert.equal(new Set(old.map((s) => s.cluster)).size, 1);

      // 1. Two of three while the third runs: two clusters. Refused before anything changes.
      const partial = await prepare(snap, ['m1', 'm2']);
      assert.equal(partial.prepared.planned.ok, false);
      assert.match((partial.prepared.planned as { refusal: string }).refusal, /m3 \([0-9a-f]+, http:\/\/127\.0\.0\.1:\d+\) is not restored and still answers: .*two clusters/);
      assert.equal(box.unitState('m1'), 'active');

      // 2. Every member.
      const { view, port, prepared } = await prepare(snap, []);
      assert.ok(prepared.planned.ok, JSON.stringify(prepared.planned));
      const plan: Plan = prepared.planned.plan;
      const tool = version === '3.4' ? 'etcdctl' : 'etcdutl';
      assert.ok(plan.steps.some((s) => s.command.includes(`@m1.sandbox ${join(bins!.etcd, '..', tool)} snapshot restore`)), plan.steps.map((s) => s.command).join('\n'));
      assert.ok(!plan.steps.some((s) => s.title.startsWith(`Upload ${tool}`)), 'the restore tool is next to the binary: nothing uploaded');
      const events: string[] = [];
      const result = await executeFlow(plan, view, {
        gateway,
        observe,
        onEvent: (e: RunEvent) => {
          if (e.type === 'step-failed') events.push(`FAILED ${plan.steps[e.index].title}: ${e.error}`);
          if (e.type === 'rollback') events.push(`rollback ${e.text}`);
        },
        audit: new AuditLog(join(dir, 'audit.jsonl')),
        context: 'sandbox',
        hosts: port.access(),
        pollMs: 200,
        signal: new AbortController().signal,
      });
      assert.equal(result.outcome, 'succeeded', `${result.error}\n${events.join('\n')}`);
      const now = statuses();
      assert.equal(now.length, 3);
      assert.equal(new Set(now.map((s) => s.cluster)).size, 1, 'one cluster ID');
      assert.notEqual(now[0].cluster, old[0].cluster, 'a new cluster ID');
      assert.equal(new Set(now.map((s) => s.leader)).size, 1, 'one leader');
      assert.deepEqual(keys('/before/'), Array.from({ length: 10 }, (_, i) => `/before/k${i}`).sort());
      assert.deepEqual(keys('/after/'), [], 'what was written after the snapshot is gone');
      for (const name of ['m1', 'm2', 'm3']) {
        const m = box.member(name)!;
        assert.equal(box.unitState(name), 'active');
        const aside = readdirSync(m.home).filter((f) => /^data\.etcd-tui-before-restore-\d{8}T\d{6}Z$/.test(f));
        assert.equal(aside.length, 1, `${name}: the old data dir kept aside: ${readdirSync(m.home).join(', ')}`);
        assert.ok(readdirSync(join(m.home, aside[0])).includes('member'));
        const env = readFileSync(m.envFile, 'utf8');
        assert.match(env, /^ETCD_INITIAL_CLUSTER_STATE=new$/m);
        assert.match(env, /^ETCD_INITIAL_CLUSTER_TOKEN=etcd-tui-restore-/m);
        assert.ok(readdirSync(m.home).some((f) => f.startsWith('etcd.env.etcd-tui-backup-')), `${name}: the old env file is kept as a backup`);
      }
    });

    test('a learner added to the sandbox starts from its own env file (state existing) and is a host too', async () => {
      const peer = await box.freePeerURL();
      // Just restored: etcd takes adds once every member has been connected for 5 s.
      const added = await waitFor(() => gateway.memberAdd([peer], true), { what: 'etcd to take the learner add', timeoutMs: 60_000, intervalMs: 500 });
      const initialCluster = [...box.members.filter((m) => m.name !== 'm4').map((m) => `${m.name}=${m.peerURL}`), `m4=${peer}`].join(',');
      const m4 = await box.startAdded('m4', [peer], initialCluster, 30_000);
      assert.match(readFileSync(m4.envFile, 'utf8'), /^ETCD_INITIAL_CLUSTER_STATE=existing$/m);
      assert.match(readFileSync(m4.envFile, 'utf8'), new RegExp(`^ETCD_INITIAL_ADVERTISE_PEER_URLS=${peer.replace(/[/.]/g, '\\$&')}$`, 'm'));
      const list = await gateway.memberList();
      const learner = list.members.find((m) => m.id === added.member.id);
      assert.equal(learner?.name, 'm4', `the learner started and took its name: ${JSON.stringify(list.members)}`);
      assert.equal(box.unitState('m4'), 'active');
      assert.deepEqual(sandboxHostPort(box).hosts(), ['m1', 'm2', 'm3', 'm4']);
    });

    test('flows the sandbox does not rehearse are refused with the reason', async () => {
      const port = sandboxHostPort(box);
      const r = await port.prepare({ flow: 'recover-quorum' }, () => Promise.reject(new Error('not called')), () => undefined);
      assert.equal(r.planned.ok, false);
      assert.match((r.planned as { refusal: string }).refusal, /needs real hosts/);
    });
  });
}
