/** The flow dialog's layout (screens/flow/layout.ts): word wrap, the window, the running step kept in view, scrolling clamped. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autoOffset, bodyLines, bodyWindow, wrap, type Line } from '../../screens/flow/layout.js';
import type { FlowStepView, FlowView } from '../../src/flows/state.js';

const text = (l: Line) => l.map((s) => s.text).join('');

function step(i: number, state: FlowStepView['state']): FlowStepView {
  return { title: `step ${i + 1}`, command: `cmd ${i + 1}`, preconditions: [], state, retries: [], output: state === 'running' ? ['out a', 'out b'] : [] };
}

function flow(stage: FlowView['stage'], states: FlowStepView['state'][], extra: Partial<FlowView> = {}): FlowView {
  const steps = states.map((s, i) => step(i, s));
  return {
    kind: 'defrag',
    title: 'Rolling defrag',
    stage,
    fields: [],
    focus: 0,
    typed: '',
    steps,
    plan: { flow: 'defrag', title: 'Defrag', preview: ['p1', 'p2'], warnings: [], args: {}, steps: steps.map((s, i) => ({ id: String(i), title: s.title, command: s.command, preconditions: [], action: { kind: 'compact', retain: 1 } })) },
    ...extra,
  };
}

test('wrap breaks at a space and indents the continuation; a long word is cut without indent (it copies back whole)', () => {
  assert.deepEqual(wrap('aaaa bbbb cccc dddd', 10, {}, '  ').map(text), ['aaaa bbbb', '  cccc dddd']);
  assert.deepEqual(wrap('aaaa bbbb cccc dddd eeee', 14, {}, '  ').map(text), ['aaaa bbbb cccc', '  dddd eeee']);
  const url = 'x'.repeat(25);
  assert.deepEqual(wrap(url, 10).map(text).join(''), url);
  assert.deepEqual(wrap('a\nb', 40).map(text), ['a', 'b']);
});

test('a running step is found by its index, not by its text, and kept a third from the top', () => {
  const f = flow('running', ['done', 'done', 'done', 'done', 'running', 'pending', 'pending', 'pending']);
  const lines = bodyLines(f, 80);
  const marker = lines.findIndex((l) => l[0]?.step === 4);
  assert.ok(marker > 0, 'the running step has its marker');
  assert.match(text(lines[marker]), /▶ 5\. step 5/);
  assert.equal(autoOffset(f, lines, 6), Math.min(lines.length - 6, marker - 2));
});

test('the window: everything without a terminal; the end of a result; scrolling clamped to the body', () => {
  const f = flow('preview', ['pending', 'pending', 'pending', 'pending']);
  const lines = bodyLines(f, 80);
  assert.deepEqual(bodyWindow(f, lines, undefined, 3), { height: lines.length, max: 0, offset: 0, shown: lines });
  // 3 members: 24 rows leave 24 - 7 - 7 = 10 rows for the body.
  const w = bodyWindow(f, lines, 24, 3);
  assert.equal(w.height, 10);
  assert.equal(w.offset, 0, 'a plan starts at its top');
  assert.equal(w.max, Math.max(0, lines.length - 10));
  assert.equal(bodyWindow({ ...f, scroll: { stage: 'preview', delta: 1000 } }, lines, 24, 3).offset, w.max);
  assert.equal(bodyWindow({ ...f, scroll: { stage: 'preview', delta: -1000 } }, lines, 24, 3).offset, 0);
  assert.equal(bodyWindow({ ...f, scroll: { stage: 'form', delta: 5 } }, lines, 24, 3).offset, 0, 'scrolling of another stage does not count');
  const done = flow('done', ['done', 'done', 'done', 'done'], { result: { outcome: 'succeeded', output: [], durationMs: 1000, auditPath: '/a' } });
  const dl = bodyLines(done, 80);
  assert.equal(bodyWindow(done, dl, 24, 3).offset, Math.max(0, dl.length - 10), 'a result shows its end');
  assert.equal(bodyWindow(done, dl, 8, 30).height, 6, 'at least 6 rows');
});
