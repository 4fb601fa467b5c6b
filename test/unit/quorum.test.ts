import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quorumOf, summarizeQuorum, describeQuorum } from '../../src/health/quorum.js';
import { member, up, down, IDS } from '../fakes/fixtures.js';

test('quorum of n voters is floor(n/2)+1', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(quorumOf), [1, 2, 2, 3, 3, 4, 4]);
});

test('3 healthy voters tolerate 1 failure; learners do not count', () => {
  const members = [member('m1'), member('m2'), member('m3'), member('m4', { isLearner: true })];
  const q = summarizeQuorum(members, { [IDS.m1]: up(), [IDS.m2]: up(), [IDS.m3]: up(), [IDS.m4]: up() });
  assert.deepEqual(q, { voters: 3, healthyVoters: 3, learners: 1, quorum: 2, tolerance: 1, hasQuorum: true });
  assert.equal(describeQuorum(q), '3 voters, 3 healthy, 1 learner, tolerates 1 failure');
});

test('two of three voters down is quorum lost', () => {
  const members = [member('m1'), member('m2'), member('m3')];
  const q = summarizeQuorum(members, { [IDS.m1]: up(), [IDS.m2]: down(), [IDS.m3]: down() });
  assert.equal(q.hasQuorum, false);
  assert.equal(q.tolerance, -1);
  assert.match(describeQuorum(q), /QUORUM LOST/);
});
