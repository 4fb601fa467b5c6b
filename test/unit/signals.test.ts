/**
 * src/cli/signals.ts without a real signal (process.emit): before a flow's first step the guard ends
 * the command with exit 7 and one line; once the run starts (abortOnSignal, runStarting) it is gone
 * and the run's abort path answers instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { abortOnSignal, guardUntilRun, runStarting } from '../../src/cli/signals.js';

function sink() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (b: Buffer) => (text += b.toString()));
  return { out, text: () => text };
}

const listeners = () => ['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s));

test('before the first step a signal exits 7 with one line; runStarting takes the guard down', () => {
  const base = listeners();
  const err = sink();
  const exits: number[] = [];
  guardUntilRun(err.out, (code) => exits.push(code));
  try {
    process.emit('SIGTERM', 'SIGTERM');
    assert.deepEqual(exits, [7]);
    assert.match(err.text(), /^\netcd-tui: interrupted \(SIGTERM\) before the first step: no step ran, nothing was changed\n$/);
  } finally {
    runStarting();
  }
  assert.deepEqual(listeners(), base, 'the guard left a listener behind');
});

test('abortOnSignal takes the guard down: a signal during the run aborts it, and does not exit', async () => {
  const base = listeners();
  const err = sink();
  const out = sink();
  const exits: number[] = [];
  guardUntilRun(err.out, (code) => exits.push(code));
  const aborted = await abortOnSignal(out.out, 'aborting ...\n', (signal) => {
    process.emit('SIGTERM', 'SIGTERM');
    return Promise.resolve(signal.aborted);
  });
  assert.equal(aborted, true);
  assert.deepEqual(exits, [], 'the pre-run guard answered during the run');
  assert.equal(err.text(), '');
  assert.match(out.text(), /aborting/);
  assert.deepEqual(listeners(), base);
});
