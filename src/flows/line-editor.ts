/**
 * The one-line text editing shared by the flow form, the type-to-confirm field, the secret prompt and
 * the palette: which keys edit a line and how. Pure.
 */

/** Printable text (no control characters, no DEL): what a key press may add to a line. */
export function isPrintable(raw: string): boolean {
  return raw.length > 0 && [...raw].every((ch) => ch >= ' ' && ch !== '\x7f');
}

/** The line after a key: backspace deletes the last character, printable text is appended; undefined: the key does not edit. */
export function editLine(text: string, name: string, raw: string): string | undefined {
  if (name === 'backspace') return text.slice(0, -1);
  if (isPrintable(raw)) return text + raw;
  return undefined;
}
