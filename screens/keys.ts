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
