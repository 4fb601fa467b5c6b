import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyError } from '../../src/cluster/classify.js';

test('classifies the errors an operator acts on', () => {
  const cases: Array<[string, string, string]> = [
    ['GRPCDeadlineExceededError', '4 DEADLINE_EXCEEDED: Deadline exceeded', 'timeout'],
    ['GRPCUnavailableError', '14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1', 'unreachable'],
    ['GRPCUnavailableError', '14 UNAVAILABLE: No connection established. Last error: unable to verify the first certificate', 'tls'],
    ['EtcdAuthenticationFailedError', 'etcdserver: authentication failed, invalid user ID or password', 'auth'],
    ['GRPCUnavailableError', '14 UNAVAILABLE: etcdserver: rpc not supported for learner', 'learner'],
    ['GRPCFailedPreconditionError', '9 FAILED_PRECONDITION: etcdserver: not leader', 'not-leader'],
    ['GRPCResourceExhastedError', '8 RESOURCE_EXHAUSTED: etcdserver: mvcc: database space exceeded', 'nospace'],
    ['GRPCUnavailableError', '14 UNAVAILABLE: etcdserver: request timed out', 'no-quorum'],
  ];
  for (const [name, message, kind] of cases) {
    assert.equal(classifyError({ name, message }).kind, kind, message);
  }
  assert.match(classifyError({ name: 'X', message: 'connect ECONNREFUSED' }, 'http://a:1').message, /at http:\/\/a:1/);
});
