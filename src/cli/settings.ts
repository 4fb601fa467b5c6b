/**
 * How every command resolves its connection settings (flags, ETCDCTL_* environment, env file,
 * context; a password prompt when one is needed). A module of its own: a headless command loads
 * this, not the console, sandbox and status code of local.ts.
 */
import type { CliFlags } from './args.js';
import { loadSettings } from './config.js';
import { promptPassword } from './prompt.js';
import type { ConnectionSettings } from '../domain/config.js';

export async function resolveSettings(flags: CliFlags, env: NodeJS.ProcessEnv): Promise<ConnectionSettings> {
  const { settings, needsPassword } = await loadSettings(flags, env);
  if (needsPassword) {
    settings.password = await promptPassword(`Password for ${settings.user}: `, { input: process.stdin, output: process.stderr, user: settings.user });
  }
  return settings;
}
