/** The HTTP/1.1 response reader and the status JSON of src/cluster/http-status.ts (etcd's gateway answers). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alarmsFromJson, memberFromJson, parseResponse, statusFromJson } from '../../src/cluster/http-status.js';

const body = '{"header":{"cluster_id":"14066387766755996813","member_id":"18446744073709551615","revision":"7","raft_term":"2"},"version":"3.5.16","dbSize":"20480","leader":"5509092089416929842","raftIndex":"9","raftTerm":"2","raftAppliedIndex":"9","dbSizeInUse":"16384"}';

test('a Content-Length answer is read whole, and not before its last byte', () => {
  const raw = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  assert.equal(parseResponse(raw.subarray(0, 20)), undefined);
  assert.equal(parseResponse(raw.subarray(0, raw.length - 1)), undefined);
  assert.deepEqual(parseResponse(raw), { statusCode: 200, body, close: false });
});

test('a chunked answer is joined; Connection: close is reported', () => {
  const raw = Buffer.from(`HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\n{"err\r\n11\r\nor":"x","code":1}\r\n0\r\n\r\n`);
  assert.equal(parseResponse(raw.subarray(0, raw.length - 2)), undefined);
  assert.deepEqual(parseResponse(raw), { statusCode: 503, body: '{"error":"x","code":1}', close: true });
});

test('what is not a gateway answer throws (it makes the member use gRPC)', () => {
  assert.throws(() => parseResponse(Buffer.from('\x15\x03\x01\x00\x02\x02\x16\r\n\r\n')), /not an HTTP response/);
  // Go's TLS server answering a plaintext request: HTTP/1.0, no length.
  assert.throws(() => parseResponse(Buffer.from('HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n')), /without Content-Length/);
  assert.throws(() => parseResponse(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n')), /bad Content-Length/);
});

test('the status JSON: int64 strings as numbers, uint64 IDs kept exact, left-out fields as zero and false', () => {
  const s = statusFromJson(JSON.parse(body));
  assert.deepEqual(s, {
    version: '3.5.16',
    dbSize: 20480,
    dbSizeInUse: 16384,
    leader: '5509092089416929842',
    raftIndex: 9,
    raftTerm: 2,
    raftAppliedIndex: 9,
    isLearner: false,
    errors: [],
    memberId: '18446744073709551615',
    clusterId: '14066387766755996813',
    revision: 7,
  });
  const learner = statusFromJson({ version: '3.4.23', isLearner: true, errors: ['memberID:1 alarm:NOSPACE'] });
  assert.equal(learner.isLearner, true);
  assert.deepEqual(learner.errors, ['memberID:1 alarm:NOSPACE']);
  assert.equal(learner.leader, '0');
});

test('a member of the gateway member list: uint64 ID kept exact, isLearner false when left out', () => {
  const json = JSON.parse('{"ID":"17117964050131804119","name":"m3","peerURLs":["http://127.0.0.1:39191"],"clientURLs":["http://127.0.0.1:39425"]}');
  assert.deepEqual(memberFromJson(json), { id: '17117964050131804119', name: 'm3', peerURLs: ['http://127.0.0.1:39191'], clientURLs: ['http://127.0.0.1:39425'], isLearner: false });
  assert.deepEqual(memberFromJson({ ID: '1', isLearner: true }), { id: '1', name: '', peerURLs: [], clientURLs: [], isLearner: true });
});

test('the alarm list JSON: 3.4 sends {} when none is armed, 3.5 a header; enum names kept; NONE and unknown alarms dropped', () => {
  // As etcd 3.4.23 and 3.5.16 answered POST /v3/maintenance/alarm {"action":"GET"} here.
  assert.deepEqual(alarmsFromJson(JSON.parse('{}')), []);
  assert.deepEqual(alarmsFromJson(JSON.parse('{"header":{"cluster_id":"4700245047070760809", "member_id":"8190261625749728102", "revision":"1", "raft_term":"2"}}')), []);
  assert.deepEqual(alarmsFromJson(JSON.parse('{"alarms":[{"memberID":"15985099378392235387","alarm":"NOSPACE"},{"memberID":"15985099378392235387","alarm":"CORRUPT"}]}')), [
    { memberId: '15985099378392235387', alarm: 'NOSPACE' },
    { memberId: '15985099378392235387', alarm: 'CORRUPT' },
  ]);
  assert.deepEqual(
    alarmsFromJson(JSON.parse('{"header":{"cluster_id":"1", "member_id":"2", "revision":"1", "raft_term":"2"}, "alarms":[{"memberID":"8190261625749728102", "alarm":"CORRUPT"}, {"memberID":"3"}, {"memberID":"4", "alarm":"SOMETHING_NEW"}]}')),
    [{ memberId: '8190261625749728102', alarm: 'CORRUPT' }],
  );
  // Enums as numbers (a gateway set to emit them so): 1 NOSPACE, 2 CORRUPT, 0 NONE.
  assert.deepEqual(alarmsFromJson({ alarms: [{ memberID: '5', alarm: 1 }, { memberID: '6', alarm: 2 }, { memberID: '7', alarm: 0 }] }), [
    { memberId: '5', alarm: 'NOSPACE' },
    { memberId: '6', alarm: 'CORRUPT' },
  ]);
});
