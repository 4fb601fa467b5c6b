/**
 * `etcd-tui rotate-certs [--ca-dir DIR] [HOST...]`: new member certificates from the CA dir, one
 * member at a time (followers first, the leader last after a verified move), each verified by the
 * serial it presents on its client URL, or rolled back. The CA stays: a CA change is refused.
 */
import { resolve } from 'node:path';
import type { CliFlags } from './args.js';
import type { ConnectionSettings } from '../domain/config.js';
import { prepareRotateCerts } from '../run/rotate-certs.js';
import { runRollingChange } from './rolling-change.js';

export async function runRotateCertsCommand(args: string[], flags: CliFlags, env: NodeJS.ProcessEnv, settingsOf: () => Promise<ConnectionSettings>): Promise<number> {
  return runRollingChange(
    'rotate-certs',
    args,
    flags,
    env,
    settingsOf,
    (ctx) =>
      prepareRotateCerts(ctx.view, ctx.inventory, ctx.pool, {
        ...(flags.caDir ? { caDir: resolve(flags.caDir) } : {}),
        only: args,
        tls: ctx.settings.tls,
        gapThreshold: ctx.gapThreshold,
        ...(flags.waitMs ? { backMs: flags.waitMs } : {}),
        onHost: ctx.onHost,
      }),
    flags.caDir ? { caDir: flags.caDir } : {},
  );
}
