/** Per-call deadlines derived from the settings. */
import type { ConnectionSettings } from '../domain/config.js';
import type { Deadlines } from '../cluster/etcd-gateway.js';

export function deadlinesFor(settings: ConnectionSettings): Deadlines {
  return {
    // A refresh call waits at most the dial timeout: a hung member is shown unreachable by then.
    statusMs: Math.max(300, Math.min(settings.dialTimeoutMs, settings.commandTimeoutMs)),
    commandMs: settings.commandTimeoutMs,
    longMs: Math.max(settings.commandTimeoutMs, 5 * 60_000),
  };
}
