/**
 * `etcd-tui rotate-certs [--ca-dir DIR] [HOST...]`: new member certificates from the CA dir, one
 * member at a time (followers first, the leader last after a verified move), each verified by the
 * serial it presents on its client URL, or rolled back. Another CA in the CA dir is the three-phase CA
 * change (src/plans/ca-rotation.ts): `--phase N` runs one phase; the contexts file is rewritten at the end.
 */
import { resolve } from 'node:path';
import type { CliFlags } from './args.js';
import type { ConnectionSettings } from '../domain/config.js';
import { prepareRotateCerts } from '../run/rotate-certs.js';
import { runRollingChange } from './rolling-change.js';
import { caRunState } from '../plans/ca-rotation.js';

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
        contexts: ctx.contexts,
        ...(flags.caPhase ? { phase: flags.caPhase } : {}),
      }),
    { ...(flags.caDir ? { caDir: flags.caDir } : {}), ...(flags.caPhase ? { phase: flags.caPhase } : {}) },
    undefined,
    {
      ...(flags.pauseBetweenMs ? { pauseBetweenMs: flags.pauseBetweenMs } : {}),
      stateLine: (plan, result) => {
        if (plan.args.caChange !== true) return undefined;
        const bundle = plan.steps.find((s) => s.action.kind === 'client-tls-switch' && s.action.bundle);
        const path = bundle && bundle.action.kind === 'client-tls-switch' ? bundle.action.bundle?.path : undefined;
        return caRunState(plan, result.failedStep, String(plan.args.caDir), path ?? '(the bundle)');
      },
    },
  );
}
