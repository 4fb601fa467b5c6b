/** Bootstrap details from issue 13.17: an existing data dir gets mode 0700; the clock check sees through a slow login shell. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInventory } from '../../src/cli/inventory.js';
import { hostFacts } from '../../src/run/preflight.js';
import { runRemoteAction, type UndoEntry } from '../../src/run/remote-actions.js';
import type { Inventory } from '../../src/domain/hosts.js';
import type { CommandResult, RunOptions } from '../../src/hosts/gateway.js';
import { FakeHost } from '../fakes/fake-host.js';
import { FakeGateway } from '../fakes/fake-gateway.js';
import { planNewCluster } from '../../src/plans/bootstrap.js';

function inventory(): Inventory {
  const inv = parseInventory(
    {
      ssh: { user: 'root', identityFile: '~/.ssh/id_ed25519', knownHosts: 'known_hosts' },
      etcd: { version: '3.4.23', heartbeatInterval: 100, electionTimeout: 1000 },
      hosts: [{ name: 'etcd-1', address: '10.9.0.11', dataDir: '/var/lib/etcd' }],
    },
    'ctx',
    { path: '/etc/etcd-tui/contexts.yaml', home: '/home/op', exists: () => false },
  );
  assert.ok(inv);
  return inv;
}

test('an existing (empty) data dir is set to 0700, and the plan says so', async () => {
  const inv = inventory();
  const host = new FakeHost({ name: 'etcd-1' } as never);
  host.dirs.add('/var/lib/etcd');
  host.dirModes.set('/var/lib/etcd', 0o755);
  const undo: UndoEntry[] = [];
  const detail = await runRemoteAction(
    { kind: 'remote-mkdir', host: 'etcd-1', path: '/var/lib/etcd', mode: 0o700, dataDir: true },
    0,
    { hosts: { spec: () => inv.hosts[0], settings: inv.settings, connection: async () => host }, gateway: new FakeGateway(), onEvent: () => undefined, signal: new AbortController().signal },
    (entry) => void undo.push(entry),
  );
  assert.equal(host.dirModes.get('/var/lib/etcd'), 0o700);
  assert.match(detail ?? '', /exists; mode set to 0700/);
  assert.deepEqual(host.ran.at(-1), ['chmod', '0700', '--', '/var/lib/etcd']);

  const planned = planNewCluster({ hosts: inv.hosts, settings: inv.settings, token: 'etcd-tui-x', preflight: { checks: [], ok: true, uploads: { 'etcd-1': {} } }, files: { 'etcd-1': [] }, context: 'lab' });
  assert.ok(planned.ok, planned.ok ? '' : planned.refusal);
  const step = planned.plan.steps.find((s) => s.action.kind === 'remote-mkdir' && s.action.path === '/var/lib/etcd');
  assert.match(step?.title ?? '', /mode 0700; an existing one is set to 0700/);
  assert.match(step?.command ?? '', /chmod 0700 -- \/var\/lib\/etcd/);
});

/** A host whose login shell takes `startupMs` before each command runs, on a clock `aheadMs` ahead of ours (a fake clock: no sleeping). */
class SlowShellHost extends FakeHost {
  clock = 1_700_000_000_000;
  constructor(
    readonly startupMs: number,
    readonly aheadMs: number,
  ) {
    super({ name: 'etcd-1' } as never);
  }
  override async run(argv: string[], opts?: RunOptions): Promise<CommandResult> {
    this.clock += this.startupMs + 1; // the login shell, then half a round trip (1 ms)
    const r = argv[0] === 'date' ? { argv, code: 0, stdout: `${BigInt(this.clock + this.aheadMs) * 1_000_000n}\n`, stderr: '', durationMs: 1 } : await super.run(argv, opts);
    this.clock += 1; // the way back
    return r;
  }
}

test('the clock check subtracts the login shell start-up and the round trip', async () => {
  const inv = inventory();
  for (const [startup, ahead] of [[800, 0], [800, 2000], [800, -1500], [5, 0]]) {
    const host = new SlowShellHost(startup, ahead);
    const facts = await hostFacts(host, inv.hosts[0], inv.settings, { uploadCerts: false, now: () => host.clock });
    assert.ok(facts.clockSkewMs !== undefined);
    assert.ok(Math.abs(facts.clockSkewMs - ahead) <= 3, `start-up ${startup} ms, ${ahead} ms ahead: measured ${facts.clockSkewMs}`);
  }
});
