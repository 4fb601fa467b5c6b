import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateRows, fitHints, fitPieces, healthLines, scrollStart, shortenMiddle, wrapText } from '../../src/format/layout.js';
import { healthPaneLines, orderReasons } from '../../src/format/health-lines.js';
import type { VerdictReason } from '../../src/domain/types.js';

test('shortenMiddle keeps the start and the end', () => {
  assert.equal(shortenMiddle('abcdefghij', 20), 'abcdefghij');
  assert.equal(shortenMiddle('abcdefghij', 5), 'abc…j');
  assert.equal(shortenMiddle('abcdefghij', 7), 'abcd…ij');
  assert.equal(shortenMiddle('abcdefghij', 1), '…');
  assert.equal(shortenMiddle('abcdefghij', 5).length, 5);
});

test('wrapText wraps at words and splits a word longer than the line', () => {
  assert.deepEqual(wrapText('one two three four', 9), ['one two', 'three', 'four']);
  assert.deepEqual(wrapText('abcdefghijkl', 5), ['abcde', 'fghij', 'kl']);
  assert.deepEqual(wrapText('', 5), ['']);
});

test('a health line never loses its next step: the finding is shortened from the middle, or the step goes below', () => {
  const text = 'm1 DB 1.9 GB is 96% of the 2.1 GB quota (assumed: etcd\'s default; give --quota-bytes): NOSPACE soon';
  const fix = 'C to compact the history, then D to defragment';
  const [one, ...rest] = healthLines(text, fix, 80, 'short');
  assert.equal(rest.length, 0);
  assert.ok(one.endsWith(' → ' + fix), one);
  assert.ok(one.startsWith('m1 DB 1.9 GB'), one);
  assert.ok(one.length <= 78, `${one.length}`);
  // Too narrow for both on one line: the step wrapped whole below the finding.
  const narrow = healthLines(text, fix, 40, 'short');
  assert.ok(narrow.length > 1);
  assert.equal(narrow.slice(1).map((l) => l.trim().replace(/^→ /, '')).join(' '), fix);
  assert.ok(narrow.every((l) => l.length <= 38));
  // Wrapped whole when rows allow.
  assert.equal(healthLines(text, fix, 60, 'wrap').join(' '), `${text} → ${fix}`);
});

test('allocateRows: minimums first in order, then wishes in order; gaps only when everything fits', () => {
  const panes = [
    { id: 'members', min: 5, want: 7 },
    { id: 'health', min: 3, want: 10 },
    { id: 'events', min: 0, want: 7, elastic: true },
  ];
  assert.deepEqual(allocateRows(panes, 19), { rows: { members: 7, health: 10, events: 2 }, gap: 0 });
  assert.deepEqual(allocateRows(panes, 9), { rows: { members: 6, health: 3, events: 0 }, gap: 0 });
  assert.deepEqual(allocateRows(panes, 40), { rows: { members: 7, health: 10, events: 7 }, gap: 1 });
  const r = allocateRows(panes, 30);
  assert.equal(r.gap, 1);
  assert.equal(r.rows.members + r.rows.health + r.rows.events + 2, 26);
});

test('scrollStart keeps the selection in the window', () => {
  assert.equal(scrollStart(5, 10, 4), 0);
  assert.equal(scrollStart(10, 3, 0), 0);
  assert.equal(scrollStart(10, 3, 9), 7);
  assert.equal(scrollStart(10, 3, 5), 4);
});

test('the footer keeps ? first and what fits; the header drops what does not fit', () => {
  const hints = [
    { keys: '↑/k', title: 'Up' },
    { keys: 'enter', title: 'Detail' },
    { keys: '?', title: 'Help' },
    { keys: 'x', title: 'Remove a member for good' },
  ];
  assert.deepEqual(fitHints(hints, 36).map((h) => h.keys), ['?', '↑/k', 'enter']);
  assert.deepEqual(fitHints(hints, 12).map((h) => h.keys), ['?']);
  assert.deepEqual(fitPieces(['etcd-tui', 'context lab', 'a very long piece that does not fit', 'updated 12:00:00'], 40), ['etcd-tui', 'context lab', 'updated 12:00:00']);
});

const reasons: VerdictReason[] = [
  { level: 'ok', text: 'all 3 members reachable' },
  { level: 'crit', text: '3 voters, 1 healthy: QUORUM LOST (needs 2)', fix: 'restart the DOWN voters on their hosts (no data lost); if they are gone for good: recover from the most advanced survivor or restore a snapshot: both not yet in this tool' },
  { level: 'unknown', text: 'one leader: unknown while quorum is lost' },
  { level: 'warn', text: 'm2 unreachable: connection refused at http://127.0.0.1:2379: is etcd running and listening there?', brief: 'm2 DOWN: connection refused', fix: 'restart etcd on its host (its data is kept)' },
  { level: 'ok', text: 'no alarms' },
];

test('the health pane: worst first; wrapped when there is room; passed checks folded, then shortened, then cut with a count', () => {
  assert.deepEqual(orderReasons(reasons).map((r) => r.level), ['crit', 'warn', 'unknown', 'ok', 'ok']);
  const all = healthPaneLines(reasons, 80);
  assert.equal(all.filter((l) => l.first).length, 5);
  const folded = healthPaneLines(reasons, 80, all.length - 1);
  assert.equal(folded.at(-1)?.text, '2 more checks passed');
  assert.ok(folded.some((l) => l.text.includes('connection refused at http')), 'problems still whole');
  const foldedMore = healthPaneLines(reasons, 80, 7);
  assert.equal(foldedMore.length, 7);
  assert.match(foldedMore.map((l) => l.text).join(' '), /m2 unreachable: connection refused at http:\/\/127\.0\.0\.1:2379: is etcd running and listening there\? → restart etcd on its host/);
  const short = healthPaneLines(reasons, 80, 6);
  assert.ok(short.length <= 6);
  assert.ok(short.some((l) => l.text === 'm2 DOWN: connection refused → restart etcd on its host (its data is kept)'), short.map((l) => l.text).join('\n'));
  const cut = healthPaneLines(reasons, 80, 5);
  assert.ok(cut.length <= 5);
  assert.equal(cut[0].text, '3 voters, 1 healthy: QUORUM LOST (needs 2)');
  assert.match(cut.at(-1)?.text ?? '', /^\+2 more problems, 2 passed/);
});
