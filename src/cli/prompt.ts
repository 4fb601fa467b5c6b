/**
 * Password prompt on a terminal, without echo. Runs before the console UI starts.
 */
import { ConfigError } from '../domain/errors.js';

/** The parts of a TTY input stream the prompt uses (process.stdin fits). */
export interface PromptInput {
  isTTY?: boolean;
  isRaw?: boolean;
  setRawMode?(mode: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeListener(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  removeListener(event: 'end', listener: () => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface PromptOutput {
  write(text: string): unknown;
}

export interface PromptIo {
  input: PromptInput;
  output: PromptOutput;
  /** The user the password is for; named in the error when there is no terminal. */
  user?: string;
}

/**
 * Ask for a password on a TTY without echoing it. Enter finishes; Backspace deletes; Ctrl-U clears;
 * Ctrl-C (or Ctrl-D / end of input on an empty line) rejects with ConfigError "cancelled".
 * Without a TTY, rejects at once with a ConfigError that says how to pass the password instead.
 */
export function promptPassword(question: string, io: PromptIo): Promise<string> {
  const { input, output } = io;
  if (!input.isTTY || typeof input.setRawMode !== 'function') {
    const who = io.user !== undefined ? `user ${io.user}` : 'the etcd user';
    return Promise.reject(
      new ConfigError(`${who} needs a password: pass --password or set ETCDCTL_PASSWORD (no terminal to prompt on)`),
    );
  }
  const setRawMode = input.setRawMode.bind(input);

  return new Promise<string>((resolve, reject) => {
    const wasRaw = input.isRaw === true;
    let chars: string[] = [];
    let escape: 'none' | 'esc' | 'seq' = 'none';

    const finish = (err: Error | undefined) => {
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      setRawMode(wasRaw);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(chars.join(''));
    };
    const cancelled = () => new ConfigError('password prompt cancelled');

    const onEnd = () => finish(chars.length === 0 ? cancelled() : undefined);

    const onData = (chunk: Buffer | string) => {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      for (const ch of text) {
        // Skip escape sequences (arrow keys etc.): ESC [ ... or ESC O ..., ending with a byte in @-~.
        if (escape === 'esc') {
          escape = ch === '[' || ch === 'O' ? 'seq' : 'none';
          continue;
        }
        if (escape === 'seq') {
          if (ch >= '@' && ch <= '~') escape = 'none';
          continue;
        }
        switch (ch) {
          case '\r':
          case '\n':
            finish(undefined);
            return;
          case '\u0003': // Ctrl-C
            finish(cancelled());
            return;
          case '\u0004': // Ctrl-D
            finish(chars.length === 0 ? cancelled() : undefined);
            return;
          case '\u007f': // Backspace (DEL)
          case '\b':
            chars.pop();
            break;
          case '\u0015': // Ctrl-U
            chars = [];
            break;
          case '\u001b':
            escape = 'esc';
            break;
          default:
            if (ch >= ' ') chars.push(ch);
        }
      }
    };

    output.write(question);
    setRawMode(true);
    input.on('data', onData);
    input.on('end', onEnd);
    input.resume();
  });
}
