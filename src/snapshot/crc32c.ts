/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): Go's
 * crc32.New(crc32.MakeTable(crc32.Castagnoli)), which `etcdutl snapshot
 * status` uses for its hash. Incremental like Go's hash.Hash32.
 *
 * Pieces of NATIVE_MIN_BYTES or more go to the optional native module @node-rs/crc32 (SSE4.2 /
 * ARMv8 CRC instructions: ~4.3 GB/s here against ~1.1 GB/s for the slice-by-8 tables below, which
 * a snapshot save's read-back spent most of its time in); smaller ones stay in JS, where a call
 * costs less than crossing into native code. Without the module (the standalone build, a platform
 * it has no binary for, an install without optional dependencies) or with ETCD_TUI_CRC32C=js, every
 * piece goes through the tables: the same values, slower.
 */
import { createRequire } from 'node:module';

const POLY = 0x82f63b78;

const TABLES: Uint32Array[] = (() => {
  const t0 = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[i] = c >>> 0;
  }
  const tables = [t0];
  for (let s = 1; s < 8; s++) {
    const prev = tables[s - 1];
    const t = new Uint32Array(256);
    for (let i = 0; i < 256; i++) t[i] = (prev[i] >>> 8) ^ t0[prev[i] & 0xff];
    tables.push(t);
  }
  return tables;
})();

/** Typed-array words are little-endian here (every platform Node ships for but s390x). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

type NativeCrc32c = (input: Uint8Array, initialState?: number) => number;

/** From this size a piece goes to the native module (measured: a call costs ~0.18 us there, ~0.13 us in JS for 17 bytes). */
const NATIVE_MIN_BYTES = 256;

/** The native function once looked for: a function, or null when there is none (or it is switched off). */
let native: NativeCrc32c | null | undefined;

function nativeCrc32c(): NativeCrc32c | null {
  if (native !== undefined) return native;
  native = null;
  if (process.env.ETCD_TUI_CRC32C === 'js') return native;
  try {
    const mod = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c?: unknown };
    const fn = mod.crc32c;
    // Used only if it gives the check value of the standard ("123456789") and continues like ours.
    if (typeof fn === 'function') {
      const candidate = fn as NativeCrc32c;
      const probe = Buffer.from('123456789');
      if (candidate(probe) === 0xe3069283 && candidate(probe.subarray(4), candidate(probe.subarray(0, 4))) === 0xe3069283) native = candidate;
    }
  } catch {
    // Not installed, or no binary for this platform: the tables.
  }
  return native;
}

/** Which implementation large pieces go through: 'native' (@node-rs/crc32) or 'js'. */
export function crc32cImplementation(): 'native' | 'js' {
  return nativeCrc32c() ? 'native' : 'js';
}

/** Continues a CRC-32C: `crc` is a previous result (0 to start). Returns the new unsigned value. */
export function crc32cUpdate(crc: number, data: Uint8Array): number {
  if (data.length >= NATIVE_MIN_BYTES) {
    const fn = nativeCrc32c();
    if (fn) return fn(data, crc) >>> 0;
  }
  return crc32cTables(crc, data);
}

/** crc32cUpdate() through the slice-by-8 tables only. */
export function crc32cTables(crc: number, data: Uint8Array): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES;
  let c = ~crc >>> 0;
  let i = 0;
  const n = data.length;
  if (LITTLE_ENDIAN && n >= 64) {
    // Two 32-bit loads per 8 bytes instead of eight byte loads (about twice as fast): bytes one by
    // one up to a 4-byte boundary of the underlying buffer, then whole words.
    const misaligned = (4 - (data.byteOffset & 3)) & 3;
    for (; i < misaligned; i++) c = (c >>> 8) ^ t0[(c ^ data[i]) & 0xff];
    const words = new Uint32Array(data.buffer, data.byteOffset + i, ((n - i) >>> 3) * 2);
    for (let w = 0; w < words.length; w += 2) {
      const lo = (c ^ words[w]) >>> 0;
      const hi = words[w + 1];
      c = t7[lo & 0xff] ^ t6[(lo >>> 8) & 0xff] ^ t5[(lo >>> 16) & 0xff] ^ t4[lo >>> 24] ^ t3[hi & 0xff] ^ t2[(hi >>> 8) & 0xff] ^ t1[(hi >>> 16) & 0xff] ^ t0[hi >>> 24];
    }
    i += words.length * 4;
  } else {
    const end8 = n - (n % 8);
    for (; i < end8; i += 8) {
      const lo = (c ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24))) >>> 0;
      c =
        t7[lo & 0xff] ^
        t6[(lo >>> 8) & 0xff] ^
        t5[(lo >>> 16) & 0xff] ^
        t4[lo >>> 24] ^
        t3[data[i + 4]] ^
        t2[data[i + 5]] ^
        t1[data[i + 6]] ^
        t0[data[i + 7]];
    }
  }
  for (; i < n; i++) c = (c >>> 8) ^ t0[(c ^ data[i]) & 0xff];
  return ~c >>> 0;
}

/** a * b modulo the polynomial, both in the reflected bit order (zlib's multmodp). */
function multModP(a: number, b: number): number {
  let m = 0x8000_0000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) modulo the polynomial, k = 0..63. */
const X2N: number[] = (() => {
  const t = [0x4000_0000]; // x^1
  for (let k = 1; k < 64; k++) t.push(multModP(t[k - 1], t[k - 1]));
  return t;
})();

/** x^(8 * bytes) modulo the polynomial (the shift by that many bytes), cached: leaf sizes repeat. */
const shiftCache = new Map<number, number>();

function shiftBytes(bytes: number): number {
  let p = shiftCache.get(bytes);
  if (p !== undefined) return p;
  p = 0x8000_0000; // x^0
  let n = bytes;
  let k = 3; // bytes -> bits
  while (n > 0) {
    if (n % 2 === 1) p = multModP(X2N[k % 64], p);
    n = Math.floor(n / 2);
    k++;
  }
  if (shiftCache.size < 4096) shiftCache.set(bytes, p);
  return p;
}

/**
 * The CRC-32C of A followed by B from the CRC-32C of A, that of B and B's length (zlib's
 * crc32_combine): B's bytes may have been hashed elsewhere, earlier (a snapshot save hashes large
 * values while they stream by, the read-back walks the tree in key order and puts them together).
 */
export function crc32cCombine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB === 0) return crcA >>> 0;
  return (multModP(shiftBytes(lengthB), crcA >>> 0) ^ crcB) >>> 0;
}

/** An incremental CRC-32C, like Go's hash.Hash32 (Write many times, then Sum32). */
export class Crc32c {
  private value = 0;

  update(data: Uint8Array): this {
    this.value = crc32cUpdate(this.value, data);
    return this;
  }

  /** As if `length` bytes whose CRC-32C is `crc` had been given to update(). */
  append(crc: number, length: number): this {
    this.value = crc32cCombine(this.value, crc, length);
    return this;
  }

  digest(): number {
    return this.value;
  }
}

export function crc32c(data: Uint8Array): number {
  return crc32cUpdate(0, data);
}
