/** Comparing HashKV answers: agreement, the odd member out, ties, missing and incomparable answers. Pure. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareHashes, consistencyExitCode, type HashAnswer } from '../../src/health/consistency.js';

const ok = (member: string, hash: string, compactRevision = 5): HashAnswer => ({ memberId: member, member, ok: true, hash, compactRevision, ms: 3 });
const result = (...answers: HashAnswer[]) => ({ revision: 100, revisionFrom: 'm1 (leader)', answers, at: 0 });

test('three equal hashes agree: exit 0', () => {
  const v = compareHashes(result(ok('m1', '11'), ok('m2', '11'), ok('m3', '11')));
  assert.equal(v.agree, true);
  assert.deepEqual(v.differing, []);
  assert.equal(consistencyExitCode(v, 3), 0);
  assert.match(v.reasons[0].text, /3 members agree on KV hash 11 at revision 100/);
});

test('the odd member out is named, critical, with the fix: exit 2', () => {
  const v = compareHashes(result(ok('m1', '11'), ok('m2', '22'), ok('m3', '11')));
  assert.deepEqual(v.differing, ['m2']);
  assert.equal(v.majorityHash, '11');
  const crit = v.reasons.filter((r) => r.level === 'crit');
  assert.equal(crit.length, 1);
  assert.match(crit[0].text, /^m2: KV hash 22 at revision 100 differs .* replace this member/);
  assert.equal(consistencyExitCode(v, 3), 2);
});

test('two members, two hashes: no majority, both named, critical', () => {
  const v = compareHashes(result(ok('m1', '11'), ok('m2', '22')));
  assert.deepEqual(v.differing, ['m1', 'm2']);
  assert.match(v.reasons.find((r) => r.level === 'crit')!.text, /no majority hash/);
});

test('a member that did not answer, or hashed over another compacted range, is not a mismatch', () => {
  const missing = compareHashes(result(ok('m1', '11'), ok('m2', '11'), { memberId: 'm3', member: 'm3', ok: false, error: 'deadline', ms: 9 }));
  assert.deepEqual(missing.differing, []);
  assert.deepEqual(missing.missing, ['m3']);
  assert.equal(consistencyExitCode(missing, 2), 1);
  const compacted = compareHashes(result(ok('m1', '11'), ok('m2', '11'), ok('m3', '99', 50)));
  assert.deepEqual(compacted.differing, []);
  assert.deepEqual(compacted.incomparable, ['m3']);
  assert.equal(consistencyExitCode(compareHashes(result({ memberId: 'm1', member: 'm1', ok: false, error: 'x', ms: 1 })), 0), 3);
});
