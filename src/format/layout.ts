/**
 * Fitting text into a terminal of a given size: shortening from the middle, wrapping, the health
 * lines (what may shrink, the next step never), the footer's one line, and sharing the rows of a
 * screen between panes. Pure: widths and heights in, lines and row counts out.
 */

/**
 * Shorten from the middle with "…", keeping the start (two thirds: it says what) and the end
 * (where a message says what to check): "m3 unreachable: connection refu…listening there?".
 */
export function shortenMiddle(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text;
  if (width === 1) return '…';
  const head = Math.ceil(((width - 1) * 2) / 3);
  const tail = width - 1 - head;
  return text.slice(0, head) + '…' + (tail > 0 ? text.slice(text.length - tail) : '');
}

/** Word-wrap to lines of at most `width` characters (a word longer than the width is split). */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    let rest = word;
    while (rest.length > w) {
      if (line) {
        lines.push(line);
        line = '';
      }
      lines.push(rest.slice(0, w));
      rest = rest.slice(w);
    }
    if (!line) line = rest;
    else if (line.length + 1 + rest.length <= w) line += ' ' + rest;
    else {
      lines.push(line);
      line = rest;
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

export const FIX_ARROW = ' → ';

/** Below this many characters for what was found, the next step goes on lines of its own. */
const MIN_WHAT = 24;

/**
 * One health line laid out in `width` columns after its mark ("✗ "). 'wrap': the whole line,
 * word-wrapped. 'short' (when rows are scarce): what was found, shortened from the middle when
 * needed, then the next step, whole: on one line when the step leaves room for MIN_WHAT characters
 * of the finding, else the finding on the first line and the step wrapped below it, indented.
 */
export function healthLines(text: string, fix: string | undefined, width: number, mode: 'wrap' | 'short' = 'short', mark = 2): string[] {
  const room = Math.max(1, width - mark);
  if (mode === 'wrap') return wrapText(fix ? text + FIX_ARROW + fix : text, room);
  if (!fix) return [shortenMiddle(text, room)];
  const whole = text + FIX_ARROW + fix;
  if (whole.length <= room) return [whole];
  const whatRoom = room - FIX_ARROW.length - fix.length;
  if (whatRoom >= MIN_WHAT) return [shortenMiddle(text, whatRoom) + FIX_ARROW + fix];
  const arrow = '→ ';
  return [shortenMiddle(text, room), ...wrapText(fix, room - arrow.length).map((l, i) => (i === 0 ? arrow : ' '.repeat(arrow.length)) + l)];
}

/** What a pane asks for: at least `min` rows (when there is room at all), at most `want`. */
export interface PaneNeed {
  id: string;
  min: number;
  want: number;
  /** Takes what is left (a history): beyond two rows its wish does not cost the gaps between panes. */
  elastic?: boolean;
}

/**
 * Share `budget` rows between panes, in the order given (the first matters most): each gets its
 * minimum while rows remain, then the rest goes to the panes in order up to what each wants.
 * `gap` rows separate panes that get rows, when all of them (elastic ones at their minimum) fit with the gaps.
 */
export function allocateRows(panes: PaneNeed[], budget: number, gap = 1): { rows: Record<string, number>; gap: number } {
  const wantAll = panes.reduce((s, p) => s + (p.elastic ? Math.min(p.want, Math.max(p.min, 2)) : p.want), 0) + gap * Math.max(0, panes.filter((p) => p.want > 0).length - 1);
  const useGap = wantAll <= budget ? gap : 0;
  const rows: Record<string, number> = {};
  let left = budget - useGap * Math.max(0, panes.length - 1);
  for (const p of panes) {
    const r = Math.max(0, Math.min(p.min, p.want, left));
    rows[p.id] = r;
    left -= r;
  }
  for (const p of panes) {
    const more = Math.max(0, Math.min(p.want - rows[p.id], left));
    rows[p.id] += more;
    left -= more;
  }
  return { rows, gap: useGap };
}

/** The first row to show of `total` so that `selected` is inside a window of `height` rows. */
export function scrollStart(total: number, height: number, selected: number): number {
  if (height <= 0 || total <= height) return 0;
  const s = Math.max(0, Math.min(selected, total - 1));
  return Math.max(0, Math.min(total - height, s - Math.floor(height / 2)));
}

export interface Hint {
  keys: string;
  title: string;
}

/** The footer's hints that fit one line, in order; the help hint (`?`) is kept first when there is one: it leads to the rest. */
export function fitHints(hints: Hint[], width: number): Hint[] {
  const size = (h: Hint) => h.keys.length + 2 + 1 + h.title.length + 2;
  const help = hints.find((h) => h.keys === '?');
  const out: Hint[] = help ? [help] : [];
  let used = help ? size(help) : 0;
  for (const h of hints) {
    if (h === help) continue;
    if (used + size(h) > width) continue;
    out.push(h);
    used += size(h);
  }
  return out;
}

/** Pieces joined by two spaces, in order, leaving out the ones that no longer fit the width. */
export function fitPieces(pieces: Array<string | undefined>, width: number): string[] {
  const out: string[] = [];
  let used = 0;
  for (const p of pieces) {
    if (!p) continue;
    const add = (out.length ? 2 : 0) + p.length;
    if (used + add > width) continue;
    out.push(p);
    used += add;
  }
  return out;
}
