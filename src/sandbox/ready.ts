/** Wait until a freshly started sandbox answers: every member up and one leader, within a bound. */
import type { ConnectionSettings } from '../domain/config.js';
import { ConfigError } from '../domain/errors.js';
import { EtcdGateway } from '../cluster/etcd-gateway.js';
import { deadlinesFor } from '../cli/deadlines.js';
import type { Sandbox } from './sandbox.js';

export async function waitForSandbox(box: Sandbox, settings: ConnectionSettings, timeoutMs: number): Promise<void> {
  const gateway = new EtcdGateway(settings, deadlinesFor(settings));
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  try {
    while (Date.now() < deadline) {
      const dead = box.exited();
      if (dead.length > 0) {
        const m = dead[0];
        throw new ConfigError(`sandbox member ${m.name} exited at start (port taken, or etcd refused its flags). Its log:\n${box.logTail(m.name, 8)}`);
      }
      try {
        const statuses = await Promise.all(box.endpoints.map((url) => gateway.status(url)));
        if (statuses.every((s) => s.leader !== '0')) return;
        last = 'no leader elected yet';
      } catch (error) {
        last = (error as Error).message;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new ConfigError(`the sandbox did not become ready within ${timeoutMs / 1000}s: ${last}`);
  } finally {
    gateway.close();
  }
}
