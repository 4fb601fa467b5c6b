/** The flow dialog's stage machine (src/flows/stages.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyRunEvent, finalSteps, nextMove, planKey, stepViews } from '../../src/flows/stages.js';
import type { Plan } from '../../src/domain/plan.js';

const plan = (confirmPhrase?: string): Plan => ({
  flow: 'remove',
  title: 'Remove m2',
  preview: [],
  warnings: [],
  args: {},
  confirmPhrase,
  steps: [
    { id: 'a', title: 'one', command: 'etcdctl a', preconditions: [], action: { kind: 'verify-health', timeoutMs: 1 } },
    { id: 'b', title: 'two', command: 'etcdctl b', preconditions: [], action: { kind: 'verify-health', timeoutMs: 1 } },
  ],
});

test('enter: form plans; preview runs or asks for the name; a wrong name stays; done closes', () => {
  assert.deepEqual(nextMove({ stage: 'form', typed: '' }), { kind: 'plan' });
  assert.deepEqual(nextMove({ stage: 'preview', typed: '' }), { kind: 'none' }, 'a refusal has nothing to run');
  assert.deepEqual(nextMove({ stage: 'preview', plan: plan(), typed: '' }), { kind: 'run' });
  assert.deepEqual(nextMove({ stage: 'preview', plan: plan('m2'), typed: '' }), { kind: 'confirm' });
  assert.deepEqual(nextMove({ stage: 'preview', plan: plan(), typed: '' }, 'use a 127.0.0.1 peer URL'), { kind: 'warn', text: 'use a 127.0.0.1 peer URL' });
  assert.deepEqual(nextMove({ stage: 'confirm', plan: plan('m2'), typed: ' m2 ' }), { kind: 'run' });
  assert.equal(nextMove({ stage: 'confirm', plan: plan('m2'), typed: 'm3' }).kind, 'warn');
  assert.deepEqual(nextMove({ stage: 'running', plan: plan(), typed: '' }), { kind: 'none' });
  assert.deepEqual(nextMove({ stage: 'done', typed: '' }), { kind: 'close' });
});

test('run events move the steps; a run that did not succeed skips the steps never started', () => {
  let f = { steps: stepViews(plan()), rollback: undefined as Array<{ text: string; ok: boolean }> | undefined };
  const apply = (e: Parameters<typeof applyRunEvent>[1]) => (f = { ...f, ...applyRunEvent(f, e) });
  apply({ type: 'step-start', index: 0, at: 1 });
  apply({ type: 'retry', index: 0, attempt: 2, error: 'not in sync', nextInMs: 1000 });
  apply({ type: 'step-failed', index: 0, at: 2, error: 'boom' });
  apply({ type: 'rollback', text: 'undone', ok: true });
  assert.deepEqual(
    f.steps.map((s) => [s.state, s.error, s.retries]),
    [
      ['failed', 'boom', ['try 2: not in sync; again in 1.0s']],
      ['pending', undefined, []],
    ],
  );
  assert.deepEqual(f.rollback, [{ text: 'undone', ok: true }]);
  assert.deepEqual(finalSteps(f.steps, false).map((s) => s.state), ['failed', 'skipped']);
  assert.equal(planKey(plan()), planKey(plan('m2')), 'the confirmation phrase is not part of what the run must match');
});
