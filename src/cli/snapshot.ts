/** Headless snapshot commands: `etcd-tui snapshot save FILE [--from ID|NAME]`, `snapshot status FILE [--json]`. */
import type { CliFlags } from './args.js';
import type { ConnectionSettings } from '../domain/config.js';
import { ConfigError } from '../domain/errors.js';

/** `status` needs no cluster: `settings` is resolved lazily, only for `save`. */
export async function runSnapshotCommand(sub: string | undefined, _args: string[], _flags: CliFlags, _settings: () => Promise<ConnectionSettings>): Promise<number> {
  throw new ConfigError(`snapshot ${sub ?? ''}: not implemented yet`);
}
