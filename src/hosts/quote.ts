/**
 * The one place where an argv becomes a shell string. SSH exec carries a single string that the
 * remote login shell parses, so every argument is quoted here, once, with POSIX single quotes. Callers
 * build argv arrays and never paste input into a command line themselves.
 *
 * Assumes a POSIX login shell on the host (sh, dash, bash, ksh, zsh). fish and csh read single quotes
 * differently; such hosts need a POSIX shell for the login user.
 */

/** Characters that no POSIX shell (nor zsh) treats specially anywhere inside a word. */
const PLAIN = /^[A-Za-z0-9_@%+:,./-][A-Za-z0-9_@%+=:,./-]*$/;

/**
 * One argument as a shell word that the shell turns back into exactly `arg`. Plain words stay as they
 * are (readable in previews and logs); anything else goes in single quotes, with each `'` written as
 * `'\''`. A NUL byte cannot be passed through any shell, so it is refused.
 */
export function shellQuote(arg: string): string {
  if (typeof arg !== 'string') throw new TypeError(`shellQuote: expected a string, got ${typeof arg}`);
  if (arg.includes('\0')) throw new RangeError(`argument ${JSON.stringify(arg)} contains a NUL byte, which no shell command can carry`);
  if (PLAIN.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** An argv as one shell command line: each argument quoted, joined by spaces. */
export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new RangeError('shellCommand: empty argv');
  return argv.map(shellQuote).join(' ');
}

/** The argv run through non-interactive sudo: a sudo that wants a password fails instead of asking. */
export function sudoArgv(argv: readonly string[]): string[] {
  return ['sudo', '-n', '--', ...argv];
}
