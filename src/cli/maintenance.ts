/** Headless maintenance flows: `etcd-tui defrag`, `compact`, `alarm list`, `alarm recover-nospace`. */
import type { CliFlags } from './args.js';
import type { ConnectionSettings } from '../domain/config.js';
import { ConfigError } from '../domain/errors.js';

export async function runMaintenanceCommand(command: string, _args: string[], _flags: CliFlags, _settings: ConnectionSettings): Promise<number> {
  throw new ConfigError(`${command}: not implemented yet`);
}
