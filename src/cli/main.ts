#!/usr/bin/env node
/**
 * The `etcd-tui` entry point: parse flags, resolve the connection settings, then open the console,
 * print a one-shot status, or start the sandbox. Bad input ends with one line and exit code 4.
 */
import { traceStartup } from '../diagnostics/startup-trace.js';
import { readFileSync } from 'node:fs';
import { HELP_TEXT, parseArgs } from './args.js';
import { ConfigError, ClusterError, ExitError } from '../domain/errors.js';
import { EXIT } from './status.js';
import { checkOptions, commandHelp, findCommand } from './commands.js';
import { guardUntilRun } from './signals.js';

/** The package version: package.json sits next to dist/ (bundle: dist/etcd-tui.js; tsc: dist/src/cli/main.js). */
function version(): string {
  for (const rel of ['../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'etcd-tui') return pkg.version;
    } catch {
      // try the next place
    }
  }
  return 'unknown';
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  traceStartup('modules-loaded');
  const args = parseArgs(argv);
  if (args.help) {
    // `etcd-tui member --help`, `etcd-tui snapshot save --help`: generated from the command table.
    process.stdout.write((commandHelp(args.command) ?? HELP_TEXT) + '\n');
    return 0;
  }
  if (args.version) {
    process.stdout.write(`etcd-tui ${version()}\n`);
    return 0;
  }
  const { spec, args: rest } = findCommand(args.command);
  checkOptions(spec, args.flags);
  // A flow (it takes --yes): a signal before its first step says so, exit 7 (src/cli/signals.ts).
  if (spec.options.includes('yes')) guardUntilRun();
  // settings.js (contexts file, env file, a password prompt) loads only for commands that connect:
  // --help, --version and the offline commands start without it.
  return spec.run({ args: rest, flags: args.flags, env, settings: async () => (await import('./settings.js')).resolveSettings(args.flags, env) });
}

// Node's deprecation warnings (DEP0123 for TLS to an IP address) are noise for operators and
// would corrupt the console's screen.
process.noDeprecation = true;

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ExitError) {
      process.stderr.write(`etcd-tui: ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else if (error instanceof ConfigError) {
      process.stderr.write(`etcd-tui: ${error.message}\n`);
      process.exitCode = EXIT.usage;
    } else if (error instanceof ClusterError) {
      process.stderr.write(`etcd-tui: ${error.message}\n`);
      process.exitCode = EXIT.unreachable;
    } else if ((error as { code?: unknown })?.code === 'ETCD_TUI_INSTALL') {
      // A file of the installation is missing (scripts/build-shared.mjs): one line, no stack.
      process.stderr.write(`etcd-tui: ${(error as Error).message}\n`);
      process.exitCode = 70;
    } else {
      process.stderr.write(`etcd-tui: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 70;
    }
  },
);
