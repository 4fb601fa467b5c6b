/**
 * The sandbox as a set of hosts, so that a snapshot restore can be rehearsed on it with the same
 * flow, plan and steps as over SSH: each member is a "host" named like the member (address
 * NAME.sandbox, never resolved), reached through the local host gateway (src/hosts/local-gateway.ts:
 * argv run on this machine, files are local paths). `systemctl is-active|start|stop|restart
 * etcd.service` on host m1 maps onto the sandbox's own process control of m1 (its process started
 * from its env file, as etcd.service does), `journalctl -u etcd.service` shows the tail of m1's log;
 * everything else (etcdctl/etcdutl snapshot restore, mv, sha256sum, df) really runs.
 */
import { readFileSync } from 'node:fs';
import type { Inventory } from '../domain/hosts.js';
import type { CommandResult, RunOptions } from '../hosts/gateway.js';
import { LocalGateway, type LocalHost } from '../hosts/local-gateway.js';
import type { HostPort } from '../run/host-port.js';
import { consoleHostPort } from '../run/host-port.js';
import { SANDBOX_SETTINGS, SANDBOX_UNIT, type Sandbox } from './sandbox.js';

/** The flows the sandbox rehearses on its members as hosts. */
const REHEARSED = new Set(['snapshot-restore']);

/** The sandbox's members as an inventory: the newest member of each name, in order of their start. */
export function sandboxInventory(box: Sandbox): Inventory {
  const names = [...new Set(box.members.map((m) => m.name))];
  return { hosts: names.map((n) => box.hostSpec(box.member(n)!)), settings: SANDBOX_SETTINGS };
}

function result(argv: string[], code: number, stdout = '', stderr = ''): CommandResult {
  return { argv, code, stdout, stderr, durationMs: 0 };
}

/** systemctl and journalctl of one member, answered by the sandbox. */
function memberCommands(box: Sandbox, name: string): LocalHost {
  const isOurs = (unit: string | undefined) => unit === SANDBOX_UNIT || unit === `${SANDBOX_UNIT}.service`;
  return {
    command: async (argv: string[], opts: RunOptions): Promise<CommandResult | undefined> => {
      const words = argv.slice(1).filter((w) => !w.startsWith('-'));
      if (argv[0] === 'systemctl') {
        const [verb, unit] = words;
        if (verb === 'daemon-reload' || verb === 'enable' || verb === 'disable') return result(argv, 0);
        if (!isOurs(unit)) {
          // The sandbox has no other services (a dependent service such as kube-apiserver).
          if (verb === 'is-active') return result(argv, 3, 'inactive\n');
          return result(argv, 5, '', `Unit ${unit ?? ''} not found (the sandbox runs only ${SANDBOX_UNIT}.service of each member).\n`);
        }
        switch (verb) {
          case 'is-active': {
            const state = box.unitState(name) ?? 'inactive';
            return result(argv, state === 'active' ? 0 : 3, `${state}\n`);
          }
          case 'start':
            box.unitStart(name);
            return result(argv, 0);
          case 'stop':
            await box.unitStop(name, opts.timeoutMs ?? 10_000);
            return result(argv, 0);
          case 'restart':
            await box.unitStop(name, opts.timeoutMs ?? 10_000);
            box.unitStart(name);
            return result(argv, 0);
          default:
            return result(argv, 1, '', `systemctl ${verb ?? ''}: not something the sandbox does\n`);
        }
      }
      if (argv[0] === 'journalctl') {
        const n = Number(argv[argv.indexOf('-n') + 1]) || 20;
        const m = box.member(name);
        let text = '';
        try {
          text = m ? readFileSync(m.logFile, 'utf8') : '';
        } catch {
          text = '';
        }
        return result(argv, 0, text.trim().split('\n').slice(-n).join('\n') + '\n');
      }
      return undefined;
    },
  };
}

/** The local host gateway onto the sandbox's members (by their address NAME.sandbox). */
export function sandboxGateway(box: Sandbox): LocalGateway {
  return new LocalGateway((target) => {
    const m = /^(.+)\.sandbox$/.exec(target.address);
    return m && box.member(m[1]) ? memberCommands(box, m[1]) : undefined;
  });
}

/**
 * The console's host port in the sandbox: its members as the context's hosts (the inventory read
 * again each time a flow opens: members added in the sandbox are hosts too), for the flows the
 * sandbox rehearses; others are refused with a sentence.
 */
export function sandboxHostPort(box: Sandbox, context = 'sandbox'): HostPort {
  const gateway = sandboxGateway(box);
  let active: HostPort | undefined;
  return {
    hosts: () => sandboxInventory(box).hosts.map((h) => h.name),
    async prepare(request, use, onHost, askSecret) {
      if (!REHEARSED.has(request.flow)) {
        const refusal = `the sandbox rehearses a snapshot restore on its members (:restore FILE); ${request.flow} needs real hosts (a context with hosts: in the contexts file)`;
        return { planned: { ok: false, refusal }, replan: () => ({ ok: false, refusal }), unknownKeys: [] };
      }
      active = consoleHostPort({ inventory: sandboxInventory(box), gateway, context });
      return active.prepare(request, use, onHost, askSecret);
    },
    trust: async () => undefined,
    access() {
      if (!active) throw new Error('no sandbox flow prepared');
      return active.access();
    },
  };
}
