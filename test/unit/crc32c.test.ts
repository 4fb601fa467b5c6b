/**
 * The word-at-a-time CRC-32C path (chunks of 64 bytes and more): every alignment of the chunk in its
 * buffer and every tail length against a bit-by-bit reference, whole and incrementally; the same
 * through the tables alone and through the native module (@node-rs/crc32, an optional dependency
 * that npm ci installs here) where it is installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { Crc32c, crc32c, crc32cCombine, crc32cImplementation, crc32cTables, crc32cUpdate } from '../../src/snapshot/crc32c.js';

function reference(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

test('every alignment and tail length of large chunks matches the reference', () => {
  const data = crypto.randomBytes(4096 + 64);
  for (let offset = 0; offset < 8; offset++) {
    for (const length of [64, 65, 71, 72, 100, 1000, 4095]) {
      const chunk = data.subarray(offset, offset + length);
      assert.equal(crc32c(chunk), reference(chunk), `offset ${offset}, length ${length}`);
      assert.equal(crc32cTables(0, chunk), reference(chunk), `tables: offset ${offset}, length ${length}`);
    }
  }
});

test('incremental over large chunks at odd offsets equals one pass', () => {
  const data = crypto.randomBytes(100_003);
  let inc = 0;
  for (let i = 0; i < data.length; i += 997) inc = crc32cUpdate(inc, data.subarray(i, i + 997));
  assert.equal(inc, reference(data));
  assert.equal(crc32c(data), inc);
  // A Uint8Array that is not a Buffer, on a shared ArrayBuffer at an odd offset.
  const view = new Uint8Array(data.buffer, data.byteOffset + 3, 5000);
  assert.equal(crc32c(view), reference(view));
});

test('the tables alone and the dispatching update agree on pieces around the native threshold', () => {
  const data = crypto.randomBytes(70_001);
  for (const piece of [1, 17, 255, 256, 257, 4096, 65_537]) {
    let viaTables = 0x12345678;
    let viaUpdate = 0x12345678;
    for (let i = 0; i < data.length; i += piece) {
      viaTables = crc32cTables(viaTables, data.subarray(i, i + piece));
      viaUpdate = crc32cUpdate(viaUpdate, data.subarray(i, i + piece));
    }
    assert.equal(viaUpdate, viaTables, `pieces of ${piece}`);
    assert.equal(viaTables, reference(data, 0x12345678), `pieces of ${piece} against the reference`);
  }
});

test('the native module is used where it is installed (npm ci installs it on linux-x64)', () => {
  let installed = true;
  try {
    createRequire(import.meta.url)('@node-rs/crc32');
  } catch {
    installed = false;
  }
  assert.equal(crc32cImplementation(), installed && process.env.ETCD_TUI_CRC32C !== 'js' ? 'native' : 'js');
  if (process.env.CI === 'true' && process.platform === 'linux' && process.arch === 'x64') assert.ok(installed, 'npm ci installs @node-rs/crc32 and its linux-x64 binary');
});

test('combine: the CRC of A then B from those of A and B, for lengths from 0 to 1 MB', () => {
  const data = crypto.randomBytes((1 << 20) + 999);
  for (const [a, b] of [[0, 0], [0, 5], [5, 0], [1, 1], [17, 4079], [4096, 262_144], [100, (1 << 20) + 899], [3, 65_537]]) {
    const whole = crc32c(data.subarray(0, a + b));
    const combined = crc32cCombine(crc32c(data.subarray(0, a)), crc32c(data.subarray(a, a + b)), b);
    assert.equal(combined, whole, `A ${a} bytes, B ${b} bytes`);
    assert.equal(new Crc32c().update(data.subarray(0, a)).append(crc32c(data.subarray(a, a + b)), b).digest(), whole);
  }
});
