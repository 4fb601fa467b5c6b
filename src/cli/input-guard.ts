/**
 * A guard between the terminal and Ink 6.8's key parser. Ink's parse-keypress maps an escape
 * sequence it does not know (Ctrl+F1 `ESC[1;5P`, a pasted colour `ESC[31m`, a mouse report,
 * bracketed-paste marks) to a key with no name; when the sequence's modifier has the ctrl bit,
 * useInput calls `undefined.startsWith` and the process dies. Without the ctrl bit the sequence's
 * text (`[2m`) lands in a form field. So every chunk Ink reads goes through `sanitizeInput`
 * first: escape sequences Ink names correctly pass, all others are dropped; plain text passes
 * as it is. A second layer catches whatever still throws inside Ink's input listener.
 */

/* eslint-disable no-control-regex -- these patterns are about terminal escape sequences */

/** Sequences Ink's legacy parser names (its keyName table, without the leading ESC). */
const LEGACY_KEYS = new Set([
  'OP', 'OQ', 'OR', 'OS', '[11~', '[12~', '[13~', '[14~', '[[A', '[[B', '[[C', '[[D', '[[E',
  '[15~', '[17~', '[18~', '[19~', '[20~', '[21~', '[23~', '[24~',
  '[A', '[B', '[C', '[D', '[E', '[F', '[H', 'OA', 'OB', 'OC', 'OD', 'OE', 'OF', 'OH',
  '[1~', '[2~', '[3~', '[4~', '[5~', '[6~', '[[5~', '[[6~', '[7~', '[8~',
  '[a', '[b', '[c', '[d', '[e', '[2$', '[3$', '[5$', '[6$', '[7$', '[8$',
  'Oa', 'Ob', 'Oc', 'Od', 'Oe', '[2^', '[3^', '[5^', '[6^', '[7^', '[8^', '[Z',
]);

/** Ink's legacy function-key pattern (parse-keypress.js fnKeyRe), to compute the same key code. */
const FN_KEY = /^(?:\x1b+)(O|N|\[|\[\[)(?:(\d+)(?:;(\d+))?([~^$])|(?:1;)?(\d+)?([a-zA-Z]))/;
/** Kitty keyboard protocol forms that Ink parses on its own, safely. */
const KITTY_KEY = /^\x1b\[(\d+)(?:;(\d+)(?::(\d+))?(?:;([\d:]+))?)?u$/;
const KITTY_SPECIAL = /^\x1b\[(\d+);(\d+):(\d+)([A-Za-z~])$/;
const KITTY_LETTERS = new Set(['A', 'B', 'C', 'D', 'E', 'F', 'H', 'P', 'Q', 'R', 'S']);
const KITTY_NUMBERS = new Set([2, 3, 5, 6, 7, 8, 11, 12, 13, 14, 15, 17, 18, 19, 20, 21, 23, 24]);

/** A complete CSI (ESC [ params final) or SS3 (ESC O final) sequence, with an optional second ESC (alt). */
const CONTROL_SEQUENCE = /^\x1b\x1b?(?:\[\[?[\x20-\x3f]*[\x40-\x7e]|O[\x40-\x7e])/;
/** The start of a CSI or SS3 sequence whose final byte has not arrived yet. */
const UNFINISHED_SEQUENCE = /^\x1b\x1b?(?:\[\[?[\x20-\x3f]*|O)$/;

/** True when Ink gives this escape sequence a key name (so it neither throws nor types its text). */
export function isKnownKeySequence(sequence: string): boolean {
  if (KITTY_KEY.test(sequence)) return true;
  const kitty = KITTY_SPECIAL.exec(sequence);
  if (kitty && (kitty[4] === '~' ? KITTY_NUMBERS.has(Number(kitty[1])) : KITTY_LETTERS.has(kitty[4]))) return true;
  const parts = FN_KEY.exec(sequence);
  if (!parts || parts[0].length !== sequence.length) return false;
  const code = [parts[1], parts[2], parts[4], parts[6]].filter(Boolean).join('');
  return LEGACY_KEYS.has(code);
}

/**
 * Drops escape sequences Ink would mis-parse from one chunk of terminal input. Returns the text to
 * pass on and the unfinished sequence at its end (to prepend to the next chunk), if any.
 */
export function sanitizeInput(chunk: string): { text: string; pending: string } {
  let text = '';
  let index = 0;
  while (index < chunk.length) {
    const escape = chunk.indexOf('\x1b', index);
    if (escape === -1) {
      text += chunk.slice(index);
      break;
    }
    text += chunk.slice(index, escape);
    const rest = chunk.slice(escape);
    const sequence = CONTROL_SEQUENCE.exec(rest)?.[0];
    if (sequence) {
      if (isKnownKeySequence(sequence)) text += sequence;
      index = escape + sequence.length;
      continue;
    }
    if (rest.length > 1 && UNFINISHED_SEQUENCE.test(rest)) return { text, pending: rest };
    // ESC alone (the escape key), ESC + a character (alt+key), or ESC ESC: Ink handles these.
    text += '\x1b';
    index = escape + 1;
  }
  return { text, pending: '' };
}

/**
 * Splits sanitised input into the pieces Ink should see one at a time: each control character
 * (ctrl-c, enter, tab, backspace) and each escape sequence alone, runs of text together. Ink hands a
 * chunk it reads to the console as one event when it holds no escape; keys typed faster than they
 * are read ("m3", enter, ctrl-c) would otherwise arrive as one string whose ctrl-c is a plain
 * character, not the key.
 */
export function splitKeys(text: string): string[] {
  const pieces: string[] = [];
  let run = '';
  const flush = () => {
    if (run) pieces.push(run);
    run = '';
  };
  let index = 0;
  while (index < text.length) {
    const ch = text[index];
    if (ch === '\x1b') {
      flush();
      const sequence = CONTROL_SEQUENCE.exec(text.slice(index))?.[0];
      // An escape sequence; else ESC with the character after it (alt+key), or ESC alone.
      const piece = sequence ?? text.slice(index, index + (index + 1 < text.length ? 2 : 1));
      pieces.push(piece);
      index += piece.length;
      continue;
    }
    if (ch < ' ' || ch === '\x7f') {
      flush();
      pieces.push(ch);
    } else {
      run += ch;
    }
    index++;
  }
  flush();
  return pieces;
}

/** What the guard does with input it could not hand to the console. */
export interface InputGuardOptions {
  /** Called when Ink's input handling threw on a chunk (the chunk is dropped, the console goes on). */
  onError?: (error: unknown) => void;
}

type Listener = (...args: unknown[]) => void;

/**
 * A view of `stdin` for Ink: `read()` returns sanitised chunks, and a throw inside Ink's
 * 'readable' listener is caught and reported instead of ending the process. Everything else
 * (raw mode, ref/unref, isTTY) is the real stream.
 */
export function guardStdin(stdin: NodeJS.ReadStream, options: InputGuardOptions = {}): NodeJS.ReadStream {
  let pending = '';
  const wrapped = new WeakMap<Listener, Listener>();
  // Everything available is read at once: a sequence split over two reads would otherwise reach
  // Ink's parser, which joins the reads of one 'readable' event, in two halves that each look harmless.
  // Ink calls read() until it returns null: the pieces of one chunk go out one per call.
  const queue: string[] = [];
  const read = (size?: number): string | null => {
    if (queue.length > 0) return queue.shift() as string;
    let joined: string | undefined;
    for (let chunk = stdin.read(size) as string | Buffer | null; chunk !== null; chunk = stdin.read(size) as string | Buffer | null) {
      joined = (joined ?? '') + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    }
    if (joined === undefined) return null;
    const result = sanitizeInput(pending + joined);
    pending = result.pending;
    queue.push(...splitKeys(result.text));
    return queue.shift() ?? null;
  };
  const guard = (event: string | symbol, listener: Listener): Listener => {
    if (event !== 'readable' && event !== 'data') return listener;
    let safe = wrapped.get(listener);
    if (!safe) {
      safe = function (this: unknown, ...args: unknown[]) {
        try {
          listener.apply(this, args);
        } catch (error) {
          options.onError?.(error);
        }
      };
      wrapped.set(listener, safe);
    }
    return safe;
  };
  return new Proxy(stdin, {
    get(target, property) {
      if (property === 'read') return read;
      if (property === 'on' || property === 'addListener' || property === 'once' || property === 'prependListener') {
        return (event: string | symbol, listener: Listener) => {
          (target[property] as (e: string | symbol, l: Listener) => unknown).call(target, event, guard(event, listener));
          return target;
        };
      }
      if (property === 'off' || property === 'removeListener') {
        return (event: string | symbol, listener: Listener) => {
          target.removeListener(event, wrapped.get(listener) ?? listener);
          return target;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
