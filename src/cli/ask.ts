/**
 * One question on the terminal (stderr), answered with a line: the type-to-confirm and y/N questions
 * of the headless flows, the host-key question of bootstrap, the run ID of `undo`. Ctrl-C and the
 * input closing (Ctrl-D) give undefined, which every caller reads as "not confirmed": Node's
 * readline rejects a pending question with an AbortError on Ctrl-C, and that ended the command with
 * a stack trace and exit 70.
 */
import { createInterface } from 'node:readline/promises';

export interface AskIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Whether the input is a terminal (default: what the input says). */
  terminal?: boolean;
}

/** Ask `question`; the answer line, or undefined on Ctrl-C or the end of the input. */
export async function askLine(question: string, io: AskIo = { input: process.stdin, output: process.stderr }): Promise<string | undefined> {
  const rl = createInterface({ input: io.input, output: io.output, ...(io.terminal !== undefined ? { terminal: io.terminal } : {}) });
  let answered = false;
  let interrupted = false;
  // Closed before an answer (Ctrl-C, Ctrl-D): no answer, and what follows starts on a line of its own.
  const ended = new Promise<undefined>((resolve) =>
    rl.once('close', () => {
      if (!answered) io.output.write(interrupted ? '^C\n' : '\n');
      resolve(undefined);
    }),
  );
  // With a listener, Ctrl-C on a terminal is this event (without one, readline rejects the question).
  rl.once('SIGINT', () => {
    interrupted = true;
    rl.close();
  });
  try {
    return await Promise.race([
      rl.question(question).then((line) => {
        answered = true;
        return line;
      }),
      ended,
    ]);
  } catch (error) {
    if ((error as { name?: string })?.name === 'AbortError') return undefined;
    throw error;
  } finally {
    rl.close();
  }
}
