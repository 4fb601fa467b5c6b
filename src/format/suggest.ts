/**
 * What the console says when a key or a palette word leads nowhere: the nearest command ids
 * ("did you mean defrag?") and why a command is missing in read-only mode. Pure.
 */

/** Edit distance with adjacent transpositions (optimal string alignment): "defarg" -> "defrag" is 1. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The ids nearest to a mistyped word, best first (at most `limit`): the ids it starts, then those
 * within an edit distance of about a third of the word (at least 1, at most 3).
 */
export function nearestIds(word: string, ids: string[], limit = 3): string[] {
  const w = word.trim().toLowerCase();
  if (!w) return [];
  const allowed = Math.min(3, Math.max(1, Math.floor(w.length / 3)));
  const scored = ids
    .map((id) => {
      const prefix = id.startsWith(w) ? 0 : undefined;
      const whole = editDistance(w, id);
      // A word typed as the start of a longer id ("defr") compares with that start.
      const start = editDistance(w, id.slice(0, w.length));
      const distance = prefix ?? Math.min(whole, start + 0.5);
      return { id, distance };
    })
    .filter((s) => s.distance <= allowed)
    .sort((a, b) => a.distance - b.distance || a.id.localeCompare(b.id));
  return scored.slice(0, limit).map((s) => s.id);
}

/** The palette's answer to an unknown word. `hidden` are the ids read-only mode took away. */
export function unknownCommandMessage(word: string, ids: string[], hidden: string[] = []): string {
  if (hidden.includes(word)) return readOnlyMessage(word);
  const near = nearestIds(word, ids);
  if (near.length > 0) return `no command "${word}": did you mean ${near.join(', ')}?`;
  const nearHidden = nearestIds(word, hidden);
  if (nearHidden.length > 0) return `no command "${word}" (did you mean ${nearHidden.join(', ')}? ${readOnlyReason})`;
  return `no command "${word}" (press ? for the list)`;
}

const readOnlyReason = 'read-only: commands that change the cluster are disabled';

/** What a key or a palette id of a command hidden by read-only mode says instead of nothing. */
export function readOnlyMessage(what: string): string {
  return `read-only: ${what} changes the cluster; this console is read-only`;
}
