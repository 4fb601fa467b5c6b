// A Node test runner reporter (used next to `spec` by scripts/test.sh) that
// writes one JSON line per finished test or suite: file, name, nesting, kind
// (test | suite), outcome (pass | fail | skip | todo), and the skip reason.
// scripts/test-summary.mjs reads these lines to count per tier.
//
// The file is the test file being run, not the file that called test(): a test
// declared through a helper (test/harness/skip.ts) carries the helper's path.
// With --test-concurrency=1 files run one after another, and the runner
// dequeues each file (an event named by the file's own path) before its tests.
export default async function* tierReporter(source) {
  let current = null;
  for await (const event of source) {
    const d = event.data;
    if (event.type === 'test:dequeue' && d.nesting === 0 && d.file && d.name === d.file) current = d.file;
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    let outcome = event.type === 'test:pass' ? 'pass' : 'fail';
    if (d.skip !== undefined && d.skip !== false) outcome = 'skip';
    else if (d.todo !== undefined && d.todo !== false) outcome = 'todo';
    const reason = outcome === 'skip' ? d.skip : outcome === 'todo' ? d.todo : undefined;
    const error = d.details?.error;
    yield `${JSON.stringify({
      file: (d.nesting === 0 && d.name === d.file ? d.file : current ?? d.file) ?? null,
      name: d.name,
      nesting: d.nesting,
      kind: d.details?.type === 'suite' ? 'suite' : 'test',
      outcome,
      reason: reason === true ? '' : reason ?? null,
      failure: outcome === 'fail' ? String(error?.failureType ?? '') : undefined,
    })}\n`;
  }
}
