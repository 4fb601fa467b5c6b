/** Turn Ink's (input, key) pair into one key name as the registry spells them. */
import type { Key } from 'ink';

export function keyName(input: string, key: Key): string | undefined {
  if (key.ctrl && input === 'c') return 'ctrl+c';
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.return) return 'enter';
  if (key.escape) return 'escape';
  if (key.tab) return 'tab';
  if (key.backspace || key.delete) return 'backspace';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.ctrl && input) return `ctrl+${input}`;
  return input || undefined;
}

const CHAR_KEYS: Record<string, string> = { '\r': 'enter', '\n': 'enter', '\t': 'tab', '\x7f': 'backspace', '\b': 'backspace', '\x1b': 'escape' };

/**
 * Key names of one input event. Keys typed faster than the terminal is read (or pasted) arrive
 * together, e.g. "j\r": split them so each acts as if typed alone.
 */
export function keyNames(input: string, key: Key): string[] {
  // esc followed at once by a key reaches us as one chunk, which reads as meta+key (alt-x). No
  // command uses alt: it was esc, then the key, typed fast (or sent by a script).
  if (key.meta && !key.ctrl && input.length === 1 && input >= ' ' && !key.upArrow && !key.downArrow && !key.leftArrow && !key.rightArrow) {
    return ['escape', input];
  }
  if (input.length <= 1 || key.ctrl || key.meta || input.startsWith('\x1b')) {
    const name = keyName(input, key);
    return name ? [name] : [];
  }
  return [...input].map((ch) => CHAR_KEYS[ch] ?? ch);
}
