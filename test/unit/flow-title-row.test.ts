/**
 * The flow dialog's title row (screens/flow/layout.ts titleRow) stays one row wide: the full scroll
 * note when it fits, else the short one, else the title cut in the middle (start and end kept).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { titleRow } from '../../screens/flow/layout.js';

const width = (r: { title: string; rule: string; note: string }, stage: string) => `── ${r.title} [${stage}] ${r.rule}${r.note}`.length;

test('the title row fits: full note, short note, then the title cut in the middle', () => {
  const wide = titleRow('Rolling upgrade to etcd 3.5.16', 'preview', 120, { from: 1, to: 10, total: 63 });
  assert.deepEqual(wide, { title: 'Rolling upgrade to etcd 3.5.16', rule: '────────', note: ' lines 1-10 of 63 (↑/↓ PgUp/PgDn scroll)' });
  const narrow = titleRow('Rolling upgrade to etcd 3.5.16', 'preview', 79, { from: 1, to: 10, total: 63 });
  assert.deepEqual(narrow, { title: 'Rolling upgrade to etcd 3.5.16', rule: '────────', note: ' 1-10/63' });
  const long = 'CA change from /tmp/etcd-tui-ca-e2e-0kuuSs/pki-ca2: phase 1, 2, 3 of 3';
  const cut = titleRow(long, 'preview', 79, { from: 6, to: 15, total: 201 });
  assert.ok(width(cut, 'preview') <= 79, `${width(cut, 'preview')}: ${JSON.stringify(cut)}`);
  assert.match(cut.title, /^CA change from .*….*phase 1, 2, 3 of 3$/);
  assert.equal(cut.note, ' 6-15/201');
  // No scrolling: no note; a title that fits is left whole.
  assert.deepEqual(titleRow('Add a learner', 'form', 79), { title: 'Add a learner', rule: '────────', note: '' });
  for (const w of [40, 60, 79, 100]) assert.ok(width(titleRow(long, 'running', w, { from: 100, to: 120, total: 1000 }), 'running') <= Math.max(w, 40), `width ${w}`);
});
