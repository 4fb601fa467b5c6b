/**
 * `etcd-tui config set KEY=VALUE... [HOST...]`: a rolling config change over SSH. The inventory's etcd
 * settings with the change applied, rendered into each node's env file from the templates, the diff
 * per host in the preview, one member at a time (followers first, the leader last after a verified
 * move), each verified (env file read back, the setting in /metrics where etcd shows it) or rolled back.
 * (`etcd-tui config` is this group only: the contexts file itself is src/cli/config.ts.)
 */
import type { CliFlags } from './args.js';
import type { ConnectionSettings } from '../domain/config.js';
import { ConfigError } from '../domain/errors.js';
import { prepareConfigChange } from '../run/config-change.js';
import { knownConfigKeys, parseConfigArgs } from '../plans/config-change.js';
import { runRollingChange } from './rolling-change.js';
import { configSetInventory } from './inventory-update.js';

export const CONFIG_SET_USAGE = 'etcd-tui config set KEY=VALUE... [HOST...] [--dry-run] [--yes] [--wait 5m] [--accept-new-host-key]';

export async function runConfigSetCommand(args: string[], flags: CliFlags, env: NodeJS.ProcessEnv, settingsOf: () => Promise<ConnectionSettings>): Promise<number> {
  if (!args.some((a) => a.includes('='))) throw new ConfigError(`config set: give at least one KEY=VALUE (known: ${knownConfigKeys()}) (usage:\n${CONFIG_SET_USAGE})`);
  const parsed = parseConfigArgs(args);
  if ('refusal' in parsed) throw new ConfigError(`config set: ${parsed.refusal}`);
  return runRollingChange(
    'config set',
    args,
    flags,
    env,
    settingsOf,
    (ctx) => prepareConfigChange(ctx.view, ctx.inventory, ctx.pool, { words: args, gapThreshold: ctx.gapThreshold, ...(flags.waitMs ? { backMs: flags.waitMs } : {}), onHost: ctx.onHost }),
    { settings: args.filter((a) => a.includes('=')) },
    configSetInventory(parsed.assignments, parsed.hosts),
  );
}
